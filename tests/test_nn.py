"""nn.Module bookkeeping, layers, functional ops and losses, and an MLP that learns."""
import math
import time

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


class MLP(nn.Module):
    def __init__(self, n_in=2, hidden=16, n_out=2):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# -- Module bookkeeping ------------------------------------------------------------------------

def test_parameters_registered_by_attribute_in_order_with_dotted_names():
    m = MLP()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [type(c).__name__ for c in m.children()] == ["Linear", "ReLU", "Linear"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad and p.dtype == np.float32 for p in m.parameters())
    seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1, bias=False))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight"]
    assert isinstance(seq[1], nn.Tanh) and len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert [type(m).__name__ for m in seq[1:]] == ["Tanh", "Linear"]
    with pytest.raises(IndexError, match="3"):
        seq[3]


def test_shared_parameter_listed_once_and_reassignment_replaces():
    m = MLP()
    m.extra = nn.Parameter(np.zeros(3))
    assert [n for n, _ in m.named_parameters()][0] == "extra"  # a module's own parameters come first
    m.extra = None
    assert "extra" not in dict(m.named_parameters())
    with pytest.raises(TypeError, match="extra"):
        m.extra = np.zeros(3)  # a plain array into a parameter slot is almost surely a mistake
    shared = nn.Linear(2, 2)
    s = nn.Sequential(shared, shared)
    assert len(list(s.parameters())) == 2


def test_assigning_before_super_init_names_the_fix():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_train_eval_reach_every_submodule():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_sets_none_and_parameter_dtype_argument():
    m = MLP()
    F.cross_entropy(m(mg.tensor(np.ones((3, 2), np.float32))), np.array([0, 1, 0])).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64
    assert nn.Parameter([1, 2]).dtype == np.float32


def test_repr_reads_like_pytorch():
    r = repr(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.25)))
    assert r == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n  (1): ReLU()\n"
                 "  (2): Dropout(p=0.25)\n)")


# -- state dicts ----------------------------------------------------------------------------------

def test_state_dict_is_an_ordered_copy_and_loads_in_place():
    a, b = MLP(), MLP()
    sd = a.state_dict()
    assert list(sd) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["fc1.weight"][...] = 0  # a copy: editing it leaves the model alone
    assert np.abs(a.fc1.weight.data).sum() > 0
    w = b.fc1.weight.data
    missing, unexpected = b.load_state_dict(a.state_dict())
    assert (missing, unexpected) == ([], [])
    assert b.fc1.weight.data is w  # copied into the existing array: optimizers keep working
    np.testing.assert_array_equal(w, a.fc1.weight.data)


def test_load_state_dict_names_missing_unexpected_and_mismatched_keys():
    m = MLP()
    sd = m.state_dict()
    del sd["fc2.bias"]
    sd["fc3.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match="missing keys: fc2.bias.*unexpected keys: fc3.weight"):
        m.load_state_dict(sd)
    assert m.load_state_dict(sd, strict=False) == (["fc2.bias"], ["fc3.weight"])
    sd = m.state_dict()
    sd["fc1.weight"] = np.zeros((3, 3), np.float32)
    sd["fc2.bias"] = sd["fc2.bias"].astype(np.float64)
    before = m.fc1.bias.data.copy()
    sd["fc1.bias"] = before + 1
    with pytest.raises(ValueError, match=r"fc1.weight: shape \(3, 3\).*\(16, 2\).*fc2.bias: dtype float64.*float32"):
        m.load_state_dict(sd)
    np.testing.assert_array_equal(m.fc1.bias.data, before)  # nothing loaded when anything is wrong


# -- scopes and names on the tape ------------------------------------------------------------------

def test_module_calls_set_dotted_scopes_and_name_parameters():
    m = MLP()
    y = m(mg.tensor(np.ones((2, 2), np.float32)))
    ops = [(node.op, node.scope) for _, node, _ in mg.engine._tape([y])]
    assert ops == [("linear", "MLP.fc2"), ("relu", "MLP.act"), ("linear", "MLP.fc1")]
    assert m.fc1.weight.name == "fc1.weight" and m.fc2.bias.name == "fc2.bias"
    from minigrad.tensor import _scope
    assert _scope.get() is None  # reset after the call
    z = mg.relu(mg.tensor(np.ones(2), requires_grad=True))
    assert z._node.scope is None


def test_sequential_children_scoped_by_index_and_names_follow_structure_changes():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    y = seq(mg.tensor(np.ones((1, 2), np.float32)))
    assert [n.scope for _, n, _ in mg.engine._tape([y])] == ["Sequential.1.1", "Sequential.1.0", "Sequential.0"]
    assert seq[1][1].weight.name == "1.1.weight"
    seq.append(nn.Linear(1, 1))
    seq(mg.tensor(np.ones((1, 2), np.float32)))
    assert seq[2].weight.name == "2.weight"


def test_scope_bookkeeping_costs_little_next_to_a_linear_forward():
    lin = nn.Linear(8, 4)  # tiny, so the bookkeeping is a visible fraction of the call
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 8), dtype=np.float32))

    def best(f, n=1000):
        t = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            t.append(time.perf_counter() - t0)
        return min(t) / n

    direct = best(lambda: F.linear(x, lin.weight, lin.bias))
    called = best(lambda: lin(x))
    assert called - direct < 5e-6, (called, direct)  # a few microseconds at most


def test_relu_module_uses_the_relu_op_so_overrides_reach_it():
    x = mg.tensor(np.array([[-1.0, 2.0, 3.0]], np.float32), requires_grad=True)
    g = np.array([[1.0, 1.0, -1.0]], np.float32)
    nn.ReLU()(x).backward(g)
    np.testing.assert_array_equal(x.grad.data, [[0, 1, -1]])
    x.grad = None
    with mg.rules.override(relu=mg.rules.guided_relu):
        nn.ReLU()(x).backward(g)
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0]])  # guided: negative gradient blocked


# -- layers and init ---------------------------------------------------------------------------------

def test_linear_matches_numpy_and_has_pytorch_layout_and_init():
    mg.manual_seed(0)
    lin = nn.Linear(50, 7)
    assert lin.weight.shape == (7, 50) and lin.bias.shape == (7,)
    bound = 1 / math.sqrt(50)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.9 * bound  # uniform over the whole range, not a narrow one
    x = np.random.default_rng(1).standard_normal((4, 50)).astype(np.float32)
    y = lin(mg.tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, x @ lin.weight.data.T + lin.bias.data, rtol=1e-5, atol=1e-6)
    y3 = lin(mg.tensor(x.reshape(2, 2, 50)))
    np.testing.assert_allclose(y3.data.reshape(4, 7), y.data, rtol=1e-6)


def test_linear_weight_layout_and_gradient_layout_agree_for_fast_updates():
    lin = nn.Linear(6, 4)
    assert lin.weight.shape == (4, 6) and lin.weight.data.T.flags.c_contiguous  # (in, out) memory
    c_order = nn.Parameter(np.ascontiguousarray(lin.weight.data))
    x = mg.tensor(np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32), requires_grad=True)
    grads = []
    for w in (lin.weight, c_order):
        y = F.linear(x, w, lin.bias)
        (y * y).sum().backward()
        assert w.grad.data.flags.f_contiguous == w.data.flags.f_contiguous  # no mixed-order update
        grads.append((y.data, w.grad.data, x.grad.data))
        x.grad = None
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    sd = lin.state_dict()
    fresh = nn.Linear(6, 4)
    fresh.load_state_dict(sd)
    assert fresh.weight.data.T.flags.c_contiguous
    np.testing.assert_array_equal(fresh.weight.data, lin.weight.data)


def test_manual_seed_makes_init_reproducible():
    mg.manual_seed(3)
    a = nn.Linear(4, 4).weight.data.copy()
    mg.manual_seed(3)
    b = nn.Linear(4, 4).weight.data.copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Linear(4, 4).weight.data)


@pytest.mark.parametrize("fill", ["uniform", "normal"])
@pytest.mark.parametrize("shape,order", [((), "C"), ((3,), "C"), ((700, 300), "C"), ((300, 700), "F"),
                                         ((40, 30, 70), "F")])
def test_random_fills_are_one_draw_of_the_whole_shape(fill, shape, order):
    # filled in blocks of rows, but the values (and the generator's state after) are exactly
    # those of a single draw of the whole shape, whatever the memory layout (Linear's is "F")
    t = mg.Tensor(np.zeros(shape, np.float32, order=order))
    mg.manual_seed(5)
    if fill == "uniform":
        nn.init.uniform_(t, -0.3, 0.7)
        ref = np.random.default_rng(5)
        want = ref.uniform(-0.3, 0.7, size=t.shape)
    else:
        nn.init.normal_(t, 0.1, 2.0)
        ref = np.random.default_rng(5)
        want = ref.normal(0.1, 2.0, size=t.shape)
    np.testing.assert_array_equal(t.data, want.astype(np.float32))
    assert t._version == 1
    assert nn.init.generator().random() == ref.random()  # the stream goes on where one draw leaves it


def test_initialising_a_large_layer_makes_no_temporary_of_its_size():
    import tracemalloc
    w = mg.tensor(np.zeros((2000, 1000), np.float32))  # 8 MB; one float64 draw of it: 16 MB
    tracemalloc.start()
    try:
        nn.init.kaiming_uniform_(w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2e6, peak
    assert 0 < np.abs(w.data).max() <= np.sqrt(6 / 1000)


def test_linear_gradient_matches_finite_differences_with_and_without_bias():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    assert mg.gradcheck(F.linear, x, W, b)
    assert mg.gradgradcheck(F.linear, x, W, b)
    assert mg.gradcheck(lambda x, W: F.linear(x, W), x, W)


def test_linear_computes_only_requested_gradients():
    lin = nn.Linear(3, 2)
    x = mg.tensor(np.ones((4, 3), np.float32))  # data: no gradient wanted
    lin(x).sum().backward()
    assert x.grad is None and lin.weight.grad.shape == (2, 3)


def test_linear_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\).*\(4, 5\)"):
        nn.Linear(3, 2)(mg.tensor(np.ones((4, 5), np.float32)))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 2)


def test_dropout_is_inverted_and_identity_in_eval():
    mg.manual_seed(0)
    d = nn.Dropout(0.25)
    x = mg.tensor(np.ones((200, 200), np.float32), requires_grad=True)
    y = d(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data != 0, kept)
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match="p=1.5"):
        F.dropout(x, 1.5)


def test_flatten_keeps_batch_dim():
    x = mg.tensor(np.zeros((2, 3, 4, 5), np.float32))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0)(x).shape == (120,)


# -- losses ----------------------------------------------------------------------------------------

def test_cross_entropy_matches_numpy_reductions_and_is_stable():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 4)) * 3
    y = np.array([0, 3, 1, 1, 2])
    lse = np.log(np.exp(z).sum(1))
    per = lse - z[np.arange(5), y]
    np.testing.assert_allclose(F.cross_entropy(mg.tensor(z), y, reduction="none").data, per, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(mg.tensor(z), y).item(), per.mean(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(mg.tensor(z), y, reduction="sum").item(), per.sum(), rtol=1e-12)
    big = mg.tensor(np.array([[1000.0, 0.0], [-1000.0, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(big, np.array([1, 0]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1000.0)
    loss.backward()
    assert np.isfinite(big.grad.data).all()
    assert mg.gradcheck(lambda t: F.cross_entropy(t, y), z)
    assert mg.gradgradcheck(lambda t: F.cross_entropy(t, y), z)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    z = np.random.default_rng(1).standard_normal((3, 5))
    y = np.array([4, 0, 2])
    t = mg.tensor(z, requires_grad=True)
    F.cross_entropy(t, y, reduction="sum").backward()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(t.grad.data, p - np.eye(5)[y], rtol=1e-10)


def test_loss_errors_name_the_problem():
    z = mg.tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="label 4 at index 1.*4 classes"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="label -1"):
        F.nll_loss(z, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"labels of shape \(2,\).*\(3, 4\)"):
        F.cross_entropy(z, np.array([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\(N, C\).*\(4,\)"):
        F.cross_entropy(mg.tensor(np.zeros(4)), np.array([0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(z, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4,\)"):
        F.mse_loss(z, np.zeros(4))


def test_nll_mse_and_bce_values():
    lp = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert F.nll_loss(mg.tensor(lp), np.array([1, 0])).item() == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    a, b = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 1.0])
    assert F.mse_loss(mg.tensor(a), mg.tensor(b)).item() == pytest.approx((0.25 + 9) / 3)
    z, t = np.array([-30.0, 0.0, 2.0]), np.array([1.0, 0.0, 1.0])
    ref = np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - z * t
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(mg.tensor(z), t, "none").data, ref, rtol=1e-12)
    assert mg.gradcheck(lambda u: F.binary_cross_entropy_with_logits(u, t), z)


# -- learning ----------------------------------------------------------------------------------------

def two_spirals(n, rng):
    t = np.sqrt(rng.uniform(0.05, 1, n)) * 3 * np.pi
    cls = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    ang = t + np.pi * cls
    x = np.stack([r * np.cos(ang), r * np.sin(ang)], 1) + rng.normal(0, 0.02, (n, 2))
    return x.astype(np.float32), cls


def test_mlp_learns_two_spirals():
    mg.manual_seed(0)
    x, y = two_spirals(400, np.random.default_rng(0))
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    opt = mg.optim.Adam(model.parameters(), lr=0.02)
    xt = mg.tensor(x)
    start = time.perf_counter()
    for _ in range(300):
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), y)
        loss.backward()
        opt.step()
    acc = (model(xt).data.argmax(1) == y).mean()
    assert acc > 0.95, f"train accuracy {acc:.3f} after 300 steps (loss {loss.item():.3f})"
    assert time.perf_counter() - start < 10


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 3)])
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(layers) == 2 and layers[1].out_features == 3
    with pytest.raises(TypeError, match="ndarray"):
        layers.append(np.zeros(2))


def test_modules_deepcopy_and_pickle_with_independent_parameters():
    import copy
    import pickle
    m = MLP()
    x = mg.tensor(np.ones((1, 2), np.float32))
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        np.testing.assert_array_equal(clone(x).data, m(x).data)
        assert isinstance(clone.fc1.weight, nn.Parameter) and clone.fc1.weight is not m.fc1.weight
        clone.fc1.weight.data[...] = 0
        assert np.abs(m.fc1.weight.data).sum() > 0

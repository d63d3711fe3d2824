"""minigrad.nn's activations, normalisations, embedding, attention and losses against PyTorch:
the same inputs (and the same weights, through state_dict), outputs and every gradient compared,
the kinks included (their conventions are PyTorch's)."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

R = np.random.default_rng(1)
KINKS = np.array([0.0, -0.0, 3.0, -3.0, 1.0, -1.0, 6.0, 0.5, -0.5, 20.0, 10.0, 1.5])


def _inputs(arrays):
    ours = [mg.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
              for a in arrays]
    return ours, theirs


def compare(ours, theirs, *arrays, rtol=1e-10, atol=1e-12, params=((), ())):
    """Run both on the same float64 arrays; compare outputs and the gradients of <u, output> with
    respect to every float input and to `params` (minigrad's, torch's: the same parameters)."""
    xs, ts = _inputs(arrays)
    y, t = ours(*xs), theirs(*ts)
    ys, tss = (y, t) if isinstance(y, tuple) else ((y,), (t,))
    total_t, total_y = 0, 0
    for a, b in zip(ys, tss):
        if b is None:
            assert a is None
            continue
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=rtol, atol=atol)
        u = R.standard_normal(b.shape)
        total_y = total_y + (a * mg.tensor(u)).sum()
        total_t = total_t + (b * torch.tensor(u)).sum()
    if not isinstance(total_t, int) and total_t.requires_grad:
        torch_leaves = [x for x in ts if isinstance(x, torch.Tensor) and x.requires_grad] + list(params[1])
        grads_t = torch.autograd.grad(total_t, torch_leaves, allow_unused=True)
        grads_t = [torch.zeros_like(x) if g is None else g for x, g in zip(torch_leaves, grads_t)]
        leaves = [x for x in xs if isinstance(x, mg.Tensor) and x.requires_grad] + list(params[0])
        grads = mg.gradients(total_y, leaves) if total_y.requires_grad else [None] * len(leaves)
        assert len(grads) == len(grads_t)
        for g, gt in zip(grads, grads_t):
            np.testing.assert_allclose(0 if g is None else g.data, gt.numpy(), rtol=rtol, atol=atol)


def with_kinks(*shape):
    x = R.uniform(-4, 4, size=shape)
    flat = x.reshape(-1)
    flat[:len(KINKS)] = KINKS[:flat.size]
    return x


ACTIVATIONS = [
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("leaky_relu_default", F.leaky_relu, TF.leaky_relu),
    ("elu", lambda x: F.elu(x, 1.5), lambda x: TF.elu(x, 1.5)),
    # torch's celu backward is off by ~1e-8 relative (exp(x / alpha) in lower precision); ours is
    # exact (checked by gradcheck), so the comparison allows that much
    ("celu", lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7), 3e-7),
    ("selu", F.selu, TF.selu),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("mish", F.mish, TF.mish),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_options", lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    ("softplus_neg_beta", lambda x: F.softplus(x, beta=-1.5, threshold=2.0), lambda x: TF.softplus(x, -1.5, 2.0)),
    ("softsign", F.softsign, TF.softsign),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, 3e-8),  # torch's backward multiplies by float32(1/6)
    ("hardswish", F.hardswish, TF.hardswish),
    ("hardtanh", F.hardtanh, TF.hardtanh),
    ("hardtanh_bounds", lambda x: F.hardtanh(x, -0.5, 3.0), lambda x: TF.hardtanh(x, -0.5, 3.0)),
    ("relu6", F.relu6, TF.relu6),
    ("softmin", lambda x: F.softmin(x, dim=1), lambda x: TF.softmin(x, dim=1)),
    ("glu", F.glu, TF.glu),
    ("glu_dim0", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0)),
    ("normalize", F.normalize, TF.normalize),
    ("normalize_p1", lambda x: F.normalize(x, 1.0, -1), lambda x: TF.normalize(x, 1.0, -1)),
    ("normalize_p3", lambda x: F.normalize(x, 3.0, 0, eps=0.5), lambda x: TF.normalize(x, 3.0, 0, eps=0.5)),
]


@pytest.mark.parametrize("name,ours,theirs,rtol", [a + (1e-10,) * (4 - len(a)) for a in ACTIVATIONS],
                         ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, ours, theirs, rtol):
    compare(ours, theirs, with_kinks(4, 6), rtol=rtol)
    compare(ours, theirs, R.uniform(-30, 30, size=(2, 4, 2)), rtol=rtol)  # the tails
    compare(ours, theirs, with_kinks(2, 2, 3, 2), rtol=rtol)


def test_softmin_legacy_dim_and_normalize_zero_vector():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 2)]:
        x = R.standard_normal(shape)
        with pytest.warns(UserWarning):
            expected = TF.softmin(torch.tensor(x)).numpy()
        np.testing.assert_allclose(F.softmin(mg.tensor(x)).data, expected, rtol=1e-12)
    compare(F.normalize, TF.normalize, np.zeros((2, 3)))


@pytest.mark.parametrize("k", [1, 3])
def test_prelu_function_and_module(k):
    x, w = with_kinks(2, 3, 4), R.uniform(-1, 1, size=k)
    compare(F.prelu, TF.prelu, x, w)
    t = torch.nn.PReLU(k, init=0.1).double()
    m = mg.nn.PReLU(k, init=0.3).double()
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    compare_module(m, t, x)


def load_from(m, t):
    """Load torch module t's state_dict into minigrad module m (arrays, as mg's load_state_dict takes)."""
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return m


def compare_module(m, t, *arrays, rtol=1e-10, atol=1e-12, load=True):
    """Same weights (torch's, through state_dict), same inputs: outputs, input and parameter gradients."""
    if load:
        load_from(m, t)
    names = [n for n, _ in t.named_parameters()]
    ours = dict(m.named_parameters())
    assert sorted(ours) == sorted(names)
    compare(m, t, *arrays, rtol=rtol, atol=atol,
            params=([ours[n] for n in names], [dict(t.named_parameters())[n] for n in names]))


MODULES = [("LeakyReLU", (0.3,)), ("ELU", (0.5,)), ("CELU", (2.0,)), ("SELU", ()), ("GELU", ("tanh",)),
           ("SiLU", ()), ("Mish", ()), ("Softplus", (2.0, 4.0)), ("Softsign", ()), ("LogSigmoid", ()),
           ("Hardsigmoid", ()), ("Hardswish", ()), ("Hardtanh", (-2.0, 1.0)), ("ReLU6", ()), ("Softmin", (1,)),
           ("GLU", (1,))]


@pytest.mark.parametrize("name,args", MODULES, ids=[m[0] for m in MODULES])
def test_activation_modules(name, args):
    ours, theirs = getattr(mg.nn, name)(*args), getattr(torch.nn, name)(*args)
    compare(ours, theirs, with_kinks(3, 4, 2), rtol=3e-7 if name in ("CELU", "Hardsigmoid") else 1e-10)
    assert name in repr(ours)

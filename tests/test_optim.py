"""SGD and Adam against hand-computed numpy updates, argument checks, and optimizer state."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _param(values, grad):
    p = nn.Parameter(np.array(values, dtype=np.float64), dtype=np.float64)
    p.grad = mg.tensor(np.array(grad, dtype=np.float64))
    return p


P0, G0, G1 = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1, 2.0]), np.array([-0.2, 0.4, 1.0])


def test_sgd_plain_step():
    p = _param(P0, G0)
    mg.optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, P0 - 0.1 * G0, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_weight_decay_two_steps(nesterov):
    lr, m, wd = 0.1, 0.9, 0.01
    p = _param(P0, G0)
    opt = mg.optim.SGD([p], lr=lr, momentum=m, weight_decay=wd, nesterov=nesterov)
    opt.step()
    # PyTorch: d = g + wd p; buf = d (first step) else m buf + d; step along buf or d + m buf
    d = G0 + wd * P0
    buf = d.copy()
    ref = P0 - lr * ((d + m * buf) if nesterov else buf)
    np.testing.assert_allclose(p.data, ref, rtol=1e-14)
    p.grad = mg.tensor(G1)
    opt.step()
    d = G1 + wd * ref
    buf = m * buf + d
    ref = ref - lr * ((d + m * buf) if nesterov else buf)
    np.testing.assert_allclose(p.data, ref, rtol=1e-14)


def test_sgd_dampening():
    p = _param(P0, G0)
    opt = mg.optim.SGD([p], lr=0.5, momentum=0.5, dampening=0.25)
    opt.step()
    p.grad = mg.tensor(G1)
    opt.step()
    buf = 0.5 * G0 + 0.75 * G1
    np.testing.assert_allclose(p.data, P0 - 0.5 * G0 - 0.5 * buf, rtol=1e-14)


def _adam_ref(p, grads, lr, b1, b2, eps, wd=0.0, decoupled=False):
    m = v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
    return p


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam_two_steps_match_the_paper_formula(wd):
    p = _param(P0, G0)
    opt = mg.optim.Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=wd)
    opt.step()
    np.testing.assert_allclose(p.data, _adam_ref(P0, [G0], 0.01, 0.8, 0.99, 1e-6, wd), rtol=1e-13)
    p.grad = mg.tensor(G1)
    opt.step()
    np.testing.assert_allclose(p.data, _adam_ref(P0, [G0, G1], 0.01, 0.8, 0.99, 1e-6, wd), rtol=1e-13)
    assert opt.state[p]["step"] == 2


def test_adamw_decouples_weight_decay():
    p = _param(P0, G0)
    opt = mg.optim.AdamW([p], lr=0.01, weight_decay=0.5)
    opt.step()
    p.grad = mg.tensor(G1)
    opt.step()
    ref = _adam_ref(P0, [G0, G1], 0.01, 0.9, 0.999, 1e-8, 0.5, decoupled=True)
    np.testing.assert_allclose(p.data, ref, rtol=1e-13)


def test_float32_stays_float32_in_place_and_grads_are_never_modified():
    p = nn.Parameter(P0)  # float32
    g = np.array(G0, dtype=np.float32)
    p.grad = mg.tensor(g)
    before = p.data
    for opt in (mg.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), mg.optim.Adam([p], weight_decay=0.1)):
        opt.step()
        opt.step()
    assert p.data is before and p.data.dtype == np.float32  # updated in place, no promotion
    np.testing.assert_array_equal(p.grad.data, np.float32(G0))  # the gradient array is only read


def test_params_without_grad_are_skipped_and_zero_grad_sets_none():
    a, b = _param(P0, G0), nn.Parameter(P0, dtype=np.float64)
    opt = mg.optim.Adam([a, b], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(b.data, P0)
    assert b not in opt.state
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_bumps_the_version_so_stale_graphs_refuse_to_backprop():
    p = _param(P0, G0)
    y = (p * p).sum()
    mg.optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_argument_validation_names_the_argument():
    p = _param(P0, G0)
    with pytest.raises(ValueError, match="lr=-0.1"):
        mg.optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        mg.optim.Adam([])
    with pytest.raises(ValueError, match="momentum=-1"):
        mg.optim.SGD([p], lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="betas"):
        mg.optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="weight_decay"):
        mg.optim.Adam([p], weight_decay=-1)
    with pytest.raises(ValueError, match="nesterov"):
        mg.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="single Tensor"):
        mg.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        mg.optim.SGD([p, np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than one group"):
        mg.optim.SGD([p, p], lr=0.1)


def test_param_groups_have_their_own_hyperparameters():
    a, b = _param(P0, G0), _param(P0, G0)
    opt = mg.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    opt.step()
    np.testing.assert_allclose(a.data, P0 - 0.1 * G0)
    np.testing.assert_allclose(b.data, P0 - 1.0 * G0)
    opt.param_groups[0]["lr"] = 0.0  # a schedule edits the group
    opt.step()
    np.testing.assert_allclose(a.data, P0 - 0.1 * G0)


def test_optimizer_state_dict_round_trip_resumes_identically(tmp_path):
    def make():
        p = _param(P0, G0)
        return p, mg.optim.Adam([p], lr=0.05)

    p1, o1 = make()
    o1.step()
    mg.save({"opt": o1.state_dict(), "p": p1.data}, tmp_path / "o.npz")
    o1.step()
    ck = mg.load(tmp_path / "o.npz")
    p2, o2 = make()
    p2.data[...] = ck["p"]
    o2.load_state_dict(ck["opt"])
    assert o2.param_groups[0]["betas"] == (0.9, 0.999)
    o2.step()
    np.testing.assert_array_equal(p2.data, p1.data)
    with pytest.raises(ValueError, match="state dict has 1 parameters, this optimizer has 2"):
        mg.optim.Adam([_param(P0, G0), _param(P0, G0)]).load_state_dict(ck["opt"])


def test_optimizer_state_shape_mismatch_is_named():
    p, q = _param(P0, G0), _param(np.zeros(2), np.zeros(2))
    o = mg.optim.SGD([p], lr=0.1, momentum=0.9)
    o.step()
    with pytest.raises(ValueError, match=r"momentum_buffer.*\(3,\).*\(2,\)"):
        mg.optim.SGD([q], lr=0.1, momentum=0.9).load_state_dict(o.state_dict())

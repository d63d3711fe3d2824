"""The toolkit against torch.func (jvp, vjp, jacrev, jacfwd, hessian, jvp(grad) for hvp) on the same functions."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import func as tf  # noqa: E402

import minigrad as mg  # noqa: E402

RNG = np.random.default_rng(0)
W = RNG.standard_normal((5, 4))
X = RNG.standard_normal((6, 4))
LABELS = RNG.integers(0, 5, 6)


def mg_vec(x):
    return mg.tanh(mg.tensor(W) @ x) * mg.exp(-(x * x).sum()) + mg.sin(mg.tensor(W) @ x) ** 2


def th_vec(x):
    Wt = torch.from_numpy(W)
    return torch.tanh(Wt @ x) * torch.exp(-(x * x).sum()) + torch.sin(Wt @ x) ** 2


def mg_loss(theta):
    return mg.nn.functional.cross_entropy(mg.tensor(X) @ theta.reshape(5, 4).T, LABELS) + (theta ** 4).sum() / 10


def th_loss(theta):
    z = torch.from_numpy(X) @ theta.reshape(5, 4).T
    return torch.nn.functional.cross_entropy(z, torch.from_numpy(LABELS)) + (theta ** 4).sum() / 10


x4 = RNG.standard_normal(4)
theta = RNG.standard_normal(20) * 0.5
v20 = RNG.standard_normal(20)


def T(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def close(a, b):
    np.testing.assert_allclose(np.asarray(a.data), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_jvp():
    t = RNG.standard_normal(4)
    out, tout = mg.jvp(mg_vec, (x4,), (t,))
    out_t, tout_t = tf.jvp(th_vec, (T(x4),), (T(t),))
    close(out, out_t)
    close(tout, tout_t)


def test_vjp():
    u = RNG.standard_normal(5)
    out, vjp_fn = mg.vjp(mg_vec, x4)
    out_t, vjp_t = tf.vjp(th_vec, T(x4))
    close(out, out_t)
    close(vjp_fn(u)[0], vjp_t(T(u))[0])


@pytest.mark.parametrize("mode, torch_fn", [("rev", tf.jacrev), ("fwd", tf.jacfwd)])
def test_jacobian(mode, torch_fn):
    close(mg.jacobian(mg_vec, mode=mode)(x4), torch_fn(th_vec)(T(x4)))


def test_hessian():
    close(mg.hessian(mg_loss)(theta), tf.hessian(th_loss)(T(theta)))


def test_hvp():
    # torch.func has no hvp: its documented recipe is forward over reverse, jvp(grad(f))
    _, hv_t = tf.jvp(tf.grad(th_loss), (T(theta),), (T(v20),))
    _, hv_autograd = torch.autograd.functional.hvp(th_loss, T(theta), T(v20))
    close(mg.hvp(mg_loss, theta, v20), hv_t)
    close(mg.hvp(mg_loss, theta, v20), hv_autograd)
    close(mg.jvp(mg.grad(mg_loss), (theta,), (v20,))[1], hv_t)


def test_grad_of_a_dict_and_has_aux():
    p = {"w": theta[:10], "b": theta[10:]}

    def mg_f(q):
        return (mg.tanh(q["w"]) * q["b"]).sum(), q["w"].sum()

    def th_f(q):
        return (torch.tanh(q["w"]) * q["b"]).sum(), q["w"].sum()
    g, aux = mg.grad(mg_f, has_aux=True)(p)
    g_t, aux_t = tf.grad(th_f, has_aux=True)({k: T(v) for k, v in p.items()})
    assert set(g) == set(g_t)
    for k in g:
        close(g[k], g_t[k])
    close(aux, aux_t)

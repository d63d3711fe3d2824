"""The function transforms (mg.vjp, jvp, jacobian, hessian, hvp, value_and_grad, grad) and pytrees.

Checked against float64 central differences and closed forms; the per-op forward mode is checked
for every registered op in test_jvp_rules.py, and against torch.func in test_torch_toolkit.py.
"""
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import pytree
from minigrad.gradcheck import GradcheckError

EPS = 1e-6


def fd_jacobian(f, x, eps=EPS):
    """Central-difference Jacobian of an ndarray function: out.shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        J[(Ellipsis,) + idx] = (np.asarray(f(x + d)) - np.asarray(f(x - d))) / (2 * eps)
    return J


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(getattr(a, "data", a)), np.asarray(getattr(b, "data", b)),
                               rtol=tol, atol=tol)


def f_vec(x):  # R^3 -> R^(2, 3): a bit of everything
    return mg.stack([mg.tanh(x) * x.sum(), mg.exp(-x * x) + mg.sin(x[::-1])])


def f_np(x):
    return f_vec(mg.tensor(x)).data


X3 = np.array([0.3, -1.1, 0.7])


# -- jvp and vjp against finite differences ---------------------------------------------------------

def test_jvp_matches_finite_differences():
    t = np.array([0.5, -2.0, 1.5])
    out, tout = mg.jvp(f_vec, (X3,), (t,))
    close(out, f_np(X3))
    close(tout, np.tensordot(fd_jacobian(f_np, X3), t, axes=1))


def test_vjp_matches_finite_differences_and_can_be_called_twice():
    out, vjp_fn = mg.vjp(f_vec, X3)
    J = fd_jacobian(f_np, X3)
    for seed in (0, 1):
        u = np.random.default_rng(seed).standard_normal(out.shape)
        (g,) = vjp_fn(u)
        close(g, np.tensordot(u, J, axes=2))


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
                  elements=st.floats(-2, 2, allow_subnormal=False)), st.integers(0, 2 ** 16))
def test_jvp_and_vjp_are_transposes(x, seed):
    f = lambda t: mg.tanh(t) * mg.exp(t.sum()) + t ** 2  # noqa: E731
    rng = np.random.default_rng(seed)
    t, u = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    _, jt = mg.jvp(f, (x,), (t,))
    _, vjp_fn = mg.vjp(f, x)
    (ju,) = vjp_fn(u)
    assert np.isclose(np.sum(jt.data * u), np.sum(ju.data * t), rtol=1e-9, atol=1e-9)
    fd = (f(mg.tensor(x + EPS * t)).data - f(mg.tensor(x - EPS * t)).data) / (2 * EPS)
    close(jt, fd)


def test_jvp_of_several_primals_and_pytree_output():
    def f(p, z):
        return {"a": p["w"] @ z, "b": [mg.sin(p["c"]) * z.sum()]}
    p = {"w": np.arange(6.0).reshape(2, 3) / 5, "c": np.array(0.4)}
    z = np.array([1.0, -0.5, 2.0])
    tp = {"c": np.array(1.0), "w": np.ones((2, 3))}   # dict keys in another order
    tz = np.array([0.1, 0.2, 0.3])
    out, tout = mg.jvp(f, (p, z), (tp, tz))
    assert set(out) == {"a", "b"} and isinstance(tout["b"], list)
    close(tout["a"], tp["w"] @ z + p["w"] @ tz)
    close(tout["b"][0], np.cos(0.4) * 1.0 * z.sum() + np.sin(0.4) * tz.sum())


def test_jvp_through_ops_whose_rules_skip_constant_inputs():
    W = mg.tensor(np.arange(6.0).reshape(3, 2))   # a constant inside f: its rule branch is skipped
    f = lambda x: mg.where(x > 0, W @ x[:2], x * 2) / (1 + x ** 2) + (x @ W)[0]  # noqa: E731
    x, t = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, -1.0])
    _, tout = mg.jvp(f, (x,), (t,))
    close(tout, fd_jacobian(lambda a: f(mg.tensor(a)).data, x) @ t)


def test_jvp_of_constant_function_is_zero():
    out, t = mg.jvp(lambda x: mg.tensor([1.0, 2.0]), (np.ones(3),), (np.ones(3),))
    assert t.tolist() == [0.0, 0.0]


def test_jvp_keeps_float32():
    x = np.linspace(-1, 1, 4, dtype=np.float32)
    out, t = mg.jvp(lambda a: mg.tanh(a) * 2.0, (x,), (np.ones(4, np.float32),))
    assert out.dtype == np.float32 and t.dtype == np.float32


# -- forward mode for any rule: user primitives and overrides -------------------------------------

def test_jvp_of_a_user_primitive_that_only_defines_a_vjp():
    @mg.primitive(name="toolkit_test_cube")
    def cube(a):
        return a ** 3

    @cube.defvjp
    def _(g, out, a):
        return (g * 3 * a ** 2,)

    x, t = np.array([0.5, -1.5]), np.array([2.0, 1.0])
    _, tout = mg.jvp(cube, (x,), (t,))
    close(tout, 3 * x ** 2 * t)
    close(mg.hvp(lambda a: cube(a).sum(), x, t), 6 * x * t)   # second order through the same rule


def test_override_applies_to_jvp_and_hessian():
    x, t = np.array([-1.0, 2.0]), np.array([1.0, 1.0])
    straight_through = lambda g, out, a: (g * 1.0,)  # noqa: E731
    with mg.rules.override(relu=straight_through):
        _, tout = mg.jvp(mg.relu, (x,), (t,))
    assert tout.tolist() == [1.0, 1.0]
    assert mg.jvp(mg.relu, (x,), (t,))[1].tolist() == [0.0, 1.0]
    with mg.rules.override(tanh=lambda g, out, a: (g * 2 * a,)):  # "tanh' = 2a": a Hessian of 2 I
        close(mg.hessian(lambda a: mg.tanh(a).sum())(x), 2 * np.eye(2))


# -- jacobian ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_matches_finite_differences(mode):
    J = mg.jacobian(f_vec, mode=mode)(X3)
    assert J.shape == (2, 3, 3)
    close(J, fd_jacobian(f_np, X3))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_argnums_tuple_and_scalar_shapes(mode):
    f = lambda a, b: (a[:, None] * mg.sin(b)).sum(axis=1)  # noqa: E731  (2,), () -> (2,)
    a, b = np.array([1.0, 2.0]), np.array(0.3)
    Ja, Jb = mg.jacobian(f, argnums=(0, 1), mode=mode)(a, b)
    assert Ja.shape == (2, 2) and Jb.shape == (2,)
    close(Ja, np.eye(2) * np.sin(0.3))
    close(Jb, a * np.cos(0.3))
    Js = mg.jacobian(lambda a: (a ** 2).sum(), mode=mode)(a)     # scalar out: the gradient's shape
    close(Js, 2 * a)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_pytrees_nests_output_then_argument(mode):
    f = lambda p: {"y": p["w"] * p["s"], "z": p["s"] ** 2}  # noqa: E731
    p = {"w": np.array([1.0, 2.0]), "s": np.array(3.0)}
    J = mg.jacobian(f, mode=mode)(p)
    close(J["y"]["w"], 3 * np.eye(2))
    close(J["y"]["s"], p["w"])
    close(J["z"]["s"], 6.0)
    close(J["z"]["w"], np.zeros(2))


def test_jacobian_fwd_equals_rev_on_a_network():
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
    f = lambda x: mg.log_softmax(mg.tensor(W2) @ mg.tanh(mg.tensor(W1) @ x), axis=0)  # noqa: E731
    x = rng.standard_normal(3)
    close(mg.jacobian(f, mode="fwd")(x), mg.jacobian(f, mode="rev")(x), 1e-12)


# -- hessian and hvp -----------------------------------------------------------------------------

def test_hessian_of_a_quadratic_is_closed_form():
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((4, 4)), rng.standard_normal(4)
    f = lambda x: 0.5 * (x * (mg.tensor(A) @ x)).sum() + (mg.tensor(b) * x).sum()  # noqa: E731
    x = rng.standard_normal(4)
    close(mg.hessian(f)(x), (A + A.T) / 2, 1e-12)
    v = rng.standard_normal(4)
    close(mg.hvp(f, x, v), (A + A.T) / 2 @ v, 1e-12)


def test_hessian_of_softmax_regression_is_closed_form():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((7, 3)), rng.integers(0, 4, 7)
    theta = rng.standard_normal(12)
    f = lambda th: F.cross_entropy(mg.tensor(X) @ th.reshape(4, 3).T, y)  # noqa: E731
    Z = X @ theta.reshape(4, 3).T
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    S = np.einsum("nc,cd->ncd", P, np.eye(4)) - np.einsum("nc,nd->ncd", P, P)
    H = np.einsum("ncd,ni,nj->cidj", S, X, X).reshape(12, 12) / 7
    close(mg.hessian(f)(theta), H, 1e-10)


def test_hessian_matches_finite_differences_of_the_gradient_and_shapes():
    f = lambda x: (mg.sin(x) * x[::-1]).sum() * mg.exp(x[0, 0])  # noqa: E731
    x = np.array([[0.2, -0.4], [1.0, 0.5]])
    H = mg.hessian(f)(x)
    assert H.shape == (2, 2, 2, 2)
    close(H, fd_jacobian(lambda a: mg.grad(f)(a).data, x))
    close(H.data.reshape(4, 4), H.data.reshape(4, 4).T, 1e-12)


def test_hvp_equals_hessian_times_v_and_forward_over_reverse():
    f = lambda x: (mg.tanh(x) ** 3).sum() * x.sum()  # noqa: E731
    x, v = np.array([0.3, -0.2, 0.9]), np.array([1.0, -1.0, 0.5])
    H = mg.hessian(f)(x).data
    close(mg.hvp(f, x, v), H @ v, 1e-12)
    close(mg.jvp(mg.grad(f), (x,), (v,))[1], H @ v, 1e-12)


def test_hvp_and_hessian_of_a_pytree():
    f = lambda p: (p["a"] ** 2 * p["b"]).sum()  # noqa: E731
    p = {"a": np.array([1.0, 2.0]), "b": np.array(3.0)}
    v = {"b": np.array(1.0), "a": np.array([1.0, 0.0])}
    hv = mg.hvp(f, p, v)
    # H = [[2b I, 2a], [2a^T, 0]]
    close(hv["a"], 2 * 3.0 * v["a"] + 2 * p["a"] * v["b"])
    close(hv["b"], 2 * p["a"] @ v["a"])
    H = mg.hessian(f)(p)
    close(H["a"]["b"], 2 * p["a"])
    close(H["a"]["a"], 6 * np.eye(2))


# -- grad, value_and_grad, has_aux, argnums, pytrees ------------------------------------------------

def test_value_and_grad_and_has_aux():
    f = lambda x, k: ((x ** 2).sum() * k, {"norm": mg.sqrt((x ** 2).sum()), "k": k})  # noqa: E731
    x = np.array([3.0, 4.0])
    (value, aux), g = mg.value_and_grad(f, has_aux=True)(x, 2.0)
    assert float(value) == 50.0 and float(aux["norm"]) == 5.0 and aux["k"] == 2.0
    assert not aux["norm"].requires_grad       # aux is returned, not differentiated
    close(g, 4 * x)
    g2, aux2 = mg.grad(f, has_aux=True)(x, 2.0)
    close(g2, g)
    assert float(aux2["norm"]) == 5.0
    v, g3 = mg.value_and_grad(lambda x: (x ** 2).sum())(x)
    assert float(v) == 25.0
    close(g3, 2 * x)


def test_grad_argnums_tuple_of_pytrees():
    f = lambda p, q, c: (p["w"] * q[0]).sum() + q[1] ** 2 * c  # noqa: E731
    p, q = {"w": np.array([1.0, 2.0])}, (np.array([3.0, 4.0]), np.array(5.0))
    gp, gq = mg.grad(f, argnums=(0, 1))(p, q, 2.0)
    assert set(gp) == {"w"} and isinstance(gq, tuple) and len(gq) == 2
    close(gp["w"], q[0])
    close(gq[0], p["w"])
    close(gq[1], 20.0)
    close(mg.grad(f, argnums=-1)(p, q, 2.0), 25.0)


def test_grad_of_a_state_dict_matches_backward():
    mg.manual_seed(0)
    net = mg.nn.Sequential(mg.nn.Linear(4, 3), mg.nn.Tanh(), mg.nn.Linear(3, 2))
    x, y = np.random.default_rng(0).standard_normal((5, 4)), np.array([0, 1, 1, 0, 1])

    def loss(sd):
        h = mg.tanh(F.linear(mg.tensor(x), sd["0.weight"], sd["0.bias"]))
        return F.cross_entropy(F.linear(h, sd["2.weight"], sd["2.bias"]), y)
    sd = net.state_dict()
    grads = mg.grad(loss)(sd)
    assert isinstance(grads, OrderedDict) and list(grads) == list(sd)
    F.cross_entropy(net(mg.tensor(x)), y).backward()
    for name, p in net.named_parameters():
        close(grads[name], p.grad, 1e-12)


def test_nested_transforms_differentiate_through_closures():
    w0 = np.array([0.5, -1.0])
    x0 = np.array([1.0, 2.0])
    # d/dw sum(grad_x (w.x)^3) = d/dw sum(3 (w.x)^2 w) ; a closure over the outer argument
    outer = lambda w: mg.grad(lambda x: ((w * x).sum()) ** 3)(x0).sum()  # noqa: E731
    fd = fd_jacobian(lambda w: 3 * (w @ x0) ** 2 * w.sum(), w0)
    close(mg.grad(outer)(w0), fd)
    # and through jvp: grad of a directional derivative is a Hessian-vector product
    f = lambda x: (mg.exp(x) * x[::-1]).sum()  # noqa: E731
    t = np.array([1.0, -2.0])
    close(mg.grad(lambda x: mg.jvp(f, (x,), (t,))[1])(x0), mg.hvp(f, x0, t), 1e-12)


def test_higher_order_keeps_the_graph_only_when_needed():
    g = mg.grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    assert not g.requires_grad and g._node is None
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    g = mg.grad(lambda t: (t ** 3).sum())(x)
    assert g.requires_grad
    g.sum().backward()
    close(x.grad, 6 * x.data)


# -- gradcheck's forward mode -----------------------------------------------------------------------

def test_gradcheck_forward_mode_catches_a_wrong_rule_and_passes_right_ones():
    x = np.array([0.3, -0.7])
    assert mg.gradcheck(lambda a: mg.tanh(a) * a, x, check_forward=True)
    assert mg.gradgradcheck(lambda a: mg.tanh(a) * a, x, check_forward=True)
    with mg.rules.override(tanh=lambda g, out, a: (g * (1 - out * out) * 1.01,)):
        with pytest.raises(GradcheckError, match="forward-mode"):
            from minigrad.gradcheck import _verdict, compare_forward
            _verdict(compare_forward(mg.tanh, x), 1e-5, 1e-3, "forward-mode", "output")
        with pytest.raises(GradcheckError):
            mg.gradcheck(mg.tanh, x, check_forward=True)


# -- misuse ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: mg.grad(lambda x: x * 2)(np.ones(3)), r"scalar.*\(3,\)"),
    (lambda: mg.hessian(lambda x: x * 2)(np.ones(3)), r"scalar.*\(3,\)"),
    (lambda: mg.hvp(lambda x: x * 2, np.ones(3), np.ones(3)), r"scalar.*\(3,\)"),
    (lambda: mg.value_and_grad(lambda x: [x.sum()])(np.ones(3)), r"scalar.*list"),
    (lambda: mg.grad(lambda x: (x.sum(), 1))(np.ones(3)), r"scalar.*has_aux=True"),
])
def test_non_scalar_f_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_structure_mismatch_names_the_path():
    f = lambda p: p["w"] * p["b"][0]  # noqa: E731
    p = {"w": np.ones(2), "b": [np.ones(2)]}
    with pytest.raises(ValueError, match=r"tangents\[0\]\['b'\].*list of length 1.*tuple of length 2"):
        mg.jvp(f, (p,), ({"w": np.ones(2), "b": (np.ones(2), np.ones(2))},))
    with pytest.raises(ValueError, match=r"tangents\[0\].*missing \['b'\]"):
        mg.jvp(f, (p,), ({"w": np.ones(2)},))
    with pytest.raises(ValueError, match=r"tangents\[0\]\['b'\]\[0\] has shape \(3,\).*\(2,\)"):
        mg.jvp(f, (p,), ({"w": np.ones(2), "b": [np.ones(3)]},))
    with pytest.raises(ValueError, match=r"v\['w'\] has shape"):
        mg.hvp(lambda q: (q["w"] ** 2).sum(), {"w": np.ones(2)}, {"w": np.ones(4)})
    _, vjp_fn = mg.vjp(lambda a: {"y": a * 2}, np.ones(2))
    with pytest.raises(ValueError, match=r"cotangent.*dict with keys \['y'\]"):
        vjp_fn(np.ones(2))


def test_other_misuse():
    with pytest.raises(TypeError, match="primals must be a tuple"):
        mg.jvp(mg.sin, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="mode must be 'rev' or 'fwd'"):
        mg.jacobian(mg.sin, mode="forward")
    with pytest.raises(IndexError, match="argnums=3.*2 positional"):
        mg.grad(lambda a, b: a.sum(), argnums=3)(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match=r"has_aux=True needs f to return a pair"):
        mg.grad(lambda x: x.sum(), has_aux=True)(np.ones(2))
    with pytest.raises(TypeError, match=r"argument 0\['s'\].*str"):
        mg.grad(lambda p: p["x"].sum())({"x": np.ones(2), "s": "text"})


# -- pytree helpers --------------------------------------------------------------------------------

Pair = namedtuple("Pair", "first second")


@pytest.mark.parametrize("tree", [
    {"a": [1.0, (2.0, 3.0)], "b": {"c": np.ones(2)}},
    OrderedDict([("z", 1.0), ("a", [2.0])]),
    Pair(1.0, {"x": [2.0, 3.0]}),
    (), [], 5.0,
])
def test_pytree_round_trip(tree):
    leaves, td = pytree.flatten(tree)
    back = pytree.unflatten(td, leaves)
    assert type(back) is type(tree)
    leaves2, td2 = pytree.flatten(back)
    assert td2 == td and all(a is b for a, b in zip(leaves, leaves2))
    assert len(pytree.leaf_paths(td)) == len(leaves)


def test_pytree_results_keep_the_argument_structure():
    f = lambda p: (p.first * 2).sum() + (p.second["x"][1] ** 2)  # noqa: E731
    g = mg.grad(f)(Pair(np.ones(2), {"x": [np.array(1.0), np.array(3.0)]}))
    assert isinstance(g, Pair) and isinstance(g.second["x"], list)
    close(g.first, [2.0, 2.0])
    close(g.second["x"][1], 6.0)
    close(g.second["x"][0], 0.0)


def test_lanczos_on_hvp_finds_the_top_of_a_known_spectrum():
    from demos.curvature import lanczos
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    eig = np.concatenate([[9.0, 7.0, 5.0], rng.uniform(-1, 1, 27)])
    A = (Q * eig) @ Q.T
    f = lambda x: 0.5 * (x * (mg.tensor(A) @ x)).sum()  # noqa: E731
    x0 = rng.standard_normal(30)
    vals, vecs = lanczos(lambda v: mg.hvp(f, x0, v).data, 30, 15)
    close(vals[:3], [9.0, 7.0, 5.0], 1e-8)
    close(np.abs(vecs[:, 0] @ Q[:, 0]), 1.0, 1e-8)


def test_has_aux_in_jvp_vjp_and_jacobian():
    f = lambda x: (x * 2, {"n": x.sum()})  # noqa: E731
    x = np.array([1.0, 2.0])
    out, tout, aux = mg.jvp(f, (x,), (np.ones(2),), has_aux=True)
    assert tout.tolist() == [2.0, 2.0] and float(aux["n"]) == 3.0
    out, vjp_fn, aux = mg.vjp(f, x, has_aux=True)
    assert vjp_fn(np.array([1.0, 0.0]))[0].tolist() == [2.0, 0.0] and float(aux["n"]) == 3.0
    J, aux = mg.jacobian(f, mode="fwd", has_aux=True)(x)
    close(J, 2 * np.eye(2))

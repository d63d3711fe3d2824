"""Products and mg.linalg: forward equal to numpy (batched), gradients to second order, misuse errors.

The registry property tests (test_rules.py) check every recorded rule from its spec in
minigrad/testing/specs_linalg.py; here are the forward values, the compositions (dot, kron, norms,
matrix_power, ...) and the conventions.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.ops.decomp import numpy_qr
from minigrad.ops.numpy_api import TABLE
from minigrad.testing import SPECS, HypothesisDraw

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape)


def well_conditioned(*shape):
    return rand(*shape) * 0.3 + np.eye(shape[-1]) * shape[-1]


def spd(*shape):
    x = rand(*shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric_separated(*shape):
    q, _ = np.linalg.qr(rand(*shape))
    w = np.arange(shape[-1]) * 1.0 + RNG.uniform(0, 0.3, shape[:-1])
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def check(f, *xs):
    """First and second order against central differences."""
    assert mg.gradcheck(f, *xs)
    assert mg.gradgradcheck(f, *xs)


# -- einsum ----------------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ii", [(3, 3)]),                          # trace
    ("ii->i", [(3, 3)]),                       # diagonal
    ("ij,jk", [(2, 3), (3, 4)]),
    ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]),  # batched, broadcast batch axes
    ("i,i", [(3,), (3,)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),  # three operands
    ("iij->j", [(2, 2, 3)]),
    ("iji->ij", [(2, 3, 2)]),
    ("ij->", [(2, 3)]),
    ("ba", [(2, 3)]),                          # implicit output: alphabetical, a transpose
    ("i,j->ij", [(2,), (3,)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),           # size-1 label broadcasting
    ("i...j,j", [(2, 1, 3), (3,)]),
    ("...,...", [(2, 3), (3,)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("...ii->...i", [(2, 3, 3)]),              # batched diagonal
    ("i...i", [(3, 2, 3)]),                    # trace around an ellipsis
    ("iii->i", [(2, 2, 2)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 2, 1)]),
    ("ij,->ij", [(2, 2), ()]),                 # a scalar operand
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 2), (2, 2)]),
]


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES)
def test_einsum_matches_numpy_and_differentiates(subscripts, shapes):
    xs = [rand(*s) for s in shapes]
    out = mg.einsum(subscripts, *xs)
    np.testing.assert_allclose(out.data, np.einsum(subscripts, *xs), rtol=1e-12, atol=1e-12)
    check(lambda *ts: mg.einsum(subscripts, *ts), *xs)


def test_einsum_sublist_form_and_optimize():
    a, b, c = rand(2, 3), rand(3, 4), rand(4, 2)
    np.testing.assert_allclose(mg.einsum(a, [0, 1], b, [1, 2], [0, 2]).data, a @ b)
    np.testing.assert_allclose(mg.einsum(a, [Ellipsis, 1], b, [1, 2]).data, np.einsum(a, [Ellipsis, 1], b, [1, 2]))
    for optimize in (True, "greedy", "optimal"):
        np.testing.assert_allclose(mg.einsum("ij,jk,kl->il", a, b, c, optimize=optimize).data, a @ b @ c)
    check(lambda x, y, z: mg.einsum("ij,jk,kl->il", x, y, z, optimize=True), a, b, c)


def test_einsum_trace_gradient_is_the_identity():
    a = mg.tensor(rand(3, 3), requires_grad=True)
    mg.einsum("ii", a).backward()
    np.testing.assert_array_equal(a.grad.data, np.eye(3))


def test_einsum_result_owns_its_memory():
    a = mg.tensor(rand(3, 3))
    d = mg.einsum("ii->i", a)
    d.data[0] = 100.0
    assert a.data[0, 0] != 100.0


@pytest.mark.parametrize("subscripts,shapes,match", [
    ("ij,jk", [(2, 3)], "name 2 operand"),
    ("ij,jk", [(2, 3), (4, 5)], "label 'j' has sizes 3 and 4"),
    ("ij", [(2, 3, 4)], "names 2 axes"),
    ("ij->ik", [(2, 3)], "names one no operand has"),
    ("ij->ii", [(2, 2)], "repeats a label"),
    ("...ij->ij", [(2, 3, 3)], "output has no '...'"),
    ("i1", [(2, 3)], "invalid subscripts"),
])
def test_einsum_errors_name_the_problem(subscripts, shapes, match):
    with pytest.raises(ValueError, match=match):
        mg.einsum(subscripts, *[np.ones(s) for s in shapes])
    with pytest.raises(ValueError):  # numpy refuses them too
        np.einsum(subscripts, *[np.ones(s) for s in shapes])


@given(st.data())
def test_einsum_spec_draws_match_numpy(data):
    f, xs = SPECS["einsum"](HypothesisDraw(data))
    out = f(*[mg.tensor(x) for x in xs])
    closure = dict(zip(f.__code__.co_freevars, (c.cell_contents for c in f.__closure__)))
    np.testing.assert_allclose(out.data, np.einsum(closure["subscripts"], *xs), rtol=1e-12, atol=1e-12)


# -- the other products ----------------------------------------------------------------------------

PRODUCT_CASES = [
    ("dot", [(3,), (3,)], {}), ("dot", [(2, 3), (3,)], {}), ("dot", [(2, 3), (3, 4)], {}),
    ("dot", [(2, 3, 4), (5, 4, 2)], {}), ("dot", [(2, 3, 4), (4,)], {}), ("dot", [(3,), (2, 3, 4)], {}),
    ("dot", [(), (2, 3)], {}),
    ("vdot", [(2, 3), (3, 2)], {}), ("inner", [(2, 3), (4, 3)], {}), ("inner", [(2, 5, 3), (3,)], {}),
    ("inner", [(3,), ()], {}), ("outer", [(2, 2), (3,)], {}),
    ("tensordot", [(2, 3, 4), (3, 4, 5)], {}), ("tensordot", [(2, 3, 4), (4, 3, 5)], {"axes": ([1, 2], [1, 0])}),
    ("tensordot", [(2, 3), (4, 5)], {"axes": 0}), ("tensordot", [(2, 3), (3, 4)], {"axes": 1}),
    ("tensordot", [(2, 3), (3, 4)], {"axes": (1, 0)}),
    ("kron", [(2, 3), (2, 2)], {}), ("kron", [(2,), (3, 2)], {}), ("kron", [(2, 1, 3), (2, 2)], {}),
    ("kron", [(), (2,)], {}),
    ("cross", [(4, 3), (3,)], {}), ("cross", [(4, 3), (4, 2)], {}), ("cross", [(3, 4), (4, 3)], {"axisa": 0, "axisc": 0}),
    ("cross", [(3, 2, 3), (3, 2, 3)], {"axis": 0}), ("cross", [(2, 3), (1, 3)], {"axisb": -1}),
]


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("name,shapes,kwargs", PRODUCT_CASES)
def test_products_match_numpy_and_differentiate(name, shapes, kwargs):
    xs = [rand(*s) for s in shapes]
    ours, theirs = getattr(mg, name), getattr(np, name)
    out = ours(*xs, **kwargs)
    ref = theirs(*xs, **kwargs)
    assert out.shape == np.shape(ref)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    check(lambda *ts: ours(*ts, **kwargs), *xs)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
def test_cross_of_2_vectors_is_the_z_component():
    a, b = rand(4, 2), rand(4, 2)
    np.testing.assert_allclose(mg.cross(a, b).data, np.cross(a, b))
    check(mg.cross, a, b)


def test_product_errors():
    with pytest.raises(ValueError, match="tensordot: shape mismatch"):
        mg.tensordot(np.ones((2, 3)), np.ones((4, 2)), axes=1)
    with pytest.raises(ValueError, match="inner: last dimensions"):
        mg.inner(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="vdot: .* different sizes"):
        mg.vdot(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="cross: incompatible vector dimensions 4"):
        mg.cross(np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match="matmul: shapes"):
        mg.dot(np.ones((2, 3)), np.ones((2, 3)))


@pytest.mark.parametrize("sa,sb", [((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((3, 2, 4), (4,)),
                                   ((1, 2, 3), (4, 1, 3, 2))])
def test_matmul_of_broadcast_stacks(sa, sb):
    a, b = rand(*sa), rand(*sb)
    np.testing.assert_allclose(mg.matmul(a, b).data, a @ b)
    check(mg.matmul, a, b)


# -- linear algebra: forward against numpy on batches ------------------------------------------------

def _inputs(kind, batch, n=3):
    return {"wc": well_conditioned, "spd": spd, "sym": symmetric_separated}[kind](*batch, n, n)


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("name,kind", [("inv", "wc"), ("det", "wc"), ("cholesky", "spd"), ("eigvalsh", "sym"),
                                       ("pinv", "wc"), ("svdvals", "wc"), ("matrix_transpose", "wc")])
def test_forward_matches_numpy(name, kind, batch):
    a = _inputs(kind, batch)
    np.testing.assert_allclose(getattr(mg.linalg, name)(a).data, getattr(np.linalg, name)(a), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_decompositions_match_numpy(batch):
    a, s = _inputs("wc", batch), _inputs("sym", batch)
    sign, logabsdet = mg.linalg.slogdet(-a)
    ref = np.linalg.slogdet(-a)
    np.testing.assert_array_equal(sign.data, ref.sign)
    np.testing.assert_allclose(logabsdet.data, ref.logabsdet)
    w, v = mg.linalg.eigh(s)
    np.testing.assert_allclose(w.data, np.linalg.eigh(s).eigenvalues)
    np.testing.assert_allclose(np.abs(v.data), np.abs(np.linalg.eigh(s).eigenvectors), atol=1e-10)
    for x in (a, rand(*batch, 4, 2), rand(*batch, 2, 4)):
        u, sv, vh = mg.linalg.svd(x, full_matrices=False)
        ref = np.linalg.svd(x, full_matrices=False)
        np.testing.assert_allclose(sv.data, ref.S)
        np.testing.assert_allclose((u.data * sv.data[..., None, :]) @ vh.data, x, atol=1e-12)
        q, r = mg.linalg.qr(x)
        rq, rr = np.linalg.qr(x)
        np.testing.assert_allclose(q.data @ r.data, x, atol=1e-12)
        np.testing.assert_allclose(np.abs(r.data), np.abs(rr), atol=1e-12)   # numpy's, up to row signs
        assert (np.diagonal(r.data, axis1=-2, axis2=-1) >= 0).all()
        np.testing.assert_allclose(mg.linalg.qr(x, mode="r").data, r.data)


@pytest.mark.parametrize("batch_a,b_shape", [((), (3,)), ((2,), (3,)), ((2,), (2, 3, 2)), ((2, 1), (4, 3, 1)),
                                             ((), (2, 3, 4)), ((3,), (3, 3))])
def test_solve_numpy2_semantics(batch_a, b_shape):
    a, b = _inputs("wc", batch_a), rand(*b_shape)
    out = mg.linalg.solve(a, b)
    np.testing.assert_allclose(out.data, np.linalg.solve(a, b))
    check(mg.linalg.solve, a, b)


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5])
def test_matrix_power(n):
    a = _inputs("wc", (2,))
    np.testing.assert_allclose(mg.linalg.matrix_power(a, n).data, np.linalg.matrix_power(a, n), rtol=1e-10)
    check(lambda t: mg.linalg.matrix_power(t, n), a)


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(3,), (3, 4), (4, 2)], [(5, 2), (2, 4), (4, 3), (3,)],
                                    [(3,), (3, 2), (2,)], [(2, 9), (9, 1), (1, 8), (8, 2)]])
def test_multi_dot(shapes):
    xs = [rand(*s) for s in shapes]
    np.testing.assert_allclose(mg.linalg.multi_dot(xs).data, np.linalg.multi_dot(xs))
    check(lambda *ts: mg.linalg.multi_dot(ts), *xs)


@pytest.mark.parametrize("m,n,k", [(5, 3, None), (5, 3, 2), (3, 3, None), (2, 4, None), (2, 4, 3)])
def test_lstsq_returns_numpys_tuple(m, n, k):
    a, b = rand(m, n), rand(m) if k is None else rand(m, k)
    x, residuals, rank, s = mg.linalg.lstsq(a, b)
    rx, rres, rrank, rs = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x.data, rx, atol=1e-12)
    np.testing.assert_allclose(residuals.data, rres)
    assert residuals.shape == rres.shape and rank == rrank
    assert type(rank) is type(rrank) and type(s) is type(rs)  # numpy's types (rank was a Python int)
    np.testing.assert_allclose(s, rs)
    check(lambda p, q: mg.linalg.lstsq(p, q)[0], a, b)
    if residuals.size:
        check(lambda p, q: mg.linalg.lstsq(p, q)[1], a, b)


@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, np.inf, "fro", "nuc"])
def test_cond(p):
    a = _inputs("wc", (2,))
    np.testing.assert_allclose(mg.linalg.cond(a, p).data, np.linalg.cond(a, p))
    check(lambda t: mg.linalg.cond(t, p), a)


def test_tensorinv_tensorsolve_vecdot_matrix_rank():
    a = well_conditioned(6, 6).reshape(6, 2, 3)
    np.testing.assert_allclose(mg.linalg.tensorinv(a, ind=1).data, np.linalg.tensorinv(a, ind=1))
    check(lambda t: mg.linalg.tensorinv(t, ind=1), a)
    a4, b = well_conditioned(6, 6).reshape(2, 3, 6), rand(2, 3)
    np.testing.assert_allclose(mg.linalg.tensorsolve(a4, b).data, np.linalg.tensorsolve(a4, b))
    check(mg.linalg.tensorsolve, a4, b)
    a5 = np.moveaxis(well_conditioned(6, 6).reshape(2, 3, 2, 3), 0, 2)
    np.testing.assert_allclose(mg.linalg.tensorsolve(a5, b, axes=(2,)).data, np.linalg.tensorsolve(a5, b, axes=(2,)))
    x, y = rand(2, 1, 3), rand(4, 3)
    np.testing.assert_allclose(mg.vecdot(x, y).data, np.vecdot(x, y))
    check(mg.vecdot, x, y)
    assert mg.linalg.matrix_rank(np.outer([1.0, 2.0], [3.0, 4.0])) == 1
    with pytest.raises(np.linalg.LinAlgError, match="tensorinv: shape"):
        mg.linalg.tensorinv(np.ones((2, 3)), ind=1)


# -- gradients of the compositions and the conventions ------------------------------------------------

def test_gradients_on_batches():
    check(mg.linalg.inv, _inputs("wc", (2,)))
    check(mg.linalg.det, _inputs("wc", (2, 2)))
    check(lambda t: mg.linalg.slogdet(t).logabsdet, -_inputs("wc", (2,)))
    check(lambda t: mg.linalg.cholesky(t @ t.mT + 3 * np.eye(3)), rand(2, 3, 3))
    check(lambda t: mg.linalg.cholesky(t @ t.mT + 3 * np.eye(3), upper=True), rand(3, 3))
    check(lambda t: mg.linalg.eigvalsh((t + t.mT) / 2), _inputs("sym", (2,)))
    check(lambda t: mg.linalg.pinv(t), rand(2, 4, 2))
    check(lambda t: mg.linalg.svdvals(t), rand(2, 2, 4))


def test_eigh_and_svd_functions_of_the_decomposition():
    s = _inputs("sym", (2,))

    def sqrtm(t):  # V sqrt(w) V^T of an SPD matrix: uses eigenvalues and eigenvectors
        w, v = mg.linalg.eigh((t + t.mT) / 2 + 3 * np.eye(3))
        return (v * mg.sqrt(w).reshape(w.shape[:-1] + (1, 3))) @ v.mT
    check(sqrtm, s)
    a = rand(2, 4, 3)

    def polar(t):  # U Vh: the orthogonal polar factor
        u, _, vh = mg.linalg.svd(t, full_matrices=False)
        return u @ vh
    check(polar, a)


def test_spectrum_gradients_stay_finite_at_repeated_values():
    """eigvalsh and svdvals are their own ops: finite gradients where eigh/svd's rules divide by 0."""
    eye = mg.tensor(np.eye(3), requires_grad=True)
    mg.linalg.norm(eye, ord="nuc").backward()              # sum of singular values, all equal to 1
    np.testing.assert_allclose(eye.grad.data, np.eye(3), atol=1e-12)
    a = mg.tensor(2 * np.eye(3), requires_grad=True)
    (mg.linalg.eigvalsh(a) ** 2).sum().backward()           # = ||a||_F^2: gradient 2 a
    np.testing.assert_allclose(a.grad.data, 4 * np.eye(3), atol=1e-12)


def test_eigh_gradient_is_symmetric():
    a = mg.tensor(_inputs("sym", ()), requires_grad=True)
    w, v = mg.linalg.eigh(a)
    (w * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(a.grad.data, a.grad.data.T)


def test_slogdet_sign_is_a_constant():
    sign, logabsdet = mg.linalg.slogdet(mg.tensor(-_inputs("wc", ()), requires_grad=True))
    assert not sign.requires_grad and logabsdet.requires_grad


NORM_CASES = [({}, (3, 4, 2)), ({}, (3, 4)), ({"ord": np.inf}, (4,)), ({"ord": -np.inf}, (4,)), ({"ord": 1}, (4,)),
              ({"ord": 3}, (4,)), ({"ord": 0.5}, (4,)), ({"axis": 1}, (3, 4, 2)),
              ({"axis": 1, "ord": 3, "keepdims": True}, (3, 4, 2)), ({"axis": (0, 2)}, (3, 4, 2)),
              ({"axis": (2, 0), "ord": "nuc"}, (3, 4, 2)), ({"axis": (0, 1), "ord": 2, "keepdims": True}, (3, 4, 2)),
              ({"ord": 1}, (3, 4)), ({"ord": -1}, (3, 4)), ({"ord": np.inf}, (3, 4)), ({"ord": -np.inf}, (3, 4)),
              ({"ord": "fro"}, (3, 4)), ({"ord": -2}, (3, 4)), ({"axis": (2, 1), "ord": np.inf}, (3, 4, 2)),
              ({"axis": (-1, 0), "ord": 1, "keepdims": True}, (3, 4, 2)), ({"keepdims": True}, (3, 4, 2))]


@pytest.mark.parametrize("kwargs,shape", NORM_CASES)
def test_norm_matches_numpy_and_differentiates(kwargs, shape):
    x = rand(*shape)
    out = mg.linalg.norm(x, **kwargs)
    ref = np.linalg.norm(x, **kwargs)
    assert out.shape == np.shape(ref)
    np.testing.assert_allclose(out.data, ref)
    check(lambda t: mg.linalg.norm(t, **kwargs), x)


def test_norm_ord_0_counts_nonzeros():
    x = np.array([0.0, 2.0, -1.0, 0.0])
    assert mg.linalg.norm(x, ord=0).item() == np.linalg.norm(x, ord=0) == 2.0


@pytest.mark.parametrize("ord", [None, 2, 1, 3])
def test_norm_gradient_at_zero_is_zero(ord):
    """PyTorch's convention: the subgradient 0 where the 2-norm (or p-norm) has no derivative."""
    x = mg.tensor(np.zeros((2, 3)), requires_grad=True)
    mg.linalg.norm(x, ord=ord, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))
    y = mg.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)  # a zero row beside a non-zero one
    mg.linalg.norm(y, axis=1).sum().backward()
    np.testing.assert_allclose(y.grad.data, [[0.0, 0.0], [0.6, 0.8]])


def test_vector_and_matrix_norm_match_numpy():
    x = rand(2, 3, 4)
    np.testing.assert_allclose(mg.linalg.vector_norm(x, ord=3, axis=(0, 1)).data, np.linalg.vector_norm(x, ord=3, axis=(0, 1)))
    for ord in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        np.testing.assert_allclose(mg.linalg.matrix_norm(x, ord=ord).data, np.linalg.matrix_norm(x, ord=ord))


# -- misuse --------------------------------------------------------------------------------------

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


def test_singular_matrices_raise_linalgerror_naming_the_function():
    with pytest.raises(np.linalg.LinAlgError, match=r"inv: .*singular.*\(input shape \(2, 2\)\)"):
        mg.linalg.inv(SINGULAR)
    with pytest.raises(np.linalg.LinAlgError, match="solve: .*singular"):
        mg.linalg.solve(np.stack([np.eye(2), SINGULAR]), np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="cholesky: .*positive definite"):
        mg.linalg.cholesky(-np.eye(2))
    a = mg.tensor(SINGULAR, requires_grad=True)
    d = mg.linalg.det(a)
    assert d.item() == 0.0  # the forward is fine, as numpy's; its gradient is refused, not nan
    with pytest.raises(np.linalg.LinAlgError, match=r"gradient of det at a singular matrix \(shape \(2, 2\)\)"):
        d.backward()


@pytest.mark.parametrize("fn", [mg.linalg.inv, mg.linalg.det, mg.linalg.eigvalsh, mg.linalg.svdvals,
                                lambda t: mg.linalg.eigh(t)[1], lambda t: mg.linalg.qr(t)[0],
                                lambda t: mg.linalg.cholesky(t), lambda t: mg.einsum("ij,jk", t, t),
                                lambda t: mg.linalg.norm(t, axis=1), lambda t: mg.linalg.solve(t, t[0])])
def test_float32_stays_float32(fn):
    a = mg.tensor(spd(3, 3).astype(np.float32), requires_grad=True)
    out = fn(a)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert a.grad.dtype == np.float32 and np.isfinite(a.grad.data).all()


def test_shape_errors():
    with pytest.raises(np.linalg.LinAlgError, match=r"inv: expected a square matrix .* got shape \(2, 3\)"):
        mg.linalg.inv(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match=r"det: .* got shape \(3,\)"):
        mg.linalg.det(np.ones(3))
    with pytest.raises(ValueError, match=r"solve: b of shape \(3,\) does not match a of shape \(2, 2\)"):
        mg.linalg.solve(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="batch shapes"):
        mg.linalg.solve(np.ones((2, 2, 2)) + np.eye(2), np.ones((3, 2, 1)))
    with pytest.raises(TypeError, match="exponent must be an integer"):
        mg.linalg.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ValueError, match="pass full_matrices=False"):
        mg.linalg.svd(mg.tensor(np.ones((3, 2)), requires_grad=True))
    with pytest.raises(ValueError, match="invalid norm order"):
        mg.linalg.norm(np.ones((2, 2)), ord=3)
    with pytest.raises(ValueError, match="needs a 1-D or 2-D input"):
        mg.linalg.norm(np.ones((2, 2, 2)), ord=1)


def test_svd_full_matrices_without_grad_is_numpys():
    x = rand(3, 2)
    u, s, vh = mg.linalg.svd(x)
    assert u.shape == (3, 3) and not u.requires_grad
    np.testing.assert_allclose(s.data, np.linalg.svd(x).S)


# -- numpy interop -------------------------------------------------------------------------------------

def test_table_maps_numpy_names_to_ours():
    for np_fn, name in [(np.dot, "dot"), (np.einsum, "einsum"), (np.tensordot, "tensordot"), (np.kron, "kron"),
                        (np.cross, "cross"), (np.inner, "inner"), (np.outer, "outer"), (np.vdot, "vdot")]:
        assert TABLE[np_fn] is getattr(mg, name)
    for name in ("inv", "solve", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "svd", "norm", "pinv",
                 "matrix_power", "lstsq", "multi_dot"):
        assert TABLE[getattr(np.linalg, name)] is getattr(mg.linalg, name), name
    assert TABLE[np.linalg.qr] is numpy_qr  # numpy's signs (mg.linalg.qr's R has a non-negative diagonal)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (2, 4), (2, 3, 3)])
def test_numpy_qr_on_a_tensor_is_numpys_with_its_signs(shape):
    # regression: np.linalg.qr(t) ran mg.linalg.qr, whose sign-fixed Q and R are not numpy's
    x = rand(*shape)
    for got, want in zip(np.linalg.qr(mg.tensor(x, requires_grad=True)), np.linalg.qr(x)):
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.linalg.qr(mg.tensor(x), mode="r").data, np.linalg.qr(x, mode="r"), atol=1e-14)
    assert isinstance(np.linalg.qr(mg.tensor(rand(4, 3)), mode="complete"), mg.linalg.QRResult)
    check(lambda t: mg.concatenate([mg.ravel(p) for p in np.linalg.qr(t)]), x)


@pytest.mark.skipif(not hasattr(mg.Tensor, "__array_function__"), reason="numpy dispatch not merged yet")
def test_numpy_functions_on_tensors_record():
    a = mg.tensor(_inputs("wc", ()), requires_grad=True)
    b = mg.tensor(rand(3), requires_grad=True)
    for out in (np.linalg.solve(a, b), np.einsum("ij,j->i", a, b), np.dot(a, b), np.linalg.inv(a) @ b):
        assert isinstance(out, mg.Tensor) and out.requires_grad
    np.testing.assert_allclose(np.linalg.solve(a, b).data, np.linalg.solve(a.data, b.data))
    x = mg.tensor(rand(2, 3), requires_grad=True)
    w, v = np.linalg.eigh(x @ x.mT)
    assert isinstance(w, mg.Tensor) and w.requires_grad

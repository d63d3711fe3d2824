"""Test data for the products and linear algebra ops (ops/products.py, linalg.py, decomp.py, norms.py).

Matrices are built to be well conditioned where the derivative needs it: diagonally dominant for
inv/solve/det, U diag(s) V^T with singular values spread over [1, 3.5] and at least 0.4 apart for
svd/qr/pinv/lstsq, Q diag(w) Q^T with eigenvalues at least 0.5 apart for eigh (the symmetric input
goes through (x + x^T)/2, as numpy reads one triangle), x x^T + n I for cholesky. Eigen- and
singular vectors are only defined up to their sign, so the specs check what does not depend on
it: v * v and v diag(c) v^T for eigenvectors, u * u, vh * vh and u diag(c) vh for singular vectors. Batch shapes broadcast where numpy broadcasts them.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

from .draw import NumpyDraw
from .specs import case, spec


def _batch(d, max_dims=2):
    return d.shape(0, max_dims, 1, 2)


def _well_conditioned(d, shape):
    n = shape[-1]
    return d.array(shape, -1.0, 1.0) + (n + 1) * np.eye(n) * d.choice([1.0, -1.0])


def _orthogonal(d, batch, n):
    q, r = np.linalg.qr(d.array(batch + (n, n), -1.0, 1.0) + 2 * np.eye(n))
    return q


def _spread(d, batch, k, lo, gap):
    """k values per batch entry, ascending, consecutive ones at least `gap` apart."""
    steps = d.array(batch + (k,), gap, gap + 0.5)
    return lo + np.cumsum(steps, axis=-1) - gap


def _symmetric_separated(d, batch, n):
    q = _orthogonal(d, batch, n)
    return (q * _spread(d, batch, n, -1.0, 0.5)[..., None, :]) @ np.swapaxes(q, -1, -2)


def _with_singular_values(d, batch, m, n):
    k = min(m, n)
    s = _spread(d, batch, k, 1.0, 0.4)
    u = _orthogonal(d, batch, m)[..., :k]
    v = _orthogonal(d, batch, n)[..., :k]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def _flat(batch, *ts):
    """The tensors flattened past the `batch` axes and joined: one output to check them all."""
    return mg.concatenate([t.reshape(t.shape[:len(batch)] + (-1,)) for t in ts], axis=-1)


# -- einsum --------------------------------------------------------------------------------------

_EINSUM = ["ii", "ii->i", "ij,jk", "ij,jk->ki", "i,i", "ii,i->i", "bij,bjk->bik", "ij,jk,kl->il", "iij->j",
           "i,j->ij", "ijk->kj", "ij->", "ba", "iji->ij", "ij,ij->ij", "i,ij,j", "...ij,...jk", "i...,i->...",
           "...i,...i->..."]


@spec("einsum")
def _einsum(d):
    subscripts = d.choice(_EINSUM)
    sizes = {c: d.integers(1, 3) for c in "abcdijkl"}
    lhs = subscripts.split("->")[0].split(",")
    batches = d.broadcastable(len(lhs), max_dims=2)
    shapes = []
    for term, batch in zip(lhs, batches):
        core = tuple(sizes[c] for c in term.replace("...", ""))
        shapes.append(batch + core if term.startswith("...") else core + batch if "..." in term else core)
    if subscripts == "ij,ij->ij" and d.integers(0, 1):  # size-1 label broadcasting, as numpy does
        shapes[0] = (1,) + shapes[0][1:]
    optimize = d.choice([False, True]) if len(lhs) > 2 else False
    return (lambda *xs: mg.einsum(subscripts, *xs, optimize=optimize)), [d.array(s) for s in shapes]


# -- inverse, solve, determinants ----------------------------------------------------------------

@spec("inv")
def _inv(d):
    return mg.linalg.inv, [_well_conditioned(d, _batch(d) + (d.integers(1, 3),) * 2)]


@spec("solve")
def _solve(d):
    n = d.integers(1, 3)
    batch_a, batch_b = d.broadcastable(2, max_dims=2)
    b_shape = d.choice([(n,), batch_b + (n, d.integers(1, 2))])
    return mg.linalg.solve, [_well_conditioned(d, batch_a + (n, n)), d.array(b_shape)]


@spec("det")
def _det(d):
    return mg.linalg.det, [_well_conditioned(d, _batch(d) + (d.integers(1, 3),) * 2)]


@spec("slogdet")
def _slogdet(d):
    return (lambda a: mg.linalg.slogdet(a).logabsdet), [_well_conditioned(d, _batch(d) + (d.integers(1, 3),) * 2)]


# -- decompositions ------------------------------------------------------------------------------

@spec("cholesky")
def _cholesky(d):
    n = d.integers(1, 3)
    upper = bool(d.integers(0, 1))
    eye = np.eye(n)
    return (lambda x: mg.linalg.cholesky(x @ x.mT + n * eye, upper=upper)), [d.array(_batch(d) + (n, n), -1.0, 1.0)]


@spec("eigh")
def _eigh(d):
    batch, n = _batch(d), d.integers(1, 3)
    q = _orthogonal(d, batch, n)
    a = (q * _spread(d, batch, n, -1.0, 0.5)[..., None, :]) @ np.swapaxes(q, -1, -2)

    c = d.array((n,))

    def f(x):
        w, v = mg.linalg.eigh((x + x.mT) * 0.5)
        return _flat(batch, w, v * v, (v * c) @ v.mT)
    return f, [a]


@spec("svd")
def _svd(d):
    batch, m, n = _batch(d), d.integers(1, 3), d.integers(1, 3)
    c = d.array((min(m, n),))

    def f(x):
        u, s, vh = mg.linalg.svd(x, full_matrices=False)
        return _flat(batch, s, u * u, vh * vh, (u * c) @ vh)
    return f, [_with_singular_values(d, batch, m, n)]


@spec("svdvals")
def _svdvals(d):
    batch, m, n = _batch(d), d.integers(1, 3), d.integers(1, 3)
    return mg.linalg.svdvals, [_with_singular_values(d, batch, m, n)]


@spec("eigvalsh")
def _eigvalsh(d):
    return (lambda x: mg.linalg.eigvalsh((x + x.mT) * 0.5)), [_symmetric_separated(d, _batch(d), d.integers(1, 3))]


@spec("qr")
def _qr(d):
    batch, m, n = _batch(d), d.integers(1, 3), d.integers(1, 3)
    return (lambda x: _flat(batch, *mg.linalg.qr(x))), [_with_singular_values(d, batch, m, n)]


@spec("pinv")
def _pinv(d):
    batch, m, n = _batch(d), d.integers(1, 3), d.integers(1, 3)
    return mg.linalg.pinv, [_with_singular_values(d, batch, m, n)]


@spec("lstsq")
def _lstsq(d):
    m, n = d.integers(1, 4), d.integers(1, 3)
    b = d.array(d.choice([(m,), (m, d.integers(1, 2))]))
    return (lambda a, b: mg.linalg.lstsq(a, b)[0]), [_with_singular_values(d, (), m, n), b]


# -- norms ---------------------------------------------------------------------------------------

@spec("norm")
def _norm(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, -1, 0, tuple(range(len(shape)))[::2] or None])
    keepdims, p = bool(d.integers(0, 1)), d.choice([2, 1, 3, 1.5])
    return (lambda x: mg.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=p)), [d.array(shape, away=(0.0,))]


# -- composed of the ops above (no rules of their own): cases checked by tests/test_composed.py ----

def _pair_case(name, shapes):
    @case(name)
    def make(d):
        return (lambda lib, a, b: getattr(lib, name)(a, b)), [d.array(s) for s in shapes(d)]


_pair_case("dot", lambda d: d.choice([((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (3, 2))]))
_pair_case("vdot", lambda d: d.choice([((3,), (3,)), ((2, 2), (2, 2))]))
_pair_case("inner", lambda d: d.choice([((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3))]))
_pair_case("outer", lambda d: d.choice([((3,), (2,)), ((2, 2), (3,))]))
_pair_case("kron", lambda d: d.choice([((2,), (3,)), ((2, 2), (2, 3)), ((1, 2), (2, 1))]))


@case("tensordot")
def _tensordot_case(d):
    axes = d.choice([1, 2, ([0, 2], [1, 0])])
    shapes = {1: ((2, 3), (3, 2)), 2: ((2, 2, 3), (2, 3, 2)), None: ((2, 3, 2), (2, 2, 3))}
    sa, sb = shapes[axes if isinstance(axes, int) else None]
    return (lambda lib, a, b: lib.tensordot(a, b, axes=axes)), [d.array(sa), d.array(sb)]


@case("cross")
def _cross_case(d):
    batch = _batch(d)
    return (lambda lib, a, b: lib.cross(a, b)), [d.array(batch + (3,)), d.array((3,))]


@case("linalg.matrix_power")
def _matrix_power_case(d):
    k = d.choice([-2, -1, 0, 2, 3])
    n = d.integers(1, 3)
    return (lambda lib, a: lib.linalg.matrix_power(a, k)), [_well_conditioned(d, _batch(d) + (n, n)) / (n + 1)]


@case("linalg.multi_dot")
def _multi_dot_case(d):
    dims = [d.integers(1, 3) for _ in range(4)]
    arrays = [d.array((dims[i], dims[i + 1])) for i in range(3)]
    return (lambda lib, *xs: lib.linalg.multi_dot(list(xs))), arrays


@case("linalg.norm")
def _norm_case(d):
    # the smooth orders (1 and inf have kinks at ties and zeros, where central differences jump)
    ord_, axis = d.choice([(None, None), (2, -1), (3, 0), ("fro", (0, 1)), ("nuc", (0, 1)), (2, (0, 1)),
                           (-2, (-2, -1))])
    if isinstance(axis, tuple):  # matrix norms: distinct singular values, away from 0
        x = _with_singular_values(d, (), 3, 2)
    else:                        # vector norms: no all-zero vector (the norm's kink)
        x = d.array((3, 2), 0.3, 1.5) * np.where(d.array((3, 2)) > 0, 1.0, -1.0)
    return (lambda lib, a: lib.linalg.norm(a, ord=ord_, axis=axis)), [x]


@case("linalg.cond")
def _cond_case(d):
    n = d.integers(2, 3)
    return (lambda lib, a: lib.linalg.cond(a)), [_with_singular_values(d, (), n, n)]


# numpy function -> (make(*inputs) -> (args, kwargs), inputs): how tests/test_interop.py calls this
# family's entries of the interop table that need more than numpy's defaults (one or two 3x3 SPD arrays)
_R = np.random.default_rng(1)
_M = _R.uniform(-1.0, 1.0, (2, 3))
_SPD = (lambda m: m @ m.T + 3 * np.eye(3))(_R.uniform(-1.0, 1.0, (3, 3)))
_T = (_R.uniform(-0.3, 0.3, (6, 6)) + 2 * np.eye(6)).reshape(2, 3, 6)  # well conditioned as a 6x6 matrix
_TALL = _with_singular_values(NumpyDraw(0), (), 4, 2)  # full rank: x and the residuals differentiate


def _symmetric(x):
    """cholesky and eigh read one triangle and their gradients are the symmetric ones (as PyTorch's):
    central differences must perturb both triangles together, so the input is x's symmetric part."""
    return ((x + x.T) * 0.5,), {}


INTEROP_EXAMPLES = {
    np.einsum: (lambda x, y: (("ij,kj->ik", x, y), {}), [_M, _M[::-1] * 2]),
    np.linalg.cholesky: (_symmetric, [_SPD]),
    np.linalg.eigh: (_symmetric, [_symmetric_separated(NumpyDraw(0), (), 3)]),  # distinct eigenvalues
    np.linalg.matrix_power: (lambda x: ((x, -2), {}), [_SPD / 3]),
    np.linalg.lstsq: (lambda a, b: ((a, b), {}), [_TALL, _R.uniform(-1.0, 1.0, (4,))]),
    np.linalg.tensorinv: (lambda x: ((x,), {"ind": 2}), [_T]),
    np.linalg.tensorsolve: (lambda x, y: ((x, y), {}), [_T, _M]),
}
if hasattr(np.linalg, "outer"):  # numpy >= 2.0: 1-D vectors only
    INTEROP_EXAMPLES[np.linalg.outer] = (lambda x, y: ((x, y), {}), [_M[0], _M[1, :2]])

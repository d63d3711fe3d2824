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

from .specs import spec


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

"""Decompositions and what rests on them: cholesky, eigh, svd, qr, pinv, lstsq (batched like numpy).

A decomposition with several outputs is recorded as ONE op whose output packs them side by side
(last axis); the tensors returned are views into it. Its rule so sees every output's gradient and
every output (differentiably: second order goes through them), and no node refers to another.

Where the derivative does not exist the rule does not pretend: eigh needs distinct eigenvalues and
svd distinct (and, for non-square input, non-zero) singular values — at a degenerate point the
eigenvectors are not functions of the input. Both give inf/nan gradients there (the factor
1 / (w_j - w_i)). For a function of the spectrum alone use eigvalsh / svdvals: they are ops of
their own whose gradients stay finite there. qr needs full rank, pinv and lstsq a locally constant
rank.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import rules
from ..tensor import _wrap, as_tensor, record
from .linalg import LinAlgError, _eye, _lapack, _matrix, matmul, solve
from .shape import concatenate

EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])
# numpy.linalg's result types and field names, so code written for numpy reads the same on tensors
EighResult.__doc__ = """What `mg.linalg.eigh` returns: (eigenvalues, eigenvectors), as numpy.linalg.eigh.

    >>> mg.linalg.eigh(mg.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues     # ascending
    tensor([1., 2.])
"""
SVDResult.__doc__ = """What `mg.linalg.svd` returns: (U, S, Vh) with a = U @ diag(S) @ Vh, as numpy.linalg.svd.

    >>> mg.linalg.svd(mg.tensor([[3.0, 0.0], [0.0, 4.0]])).S                # descending
    tensor([4., 3.])
"""
QRResult.__doc__ = """What `mg.linalg.qr` returns: (Q, R) with a = Q @ R, as numpy.linalg.qr.

    >>> q, r = mg.linalg.qr(mg.tensor([[3.0, 0.0], [4.0, 5.0]]))
    >>> np.allclose((q @ r).data, [[3.0, 0.0], [4.0, 5.0]]), np.allclose(r.data, np.triu(r.data))
    (True, True)
"""


def _record_packed(op, arrays, inputs, **attrs):
    """Record one op whose output is `arrays` flattened and joined on the last axis; return views."""
    batch = arrays[0].shape[:len(inputs[0].shape) - 2]
    cores = tuple(x.shape[len(batch):] for x in arrays)
    packed = np.concatenate([x.reshape(batch + (-1,)) for x in arrays], axis=-1)
    return _unpack(record(op, packed, inputs, cores=cores, **attrs), cores)


def _unpack(t, cores):
    """The tensors packed in `t` (an op's output or its gradient), as (batch + core) views."""
    out, start = [], 0
    for core in cores:
        n = int(np.prod(core))
        out.append(t[..., start:start + n].reshape(t.shape[:-1] + core))
        start += n
    return out


def _sym(x):
    return (x + x.mT) * 0.5


def _off_diagonal_inverse(d):
    """F[i, j] = 1 / (d[j] - d[i]) off the diagonal, 0 on it (batched)."""
    n = d.shape[-1]
    eye = _eye(n, d.dtype)
    diff = d.reshape(d.shape[:-1] + (1, n)) - d.reshape(d.shape + (1,))
    return (1.0 - eye) / (diff + eye)


def _tril_mask(n, dtype, diagonal):
    """Lower-triangular ones with `diagonal` on the diagonal (a constant)."""
    return _wrap(np.tril(np.ones((n, n), dtype=dtype), -1) + diagonal * np.eye(n, dtype=dtype))


def _right_solve_transposed(b, r):
    """b @ inv(r).mT, via a solve: (r^-1 b^T)^T."""
    return solve(r, b.mT).mT


# -- cholesky ------------------------------------------------------------------------------------

def cholesky(a, upper=False):
    """The Cholesky factor L (a = L @ L.mT) of a symmetric positive-definite matrix (or stack).

    The gradient is the symmetric one (a symmetric perturbation of a), as PyTorch's.

    >>> import minigrad as mg
    >>> mg.linalg.cholesky([[4.0, 2.0], [2.0, 2.0]]).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    a = _matrix(a, "cholesky")
    out = _lapack("cholesky", np.linalg.cholesky, a.data)
    out = record("cholesky", out, (a,))
    return out.mT if upper else out


@rules.register("cholesky")
def cholesky_vjp(g, out, a):
    # Murray (2016): gA = L^-T Phi(L^T gL) L^-1, Phi = lower triangle with the diagonal halved
    phi = (out.mT @ g) * _tril_mask(a.shape[-1], g.dtype, 0.5)
    left = solve(out.mT, phi)                        # L^-T Phi
    return (_sym(_right_solve_transposed(left, out.mT)),)  # L^-T Phi L^-1


# -- eigh ----------------------------------------------------------------------------------------

def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (or stack).

    Differentiable where the eigenvalues are distinct; the gradient is symmetrized (the input is
    taken to be symmetric, as numpy reads only one triangle).

    >>> import minigrad as mg
    >>> w, v = mg.linalg.eigh([[2.0, 1.0], [1.0, 2.0]])
    >>> w.tolist()
    [1.0, 3.0]
    """
    a = _matrix(a, "eigh")
    w, v = _lapack("eigh", np.linalg.eigh, a.data, UPLO=UPLO)
    return EighResult(*_record_packed("eigh", [w, v], (a,)))


@rules.register("eigh")
def eigh_vjp(g, out, a, cores):
    gw, gv = _unpack(g, cores)
    w, v = _unpack(out, cores)
    n = w.shape[-1]
    inner = gw.reshape(gw.shape[:-1] + (1, n)) * _eye(n, g.dtype) + _off_diagonal_inverse(w) * (v.mT @ gv)
    return (_sym(v @ inner @ v.mT),)


def eigvalsh(a, UPLO="L"):
    """The eigenvalues of a symmetric matrix (or stack), ascending.

    Its own op: its gradient V diag(g) V^T stays finite at repeated eigenvalues (eigh's rule would
    multiply the eigenvectors' zero gradient by 1 / 0 there).

    >>> import minigrad as mg
    >>> mg.linalg.eigvalsh([[2.0, 0.0], [0.0, 1.0]]).tolist()
    [1.0, 2.0]
    """
    a = _matrix(a, "eigvalsh")
    return record("eigvalsh", _lapack("eigvalsh", np.linalg.eigvalsh, a.data, UPLO=UPLO), (a,), UPLO=UPLO)


@rules.register("eigvalsh")
def eigvalsh_vjp(g, out, a, UPLO):
    _, v = eigh(a, UPLO)
    return (_sym((v * g.reshape(g.shape[:-1] + (1, g.shape[-1]))) @ v.mT),)


# -- svd -----------------------------------------------------------------------------------------

def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """U, S, Vh with a = U @ (S[..., None] * Vh); differentiable for full_matrices=False (or square
    input) with distinct, non-zero singular values. compute_uv=False returns S alone (svdvals).
    `hermitian` is accepted for numpy's signature; the general SVD is computed.

    >>> import minigrad as mg
    >>> u, s, vh = mg.linalg.svd([[3.0, 0.0], [0.0, -2.0]])
    >>> s.tolist()
    [3.0, 2.0]
    >>> mg.linalg.svd(mg.tensor([[1.0, 2.0, 3.0]]), compute_uv=False).tolist()
    [3.7416573867739413]
    """
    a = _matrix(a, "svd", square=False)
    m, n = a.shape[-2:]
    if full_matrices and m != n and compute_uv:
        if a.requires_grad:
            raise ValueError(f"svd: full_matrices=True for a non-square input {a.shape} has no gradient (the "
                             f"extra columns of U or Vh are not unique); pass full_matrices=False")
        return SVDResult(*(_wrap(x) for x in _lapack("svd", np.linalg.svd, a.data, full_matrices=True)))
    if not compute_uv:
        return svdvals(a)
    u, s, vh = _lapack("svd", np.linalg.svd, a.data, full_matrices=False)
    return SVDResult(*_record_packed("svd", [u, s, vh], (a,)))


@rules.register("svd")
def svd_vjp(g, out, a, cores):
    # Townsend (2016), real case, k = min(m, n); V = Vh^T
    gu, gs, gvh = _unpack(g, cores)
    u, s, vh = _unpack(out, cores)
    m, n = a.shape[-2:]
    k = s.shape[-1]
    row, col = s.shape[:-1] + (1, k), s.shape + (1,)   # s as a row (scales columns) / a column
    f = _off_diagonal_inverse(s * s)
    j = f * (u.mT @ gu - gu.mT @ u)
    kk = f * (vh @ gvh.mT - gvh @ vh.mT)
    inner = j * s.reshape(row) + gs.reshape(row) * _eye(k, g.dtype) + s.reshape(col) * kk
    ga = u @ inner @ vh
    if m > k:
        scaled = gu / s.reshape(row)                      # gU S^-1
        ga = ga + (scaled - u @ (u.mT @ scaled)) @ vh
    if n > k:
        scaled = gvh / s.reshape(col)                     # S^-1 gV^T
        ga = ga + u @ (scaled - (scaled @ vh.mT) @ vh)
    return (ga,)


def svdvals(x):
    """The singular values, descending (numpy 2's svdvals; svd(compute_uv=False)).

    Its own op: its gradient U diag(g) Vh stays finite at repeated singular values (the nuclear
    norm of the identity, say), where svd's rule would multiply 0 by 1 / 0.

    >>> import minigrad as mg
    >>> mg.linalg.svdvals([[0.0, 2.0], [1.0, 0.0]]).tolist()
    [2.0, 1.0]
    """
    a = _matrix(x, "svdvals", square=False)
    return record("svdvals", _lapack("svdvals", np.linalg.svd, a.data, compute_uv=False), (a,))


@rules.register("svdvals")
def svdvals_vjp(g, out, a):
    u, _, vh = svd(a, full_matrices=False)
    return ((u * g.reshape(g.shape[:-1] + (1, g.shape[-1]))) @ vh,)


# -- qr ------------------------------------------------------------------------------------------

def qr(a, mode="reduced"):
    """Reduced QR: Q with orthonormal columns, R upper triangular with a non-negative diagonal
    (numpy's up to the signs of Q's columns and R's rows: LAPACK's signs jump, these are smooth).
    mode 'r': R alone. Differentiable for full-rank input (TensorFlow's rule, wide input split as it does).

    >>> import minigrad as mg
    >>> q, r = mg.linalg.qr([[3.0, 0.0], [4.0, 1.0]])
    >>> r.data.round(6).tolist()
    [[5.0, 0.8], [0.0, 0.6]]
    """
    return _qr(a, mode, smooth_signs=True)


def numpy_qr(a, mode="reduced"):
    """`np.linalg.qr` on tensors (the interop table's): numpy's values, LAPACK's signs and all, with
    `qr`'s gradient (valid for any fixed signs; numpy's jump where a column is already reduced).

    >>> import numpy as np, minigrad as mg
    >>> x = [[3.0, 0.0], [4.0, 1.0]]
    >>> bool(np.allclose(numpy_qr(x).R.data, np.linalg.qr(x).R))
    True
    """
    return _qr(a, mode, smooth_signs=False)


def _qr(a, mode, smooth_signs):
    a = _matrix(a, "qr", square=False)
    if mode not in ("reduced", "r", "complete", "raw"):
        raise ValueError(f"qr: unknown mode {mode!r} (one of 'reduced', 'complete', 'r', 'raw')")
    m, n = a.shape[-2:]
    if mode == "raw" or (mode == "complete" and m > n):
        if a.requires_grad:
            raise ValueError(f"qr: mode={mode!r} has no gradient for shape {a.shape}; use mode='reduced'")
        out = tuple(_wrap(x) for x in _lapack("qr", np.linalg.qr, a.data, mode=mode))
        return out if mode == "raw" else QRResult(*out)
    q, r = _lapack("qr", np.linalg.qr, a.data, mode="reduced")
    if smooth_signs:  # LAPACK's signs jump where a column is already reduced (e.g. a triangular input): fix them
        sign = np.where(np.diagonal(r, axis1=-2, axis2=-1) < 0, -1.0, 1.0).astype(r.dtype)
        q, r = q * sign[..., None, :], r * sign[..., :, None]
    out = QRResult(*_record_packed("qr", [q, r], (a,)))
    return out.R if mode == "r" else out


@rules.register("qr")
def qr_vjp(g, out, a, cores):
    gq, gr = _unpack(g, cores)
    q, r = _unpack(out, cores)
    m, n = a.shape[-2:]
    if m >= n:
        return (_qr_square_grad(q, r, gq, gr),)
    # wide: a = [x | y], x = q r_x, r = [r_x | q^T y]
    y, rx, gx_r, gy_r = a[..., m:], r[..., :m], gr[..., :m], gr[..., m:]
    gx = _qr_square_grad(q, rx, gq + y @ gy_r.mT, gx_r)
    return (concatenate([gx, q @ gy_r], axis=-1),)


def _qr_square_grad(q, r, gq, gr):
    """Gradient of a tall (m >= n) reduced QR: q (gr + tril(M) R^-T) + (gq - q q^T gq) R^-T,
    M = q^T gq - gq^T q + r gr^T - gr r^T."""
    qdq = q.mT @ gq
    rdr = r @ gr.mT
    m = (qdq - qdq.mT) + (rdr - rdr.mT)
    low = m * _tril_mask(m.shape[-1], m.dtype, 1.0)
    return q @ (gr + _right_solve_transposed(low, r)) + _right_solve_transposed(gq - q @ qdq, r)


# -- pinv and lstsq ------------------------------------------------------------------------------

def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """Moore-Penrose pseudo-inverse (numpy's cutoffs); differentiable where the rank is locally constant.

    >>> import minigrad as mg
    >>> mg.linalg.pinv([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]
    """
    a = _matrix(a, "pinv", square=False)
    kwargs = {} if rcond is None else {"rcond": rcond}
    if rtol is not None:
        kwargs["rtol"] = rtol
    return record("pinv", _lapack("pinv", np.linalg.pinv, a.data, hermitian=hermitian, **kwargs), (a,))


@rules.register("pinv")
def pinv_vjp(g, out, a):
    return (_pinv_grad(a, out, g),)


def _pinv_grad(a, x, g):
    """Gradient wrt a of <g, pinv(a)> (Golub & Pereyra): -X^T G X^T + (I - A X) G^T X X^T
    + X^T X G^T (I - X A), with X = pinv(a)."""
    gt = g.mT
    return (-(x.mT @ g @ x.mT) + (gt - a @ (x @ gt)) @ (x @ x.mT) + (x.mT @ x) @ (gt - (gt @ x) @ a))


def lstsq(a, b, rcond=None):
    """numpy's (x, residuals, rank, s); x (and residuals) differentiate, for a of locally constant rank.

    >>> import minigrad as mg
    >>> x, res, rank, s = mg.linalg.lstsq([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], [1.0, 2.0, 2.0])
    >>> [round(v, 6) for v in x.tolist()], int(rank)
    ([1.166667, 0.5], 2)
    """
    a = _matrix(a, "lstsq", square=False)
    b = as_tensor(b, like=a)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise LinAlgError(f"lstsq: a must be 2-D (m, n) and b (m,) or (m, k) with the same m; got {a.shape} "
                           f"and {b.shape}")
    x, _, rank, s = _lapack("lstsq", np.linalg.lstsq, a.data, b.data, rcond=rcond)
    x = record("lstsq", x, (a, b))
    m, n = a.shape
    if rank == n and m > n:
        residuals = ((b - matmul(a, x)) ** 2).sum(axis=0)
        residuals = residuals.reshape((1,)) if b.ndim == 1 else residuals
    else:
        residuals = _wrap(np.empty((0,), dtype=x.dtype))
    return x, residuals, rank, s  # rank as numpy gives it (a numpy integer)


@rules.register("lstsq")
def lstsq_vjp(g, out, a, b):
    x = pinv(a)  # x = pinv(a) b: recompute pinv differentiably (second order goes through it)
    gb = x.mT @ g if b.requires_grad else None
    ga = None
    if a.requires_grad:
        gx = g.reshape(-1, 1) * b.reshape(1, -1) if b.ndim == 1 else g @ b.mT
        ga = _pinv_grad(a, x, gx)
    return ga, gb

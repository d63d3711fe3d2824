"""Matrix products, inverse, solve, determinants, matrix powers and chains (decompositions are in
decomp.py, norms in norms.py). The matmul rule computes the plain `g @ b.T` and `a.T @ g` (BLAS
sees transposed views, no copies) and only the products some input needs: the gradient of a
64x4096 data batch is a third large GEMM that nobody asked for."""
from __future__ import annotations

import collections

import numpy as np

from .. import rules
from ..tensor import _wrap, as_tensor, record
from .elementwise import _pair, where


def matmul(a, b):
    """Matrix product with numpy's rules (1-D operands, batched stacks broadcast); also `@`.

        >>> mg.matmul(mg.tensor([[1.0, 2.0]]), mg.tensor([[3.0], [4.0]]))
        tensor([[11.]])
    """
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape} (use * for scalars)")
    try:
        data = np.matmul(a.data, b.data)
    except ValueError:
        ka, kb = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({ka} (last dim of a) != {kb} ({'second-to-last' if b.ndim > 1 else 'only'} dim of b))"
                         if ka != kb else f"matmul: batch dims of {a.shape} and {b.shape} cannot be broadcast") from None
    return record("matmul", data, (a, b))


def _mT(x):
    return x.swapaxes(-1, -2) if x.ndim > 2 else x.T


@rules.register("matmul", for_others=True)
def matmul_vjp(g, out, a, b):
    return _matmul_grads(g, a, b, a.requires_grad, b.requires_grad)


@rules.register_array("matmul")
def matmul_vjp_array(g, out, a, b):
    return _matmul_grads(g, a.data, b.data, a.requires_grad, b.requires_grad)


def _matmul_grads(g, a, b, need_a, need_b):
    """g @ b^T and a^T @ g, for whichever input needs it. Only methods that Tensors and ndarrays
    share (reshape, swapaxes, .T, @), so the one formula serves the rule and its array twin."""
    # 1-D operands: lift to matrices as numpy does, so one formula covers every case
    A = a.reshape(1, -1) if a.ndim == 1 else a
    B = b.reshape(-1, 1) if b.ndim == 1 else b
    if a.ndim == 1 and b.ndim == 1:
        g = g.reshape(1, 1)
    elif a.ndim == 1:
        g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
    elif b.ndim == 1:
        g = g.reshape(g.shape + (1,))
    ga = gb = None
    if need_a:
        ga = g @ _mT(B)
        if a.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if need_b:
        gb = _mT(A) @ g
        if b.ndim == 1:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb


def matrix_transpose(x):
    """Swap the last two axes (numpy 2's linalg.matrix_transpose).

    >>> import minigrad as mg
    >>> mg.linalg.matrix_transpose(mg.tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    return as_tensor(x).mT


# -- inverse, solve, determinants (batched over leading axes, as numpy) -------------------------
# Rules use solve and inv of the (transposed) input rather than forming products with an explicit
# inverse where they can, and are written with recorded ops, so they differentiate again.

LinAlgError = np.linalg.LinAlgError


def _matrix(a, name, square=True):
    """`a` as a tensor with at least 2 axes (square in the last two when `square`), or raise."""
    a = as_tensor(a)
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        raise LinAlgError(f"{name}: expected {'a square matrix' if square else 'a matrix'} (or a stack of "
                          f"them) in the last two axes, got shape {a.shape}")
    return a


def _lapack(name, fn, *arrays, **kwargs):
    """Run a numpy.linalg function; its LinAlgError names our function and the shapes."""
    try:
        return fn(*arrays, **kwargs)
    except LinAlgError as e:
        shapes = " and ".join(str(x.shape) for x in arrays)
        hint = {"Singular matrix": "the matrix (or one in the stack) is singular: it has no inverse"}
        raise LinAlgError(f"{name}: {hint.get(str(e), e)} (input shape {shapes})") from None


def _eye(n, dtype):
    return _wrap(np.eye(n, dtype=dtype))


def inv(a):
    """Matrix inverse, batched over leading axes; a singular matrix raises LinAlgError.

    >>> import minigrad as mg
    >>> mg.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    a = _matrix(a, "inv")
    return record("inv", _lapack("inv", np.linalg.inv, a.data), (a,))


@rules.register("inv")
def inv_vjp(g, out, a):
    t = out.mT
    return (-(t @ g @ t),)


def solve(a, b):
    """Solve a @ x = b; b is a vector when 1-D, else a (stack of) matrices (numpy 2 semantics).

    >>> import minigrad as mg
    >>> mg.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [1.0, 1.0]).tolist()
    [0.5, 0.25]
    """
    a = _matrix(a, "solve")
    b = as_tensor(b, like=a)
    n = a.shape[-1]
    if b.ndim == 0 or (b.shape[0] if b.ndim == 1 else b.shape[-2]) != n:
        raise ValueError(f"solve: b of shape {b.shape} does not match a of shape {a.shape} (b must be "
                         f"({n},) or (..., {n}, K))")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"solve: batch shapes of a {a.shape} and b {b.shape} cannot be broadcast") from None
    return record("solve", _lapack("solve", np.linalg.solve, a.data, b.data), (a, b))


@rules.register("solve")
def solve_vjp(g, out, a, b):
    vector = b.ndim == 1
    if vector:  # lift to one-column matrices, numpy 2's convention for anything but 1-D b
        g, out = g.reshape(g.shape + (1,)), out.reshape(out.shape + (1,))
    gb = solve(a.mT, g)
    ga = -(gb @ out.mT) if a.requires_grad else None
    if vector:
        gb = gb.reshape(gb.shape[:-1])
    return ga, (gb if b.requires_grad else None)


def det(a):
    """Determinant, batched over leading axes.

    >>> import minigrad as mg
    >>> round(float(mg.linalg.det([[2.0, 1.0], [1.0, 3.0]])), 6)
    5.0
    """
    a = _matrix(a, "det")
    return record("det", np.linalg.det(a.data), (a,))


@rules.register("det")
def det_vjp(g, out, a):
    # d det = det * tr(A^-1 dA); at an exactly singular matrix this raises (the adjugate is not used)
    return ((g * out).reshape(g.shape + (1, 1)) * _inverse_transpose("det", a),)


def _inverse_transpose(op, a):
    try:
        return inv(a).mT
    except LinAlgError:
        raise LinAlgError(f"the gradient of {op} at a singular matrix (shape {a.shape}) is not computed: "
                          f"it needs the inverse") from None


SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])
SlogdetResult.__doc__ = """What `mg.linalg.slogdet` returns: det = sign * exp(logabsdet), as numpy.linalg.slogdet.

The log keeps large determinants finite; only `logabsdet` is differentiable (the sign is piecewise constant).

    >>> mg.linalg.slogdet(mg.tensor([[0.0, 2.0], [1.0, 0.0]]))
    SlogdetResult(sign=tensor(-1.), logabsdet=tensor(0.69314718))
"""


def slogdet(a):
    """(sign, log|det|), batched; sign is a constant, logabsdet differentiates: d = tr(A^-1 dA).

    >>> import minigrad as mg
    >>> sign, logabsdet = mg.linalg.slogdet([[-2.0, 0.0], [0.0, 3.0]])
    >>> float(sign), round(float(logabsdet), 6)
    (-1.0, 1.791759)
    """
    a = _matrix(a, "slogdet")
    sign, logabsdet = np.linalg.slogdet(a.data)
    return SlogdetResult(_wrap(np.asarray(sign)), record("slogdet", logabsdet, (a,)))


@rules.register("slogdet")
def slogdet_vjp(g, out, a):
    return (g.reshape(g.shape + (1, 1)) * _inverse_transpose("slogdet", a),)


def matrix_power(a, n):
    """a @ a @ ... (n times) by repeated squaring; n < 0 inverts first, n == 0 gives the identity.

    >>> import minigrad as mg
    >>> mg.linalg.matrix_power([[1.0, 1.0], [0.0, 1.0]], 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}")
    a = _matrix(a, "matrix_power")
    if n == 0:  # stays on the tape (with a zero gradient) like every other power
        return where(np.zeros(a.shape, dtype=bool), a, np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))
    if n < 0:
        a, n = inv(a), -n
    result, square = None, a
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return result


def multi_dot(arrays, *, out=None):
    """A chain of matrix products in the cheapest order; the first and last may be 1-D.

    >>> import minigrad as mg, numpy as np
    >>> mg.linalg.multi_dot([np.ones(3), np.ones((3, 4)), np.ones((4, 2))]).tolist()
    [12.0, 12.0]
    """
    if out is not None:
        raise TypeError("multi_dot: out= is not supported (the result is a new Tensor)")
    xs = [as_tensor(x) for x in arrays]
    if len(xs) < 2:
        raise ValueError(f"multi_dot: expected at least two arrays, got {len(xs)}")
    first, last = xs[0].ndim == 1, xs[-1].ndim == 1
    if first:
        xs[0] = xs[0].reshape(1, -1)
    if last:
        xs[-1] = xs[-1].reshape(-1, 1)
    for i, x in enumerate(xs):
        if x.ndim != 2:
            raise ValueError(f"multi_dot: array {i} has shape {x.shape}; all but the first and last must be 2-D")
    dims = [xs[0].shape[0]] + [x.shape[1] for x in xs]
    result = _chain(xs, _chain_order(dims), 0, len(xs) - 1)
    if first and last:
        return result.reshape(())
    return result.reshape(-1) if first or last else result


def _chain_order(dims):
    """split[i][j]: where the cheapest product of matrices i..j splits (classic O(n^3) DP)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(xs, split, i, j):
    if i == j:
        return xs[i]
    k = split[i][j]
    return matmul(_chain(xs, split, i, k), _chain(xs, split, k + 1, j))


def tensorinv(a, ind=2):
    """The inverse of `a` seen as a linear map from its first `ind` axes to the rest (numpy's tensorinv).

    >>> import minigrad as mg, numpy as np
    >>> mg.linalg.tensorinv(np.eye(4).reshape(4, 2, 2), ind=1).shape
    (2, 2, 4)
    """
    a = as_tensor(a)
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    rows = int(np.prod(a.shape[:ind]))
    if rows != int(np.prod(a.shape[ind:])):
        raise LinAlgError(f"tensorinv: shape {a.shape} with ind={ind} is not square "
                          f"({rows} != {int(np.prod(a.shape[ind:]))})")
    return inv(a.reshape(rows, -1)).reshape(a.shape[ind:] + a.shape[:ind])


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) == b (numpy's tensorsolve); `axes` are moved to the end of a first.

    >>> import minigrad as mg, numpy as np
    >>> mg.linalg.tensorsolve(2 * np.eye(6).reshape(2, 3, 6), np.ones((2, 3))).tolist()
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    """
    a, b = as_tensor(a), as_tensor(b)
    if axes is not None:
        order = [k for k in range(a.ndim) if k not in [x % a.ndim for x in axes]] + [x % a.ndim for x in axes]
        a = a.transpose(order)
    shape = a.shape[b.ndim:]
    n = int(np.prod(shape))
    if a.size != n * n:
        raise LinAlgError(f"tensorsolve: a of shape {a.shape} is not square for b of shape {b.shape} "
                          f"(prod(a.shape[b.ndim:]) must equal prod(a.shape[:b.ndim]))")
    return solve(a.reshape(n, n), b.reshape(-1)).reshape(shape)


def matrix_rank(a, tol=None, hermitian=False, *, rtol=None):
    """The rank (numpy's matrix_rank): an integer array, not on the tape (it has no gradient).

    >>> import minigrad as mg
    >>> int(mg.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]]))
    1
    """
    a = as_tensor(a)
    kwargs = {} if rtol is None else {"rtol": rtol}
    return np.linalg.matrix_rank(a.data, tol=tol, hermitian=hermitian, **kwargs)

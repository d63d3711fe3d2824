"""Vector and matrix norms: numpy's `norm`, `vector_norm` and `matrix_norm`.

One recorded op, the p-norm (sum |x|^p)^(1/p) for finite p != 0 (2 and 1 included). At x = 0 its
gradient is 0, PyTorch's convention (the 2-norm has no derivative there; 0 is a subgradient). The
other norms are compositions: inf/-inf are max/min of |x| (ties share the gradient), 0 counts
non-zeros (a constant), and the matrix norms reduce |x| or the singular values (2, -2, 'nuc').
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import _wrap, as_tensor, record
from .decomp import svdvals
from .elementwise import abs, sign, where
from .linalg import _matrix, inv
from .reduce import _axes, _expand, _kept_shape, max, min, sum


def _pnorm(x, p, axes, keepdims):
    a = np.abs(x.data)
    if p == 2:
        data = np.sqrt((a * a).sum(axis=axes, keepdims=keepdims))
    elif p == 1:
        data = a.sum(axis=axes, keepdims=keepdims)
    else:
        data = (a ** p).sum(axis=axes, keepdims=keepdims) ** (1.0 / p)
    return record("norm", data, (x,), p=p, axes=axes, keepdims=keepdims)


@rules.register("norm")
def norm_vjp(g, out, x, p, axes, keepdims):
    g = _expand(g, x.shape, axes, keepdims)
    if p == 1:
        return (g * sign(x),)
    n = out.reshape(_kept_shape(x.shape, axes))
    safe = where(n.data == 0, 1.0, n)  # x = 0 there: the gradient is 0
    if p == 2:
        return (g * x / safe,)
    return (g * sign(x) * (abs(x) / safe) ** (p - 1),)


def vector_norm(x, axis=None, keepdims=False, ord=2):
    """The `ord`-norm over `axis` (all axes by default, as one flat vector): numpy's vector_norm.

    >>> import minigrad as mg
    >>> mg.linalg.vector_norm([3.0, -4.0])
    tensor(5.)
    >>> mg.linalg.vector_norm([3.0, -4.0], ord=float("inf"))
    tensor(4.)
    """
    x = as_tensor(x)
    axes = _axes(axis, x.ndim, "vector_norm")
    if isinstance(ord, str):
        raise ValueError(f"vector_norm: invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return max(abs(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return _wrap((x.data != 0).sum(axis=axes, keepdims=keepdims).astype(np.result_type(x.dtype, np.float16)))
    return _pnorm(x, float(ord), axes, keepdims)


def matrix_norm(x, keepdims=False, ord="fro", axis=(-2, -1)):
    """A matrix norm over two axes (the last two by default): 'fro', 'nuc', 1, -1, 2, -2, inf, -inf.

    >>> import minigrad as mg
    >>> round(float(mg.linalg.matrix_norm([[3.0, 0.0], [0.0, 4.0]], ord="nuc")), 6)
    7.0
    >>> mg.linalg.matrix_norm([[1.0, -2.0], [3.0, 4.0]], ord=1)
    tensor(6.)
    """
    x = as_tensor(x)
    row, col = _axes(axis[0], x.ndim, "matrix_norm")[0], _axes(axis[1], x.ndim, "matrix_norm")[0]
    if len(axis) != 2 or row == col:
        raise ValueError(f"matrix_norm: axis must be two different axes, got {axis}")
    if ord in ("fro", None):
        result = _pnorm(x, 2.0, tuple(sorted((row, col))), False)
    elif ord in ("nuc", 2, -2):
        rest = [i for i in range(x.ndim) if i not in (row, col)]
        s = svdvals(x.transpose(rest + [row, col]))
        result = s.sum(axis=-1) if ord == "nuc" else (max if ord == 2 else min)(s, axis=-1)
    elif ord in (1, -1, np.inf, -np.inf):
        summed, reduced = (row, col) if ord in (1, -1) else (col, row)
        pick = max if ord in (1, np.inf) else min
        result = pick(sum(abs(x), axis=summed), axis=reduced - (reduced > summed))
    else:
        raise ValueError(f"matrix_norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        result = result.reshape(_kept_shape(x.shape, (row, col)))
    return result


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: a vector norm (1-D input or an int axis) or a matrix norm (2-D or an axis pair).

    >>> import minigrad as mg
    >>> mg.linalg.norm([[1.0, 2.0], [2.0, 4.0]])
    tensor(5.)
    >>> [round(v, 4) for v in mg.linalg.norm([[3.0, 4.0], [6.0, 8.0]], ord=1, axis=1).tolist()]
    [7.0, 14.0]
    """
    x = as_tensor(x)
    if axis is None:
        if ord is None or (ord == 2 and x.ndim == 1):
            return _pnorm(x, 2.0, tuple(range(x.ndim)), keepdims)
        if x.ndim == 1:
            return vector_norm(x, None, keepdims, ord)
        if x.ndim == 2:
            return matrix_norm(x, keepdims, ord)
        raise ValueError(f"norm: ord={ord!r} needs a 1-D or 2-D input or an axis, got shape {x.shape}")
    if isinstance(axis, (int, np.integer)) or len(axis) == 1:
        return vector_norm(x, axis, keepdims, 2 if ord is None else ord)
    if len(axis) == 2:
        return matrix_norm(x, keepdims, ord, axis)
    raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis}")


def cond(x, p=None):
    """The condition number in norm `p` (numpy's cond): s_max / s_min for None, 2 (and its inverse
    for -2), else norm(x, p) * norm(inv(x), p).

    >>> import minigrad as mg
    >>> round(float(mg.linalg.cond([[2.0, 0.0], [0.0, 0.5]])), 6)
    4.0
    """
    x = _matrix(x, "cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(x)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    return matrix_norm(x, ord=p) * matrix_norm(inv(x), ord=p)


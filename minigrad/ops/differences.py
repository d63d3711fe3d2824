"""Finite differences of a tensor's values: diff and gradient (numpy's `np.gradient`).

Both are linear in the input and composed of slices, concatenation and products with constant
coefficients, so their gradients are exact to any order. Formulas and results are numpy's.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap, as_tensor
from .elementwise import astype
from .reduce import broadcast_to
from .reorder import _along, _axes, _axis
from .shape import concatenate

_NO_VALUE = object()


def _side(value, like, axis):
    """A prepend/append value as a tensor; a scalar is broadcast to one slice along `axis`.
    (numpy's dtype rules: a Python float prepended to float32 gives float64.)"""
    value = as_tensor(value)
    return broadcast_to(value, like.shape[:axis] + (1,) + like.shape[axis + 1:]) if value.ndim == 0 else value


def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """The n-th discrete difference along `axis`, `a[1:] - a[:-1]` repeated n times (numpy's `diff`).

    `prepend`/`append` are joined to `a` along `axis` first (a scalar fills one slice).

    >>> diff(as_tensor([1.0, 4.0, 9.0, 16.0]))
    tensor([3., 5., 7.])
    >>> diff(as_tensor([1.0, 4.0, 9.0, 16.0]), n=2)
    tensor([2., 2.])
    """
    a = as_tensor(a)
    if int(n) != n or n < 0:
        raise ValueError(f"diff: order n must be a non-negative integer, got {n!r}")
    if a.ndim == 0:
        raise ValueError("diff: the input must be at least 1-D, got a 0-d tensor")
    axis = _axis(axis, a.ndim, "diff")
    if n == 0:  # numpy returns the input itself, prepend/append ignored
        return a
    parts = ([] if prepend is _NO_VALUE else [_side(prepend, a, axis)]) + [a] + \
            ([] if append is _NO_VALUE else [_side(append, a, axis)])
    if len(parts) > 1:
        a = concatenate(parts, axis=axis)
    if a.dtype == bool:  # numpy: differences of booleans are `!=`, which has no gradient
        return _wrap(np.diff(a.data, n=int(n), axis=axis))
    for _ in range(int(n)):
        a = _along(a, axis, slice(1, None)) - _along(a, axis, slice(None, -1))
    return a


def _spacings(varargs, f, axes):
    """Per axis: a scalar spacing or the array of differences of the coordinates (numpy's rules)."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [varargs[0]] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(f"gradient: {len(varargs)} spacings for {len(axes)} axes; give one per axis or one scalar")
    out = []
    for ax, given in zip(axes, varargs):
        d = np.asarray(given.data if isinstance(given, Tensor) else given)
        if d.ndim == 0:
            out.append(given if not isinstance(given, Tensor) else d[()])  # a Python float stays weakly typed
            continue
        if d.ndim != 1:
            raise ValueError(f"gradient: spacing for axis {ax} must be a scalar or 1-D coordinates, got shape {d.shape}")
        if len(d) != f.shape[ax]:
            raise ValueError(f"gradient: {len(d)} coordinates for axis {ax} of length {f.shape[ax]}; they must match")
        dx = np.diff(d.astype(np.float64) if d.dtype.kind in "iu" else d)
        out.append(dx[0] if (dx == dx[0]).all() else dx)
    return out


def _one_axis(f, axis, dx, edge_order):
    """np.gradient of `f` along one axis with spacing `dx` (scalar or per-interval array)."""
    part = lambda s: _along(f, axis, s)  # noqa: E731
    col = lambda c: c if np.ndim(c) == 0 else c.reshape((-1,) + (1,) * (f.ndim - axis - 1))  # noqa: E731
    if np.ndim(dx) == 0:
        mid = (part(slice(2, None)) - part(slice(None, -2))) / (2.0 * dx)
    else:
        dx1, dx2 = dx[:-1], dx[1:]
        a, b, c = -dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2), dx1 / (dx2 * (dx1 + dx2))
        mid = part(slice(None, -2)) * col(a) + part(slice(1, -1)) * col(b) + part(slice(2, None)) * col(c)
    uniform = np.ndim(dx) == 0
    if edge_order == 1:
        first = (part(slice(1, 2)) - part(slice(0, 1))) / (dx if uniform else dx[0])
        last = (part(slice(-1, None)) - part(slice(-2, -1))) / (dx if uniform else dx[-1])
    else:
        if uniform:
            a, b, c = -1.5 / dx, 2.0 / dx, -0.5 / dx
        else:
            dx1, dx2 = dx[0], dx[1]
            a, b, c = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2)), (dx1 + dx2) / (dx1 * dx2), -dx1 / (dx2 * (dx1 + dx2))
        first = part(slice(0, 1)) * a + part(slice(1, 2)) * b + part(slice(2, 3)) * c
        if uniform:
            a, b, c = 0.5 / dx, -2.0 / dx, 1.5 / dx
        else:
            dx1, dx2 = dx[-2], dx[-1]
            a, b, c = dx2 / (dx1 * (dx1 + dx2)), -(dx2 + dx1) / (dx1 * dx2), (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
        last = part(slice(-3, -2)) * a + part(slice(-2, -1)) * b + part(slice(-1, None)) * c
    return concatenate([first, mid, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """numpy's `gradient`: central differences inside, one-sided (first or second order) at the
    edges, along each axis; spacings as numpy (none, one scalar, or a scalar or coordinates per axis).

    Returns one tensor for one axis, else a tuple (numpy's convention). Integer input gives float64.

    >>> gradient(as_tensor([1.0, 2.0, 4.0, 7.0]))
    tensor([1. , 1.5, 2.5, 3. ])
    >>> [g.shape for g in gradient(as_tensor(np.ones((2, 3))))]
    [(2, 3), (2, 3)]
    """
    f = as_tensor(f)
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    axes = tuple(range(f.ndim)) if axis is None else _axes(axis, f.ndim, "gradient")
    otype = f.dtype if f.dtype.kind in "fc" else np.dtype(np.float64)
    if f.dtype.kind not in "fc":
        f = astype(f, np.float64)
    out = []
    for ax, dx in zip(axes, _spacings(varargs, f, axes)):
        if f.shape[ax] < edge_order + 1:
            raise ValueError(f"gradient: axis {ax} has {f.shape[ax]} elements; edge_order={edge_order} "
                             f"needs at least {edge_order + 1}")
        out.append(astype(_one_axis(f, ax, dx, edge_order), otype))
    return out[0] if len(out) == 1 else tuple(out)

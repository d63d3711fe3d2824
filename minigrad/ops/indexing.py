"""Indexing beyond `x[key]`: take, take_along_axis, put_along_axis, add_at, diag, diagonal, trace,
tril, triu, select, piecewise.

All are composed of recorded ops with exact rules: a gather is a `getitem` (its rule scatter-adds,
so repeated indices accumulate their gradients), a scatter is `scatter_add` or `index_update`,
a mask is `where`. Signatures and results are numpy's; the numpy functions that write in place
(`np.put_along_axis`, `np.add.at`, `np.put`) have functional versions here that return a new
tensor: `put_along_axis` and `add_at`.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import Tensor, _wrap, as_tensor, record
from .elementwise import astype, where
from .inplace import index_update
from .reduce import broadcast_to
from .reorder import _axis, moveaxis, ravel
from .shape import _key, getitem, scatter_add
from .sorting import _line_key


def _indices(indices, op):
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            return idx.astype(np.intp)
        raise IndexError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    return idx


def _no_out(out, op):
    if out is not None:
        raise TypeError(f"{op}: out= is not supported (ops return new tensors; assign the result instead)")


def take(a, indices, axis=None, out=None, mode="raise"):
    """Elements of `a` at `indices` along `axis` (None: of the flattened tensor), as numpy's `take`.

    `mode` 'raise' (negative indices count from the end), 'wrap' or 'clip'. Repeated indices
    accumulate their gradients.

    >>> take(as_tensor([[1, 2], [3, 4]]), [1, 1, 0], axis=1)
    tensor([[2, 2, 1],
            [4, 4, 3]])
    """
    _no_out(out, "take")
    a = as_tensor(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim, "take")
    idx, n = _indices(indices, "take"), a.shape[axis]
    if mode == "wrap":
        idx = idx % n if n else idx
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    elif idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take: index {int(idx.min() if idx.min() < -n else idx.max())} is out of bounds "
                         f"for axis {axis} with size {n}")
    return getitem(a, (slice(None),) * axis + (idx,))


def _along_key(arr, indices, axis, op):
    if axis is None:
        if indices.ndim != 1:
            raise ValueError(f"{op}: with axis=None, indices must be 1-D, got shape {indices.shape}")
        return ravel(arr), _line_key((arr.size,), 0, indices)
    axis = _axis(axis, arr.ndim, op)
    if indices.ndim != arr.ndim:
        raise ValueError(f"{op}: indices (shape {indices.shape}) and arr (shape {arr.shape}) must have the "
                         f"same number of dimensions")
    try:
        np.broadcast_shapes(indices.shape[:axis] + indices.shape[axis + 1:], arr.shape[:axis] + arr.shape[axis + 1:])
    except ValueError:
        raise ValueError(f"{op}: indices of shape {indices.shape} do not broadcast against arr of shape "
                         f"{arr.shape} outside axis {axis}") from None
    n = arr.shape[axis]
    if indices.size and (indices.min() < -n or indices.max() >= n):
        raise IndexError(f"{op}: an index is out of bounds for axis {axis} with size {n}")
    return arr, _line_key(arr.shape, axis, indices)


def take_along_axis(arr, indices, axis=-1):
    """numpy's `take_along_axis`: pick one element per index along `axis` (e.g. with argsort's output).

    Repeated indices accumulate their gradients.

    >>> x = as_tensor([[10.0, 30.0, 20.0]])
    >>> take_along_axis(x, np.array([[2, 0, 0]]), axis=1)
    tensor([[20., 10., 10.]])
    """
    arr = as_tensor(arr)
    arr, key = _along_key(arr, _indices(indices, "take_along_axis"), axis, "take_along_axis")
    return getitem(arr, key)


def put_along_axis(arr, indices, values, axis):
    """numpy's `put_along_axis`, out of place: a new tensor with `values` written at `indices`.

    (numpy's writes into `arr` and returns None; here `arr` is left alone.) Each index along the
    axis may appear once per line: a repeated index would leave which value wins (numpy keeps the
    last) ambiguous to differentiate; `add_at` sums instead.

    >>> put_along_axis(as_tensor([[1.0, 2.0, 3.0]]), np.array([[0, 2]]), 0.0, axis=1)
    tensor([[0., 2., 0.]])
    """
    arr = as_tensor(arr)
    shape = arr.shape
    flat, key = _along_key(arr, _indices(indices, "put_along_axis"), axis, "put_along_axis")
    probe = np.zeros(flat.shape, dtype=np.int64)
    np.add.at(probe, key, 1)
    if (probe > 1).any():
        raise ValueError("put_along_axis: repeated indices along the axis are ambiguous to differentiate "
                         "(numpy keeps the last write); use unique indices, or mg.add_at to sum")
    values = as_tensor(values, like=arr)
    target = np.broadcast_shapes(*(np.shape(k) for k in key))
    try:
        values = broadcast_to(values, target)
    except ValueError:
        raise ValueError(f"put_along_axis: values of shape {values.shape} do not broadcast to the indexed "
                         f"shape {target}") from None
    return index_update(flat, key, values).reshape(shape) if axis is None else index_update(flat, key, values)


def add_at(a, indices, values):
    """numpy's `np.add.at(a, indices, values)`, out of place: `a` plus `values` summed in at `indices`.

    `indices` is any key `a[indices]` accepts; repeated indices add up (unlike `a[idx] += v`).
    A recorded op: the forward is numpy's own `add.at` (the same rounding), the rule passes g to
    `a` and gathers g[indices] for `values`.

    >>> add_at(as_tensor([0.0, 0.0, 0.0]), np.array([0, 2, 0]), 1.0)
    tensor([2., 0., 1.])
    """
    a = as_tensor(a)
    key = _key(indices)
    values = as_tensor(values, like=a)
    data = a.data.copy()
    try:
        target = a.data[key].shape
        np.broadcast_to(values.data, target)
        np.add.at(data, key, values.data)
    except IndexError as e:
        raise IndexError(f"add_at: indices {key!r} are invalid for a tensor of shape {a.shape}: {e}") from None
    except ValueError:
        raise ValueError(f"add_at: values of shape {values.shape} do not broadcast to the indexed shape "
                         f"{a.data[key].shape}") from None
    return record("add_at", data, (a, values), key=key)


@rules.register("add_at", shape_only=True)
def add_at_vjp(g, out, a, values, key):
    return g, (getitem(g, key) if values.requires_grad else None)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) planes, as the last axis (numpy's `diagonal`).

    >>> diagonal(as_tensor([[1, 2], [3, 4]]))
    tensor([1, 4])
    """
    a = as_tensor(a)
    if a.ndim < 2:
        raise ValueError(f"diagonal: the tensor must be at least 2-D, got shape {a.shape}")
    ax1, ax2 = _axis(axis1, a.ndim, "diagonal", "axis1"), _axis(axis2, a.ndim, "diagonal", "axis2")
    if ax1 == ax2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same axis ({axis1}, {axis2})")
    x = moveaxis(a, (ax1, ax2), (-2, -1))
    offset = int(offset)
    n1, n2 = x.shape[-2:]
    count = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    i = np.arange(count)
    return getitem(x, (Ellipsis, i + max(-offset, 0), i + max(offset, 0)))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along the diagonal (numpy's `trace`), batched over the other axes.

    >>> trace(as_tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(5.)
    """
    _no_out(out, "trace")
    total = diagonal(a, offset, axis1, axis2).sum(axis=-1)
    return total if dtype is None else astype(total, dtype)


def diag(v, k=0):
    """numpy's `diag`: a 1-D input becomes a square matrix with it on the k-th diagonal, a 2-D
    input gives its k-th diagonal.

    >>> diag(as_tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    v = as_tensor(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag: the input must be 1-D or 2-D, got shape {v.shape}")
    n, k = v.shape[0] + abs(int(k)), int(k)
    i = np.arange(v.shape[0])
    return scatter_add(v, (i + max(-k, 0), i + max(k, 0)), (n, n))


def _triangle(op, m, keep):
    m = as_tensor(m)
    if m.ndim < 1:
        raise ValueError(f"{op}: the input must be at least 1-D, got a 0-d tensor")
    return where(keep(m.shape[-2:]), m, np.zeros((), dtype=m.dtype))


def tril(m, k=0):
    """Lower triangle of the last two axes: zeros above the k-th diagonal (numpy's `tril`).

    >>> tril(as_tensor([[1, 2], [3, 4]]))
    tensor([[1, 0],
            [3, 4]])
    """
    return _triangle("tril", m, lambda s: np.tri(*s, k=k, dtype=bool))


def triu(m, k=0):
    """Upper triangle of the last two axes: zeros below the k-th diagonal (numpy's `triu`).

    >>> triu(as_tensor([[1, 2], [3, 4]]))
    tensor([[1, 2],
            [0, 4]])
    """
    return _triangle("triu", m, lambda s: ~np.tri(*s, k=k - 1, dtype=bool))


def _cond(c, op, i):
    c = np.asarray(c.data if isinstance(c, Tensor) else c)
    if c.dtype != bool:
        raise TypeError(f"{op}: condition {i} must be boolean, got dtype {c.dtype}")
    return c


def select(condlist, choicelist, default=0):
    """numpy's `select`: from each choice where its condition holds (the first one that does),
    `default` where none does.

    >>> x = as_tensor([-2.0, 0.5, 3.0])
    >>> select([x.data < 0, x.data > 1], [-x, x * 10], default=x)
    tensor([ 2. ,  0.5, 30. ])
    """
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions but {len(choicelist)} choices; they must match")
    if not condlist:
        raise ValueError("select: needs at least one condition")
    out = default
    for i in reversed(range(len(condlist))):
        out = where(_cond(condlist[i], "select", i), choicelist[i], out)
    return out


def piecewise(x, condlist, funclist, *args, **kw):
    """numpy's `piecewise`: `funclist[k]` applied to `x[condlist[k]]` (a later condition wins), zero
    where none holds; one extra function is the "otherwise" piece. A constant instead of a
    function fills its piece. Each function sees only its own elements (numpy's semantics), so
    a function undefined elsewhere (log, sqrt) gives no nan, in the value or the gradient.

    >>> x = as_tensor([-1.0, 4.0])
    >>> piecewise(x, [x.data < 0, x.data >= 0], [lambda t: -t, lambda t: t ** 0.5])
    tensor([1., 2.])
    """
    x = as_tensor(x)
    if np.isscalar(condlist) or (not isinstance(condlist[0], (list, np.ndarray, Tensor)) and x.ndim != 0):
        condlist = [condlist]  # numpy's rule for a single condition
    conds = [np.broadcast_to(_cond(c, "piecewise", i), x.shape) for i, c in enumerate(condlist)]
    n = len(conds)
    if len(funclist) == n + 1:
        conds.append(~np.any(conds, axis=0) if n else np.ones(x.shape, dtype=bool))
    elif len(funclist) != n:
        raise ValueError(f"piecewise: {len(funclist)} functions for {n} conditions; give {n} or {n + 1}")
    flat, shape = (x.reshape(1), x.shape) if x.ndim == 0 else (x, x.shape)
    out = _wrap(np.zeros(flat.shape, dtype=x.dtype))
    taken = np.zeros(flat.shape, dtype=bool)
    for cond, f in reversed(list(zip(conds, funclist))):  # later conditions win
        mask = cond.reshape(flat.shape) & ~taken
        taken |= mask
        if not mask.any():
            continue
        piece = f(getitem(flat, mask), *args, **kw) if callable(f) else f
        piece = broadcast_to(as_tensor(piece, like=x), (int(mask.sum()),))
        out = out + scatter_add(astype(piece, x.dtype), mask, flat.shape)
    return out.reshape(shape)

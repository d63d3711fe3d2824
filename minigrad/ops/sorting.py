"""Sorting: sort and partition (differentiable values), argsort and argpartition (no gradient).

sort and partition are recorded ops: the forward gathers x with the permutation `idx` that
numpy's argsort/argpartition finds, and the rule scatters the gradient back through it (a gather
with the inverse permutation), written with getitem/scatter_add so it differentiates again.

Ties. Where several inputs are equal, the sorted values do not depend smoothly on which of them
lands where. The rule then gives each tied input the *mean* of the upstream gradient over the
output positions the tied group occupies: the convention of `mg.max`/`mg.min` (ties share
equally), so `sort(x)[-1]` and `max(x)` have the same gradient, and the one that matches central
differences for a pair of equal values. Without ties the gradient is the plain permutation.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import _wrap, as_tensor, is_grad_enabled, record
from .reorder import _axis, ravel
from .shape import getitem, scatter_add


def _line_key(shape, axis, index):
    """The advanced-index key that picks `index` along `axis`, every other axis in order
    (x[key] == np.take_along_axis(x, index, axis))."""
    key = []
    for i, n in enumerate(shape):
        if i == axis:
            key.append(index)
        else:
            key.append(np.arange(n).reshape((1,) * i + (n,) + (1,) * (len(shape) - i - 1)))
    return tuple(key)


def _tie_groups(vals, axis, is_sorted):
    """(key, count) that average a gradient over equal values along `axis`, or None if no ties.

    `key` picks, for every position, the slot of its group (the position of the group's first
    member in sorted order); `count` is the size of its group.
    """
    v = np.moveaxis(vals, axis, -1)
    n = v.shape[-1]
    order = np.broadcast_to(np.arange(n), v.shape) if is_sorted else np.argsort(v, axis=-1, kind="stable")
    sv = np.take_along_axis(v, order, -1)
    new = np.ones(v.shape, dtype=bool)
    new[..., 1:] = sv[..., 1:] != sv[..., :-1]
    if new.all():
        return None
    first = np.maximum.accumulate(np.where(new, np.arange(n), 0), axis=-1)  # in sorted order
    group = np.cumsum(new, axis=-1)
    lines = np.arange(v.size // max(n, 1)).reshape(v.shape[:-1] + (1,)) * (n + 1)
    count = np.bincount((group + lines).ravel())[(group + lines).ravel()].reshape(v.shape)
    slot, size = np.empty_like(order), np.empty(v.shape, dtype=np.int64)
    np.put_along_axis(slot, order, np.take_along_axis(order, first, -1), -1)  # back to output positions
    np.put_along_axis(size, order, count, -1)
    slot, size = np.moveaxis(slot, -1, axis), np.moveaxis(size, -1, axis)
    return _line_key(vals.shape, axis, slot), size


def _permute(op, x, idx, axis, is_sorted):
    data = np.take_along_axis(x.data, idx, axis)
    ties = None
    if x.requires_grad and is_grad_enabled() and data.size:
        ties = _tie_groups(data, axis, is_sorted)
    return record(op, data, (x,), idx=idx, axis=axis, ties=ties)


def _sort_like(op, finder):
    """The forward of sort/partition: axis=None sorts the flattened tensor, as numpy."""
    def forward(a, axis, **kw):
        a = as_tensor(a)
        if axis is None:
            a, axis = ravel(a), 0
        axis = _axis(axis, a.ndim, op)
        return _permute(op, a, finder(a.data, axis, **kw), axis, op == "sort")
    return forward


def sort(a, axis=-1, kind=None, order=None, stable=None):
    """Sorted copy of `a` along `axis` (None: flattened), as numpy; differentiable in the values.

    `kind`/`stable` are accepted (the result is the same for every algorithm); `order` (fields of
    structured arrays) is not supported. Ties share the gradient equally (see the module docs).

    >>> x = as_tensor([3.0, 1.0, 2.0])
    >>> sort(x)
    tensor([1., 2., 3.])
    """
    if order is not None:
        raise TypeError("sort: `order` (structured arrays) is not supported")
    return _sort(a, axis)


# numpy's default (SIMD) algorithm: the order among equal values is irrelevant, ties share the gradient
_sort = _sort_like("sort", lambda x, axis: np.argsort(x, axis=axis))


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """numpy's `partition`: the k-th value in its sorted place, smaller ones before, larger after.

    Differentiable in the values (through the permutation numpy's argpartition finds); ties share
    the gradient equally, as for `sort`.

    >>> partition(as_tensor([3.0, 4.0, 1.0, 2.0]), 1)[1]
    tensor(2.)
    """
    if order is not None:
        raise TypeError("partition: `order` (structured arrays) is not supported")
    return _partition(a, axis, kth=kth)


def _argpartition_checked(x, axis, kth):
    try:
        return np.argpartition(x, kth, axis=axis)
    except ValueError as e:
        raise ValueError(f"partition: kth={kth!r} along axis {axis} of shape {x.shape}: {e}") from None


_partition = _sort_like("partition", _argpartition_checked)


def _permute_vjp(g, out, x, idx, axis, ties):
    if ties is not None:
        key, size = ties
        g = getitem(scatter_add(g, key, g.shape), key) / _wrap(size.astype(g.dtype))
    inverse = np.empty_like(idx)  # the inverse permutation, in O(n) instead of a second sort
    np.put_along_axis(inverse, idx, np.arange(idx.shape[axis]).reshape((-1,) + (1,) * (idx.ndim - axis - 1)), axis)
    return (getitem(g, _line_key(g.shape, axis, inverse)),)


rules.register("sort", _permute_vjp, shape_only=True)
rules.register("partition", _permute_vjp, shape_only=True)


def argsort(a, axis=-1, kind=None, order=None, stable=None):
    """Indices that sort `a` along `axis`: a plain ndarray (indices have no gradient).

    >>> argsort(as_tensor([3.0, 1.0, 2.0]))
    array([1, 2, 0])
    """
    data = as_tensor(a).data
    return np.argsort(data, axis=axis, kind=kind, order=order, stable=stable)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Indices that partition `a` (numpy's `argpartition`): a plain ndarray, no gradient.

    >>> int(argpartition(as_tensor([3.0, 4.0, 1.0, 2.0]), 1)[1])
    3
    """
    return np.argpartition(as_tensor(a).data, kth, axis=axis, kind=kind, order=order)

"""In-place changes (`x += y`, `x[idx] = v`) that can never corrupt a gradient.

Outside any graph (nothing requires grad, or under no_grad) the array is changed in place, through
views as numpy does, and the tensor's version is bumped: a node that saved the old value then
refuses to backprop (engine's version check). Inside a graph the change is recorded instead: the
old value lives on in an alias that keeps its place on the tape, and the tensor takes the new value
and a new node, so backward is exact. Views follow numpy inside a graph too, as in PyTorch: a change
through a view is recorded on the tensor that owns the memory (`base[where v lies] = new value`),
and every live view that shows changed elements is rebased onto the owner's new history.
Refused: changing a leaf that requires grad (its `.grad` would no longer mean anything), a detached
tensor (it shares memory but not history) or a read-only broadcast view, inside a graph.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import rules
from ..tensor import Node, Tensor, _live_views, _owner, _wrap, is_grad_enabled, record
from .elementwise import add, div, mul, sub
from .shape import _is_basic, _key


def _tracked(*ts):
    return is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in ts)


def _check_leaf(x, what):
    if x.requires_grad and x._node is None and is_grad_enabled():
        raise RuntimeError(f"{what} on a leaf tensor that requires grad (shape {x.shape}): wrap it in "
                           f"`with mg.no_grad():` (as an optimizer step does) or use an out-of-place op")


def _region(x, key):
    """The elements `x[key] = ...` writes, as a view of x's memory (None: not known, any may be)."""
    if not _is_basic(key):
        return None
    key = key if isinstance(key, tuple) else (key,)
    return x.data[key if any(k is Ellipsis for k in key) else key + (Ellipsis,)]  # a view, even of one element


def _rebase(x, new, what, region=None, aliases=None):
    """Give `x` the value and tape position of `new`; an alias keeps x's old identity on the tape.

    When views of x are alive, the new value is written into the memory they share (the alias keeps
    a copy of the old value), and each view that shows changed elements (`region`; None: any) is
    rebased too: its history becomes "x, as changed, viewed as before", as PyTorch does.
    """
    if new.shape != x.shape:
        raise ValueError(f"{what}: the result has shape {new.shape} but the tensor has shape {x.shape}; "
                         f"an in-place change cannot change the shape")
    op_node = new._node  # the op that read x: it is the one to read x's old value (the alias)
    if new.dtype != x.dtype:  # numpy keeps the destination's dtype in place (a cast appended after the op)
        new = new.astype(x.dtype)
    views = _live_views(x)
    # written into x's own memory when views share it, or to keep x's layout (as numpy's in-place ops do:
    # whether a later reshape of x is a view or a copy must not depend on grad mode)
    write_back = bool(views) or (new.data.strides != x.data.strides and x.data.flags.writeable)
    old = _wrap(x.data.copy() if write_back else x.data)
    old.requires_grad, old._node = x.requires_grad, x._node
    old._count, old._changed = x._count, x._changed  # the value as it was: the alias is no change
    bumped = x._version + 1  # earlier nodes that saved x itself must see that it changed
    op_node.inputs = tuple(old if t is x else t for t in op_node.inputs)
    new._node.prev = old  # nodes recorded before this change still mean the old value
    if write_back:
        x.data[...] = new.data
    else:
        x.data = new.data
    x._node, x.requires_grad, x._version = new._node, new.requires_grad, bumped
    for v in views:
        if region is None or np.shares_memory(v.data, region):
            old_v = aliases.get(id(v)) if aliases else None
            _rebase_view(v, x, _alias(v) if old_v is None else old_v)
    return x


def _alias(v, copy=False):
    """A tensor that takes over v's place on the tape (its node and history) before v changes."""
    old = _wrap(v.data.copy() if copy else v.data)
    old.requires_grad, old._node = v.requires_grad, v._node
    if not copy:  # sharing v's memory, it shares its version counter too
        old._count, old._changed, old._base = v._count, v._changed, v._base
    return old


def _rebase_view(v, owner, old):
    """`v` shows elements of `owner` that just changed: from now on it is owner[where v lies]."""
    node = Node("getitem", (owner,), {"key": _positions(v, owner)})
    node.prev = old  # nodes recorded before the change still mean the view's old history
    v._node, v.requires_grad = node, owner.requires_grad


def _through_view(x, key, value, what):
    """`x[key] = value` (key None: all of x) where x views another tensor's memory, recorded on that
    tensor, the base: base[where x[key] lies] = value; x and the base's other views are rebased.
    When `value` was computed from x (`x += w`), its node gets a copy of x's old value instead."""
    base = x._base
    aliases = None
    if key is None and value._node is not None and any(t is x for t in value._node.inputs):
        old = _alias(x, copy=True)
        node = value._node
        node.inputs = tuple(old if t is x else t for t in node.inputs)
        aliases = {id(x): old}
    if not any(r() is x for r in base._views or ()):
        raise RuntimeError(f"{what} inside a graph on a detached tensor (shape {x.shape}): it shares memory "
                           f"with a tensor in the graph but not its history; copy it first or use no_grad")
    _check_leaf(base, f"{what} through a view")
    if not x.data.flags.writeable:
        raise ValueError(f"{what}: the tensor (shape {x.shape}) is a read-only view (broadcast_to): "
                         f"its elements share memory")
    at = _positions(x, base)
    if key is not None and base.ndim == 0:  # x is base's one element (shape (1, ..., 1)): x[key] is it or nothing
        n = np.zeros(x.shape)[key].size
        if n > 1:
            raise ValueError("x[idx] = v with repeated indices is ambiguous to differentiate (numpy keeps "
                             "the last write); use unique indices or mg.scatter_add")
        at = (None,) * np.zeros(x.shape)[key].ndim if n else None
    elif key is not None:
        at = tuple(p[key] for p in at)
    if at is None or x.size == 0:  # nothing is written
        return x
    _rebase(base, index_update(base, at, value), what, x.data if key is None else _region(x, key), aliases)
    return x


def _positions(view, owner):
    """Where the elements of `view` lie in `owner`, as an index (owner[index] has view's values),
    found from memory addresses: right for any chain of slices, reshapes and transposes."""
    a, b = view.data, owner.data
    if b.ndim == 0:  # a (writeable) view of a 0-d tensor is its one element, shaped (1, ..., 1)
        return (None,) * a.ndim
    if a.dtype.itemsize != b.dtype.itemsize:
        raise RuntimeError(f"a view of dtype {a.dtype} of a {b.dtype} tensor cannot be changed in place "
                           f"inside a graph")
    lo = min(_extent(a)[0], _extent(b)[0])
    slots = np.full((max(_extent(a)[1], _extent(b)[1]) - lo) // b.itemsize + 1, -1, dtype=np.intp)
    _laid_out(slots, b, lo)[...] = np.arange(b.size).reshape(b.shape)
    return np.unravel_index(_laid_out(slots, a, lo), b.shape)


def _extent(arr):
    """First and last byte address of the elements of `arr`."""
    ptr = arr.__array_interface__["data"][0]
    lo = hi = ptr
    for s, n in zip(arr.strides, arr.shape):
        if n > 1:
            lo, hi = (lo + s * (n - 1), hi) if s < 0 else (lo, hi + s * (n - 1))
    return lo, hi


def _laid_out(slots, arr, lo):
    """`slots` (one per element-sized memory cell from address lo) seen with arr's shape and strides."""
    item = arr.itemsize
    offset = arr.__array_interface__["data"][0] - lo
    if offset % item or any(s % item for s in arr.strides):
        raise RuntimeError("a view whose strides are not whole elements cannot be changed in place in a graph")
    return as_strided(slots[offset // item:], arr.shape, tuple(s // item * slots.itemsize for s in arr.strides))


def _inplace(op, ufunc, symbol):
    def method(x, other):
        _check_leaf(x, f"in-place {symbol}")
        if _tracked(x, other):
            new = op(x, other)
            if x._base is not None:
                if new.shape != x.shape:
                    raise ValueError(f"in-place {symbol}: the result has shape {new.shape} but the tensor "
                                     f"has shape {x.shape}; an in-place change cannot change the shape")
                return _through_view(x, None, new, f"in-place {symbol}")
            return _rebase(x, new, f"in-place {symbol}")
        value = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(x.data, value, out=x.data)
        except (TypeError, np.exceptions.DTypePromotionError) as e:
            raise TypeError(f"in-place {symbol} cannot store a result in a {x.dtype} tensor: {e}") from None
        except ValueError as e:
            if np.broadcast_shapes(x.shape, np.shape(value)) == x.shape:
                raise ValueError(f"in-place {symbol}: {e}") from None  # a read-only tensor, say
            raise ValueError(f"in-place {symbol}: operand of shape {np.shape(value)} does not broadcast "
                             f"to the tensor's shape {x.shape}") from None
        _owner(x)._version += 1
        if x._base is not None:
            x._version += 1
        return x
    method.__name__ = f"__i{ufunc.__name__}__"
    return method


iadd = _inplace(add, np.add, "+=")
isub = _inplace(sub, np.subtract, "-=")
imul = _inplace(mul, np.multiply, "*=")
itruediv = _inplace(div, np.true_divide, "/=")


def setitem(x, key, value):
    key = _key(key)
    _check_leaf(x, "item assignment")
    if _tracked(x, value):
        value = value if isinstance(value, Tensor) else _wrap(np.asarray(value, dtype=x.dtype))
        if x._base is not None:
            return _through_view(x, key, value, "item assignment")
        return _rebase(x, index_update(x, key, value), "item assignment", _region(x, key))
    value = value.data if isinstance(value, Tensor) else value
    if isinstance(value, np.ndarray) and np.may_share_memory(x.data, value):
        # read before writing, as the recorded path (index_update) does: numpy copies an overlapping
        # value for slices but not always for an index array through a strided view, where it writes
        # element by element and later elements read values it has just written
        value = value.copy()
    try:
        x.data[key] = value
    except (ValueError, IndexError) as e:
        raise type(e)(f"x[{key!r}] = value of shape {np.shape(value)} on a tensor of shape {x.shape}: {e}") from None
    _owner(x)._version += 1
    if x._base is not None:
        x._version += 1


def index_update(x, key, value):
    """`x` with `x[key]` replaced by `value`, out of place (what `x[key] = value` records).

    Gradients flow to `x` outside `key` and to `value` inside it; `x` itself is unchanged.

        >>> x = mg.tensor([1.0, 2.0, 3.0])
        >>> mg.index_update(x, 1, mg.tensor(9.0)), x
        (tensor([1., 9., 3.]), tensor([1., 2., 3.]))
    """
    key = _key(key)
    if not _is_basic(key) and not (isinstance(key, np.ndarray) and key.dtype == bool):
        probe = np.zeros(x.shape, dtype=np.int64)
        np.add.at(probe, key, 1)
        if (probe > 1).any():
            raise ValueError("x[idx] = v with repeated indices is ambiguous to differentiate (numpy keeps "
                             "the last write); use unique indices or mg.scatter_add")
    data = x.data.copy()
    try:
        data[key] = value.data
    except (ValueError, IndexError) as e:
        raise type(e)(f"x[{key!r}] = value of shape {value.shape} on a tensor of shape {x.shape}: {e}") from None
    return record("index_update", data, (x, value), key=key)


@rules.register("index_update", shape_only=True)
def index_update_vjp(g, out, x, value, key):
    hit = np.zeros(x.shape, dtype=bool)
    hit[key] = True
    gx = g * _wrap(~hit) if x.requires_grad else None
    gv = g[key] if value.requires_grad else None
    return gx, gv

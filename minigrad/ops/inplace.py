"""In-place changes (`x += y`, `x[idx] = v`) that can never corrupt a gradient.

Outside any graph (nothing requires grad, or under no_grad) the array is changed in place and the
tensor's version is bumped: a node that saved the old value then refuses to backprop (engine's
version check). Inside a graph the change is recorded instead: the old value lives on in an alias
that keeps its place on the tape, and the tensor takes the new value and a new node, so
backward is exact. A leaf that requires grad cannot be changed in place under grad mode (as in
PyTorch): its `.grad` would no longer mean anything.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import Tensor, _owner, _wrap, is_grad_enabled, record
from .elementwise import add, div, mul, sub
from .shape import _is_basic, _key


def _tracked(*ts):
    return is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in ts)


def _check_leaf(x, what):
    if x.requires_grad and x._node is None and is_grad_enabled():
        raise RuntimeError(f"{what} on a leaf tensor that requires grad (shape {x.shape}): wrap it in "
                           f"`with mg.no_grad():` (as an optimizer step does) or use an out-of-place op")


def _rebase(x, new, what):
    """Give `x` the value and tape position of `new`; an alias keeps x's old identity on the tape."""
    if new.shape != x.shape:
        raise ValueError(f"{what}: the result has shape {new.shape} but the tensor has shape {x.shape}; "
                         f"an in-place change cannot change the shape")
    if new.dtype != x.dtype:  # numpy keeps the destination's dtype in place
        new = new.astype(x.dtype)
    old = _wrap(x.data)
    old.requires_grad, old._node, old._version, old._base = x.requires_grad, x._node, x._version, x._base
    bumped = _owner(x)._version + 1  # earlier nodes that saved x itself must see that it changed
    new._node.inputs = tuple(old if t is x else t for t in new._node.inputs)
    new._node.prev = old  # nodes recorded before this change still mean the old value
    x.data, x._node, x.requires_grad, x._base, x._version = new.data, new._node, new.requires_grad, None, bumped
    return x


def _inplace(op, ufunc, symbol):
    def method(x, other):
        _check_leaf(x, f"in-place {symbol}")
        if _tracked(x, other):
            return _rebase(x, op(x, other), f"in-place {symbol}")
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
        return _rebase(x, index_update(x, key, value), "item assignment")
    try:
        x.data[key] = value.data if isinstance(value, Tensor) else value
    except (ValueError, IndexError) as e:
        raise type(e)(f"x[{key!r}] = value of shape {np.shape(value)} on a tensor of shape {x.shape}: {e}") from None
    _owner(x)._version += 1
    if x._base is not None:
        x._version += 1


def index_update(x, key, value):
    """`x` with `x[key]` replaced by `value`, out of place (what `x[key] = value` records)."""
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

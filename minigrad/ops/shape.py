"""Ops that move values around without changing them: reshape, transpose, indexing, joining, padding."""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import Tensor, as_tensor, record, view_of


def reshape(x, *shape):
    """The same values in another shape (a view when numpy can make one); -1 infers one size.

        >>> mg.reshape(mg.tensor([1.0, 2.0, 3.0, 4.0]), (2, -1))
        tensor([[1., 2.],
                [3., 4.]])
    """
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    try:
        data = x.data.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                         f"into shape {shape}") from None
    return view_of(record("reshape", data, (x,)), x)


@rules.register("reshape", shape_only=True)
def reshape_vjp(g, out, x):
    return (g.reshape(x.shape),)


rules.register_array("reshape", reshape_vjp)  # the same formula serves arrays


def transpose(x, axes=None):
    """Permute the axes (default: reverse them), as numpy's transpose.

        >>> mg.transpose(mg.tensor([[1.0, 2.0, 3.0]])).shape
        (3, 1)
    """
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(int(a) % max(x.ndim, 1) for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    return view_of(record("transpose", x.data.transpose(axes), (x,), axes=axes), x)


@rules.register("transpose", shape_only=True)
def transpose_vjp(g, out, x, axes):
    return (g.transpose(tuple(np.argsort(axes))),)


rules.register_array("transpose", transpose_vjp)  # the same formula serves arrays


def swapaxes(x, axis1, axis2):
    """Exchange two axes (numpy's `swapaxes`).

    >>> swapaxes(as_tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (4, 3, 2)
    """
    x = as_tensor(x)
    for name, v in (("axis1", axis1), ("axis2", axis2)):
        if not -x.ndim <= v < x.ndim:
            raise np.exceptions.AxisError(f"swapaxes: {name}={v} is out of range for a tensor with {x.ndim} "
                                          f"dimension(s)")
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


# -- indexing: getitem and its adjoint, a scatter-add -------------------------------------------

def _key(key):
    """An index as the rule will replay it: indices are constants, never differentiated, so tensors
    become arrays; arrays and lists are copied, so the caller changing them after the op cannot
    change its gradient."""
    if type(key) is tuple:
        return tuple(_constant(k) for k in key)
    return _constant(key)


def _constant(k):
    if isinstance(k, Tensor):
        return k.data.copy()
    if isinstance(k, (np.ndarray, list)):
        return np.array(k)
    return k


def _is_basic(key):
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) for k in parts)


def getitem(x, key):
    """x[key]: basic slicing gives a view; integer, boolean and fancy indexes a copy. Repeated indices accumulate their gradients.

        >>> mg.getitem(mg.tensor([1.0, 2.0, 3.0]), [0, 0, 2])
        tensor([1., 1., 3.])
    """
    key = _key(key)
    try:
        data = x.data[key]
    except IndexError as e:
        raise IndexError(f"index {key!r} is invalid for a tensor of shape {x.shape}: {e}") from None
    return view_of(record("getitem", data, (x,), key=key), x)


@rules.register("getitem", shape_only=True)
def getitem_vjp(g, out, x, key):
    return (scatter_add(g, key, x.shape),)


@rules.register_array("getitem")
def getitem_vjp_array(g, out, x, key):
    return (_scatter(g, key, x.shape),)


def scatter_add(g, key, shape):
    """Zeros of `shape` with `g` added at `x[key]`; repeated integer indices accumulate.

    The gradient of indexing (`x[key]`), and the differentiable form of `np.add.at`.

        >>> mg.scatter_add(mg.tensor([1.0, 2.0]), np.array([0, 0]), (3,))
        tensor([3., 0., 0.])
    """
    key = _key(key)
    return record("scatter_add", _scatter(g.data, key, shape), (g,), key=key)


def _scatter(g, key, shape):
    """scatter_add on ndarrays."""
    data = np.zeros(shape, dtype=g.dtype)
    if _is_basic(key) or (isinstance(key, np.ndarray) and key.dtype == bool):
        data[key] = g  # each element selected at most once: plain assignment
    else:
        np.add.at(data, key, g)
    return data


@rules.register("scatter_add", shape_only=True)
def scatter_add_vjp(g, out, src, key):
    return (g[key],)


rules.register_array("scatter_add", scatter_add_vjp)  # the same formula serves arrays


# -- joining and padding -------------------------------------------------------------------------

def _tensors(xs, op):
    xs = list(xs)
    if not xs:
        raise ValueError(f"{op} needs at least one tensor")
    like = next((x for x in xs if isinstance(x, Tensor)), None)
    return tuple(as_tensor(x, like=like) for x in xs)


def _join(op, fn, xs, axis):
    xs = _tensors(xs, op)
    try:
        data = fn([x.data for x in xs], axis=axis)
    except (ValueError, np.exceptions.AxisError) as e:
        raise ValueError(f"{op} along axis {axis}: shapes {[x.shape for x in xs]}: {e}") from None
    return record(op, data, xs, axis=axis % data.ndim)


def concatenate(xs, axis=0):
    """Join tensors along an existing axis.

        >>> mg.concatenate([mg.tensor([1.0]), mg.tensor([2.0, 3.0])])
        tensor([1., 2., 3.])
    """
    return _join("concatenate", np.concatenate, xs, axis)


@rules.register("concatenate", shape_only=True)
def concatenate_vjp(g, out, *xs, axis):
    ends = np.cumsum([x.shape[axis] for x in xs])
    lead = (slice(None),) * axis
    return tuple(g[lead + (slice(e - x.shape[axis], e),)] for x, e in zip(xs, ends))


rules.register_array("concatenate", concatenate_vjp)  # slicing reads the same on arrays


def stack(xs, axis=0):
    """Join same-shaped tensors along a new axis.

        >>> mg.stack([mg.tensor([1.0, 2.0]), mg.tensor([3.0, 4.0])], axis=1)
        tensor([[1., 3.],
                [2., 4.]])
    """
    return _join("stack", np.stack, xs, axis)


@rules.register("stack", shape_only=True)
def stack_vjp(g, out, *xs, axis):
    lead = (slice(None),) * axis
    return tuple(g[lead + (i,)] for i in range(len(xs)))


rules.register_array("stack", stack_vjp)  # indexing reads the same on arrays


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "symmetric": "symmetric", "edge": "edge",
              "replicate": "edge", "wrap": "wrap", "circular": "wrap"}


def pad(x, pad_width, mode="constant", value=0, constant_values=None):
    """Pad with `mode` as numpy's `pad`: 'constant' (`value`, or numpy's `constant_values`: one
    scalar), 'reflect', 'symmetric', 'edge' (PyTorch's 'replicate') or 'wrap' ('circular').
    `pad_width` as numpy: int, (before, after), or one pair per axis.

    >>> pad(as_tensor([1, 2, 3]), (2, 1), mode="reflect")
    tensor([3, 2, 1, 2, 3, 2])
    """
    x = as_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use one of {', '.join(_PAD_MODES)}")
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {x.shape}") from None
    if (widths < 0).any():
        raise ValueError(f"pad: negative pad width {pad_width}")
    widths = tuple(map(tuple, widths.tolist()))
    if _PAD_MODES[mode] != "constant":
        for axis, (before, after) in enumerate(widths):
            if before or after:
                if x.shape[axis] == 0:
                    raise ValueError(f"pad: mode {mode!r} cannot pad axis {axis} of length 0")
                index = np.pad(np.arange(x.shape[axis]), (before, after), mode=_PAD_MODES[mode])
                x = getitem(x, (slice(None),) * axis + (index,))
        return x
    if constant_values is not None:
        if np.ndim(constant_values) != 0:
            raise ValueError("pad: only a scalar constant_values is supported")
        value = constant_values
    return record("pad", np.pad(x.data, widths, constant_values=value), (x,), widths=widths)


@rules.register("pad", shape_only=True)
def pad_vjp(g, out, x, widths):
    return (g[tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))],)


rules.register_array("pad", pad_vjp)  # slicing reads the same on arrays


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one, as torch.flatten (a 0-d tensor becomes shape (1,));
    with the defaults it is numpy's `ndarray.flatten()`, all elements as a 1-D tensor, like `ravel`.

    >>> import minigrad as mg
    >>> mg.flatten(mg.tensor([[[1.0, 2.0]], [[3.0, 4.0]]]), 1).shape
    (2, 2)
    >>> mg.flatten(mg.tensor([1.0, 2.0]), 1)
    Traceback (most recent call last):
    ...
    ValueError: flatten: start_dim 1 is out of range for a tensor of shape (2,) (valid: -1..0)
    """
    x = as_tensor(x)
    n = max(x.ndim, 1)
    for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -n <= d < n:
            raise ValueError(f"flatten: {name} {d} is out of range for a tensor of shape {x.shape} "
                             f"(valid: {-n}..{n - 1})")
    start, end = start_dim % n, end_dim % n
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def expand_dims(x, axis):
    """Insert length-1 axes at `axis` (an int or a tuple, positions in the result), as numpy.

    >>> expand_dims(as_tensor([1, 2]), (0, -1)).shape
    (1, 2, 1)
    """
    x = as_tensor(x)
    try:
        return reshape(x, np.expand_dims(_probe(x.shape), axis).shape)
    except (ValueError, np.exceptions.AxisError) as e:
        raise type(e)(f"expand_dims: axis={axis!r} for a tensor of shape {x.shape}: {e}") from None


def squeeze(x, axis=None):
    """Remove length-1 axes: all of them, or those of `axis` (an int or a tuple), as numpy.

    >>> squeeze(as_tensor(np.zeros((1, 2, 1))), axis=-1).shape
    (1, 2)
    """
    x = as_tensor(x)
    try:
        return reshape(x, np.squeeze(_probe(x.shape), axis).shape)
    except (ValueError, np.exceptions.AxisError) as e:
        raise type(e)(f"squeeze: axis={axis!r} for a tensor of shape {x.shape}: {e}") from None


def _probe(shape):
    """An array of `shape` that costs no memory, for asking numpy what shape an op gives."""
    return np.broadcast_to(np.empty((), dtype=bool), shape)

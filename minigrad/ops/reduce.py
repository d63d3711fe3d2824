"""Reductions and the normalisations built on them (softmax, log_softmax, logsumexp).

`axis` is an int, a tuple of ints or None (all axes), negative counting from the end; `keepdims`
as in numpy. Ties in max/min share the gradient equally among all maximal elements, as torch.amax
does (max_pool2d instead gives each window's gradient to its first maximum, as PyTorch's does).
"""
from __future__ import annotations

import math

import numpy as np

from .. import rules
from ..tensor import _wrap, record, view_of
from .elementwise import exp


def _axes(axis, ndim, op):
    """Normalise `axis` to a sorted tuple of non-negative ints, or raise naming the bad axis."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand(g, shape, axes, keepdims):
    """Bring a reduced gradient back to the input's shape (a broadcast view, no copy)."""
    if not keepdims:
        g = g.reshape(_kept_shape(shape, axes))
    return broadcast_to(g, shape)


def _expand_array(g, shape, axes, keepdims):
    """`_expand` on ndarrays, for the array twins of the rules: a filled array rather than a broadcast
    view (np.broadcast_to costs ~4 us, the fill ~1 us below ~10^4 elements; a gradient becomes a full
    array at the next op or at delivery anyway)."""
    if not keepdims and g.ndim:
        g = g.reshape(_kept_shape(shape, axes))
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def broadcast_to(x, shape):
    """A read-only view of `x` broadcast to `shape`; its gradient sums back over the broadcast axes.

        >>> mg.broadcast_to(mg.tensor([1.0, 2.0]), (2, 2))
        tensor([[1., 2.],
                [1., 2.]])
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        data = np.broadcast_to(x.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return view_of(record("broadcast_to", data, (x,)), x)


@rules.register("broadcast_to", shape_only=True)
def broadcast_to_vjp(g, out, x):
    return (g,)  # the engine sums g back down to x's shape


rules.register_array("broadcast_to", broadcast_to_vjp)  # the same formula serves arrays


def _numpy_args(op, x, dtype=None, out=None):
    """numpy's `dtype=` (reduce in that dtype) and `out=` (refused: ops return a new tensor)."""
    if out is not None:
        raise TypeError(f"{op}: out= is not supported (minigrad ops return a new tensor)")
    return x if dtype is None else x.astype(dtype)


def sum(x, axis=None, dtype=None, out=None, keepdims=False):  # noqa: A001 - numpy's name and signature
    """Sum over `axis` (int, tuple or None for all), numpy's keepdims.

        >>> mg.sum(mg.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        tensor([4., 6.])
    """
    if dtype is not None or out is not None:
        x = _numpy_args("sum", x, dtype, out)
    axes = _axes(axis, x.ndim, "sum")
    return record("sum", x.data.sum(axis=axes, keepdims=keepdims), (x,), axes=axes, keepdims=keepdims)


@rules.register("sum", shape_only=True)
def sum_vjp(g, out, x, axes, keepdims):
    return (_expand(g, x.shape, axes, keepdims),)


@rules.register_array("sum")
def sum_vjp_array(g, out, x, axes, keepdims):
    return (_expand_array(g, x.shape, axes, keepdims),)


def mean(x, axis=None, dtype=None, out=None, keepdims=False):
    """Mean over `axis` (int, tuple or None for all), numpy's keepdims.

        >>> mg.mean(mg.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1, keepdims=True)
        tensor([[1.5],
                [3.5]])
    """
    if dtype is not None or out is not None:
        x = _numpy_args("mean", x, dtype, out)
    axes = _axes(axis, x.ndim, "mean")
    return record("mean", x.data.mean(axis=axes, keepdims=keepdims), (x,), axes=axes, keepdims=keepdims)


def _inverse_count(x, axes):
    n = math.prod(x.shape[a] for a in axes)  # np.prod of a list costs ~5 us
    return 1.0 / n if n else 0.0


@rules.register("mean", shape_only=True)
def mean_vjp(g, out, x, axes, keepdims):
    return (_expand(g * _inverse_count(x, axes), x.shape, axes, keepdims),)


@rules.register_array("mean")
def mean_vjp_array(g, out, x, axes, keepdims):
    return (_expand_array(g * _inverse_count(x, axes), x.shape, axes, keepdims),)


def _extremum(op, fn, doc):
    def reduce(x, axis=None, out=None, keepdims=False):
        if out is not None:
            _numpy_args(op, x, out=out)
        if x.size == 0:
            raise ValueError(f"{op} of an empty tensor (shape {x.shape})")
        axes = _axes(axis, x.ndim, op)
        return record(op, fn(x.data, axis=axes, keepdims=keepdims), (x,), axes=axes, keepdims=keepdims)

    def vjp(g, out, x, axes, keepdims):
        return (_expand(g, x.shape, axes, keepdims) * _wrap(_tie_share(x, out.data, axes, g.dtype)),)

    def vjp_array(g, out, x, axes, keepdims):
        return (_expand_array(g, x.shape, axes, keepdims) * _tie_share(x, out, axes, g.dtype),)

    reduce.__name__, reduce.__doc__ = op, doc
    rules.register(op, vjp)
    rules.register_array(op, vjp_array)
    return reduce


def _tie_share(x, out, axes, dtype):
    """Each element's share of the gradient of its max (min): 1/(number of ties), 0 if not extremal."""
    hit = x.data == out.reshape(_kept_shape(x.shape, axes))
    return (hit / hit.sum(axis=axes, keepdims=True)).astype(dtype, copy=False)


max = _extremum("max", np.max, """Largest value over `axis`; tied maxima share the gradient equally.

        >>> mg.max(mg.tensor([[1.0, 5.0], [7.0, 2.0]]), axis=1)
        tensor([5., 7.])
    """)  # noqa: A001
min = _extremum("min", np.min, """Smallest value over `axis`; tied minima share the gradient equally.

        >>> mg.min(mg.tensor([[1.0, 5.0], [7.0, 2.0]]), axis=0)
        tensor([1., 2.])
    """)  # noqa: A001


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed stably (the maximum is subtracted first).

        >>> mg.logsumexp(mg.tensor([0.0, 1000.0]))
        tensor(1000.)
    """
    axes = _axes(axis, x.ndim, "logsumexp")
    m = x.data.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf stays -inf instead of becoming nan
    out = np.log(np.exp(x.data - m).sum(axis=axes, keepdims=True)) + m
    if not keepdims:
        out = out.reshape([s for i, s in enumerate(out.shape) if i not in axes])
    return record("logsumexp", out, (x,), axes=axes, keepdims=keepdims)


@rules.register("logsumexp")
def logsumexp_vjp(g, out, x, axes, keepdims):
    kept = _kept_shape(x.shape, axes)
    return (_expand(g, x.shape, axes, keepdims) * exp(x - out.reshape(kept)),)


@rules.register_array("logsumexp")
def logsumexp_vjp_array(g, out, x, axes, keepdims):
    kept = _kept_shape(x.shape, axes)
    return (_expand_array(g, x.shape, axes, keepdims) * np.exp(x.data - out.reshape(kept)),)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (default the last), computed stably.

        >>> mg.softmax(mg.tensor([0.0, np.log(3.0)]))
        tensor([0.25, 0.75])
    """
    axes = _axes(axis, x.ndim, "softmax")
    e = np.exp(x.data - x.data.max(axis=axes, keepdims=True))
    return record("softmax", e / e.sum(axis=axes, keepdims=True), (x,), axes=axes)


@rules.register("softmax")
def softmax_vjp(g, out, x, axes):
    return (out * (g - (g * out).sum(axis=axes, keepdims=True)),)


rules.register_array("softmax", softmax_vjp)  # the same formula serves arrays


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably (no log of a rounded-off 0).

        >>> mg.log_softmax(mg.tensor([0.0, 0.0]))
        tensor([-0.69314718, -0.69314718])
    """
    axes = _axes(axis, x.ndim, "log_softmax")
    z = x.data - x.data.max(axis=axes, keepdims=True)
    return record("log_softmax", z - np.log(np.exp(z).sum(axis=axes, keepdims=True)), (x,), axes=axes)


@rules.register("log_softmax")
def log_softmax_vjp(g, out, x, axes):
    return (g - exp(out) * g.sum(axis=axes, keepdims=True),)


@rules.register_array("log_softmax")
def log_softmax_vjp_array(g, out, x, axes):
    return (g - np.exp(out) * g.sum(axis=axes, keepdims=True),)

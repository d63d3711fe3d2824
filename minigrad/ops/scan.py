"""More reductions and the scans: prod, var, std, ptp, average, cumsum, cumprod, logcumsumexp, and
the non-differentiable any, all, argmax, argmin (they return numpy's arrays, never on the tape).

numpy's signatures: `axis` is an int, a tuple or None (all axes; for the scans, the flattened
input), `keepdims` and `ddof` as in numpy. prod and cumprod never divide by x, so their gradients
are exact where factors are 0 (or tiny), to any order: prod's gradient is (product of the factors
before) * (product of those after), two cumprods; cumprod's rule builds "x with x_i = 1" for each
i (O(n^2) memory along the axis, and only when a graph of the gradient is recorded: without
create_graph, its array twin is O(n) when no factor is 0).
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import Tensor, _wrap, as_tensor, record
from .elementwise import exp, sqrt, where
from .reduce import _axes, _expand, _expand_array, _numpy_args, broadcast_to, max, mean, min, sum
from .shape import concatenate, reshape, swapaxes, transpose


def _lift(x):
    return x if isinstance(x, Tensor) else as_tensor(x)


def _count(shape, axes):
    return int(np.prod([shape[a] for a in axes]))


# -- prod ---------------------------------------------------------------------------------------

def prod(x, axis=None, dtype=None, out=None, keepdims=False):
    """Product over `axis`; the gradient is exact when some factors are 0.

    >>> import minigrad as mg
    >>> x = mg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> mg.prod(x).backward()
    >>> x.grad.tolist()
    [0.0, 6.0, 0.0]
    """
    x = _numpy_args("prod", _lift(x), dtype, out)
    axes = _axes(axis, x.ndim, "prod")
    return record("prod", x.data.prod(axis=axes, keepdims=keepdims), (x,), axes=axes, keepdims=keepdims)


@rules.register("prod")
def prod_vjp(g, out, x, axes, keepdims):
    flat, back = _to_last(x, axes)
    return (_expand(g, x.shape, axes, keepdims) * back(_all_but_one(flat)),)


@rules.register_array("prod")
def prod_vjp_array(g, out, x, axes, keepdims):
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = x.data.transpose(rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    others = _all_but_one_array(flat).reshape(moved.shape).transpose(np.argsort(rest + list(axes)))
    return (_expand_array(g, x.shape, axes, keepdims) * others,)


def _to_last(x, axes):
    """x with `axes` moved to the end and flattened into one: (rest..., n), and how to undo it."""
    rest = [a for a in range(x.ndim) if a not in axes]
    perm = rest + list(axes)
    moved = transpose(x, perm)
    flat = reshape(moved, moved.shape[:len(rest)] + (-1,))

    def back(y):
        return transpose(reshape(y, moved.shape), tuple(np.argsort(perm)))
    return flat, back


def _all_but_one(flat):
    """For each x_i of the last axis, the product of the others: (prod of those before it) * (prod of
    those after it), two cumprods and no division, so zeros and tiny values are exact to any order."""
    if flat.shape[-1] == 0:
        return flat
    one = _wrap(np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype))
    before = concatenate([one, cumprod(flat[..., :-1], axis=-1)], axis=-1)
    after = concatenate([_flip(cumprod(_flip(flat[..., 1:], -1), axis=-1), -1), one], axis=-1)
    return before * after


def _all_but_one_array(flat):
    """`_all_but_one` on an ndarray."""
    if flat.shape[-1] == 0:
        return flat
    one = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    before = np.concatenate([one, np.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    after = np.concatenate([np.cumprod(flat[..., :0:-1], axis=-1)[..., ::-1], one], axis=-1)
    return before * after


# -- var, std, ptp, average ---------------------------------------------------------------------

def var(x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None):
    """Variance over `axis`, dividing by N - ddof (numpy's signature: `correction` is ddof's other name).

    >>> import minigrad as mg
    >>> mg.var(mg.tensor([1.0, 2.0, 3.0, 4.0])).item(), mg.var(mg.tensor([1.0, 2.0, 3.0, 4.0]), ddof=1).item()
    (1.25, 1.6666666666666667)
    """
    if correction is not None:
        if ddof != 0:
            raise ValueError("var: give ddof or correction, not both")
        ddof = correction
    x = _numpy_args("var", _lift(x), dtype, out)
    axes = _axes(axis, x.ndim, "var")
    return record("var", x.data.var(axis=axes, ddof=ddof, keepdims=keepdims), (x,),
                  axes=axes, ddof=ddof, keepdims=keepdims)


def _var_scale(x, axes, ddof):
    n = _count(x.shape, axes) - ddof
    return 2.0 / n if n > 0 else float("nan")  # numpy's var is inf or nan there too


@rules.register("var")
def var_vjp(g, out, x, axes, ddof, keepdims):
    centred = x - mean(x, axis=axes, keepdims=True)
    return (_expand(g, x.shape, axes, keepdims) * centred * _var_scale(x, axes, ddof),)


@rules.register_array("var")
def var_vjp_array(g, out, x, axes, ddof, keepdims):
    centred = x.data - x.data.mean(axis=axes, keepdims=True)
    return (_expand_array(g, x.shape, axes, keepdims) * centred * _var_scale(x, axes, ddof),)


def std(x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None):
    """Standard deviation, sqrt(var). Where a slice's values are all equal the gradient is 0 (as
    `norm`'s at 0): exact for a one-element slice, the smallest subgradient of the kink otherwise,
    instead of the nan that 0 * inf in sqrt's rule would give.

    >>> import minigrad as mg
    >>> x = mg.tensor([[1.0, 3.0], [2.0, 2.0]], requires_grad=True)
    >>> s = mg.std(x, axis=1); s.tolist()
    [1.0, 0.0]
    >>> s.sum().backward(); x.grad.tolist()
    [[-0.5, 0.5], [0.0, 0.0]]
    """
    v = var(x, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, correction=correction)
    zero = v.data == 0
    if not zero.any():
        return sqrt(v)
    # sqrt of 1 where var is 0, then masked: the masked branch gets a zero gradient, never 0 * inf
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


def ptp(x, axis=None, out=None, keepdims=False):
    """Peak to peak, max - min over `axis` (ties share the gradient as in max and min).

    >>> import minigrad as mg
    >>> mg.ptp(mg.tensor([[1.0, 5.0], [2.0, 2.5]]), axis=1).tolist()
    [4.0, 0.5]
    """
    x = _numpy_args("ptp", _lift(x), out=out)
    return max(x, axis=axis, keepdims=keepdims) - min(x, axis=axis, keepdims=keepdims)


amax, amin = max, min


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean over `axis` (numpy's average; `weights` may require grad too).

    With `returned=True`, also the sum of the weights, broadcast to the result's shape.

    >>> import minigrad as mg
    >>> mg.average(mg.tensor([1.0, 2.0, 4.0]), weights=[1.0, 1.0, 2.0]).item()
    2.75
    """
    a = _lift(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        scale = _wrap(np.asarray(_count(a.shape, _axes(axis, a.ndim, "average")), dtype=avg.dtype))
    else:
        w = weights if isinstance(weights, Tensor) else as_tensor(weights, like=a)
        if w.shape != a.shape:
            if axis is None:
                raise TypeError(f"average: weights of shape {w.shape} differ from a's shape {a.shape}: give axis")
            if w.ndim != 1 or not isinstance(axis, (int, np.integer)):
                raise TypeError(f"average: weights of shape {w.shape} must be 1-D, with an int axis, when their "
                                f"shape differs from a's shape {a.shape}")
            if w.shape[0] != a.shape[axis]:
                raise ValueError(f"average: {w.shape[0]} weights for axis {axis} of length {a.shape[axis]}")
            w = reshape(w, tuple(-1 if i == axis % a.ndim else 1 for i in range(a.ndim)))
        scale = sum(broadcast_to(w, np.broadcast_shapes(w.shape, a.shape)), axis=axis, keepdims=keepdims)
        if (scale.data == 0).any():
            raise ZeroDivisionError("average: the weights sum to zero along the axis, can't be normalized")
        avg = sum(a * w, axis=axis, keepdims=keepdims) / scale
    if returned:
        return avg, broadcast_to(scale, avg.shape)
    return avg


# -- scans --------------------------------------------------------------------------------------

def _scan_input(x, axis, dtype, op, out=None):
    """(x, axis): the flattened input for axis=None, as numpy's scans do; axis made non-negative."""
    x = _numpy_args(op, _lift(x), dtype, out)
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, _axes(axis, x.ndim, op)[0]


def _flip(t, axis):
    key = (slice(None),) * (axis % t.ndim) + (slice(None, None, -1),)
    return t[key]


def cumsum(x, axis=None, dtype=None, out=None):
    """Running sum along `axis` (the flattened input when axis is None).

    >>> import minigrad as mg
    >>> mg.cumsum(mg.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1).tolist()
    [[1.0, 3.0], [3.0, 7.0]]
    """
    x, axis = _scan_input(x, axis, dtype, "cumsum", out)
    return record("cumsum", np.cumsum(x.data, axis=axis), (x,), axis=axis)


@rules.register("cumsum", shape_only=True)
def cumsum_vjp(g, out, x, axis):
    return (_flip(cumsum(_flip(g, axis), axis=axis), axis),)


@rules.register_array("cumsum")
def cumsum_vjp_array(g, out, x, axis):
    return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)


def cumprod(x, axis=None, dtype=None, out=None):
    """Running product along `axis`; the gradient is exact when some factors are 0.

    >>> import minigrad as mg
    >>> x = mg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> mg.cumprod(x).sum().backward()
    >>> x.grad.tolist()
    [1.0, 8.0, 0.0]
    """
    x, axis = _scan_input(x, axis, dtype, "cumprod", out)
    return record("cumprod", np.cumprod(x.data, axis=axis), (x,), axis=axis)


@rules.register("cumprod")
def cumprod_vjp(g, out, x, axis):
    # d out_k / d x_i = prod(x_j for j <= k, j != i) for k >= i: row i of `rows` is x with x_i = 1.
    # No division, so exact at zeros and to any order; O(n^2) memory along the axis.
    xl, gl = swapaxes(x, axis, -1), swapaxes(g, axis, -1)
    n = xl.shape[-1]
    rows = where(np.eye(n, dtype=bool), 1, reshape(xl, xl.shape[:-1] + (1, n)))
    later = np.triu(np.ones((n, n), dtype=x.dtype))  # later[i, k] = k >= i
    gx = sum(cumprod(rows, axis=-1) * reshape(gl, gl.shape[:-1] + (1, n)) * later, axis=-1)
    return (swapaxes(gx, axis, -1),)


@rules.register_array("cumprod")
def cumprod_vjp_array(g, out, x, axis):
    if np.all(out != 0) and np.all(np.isfinite(out)):  # O(n): sum_{k >= i} g_k out_k / x_i, exact when no
        # factor is 0 and no product underflowed to 0 or overflowed (then the O(n^2) way below)
        return (np.flip(np.cumsum(np.flip(g * out, axis), axis=axis), axis) / x.data,)
    xl, gl = np.swapaxes(x.data, axis, -1), np.swapaxes(g, axis, -1)
    n = xl.shape[-1]
    rows = np.where(np.eye(n, dtype=bool), 1, xl[..., None, :])
    gx = (np.cumprod(rows, axis=-1) * gl[..., None, :] * np.triu(np.ones((n, n), dtype=g.dtype))).sum(-1)
    return (np.swapaxes(gx, axis, -1),)


def logcumsumexp(x, axis=None):
    """log(cumsum(exp(x))) along `axis`, without overflow (PyTorch's name; numpy's logaddexp.accumulate).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.logcumsumexp(mg.tensor([0.0, 0.0, 1000.0])).tolist()]
    [0.0, 0.6931, 1000.0]
    """
    x, axis = _scan_input(x, axis, None, "logcumsumexp")
    return record("logcumsumexp", np.logaddexp.accumulate(x.data, axis=axis), (x,), axis=axis)


@rules.register("logcumsumexp")
def logcumsumexp_vjp(g, out, x, axis):
    # grad_i = sum_{k >= i} g_k exp(x_i - out_k); every used exponent is <= 0, so nothing overflows
    xl, ol, gl = swapaxes(x, axis, -1), swapaxes(out, axis, -1), swapaxes(g, axis, -1)
    n = xl.shape[-1]
    later = np.triu(np.ones((n, n), dtype=bool))
    gaps = reshape(xl, xl.shape + (1,)) - reshape(ol, ol.shape[:-1] + (1, n))
    weights = exp(where(later, gaps, -np.inf))
    return (swapaxes(sum(weights * reshape(gl, gl.shape[:-1] + (1, n)), axis=-1), axis, -1),)


@rules.register_array("logcumsumexp")
def logcumsumexp_vjp_array(g, out, x, axis):
    # O(n): the positive and negative parts of g summed in log space, from the end backwards
    grad = np.zeros_like(g)
    with np.errstate(divide="ignore"):
        for sign in (1, -1):
            part = np.log(np.maximum(sign * g, 0)) - out
            tail = np.flip(np.logaddexp.accumulate(np.flip(part, axis), axis=axis), axis)
            grad += sign * np.exp(x.data + tail)
    return (grad,)


# -- no gradient: numpy's arrays ----------------------------------------------------------------

def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def any(x, axis=None, out=None, keepdims=False):  # noqa: A001 - numpy's name
    """Whether any element along `axis` is true: numpy's array (or numpy bool), not a tensor.

    >>> import minigrad as mg
    >>> bool(mg.any(mg.tensor([0.0, 2.0])))
    True
    """
    return np.any(_data(x), axis=axis, out=out, keepdims=keepdims)


def all(x, axis=None, out=None, keepdims=False):  # noqa: A001 - numpy's name
    """Whether all elements along `axis` are true: numpy's array (or numpy bool), not a tensor.

    >>> import minigrad as mg
    >>> bool(mg.all(mg.tensor([0.0, 2.0])))
    False
    """
    return np.all(_data(x), axis=axis, out=out, keepdims=keepdims)


def argmax(x, axis=None, out=None, *, keepdims=False):
    """Index of the (first) maximum, flattened when axis is None: numpy's integer array, not a tensor.

    >>> import minigrad as mg
    >>> int(mg.argmax(mg.tensor([1.0, 5.0, 5.0])))
    1
    """
    return np.argmax(_data(x), axis=axis, out=out, keepdims=keepdims)


def argmin(x, axis=None, out=None, *, keepdims=False):
    """Index of the (first) minimum, flattened when axis is None: numpy's integer array, not a tensor.

    >>> import minigrad as mg
    >>> mg.argmin(mg.tensor([[1.0, 0.0], [2.0, 3.0]]), axis=1).tolist()
    [1, 0]
    """
    return np.argmin(_data(x), axis=axis, out=out, keepdims=keepdims)


__all__ = ["all", "amax", "amin", "any", "argmax", "argmin", "average", "cumprod", "cumsum", "logcumsumexp",
           "prod", "ptp", "std", "var"]

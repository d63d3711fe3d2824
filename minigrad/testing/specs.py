"""Test data for every registered rule: op name -> spec(draw) -> (f, [input arrays]).

`f` takes tensors and must record the named op (the checker verifies it on the tape). Values are
kept a margin away from kinks and poles, where finite differences disagree with any subgradient.
Ops added elsewhere (nn's conv2d, pools, ...) add their own specs with `@spec("name")`.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

SPECS: dict = {}
# functions composed of recorded ops (no rule of their own): name -> case(draw) -> (call, arrays), where
# call(lib, *xs) runs the function through `lib`, numpy or minigrad (same names and signatures), so one
# case checks the forward against numpy and the gradients against central differences
CASES: dict = {}


def case(name):
    """Register `fn(draw) -> (call, arrays)` as the test data of the composed function `name`.

    >>> from minigrad.testing import NumpyDraw
    >>> call, arrays = CASES["kron"](NumpyDraw(0))
    >>> np.allclose(call(mg, *map(mg.tensor, arrays)).data, call(np, *arrays))
    True
    """
    def register(fn):
        CASES[name] = fn
        return fn
    return register


def spec(op):
    """Register how to draw test inputs for `op`: `@spec("my_op") def _(d): return f, [arrays]`.

    `d` is a `Draw` (shapes, arrays, choices); `f` takes tensors and must record `op`. The
    registry-driven property tests and `python -m minigrad.check` then check its rule.

        >>> from minigrad.testing import spec, check_rule, NumpyDraw
        >>> @mg.primitive
        ... def cube(a):
        ...     return a ** 3
        >>> @cube.defvjp
        ... def cube_vjp(g, out, a):
        ...     return (g * 3 * a * a,)
        >>> @spec(cube.op)
        ... def _(d):
        ...     return cube, [d.array(d.shape())]
        >>> check_rule(cube.op, NumpyDraw(0)), check_rule(cube.op, NumpyDraw(0), order=2)
        (True, True)
    """
    def register(fn):
        SPECS[op] = fn
        return fn
    return register


def _binary(op, fn, lo=-3.0, hi=3.0, b_lo=None, b_hi=None, b_away=()):
    @spec(op)
    def make(d):
        sa, sb = d.broadcastable(2)
        return fn, [d.array(sa, lo, hi), d.array(sb, lo if b_lo is None else b_lo, hi if b_hi is None else b_hi, b_away)]


_binary("add", lambda a, b: a + b)
_binary("sub", lambda a, b: a - b)
_binary("mul", lambda a, b: a * b)


@spec("div")
def _div(d):
    sa, sb = d.broadcastable(2)
    return (lambda a, b: a / b), [d.array(sa), _away_from_zero(d.array(sb, -2.5, 2.5))]


def _away_from_zero(x, gap=0.5):
    """x moved `gap` away from 0 on its own side: values in [-3, -gap] and [gap, 3] (poles at 0)."""
    return np.where(x < 0, x - gap, x + gap)


@spec("pow")
def _pow(d):
    sa, sb = d.broadcastable(2)
    case = d.integers(0, 3)
    if case == 0:  # positive bases, real exponents, both differentiated
        return (lambda a, b: a ** b), [d.array(sa, 0.5, 2.5), d.array(sb, -2.0, 2.0)]
    if case == 1:  # integer bases, 0 and negatives included, non-negative integer exponents (0**0 too)
        k = np.round(d.array(sb, 0.0, 3.0)).astype(np.int64)
        return (lambda a, b: a ** b), [np.round(d.array(sa, -2.0, 2.0)), k]
    if case == 2:  # negative and positive bases, negative integer exponents (pole at 0 kept away)
        k = np.round(d.array(sb, -2.0, -1.0)).astype(np.int64)
        return (lambda a, b: a ** b), [_away_from_zero(d.array(sa, -2.0, 2.0)), k]
    # a constant base with zeros, a positive real exponent: d(0**b)/db = 0
    base = np.where(d.array(sa, -1.0, 1.0) > 0, 0.0, d.array(sa, 0.5, 2.5))
    return (lambda b: mg.power(base, b)), [d.array(sb, 0.05, 2.0)]


def _unary(op, fn, lo=-3.0, hi=3.0, away=()):
    @spec(op)
    def make(d):
        return fn, [d.array(d.shape(), lo, hi, away)]


_unary("neg", lambda x: -x)
_unary("exp", mg.exp)
_unary("log", mg.log, 0.2, 5.0)
_unary("sqrt", mg.sqrt, 0.2, 5.0)
_unary("abs", mg.abs, away=(0.0,))
_unary("sin", mg.sin)
_unary("cos", mg.cos)
_unary("tanh", mg.tanh)
_unary("sigmoid", mg.sigmoid)
_unary("relu", mg.relu, away=(0.0,))
_unary("clip", lambda x: mg.clip(x, -1.0, 1.5), away=(-1.0, 1.5))
_unary("cast", lambda x: x.astype(np.longdouble) * 2)


@spec("maximum")
def _maximum(d):
    # values of a and b on disjoint lattices, so no pair is within the margin of a tie
    sa, sb = d.broadcastable(2)
    a = np.round(d.array(sa, -3, 3)) + 0.25
    b = np.round(d.array(sb, -3, 3)) - 0.25
    return mg.maximum, [a, b]


@spec("minimum")
def _minimum(d):
    sa, sb = d.broadcastable(2)
    a = np.round(d.array(sa, -3, 3)) + 0.25
    b = np.round(d.array(sb, -3, 3)) - 0.25
    return mg.minimum, [a, b]


@spec("where")
def _where(d):
    sc, sa, sb = d.broadcastable(3)
    cond = d.array(sc) > 0
    return (lambda a, b: mg.where(cond, a, b)), [d.array(sa), d.array(sb)]


def _reduction(op, fn, distinct=False):
    @spec(op)
    def make(d):
        shape = d.shape(min_dims=1)
        axis = d.choice([None, -1, 0, tuple(range(len(shape)))[::2] or None])
        keepdims = bool(d.integers(0, 1))
        x = d.distinct(shape) if distinct else d.array(shape)
        return (lambda t: fn(t, axis=axis, keepdims=keepdims)), [x]


_reduction("sum", mg.sum)
_reduction("mean", mg.mean)
_reduction("max", mg.max, distinct=True)
_reduction("min", mg.min, distinct=True)
_reduction("logsumexp", mg.logsumexp)


def _normalisation(op, fn):
    @spec(op)
    def make(d):
        shape = d.shape(min_dims=1)
        axis = d.integers(-len(shape), len(shape) - 1)
        return (lambda t: fn(t, axis=axis)), [d.array(shape)]


_normalisation("softmax", mg.softmax)
_normalisation("log_softmax", mg.log_softmax)


@spec("broadcast_to")
def _broadcast_to(d):
    small, big = d.broadcastable(2)
    target = (2,) + np.broadcast_shapes(small, big)
    return (lambda x: mg.broadcast_to(x, target)), [d.array(small)]


@spec("reshape")
def _reshape(d):
    shape = d.shape()
    target = d.choice([(-1,), tuple(reversed(shape)), (1,) + shape])
    return (lambda x: x.reshape(target)), [d.array(shape)]


@spec("transpose")
def _transpose(d):
    shape = d.shape(min_dims=1)
    axes = tuple(int(a) for a in d.permutation(len(shape)))
    return (lambda x: x.transpose(axes)), [d.array(shape)]


@spec("getitem")
def _getitem(d):
    shape = d.shape(min_dims=1)
    n = shape[0]
    key = d.choice([
        0, -1, slice(None, None, 2), (Ellipsis, 0), (None, slice(1, None)),
        np.array([d.integers(0, n - 1) for _ in range(4)]),          # repeats accumulate
        np.array([d.integers(-n, n - 1) for _ in range(3)]),         # negative indices, maybe repeated
        slice(1, 1),                                                    # an empty selection
        d.array(shape) > 0,                                             # boolean mask
    ])
    return (lambda x: x[key]), [d.array(shape)]


@spec("scatter_add")
def _scatter_add(d):
    shape = d.shape(min_dims=1)
    idx = np.array([d.integers(0, shape[0] - 1) for _ in range(3)])
    return (lambda g: mg.scatter_add(g, idx, shape)), [d.array((3,) + shape[1:])]


@spec("index_update")
def _index_update(d):
    shape = d.shape(min_dims=1)
    n = shape[0]
    key = d.choice([0, slice(None, None, 2), (Ellipsis, -1), np.unique([d.integers(0, n - 1) for _ in range(3)])])
    target = np.zeros(shape)[key].shape
    small = target[d.integers(0, len(target)):]  # a value that broadcasts into the slot
    return (lambda x, v: mg.index_update(x, key, v)), [d.array(shape), d.array(small)]


@spec("concatenate")
def _concatenate(d):
    shape = d.shape(min_dims=1)
    axis = d.integers(0, len(shape) - 1)
    other = shape[:axis] + (d.integers(1, 3),) + shape[axis + 1:]
    return (lambda a, b: mg.concatenate([a, b], axis=axis)), [d.array(shape), d.array(other)]


@spec("stack")
def _stack(d):
    shape = d.shape()
    axis = d.integers(0, len(shape))
    return (lambda a, b, c: mg.stack([a, b, c], axis=axis)), [d.array(shape) for _ in range(3)]


@spec("pad")
def _pad(d):
    shape = d.shape(min_dims=1)
    widths = [(d.integers(0, 2), d.integers(0, 2)) for _ in shape]
    return (lambda x: mg.pad(x, widths, value=0.5)), [d.array(shape)]


@spec("matmul")
def _matmul(d):
    n, k, m = d.integers(1, 3), d.integers(1, 3), d.integers(1, 3)
    batch_a, batch_b = d.broadcastable(2, max_dims=2)
    sa, sb = d.choice([
        ((k,), (k,)), ((k,), (k, m)), ((n, k), (k,)), ((n, k), (k, m)),
        (batch_a + (n, k), batch_b + (k, m)), (batch_a + (n, k), (k,)), ((k,), batch_b + (k, m)),
    ])
    return mg.matmul, [d.array(sa), d.array(sb)]


# every specs_<family>.py beside this file holds the specs of one family of ops (specs_nn: minigrad.nn)
def _load_families():
    import importlib
    import pkgutil
    from pathlib import Path
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("specs_"):
            importlib.import_module(f"{__package__}.{info.name}")


_load_families()

"""Test data for the reductions and scans of ops/scan.py: prod and cumprod draw exact zeros."""
from __future__ import annotations

import numpy as np

import minigrad as mg

from .specs import case, spec


def _with_zeros(d, shape):
    """Magnitudes in [0.6, 1.4] with either sign, about a quarter of them exactly 0 (prod's and
    cumprod's special case). Near 1, so that a product of dozens of them stays of order 1: values
    up to 2 made products of 2^33 (a 36-element prod), whose third derivative swamped the central
    differences' step (an exact 0 second-order JVP came out as -8e-5 numerically)."""
    x = d.array(shape, 0.6, 1.4)
    x[d.array(shape) < 0.0] *= -1.0
    x[d.array(shape) > 1.5] = 0.0
    return x


@spec("prod")
def _prod(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, -1, 0, tuple(range(len(shape)))[::2] or None])
    keepdims = bool(d.integers(0, 1))
    return (lambda t: mg.prod(t, axis=axis, keepdims=keepdims)), [_with_zeros(d, shape)]


@spec("var")
def _var(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, -1, 0, tuple(range(len(shape)))[::2] or None])
    count = np.prod(shape) // np.prod(np.zeros(shape).sum(axis=axis, keepdims=True).shape)
    ddof = d.integers(0, 1) if count >= 2 else 0  # N - ddof > 0: a finite variance
    keepdims = bool(d.integers(0, 1))
    return (lambda t: mg.var(t, axis=axis, ddof=ddof, keepdims=keepdims)), [d.array(shape)]


def _scan(op, make_input):
    @spec(op)
    def make(d):
        shape = d.shape(min_dims=1)
        axis = d.choice([None, 0, -1])
        fn = getattr(mg, op)
        return (lambda t: fn(t, axis=axis)), [make_input(d, shape)]


_scan("cumsum", lambda d, shape: d.array(shape))
_scan("cumprod", _with_zeros)
_scan("logcumsumexp", lambda d, shape: d.array(shape))


# -- composed of the ops above (no rules of their own): checked by tests/test_composed.py ----------

def _axis_case(name, make_input, **kw):
    @case(name)
    def make(d):
        shape = d.shape(min_dims=1)
        axis = d.choice([None, 0, -1])
        keepdims = bool(d.integers(0, 1))
        return (lambda lib, x: getattr(lib, name)(x, axis=axis, keepdims=keepdims, **kw)), [make_input(d, shape)]


_axis_case("std", lambda d, shape: d.array(shape) + np.arange(np.prod(shape)).reshape(shape))  # std > 0: no kink
_axis_case("ptp", lambda d, shape: d.distinct(shape))         # distinct values: no ties at the max or min
_axis_case("amax", lambda d, shape: d.distinct(shape))
_axis_case("amin", lambda d, shape: d.distinct(shape))


@case("average")
def _average_case(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, -1])
    weights_shape = shape if axis is None else shape[-1:]
    return (lambda lib, x, w: lib.average(x, axis=axis, weights=w)), [d.array(shape), d.array(weights_shape, 0.5, 2.0)]


@case("remainder")
def _remainder_case(d):
    sa, sb = d.broadcastable(2)
    a = np.round(d.array(sa, -3, 3) * 4) / 4 + 0.125   # a/b stays away from integers (where mod jumps)
    return (lambda lib, x, y: lib.remainder(x, y)), [a, np.full(sb, 0.5) + np.floor(d.array(sb, 0, 3))]


# numpy function -> (make(*inputs) -> (args, kwargs), inputs): how tests/test_interop.py calls these
_Q = np.random.default_rng(0).uniform(0.2, 0.9, (2, 3))
_Z = np.where(_Q > 0.7, 0.0, _Q)
INTEROP_EXAMPLES = {
    np.var: (lambda x: ((x,), {"axis": 0, "ddof": 1}), [_Q]),
    np.std: (lambda x: ((x,), {"axis": 1, "keepdims": True}), [_Q]),
    np.average: (lambda x, w: ((x,), {"axis": 1, "weights": w}), [_Q, _Q[0]]),
    np.prod: (lambda x: ((x,), {"axis": 1}), [_Z]),
    np.cumprod: (lambda x: ((x,), {"axis": 1}), [_Z]),
    np.cumsum: (lambda x: ((x,), {"axis": 0}), [_Q]),
}

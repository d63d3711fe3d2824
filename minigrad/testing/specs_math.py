"""Test data for the elementwise ops of ops/math.py and ops/rounding.py.

Inputs stay MARGIN away from poles and jumps: the ends of arcsin's domain, integers for floor and
the other rounding ops, integer quotients for mod/fmod/floor_divide, the branch cut of arctan2.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

from .specs import _binary, _unary, spec

_unary("log1p", mg.log1p, -0.8, 3.0)
_unary("expm1", mg.expm1)
_unary("log2", mg.log2, 0.2, 5.0)
_unary("log10", mg.log10, 0.2, 5.0)
_unary("exp2", mg.exp2)
_unary("square", mg.square)
_unary("tan", mg.tan, -1.2, 1.2)
_unary("arcsin", mg.arcsin, -0.9, 0.9)
_unary("arccos", mg.arccos, -0.9, 0.9)
_unary("arctan", mg.arctan)
_unary("sinh", mg.sinh)
_unary("cosh", mg.cosh)
_unary("arcsinh", mg.arcsinh)
_unary("arccosh", mg.arccosh, 1.2, 4.0)
_unary("arctanh", mg.arctanh, -0.9, 0.9)
_unary("deg2rad", mg.deg2rad, -200.0, 200.0)
_unary("rad2deg", mg.rad2deg)
_unary("nan_to_num", mg.nan_to_num)
_binary("logaddexp", mg.logaddexp)
_binary("logaddexp2", mg.logaddexp2)

_INTEGERS = tuple(range(-4, 5))
_unary("floor", mg.floor, away=_INTEGERS)
_unary("ceil", mg.ceil, away=_INTEGERS)
_unary("trunc", mg.trunc, away=_INTEGERS)


def _signed(d, shape, lo=0.5, hi=3.0):
    """Values with |x| in [lo, hi] and either sign: well away from 0."""
    return d.array(shape, lo, hi) * np.where(d.array(shape) > 0, 1.0, -1.0)


@spec("reciprocal")
def _reciprocal(d):
    return mg.reciprocal, [_signed(d, d.shape())]


@spec("arctan2")
def _arctan2(d):
    sy, sx = d.broadcastable(2)
    return mg.arctan2, [_signed(d, sy, 0.3), d.array(sx)]  # y off 0: off the branch cut and the origin


@spec("hypot")
def _hypot(d):
    sa, sb = d.broadcastable(2)
    return mg.hypot, [_signed(d, sa, 0.3), d.array(sb)]


@spec("round")
def _round(d):
    decimals = d.integers(0, 1)
    step = 10.0 ** -decimals
    halves = tuple(step * (k + 0.5) for k in range(-int(4 / step), int(4 / step)))
    return (lambda x: mg.round(x, decimals)), [d.array(d.shape(), away=halves)]


def _quotient_pair(d):
    """(a, b) with b off 0 and a / b off the integers, where mod, fmod and // jump."""
    sa, sb = d.broadcastable(2)
    sa = np.broadcast_shapes(sa, sb)
    b = _signed(d, sb)
    return d.array(sa, away=_INTEGERS) * b, b


for _op, _fn in (("mod", mg.mod), ("fmod", mg.fmod), ("floor_divide", mg.floor_divide)):
    spec(_op)(lambda d, _fn=_fn: (_fn, list(_quotient_pair(d))))


def _lattices(d):
    # a and b on disjoint lattices, so no pair is within the margin of a tie
    sa, sb = d.broadcastable(2)
    return [np.round(d.array(sa)) + 0.25, np.round(d.array(sb)) - 0.25]


spec("fmax")(lambda d: (mg.fmax, _lattices(d)))
spec("fmin")(lambda d: (mg.fmin, _lattices(d)))


# numpy function -> (make(*inputs) -> (args, kwargs), inputs): how tests/test_interop.py calls the
# entries of the interop table that need more than numpy's defaults (see _default there)
_Q = np.random.default_rng(0).uniform(0.2, 0.9, (2, 3))
_NAN = [np.array([1.0, np.nan, 0.5]), np.array([0.25, 2.0, np.nan])]
INTEROP_EXAMPLES = {
    np.arccosh: (lambda x: ((x,), {}), [_Q + 1.1]),
    np.round: (lambda x: ((x,), {"decimals": 1}), [_Q + 0.01]),
    np.around: (lambda x: ((x, 1), {}), [_Q + 0.01]),
    np.nan_to_num: (lambda x: ((x,), {"posinf": 5.0}), [np.array([1.0, np.inf, np.nan, 0.5])]),
    np.fmax: (lambda x, y: ((x, y), {}), _NAN),
    np.fmin: (lambda x, y: ((x, y), {}), _NAN),
    np.floor_divide: (lambda x, y: ((x, y), {}), [_Q * 7, _Q[::-1]]),
    np.remainder: (lambda x, y: ((x, y), {}), [_Q * 7, _Q[::-1]]),
    np.fmod: (lambda x, y: ((x, -y), {}), [_Q * 7, _Q[::-1]]),
    np.divmod: (lambda x, y: ((x, y), {}), [_Q * 7, _Q[::-1]]),
}

"""Rounding, remainders, nan-aware selections and nan_to_num.

The rounding ops (floor, ceil, trunc, round/rint, fix, floor_divide) are recorded with a zero
gradient, as in PyTorch: their derivative is 0 wherever it exists, and a zero gradient (rather
than "no gradient") lets `floor(x).sum().backward()` run. mod/remainder and fmod pass the gradient
1 to the dividend and -floor(a/b) (fmod: -trunc(a/b)) to the divisor, exact away from the jumps.
fmax/fmin treat nan as missing: the gradient goes to the input that is not nan.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import Tensor, _wrap, as_tensor, record
from .elementwise import _binary


def _zero_vjp(g, out, *inputs, **attrs):
    """The rule of a piecewise-constant op: a zero gradient for every input."""
    return tuple(_wrap(np.zeros(x.shape, dtype=g.dtype)) if x.requires_grad else None for x in inputs)


def _rounding(op, fn, doc):
    def forward(x):
        x = x if isinstance(x, Tensor) else as_tensor(x)
        return record(op, fn(x.data), (x,))
    forward.__name__ = forward.__qualname__ = op
    forward.__doc__ = doc
    rules.register(op, _zero_vjp, shape_only=True)
    return forward


floor = _rounding("floor", np.floor, """The largest integer <= x (zero gradient).

    >>> import minigrad as mg
    >>> mg.floor(mg.tensor([-1.5, 1.5])).tolist()
    [-2.0, 1.0]
    """)
ceil = _rounding("ceil", np.ceil, """The smallest integer >= x (zero gradient).

    >>> import minigrad as mg
    >>> mg.ceil(mg.tensor([-1.5, 1.5])).tolist()
    [-1.0, 2.0]
    """)
trunc = _rounding("trunc", np.trunc, """x rounded towards zero (zero gradient; numpy's `fix` too).

    >>> import minigrad as mg
    >>> mg.trunc(mg.tensor([-1.5, 1.5])).tolist()
    [-1.0, 1.0]
    """)
fix = trunc


def round(x, decimals=0):  # noqa: A001 - numpy's name
    """x rounded to `decimals` places, halves to even as numpy does (zero gradient; also `around`, `rint`).

    >>> import minigrad as mg
    >>> mg.round(mg.tensor([0.5, 1.5, 2.675]), decimals=0).tolist()
    [0.0, 2.0, 3.0]
    """
    x = x if isinstance(x, Tensor) else as_tensor(x)
    return record("round", np.round(x.data, decimals), (x,), decimals=decimals)


rules.register("round", _zero_vjp, shape_only=True)
around = round


def rint(x):
    """x rounded to the nearest integer, halves to even (zero gradient).

    >>> import minigrad as mg
    >>> mg.rint(mg.tensor([0.5, 1.7])).tolist()
    [0.0, 2.0]
    """
    return round(x)


def floor_divide(a, b):
    """floor(a / b), the `//` operator (zero gradient).

    >>> import minigrad as mg
    >>> mg.floor_divide(mg.tensor([7.0, -7.0]), 2.0).tolist()
    [3.0, -4.0]
    """
    return _binary("floor_divide", np.floor_divide, a, b)


rules.register("floor_divide", _zero_vjp, shape_only=True)


# -- remainders ---------------------------------------------------------------------------------

def mod(a, b):
    """a - floor(a / b) * b, the `%` operator: the result has the sign of b (also `remainder`).

    >>> import minigrad as mg
    >>> mg.mod(mg.tensor([5.5, -5.5]), 2.0).tolist()
    [1.5, 0.5]
    """
    return _binary("mod", np.remainder, a, b)


@rules.register("mod")
def mod_vjp(g, out, a, b):
    # the quotient is piecewise constant: a constant is its exact derivative wherever one exists
    gb = -g * _wrap(np.floor_divide(a.data, b.data)) if b.requires_grad else None
    return (g if a.requires_grad else None), gb


remainder = mod


def fmod(a, b):
    """a - trunc(a / b) * b, C's fmod: the result has the sign of a.

    >>> import minigrad as mg
    >>> mg.fmod(mg.tensor([5.5, -5.5]), 2.0).tolist()
    [1.5, -1.5]
    """
    return _binary("fmod", np.fmod, a, b)


@rules.register("fmod")
def fmod_vjp(g, out, a, b):
    gb = -g * _wrap(np.trunc(a.data / b.data)) if b.requires_grad else None
    return (g if a.requires_grad else None), gb


def divmod_(a, b):
    """(a // b, a % b): Python's `divmod` and numpy's `np.divmod` on tensors.

    >>> import minigrad as mg
    >>> [t.tolist() for t in divmod(mg.tensor([7.0]), 2.0)]
    [[3.0], [1.0]]
    """
    return floor_divide(a, b), mod(a, b)


# -- nan-aware selections -----------------------------------------------------------------------

def fmax(a, b):
    """Elementwise maximum that ignores nan (numpy's fmax); ties share the gradient equally.

    >>> import minigrad as mg
    >>> mg.fmax(mg.tensor([1.0, float("nan")]), mg.tensor([0.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    return _binary("fmax", np.fmax, a, b)


def _share_first(a, b, first_wins):
    """The share of the gradient that goes to `a`: 1 where it was picked, 1/2 on ties, and all of
    it where `b` is nan (both nan: the result is nan, and `a` takes it)."""
    share = first_wins(a.data, b.data) + 0.5 * (a.data == b.data)
    return np.where(np.isnan(b.data), 1.0, share)


def _fselect_vjp(first_wins):
    def vjp(g, out, a, b):
        wa = _wrap(_share_first(a, b, first_wins).astype(g.dtype))
        return (g * wa if a.requires_grad else None), (g * (1 - wa) if b.requires_grad else None)
    return vjp


rules.register("fmax", _fselect_vjp(np.greater))


def fmin(a, b):
    """Elementwise minimum that ignores nan (numpy's fmin); ties share the gradient equally.

    >>> import minigrad as mg
    >>> mg.fmin(mg.tensor([1.0, float("nan")]), mg.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _binary("fmin", np.fmin, a, b)


rules.register("fmin", _fselect_vjp(np.less))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """nan and infinities replaced by finite numbers; the gradient passes only where x was finite.

    `copy` is accepted for numpy's signature; the result is always a new tensor.

    >>> import minigrad as mg
    >>> mg.nan_to_num(mg.tensor([float("nan"), 1.0, float("inf")]), posinf=9.0).tolist()
    [0.0, 1.0, 9.0]
    """
    x = x if isinstance(x, Tensor) else as_tensor(x)
    return record("nan_to_num", np.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf), (x,))


@rules.register("nan_to_num")
def nan_to_num_vjp(g, out, x):
    return (g * _wrap(np.isfinite(x.data).astype(g.dtype)),)


__all__ = ["around", "ceil", "fix", "floor", "floor_divide", "fmax", "fmin", "fmod", "mod",
           "nan_to_num", "remainder", "rint", "round", "trunc"]

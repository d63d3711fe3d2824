"""Special functions: the error function and its complement.

The forward values come from the C library through Python's `math.erf` / `math.erfc`, applied
elementwise (`np.frompyfunc`): correctly rounded to double precision in practice, with no new
dependency (numpy has no erf; scipy is not a core dependency). It costs about 0.1 us per element,
fine for activations (gelu) but not a hot path. The rules, d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
(and its negative for erfc), are written with minigrad ops, so they differentiate again.
"""
from __future__ import annotations

import math

import numpy as np

from .. import rules
from ..tensor import as_tensor, record
from .elementwise import exp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _apply(fn, x):
    data = x.data
    dtype = data.dtype if data.dtype.kind == "f" else np.float64
    return np.asarray(fn(data.astype(np.float64, copy=False)), dtype=np.float64).astype(dtype, copy=False)


def erf(x):
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise (float64-exact).

    >>> import minigrad as mg
    >>> mg.erf(mg.tensor([0.0, 0.5, -2.0])).data.round(6).tolist()
    [0.0, 0.5205, -0.995322]
    """
    x = as_tensor(x)
    return record("erf", _apply(_erf, x), (x,))


def _derivative(g, x):
    return g * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


@rules.register("erf")
def erf_vjp(g, out, x):
    return (_derivative(g, x),)


def erfc(x):
    """The complementary error function 1 - erf(x), elementwise, accurate also where erf(x) ~ 1.

    >>> import minigrad as mg
    >>> [float(f"{v:.6g}") for v in mg.erfc(mg.tensor([0.0, 3.0])).data]
    [1.0, 2.20905e-05]
    """
    x = as_tensor(x)
    return record("erfc", _apply(_erfc, x), (x,))


@rules.register("erfc")
def erfc_vjp(g, out, x):
    return (-_derivative(g, x),)

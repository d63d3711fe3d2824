"""More elementwise math: logs and exponentials, trigonometric and hyperbolic functions and their
inverses, and the two-input arctan2, hypot, logaddexp, logaddexp2. Each forward has its rule right
below it, written with minigrad ops so it differentiates again; inputs may be Tensors, arrays or
scalars (numpy's names and dtype rules). Rounding, remainders and nan handling: ops/rounding.py.
"""
from __future__ import annotations

import math

import numpy as np

from .. import rules
from ..tensor import Tensor, as_tensor, record
from .elementwise import _binary, exp, sqrt

LN2, LN10 = math.log(2.0), math.log(10.0)


def _unary(op, fn, x):
    x = x if isinstance(x, Tensor) else as_tensor(x)
    return record(op, fn(x.data), (x,))


# -- logarithms and exponentials ----------------------------------------------------------------

def log1p(x):
    """log(1 + x), accurate for small x.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.log1p(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.6931]
    """
    return _unary("log1p", np.log1p, x)


@rules.register("log1p")
def log1p_vjp(g, out, x):
    return (g / (x + 1),)


def expm1(x):
    """exp(x) - 1, accurate for small x.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.expm1(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 1.7183]
    """
    return _unary("expm1", np.expm1, x)


@rules.register("expm1")
def expm1_vjp(g, out, x):
    return (g * (out + 1),)


def log2(x):
    """Base-2 logarithm.

    >>> import minigrad as mg
    >>> mg.log2(mg.tensor([1.0, 8.0])).tolist()
    [0.0, 3.0]
    """
    return _unary("log2", np.log2, x)


@rules.register("log2")
def log2_vjp(g, out, x):
    return (g / (x * LN2),)


def log10(x):
    """Base-10 logarithm.

    >>> import minigrad as mg
    >>> mg.log10(mg.tensor([1.0, 100.0])).tolist()
    [0.0, 2.0]
    """
    return _unary("log10", np.log10, x)


@rules.register("log10")
def log10_vjp(g, out, x):
    return (g / (x * LN10),)


def exp2(x):
    """2 ** x.

    >>> import minigrad as mg
    >>> mg.exp2(mg.tensor([0.0, 3.0])).tolist()
    [1.0, 8.0]
    """
    return _unary("exp2", np.exp2, x)


@rules.register("exp2")
def exp2_vjp(g, out, x):
    return (g * out * LN2,)


def square(x):
    """x * x.

    >>> import minigrad as mg
    >>> mg.square(mg.tensor([1.0, -3.0])).tolist()
    [1.0, 9.0]
    """
    return _unary("square", np.square, x)


@rules.register("square")
def square_vjp(g, out, x):
    return (g * (x * 2),)


@rules.register_array("square")
def square_vjp_array(g, out, x):
    return (g * (x.data * 2),)


def reciprocal(x):
    """1 / x (numpy's integer reciprocal truncates: pass floats).

    >>> import minigrad as mg
    >>> mg.reciprocal(mg.tensor([2.0, -4.0])).tolist()
    [0.5, -0.25]
    """
    return _unary("reciprocal", np.reciprocal, x)


@rules.register("reciprocal")
def reciprocal_vjp(g, out, x):
    return (-g * out * out,)


@rules.register_array("reciprocal")
def reciprocal_vjp_array(g, out, x):
    return (-g * out * out,)


# -- trigonometric and hyperbolic ---------------------------------------------------------------

def tan(x):
    """Tangent.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.tan(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 1.5574]
    """
    return _unary("tan", np.tan, x)


@rules.register("tan")
def tan_vjp(g, out, x):
    return (g * (out * out + 1),)


def arcsin(x):
    """Inverse sine, on [-1, 1] (the gradient is infinite at the ends).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arcsin(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 1.5708]
    """
    return _unary("arcsin", np.arcsin, x)


@rules.register("arcsin")
def arcsin_vjp(g, out, x):
    return (g / sqrt(1 - x * x),)


def arccos(x):
    """Inverse cosine, on [-1, 1] (the gradient is infinite at the ends).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arccos(mg.tensor([1.0, 0.0])).tolist()]
    [0.0, 1.5708]
    """
    return _unary("arccos", np.arccos, x)


@rules.register("arccos")
def arccos_vjp(g, out, x):
    return (-g / sqrt(1 - x * x),)


def arctan(x):
    """Inverse tangent.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arctan(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.7854]
    """
    return _unary("arctan", np.arctan, x)


@rules.register("arctan")
def arctan_vjp(g, out, x):
    return (g / (x * x + 1),)


def sinh(x):
    """Hyperbolic sine.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.sinh(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 1.1752]
    """
    return _unary("sinh", np.sinh, x)


@rules.register("sinh")
def sinh_vjp(g, out, x):
    return (g * cosh(x),)


def cosh(x):
    """Hyperbolic cosine.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.cosh(mg.tensor([0.0, 1.0])).tolist()]
    [1.0, 1.5431]
    """
    return _unary("cosh", np.cosh, x)


@rules.register("cosh")
def cosh_vjp(g, out, x):
    return (g * sinh(x),)


def arcsinh(x):
    """Inverse hyperbolic sine.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arcsinh(mg.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.8814]
    """
    return _unary("arcsinh", np.arcsinh, x)


@rules.register("arcsinh")
def arcsinh_vjp(g, out, x):
    return (g / sqrt(x * x + 1),)


def arccosh(x):
    """Inverse hyperbolic cosine, for x >= 1 (the gradient is infinite at 1).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arccosh(mg.tensor([1.0, 2.0])).tolist()]
    [0.0, 1.317]
    """
    return _unary("arccosh", np.arccosh, x)


@rules.register("arccosh")
def arccosh_vjp(g, out, x):
    return (g / sqrt(x * x - 1),)


def arctanh(x):
    """Inverse hyperbolic tangent, on (-1, 1).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arctanh(mg.tensor([0.0, 0.5])).tolist()]
    [0.0, 0.5493]
    """
    return _unary("arctanh", np.arctanh, x)


@rules.register("arctanh")
def arctanh_vjp(g, out, x):
    return (g / (1 - x * x),)


def deg2rad(x):
    """Degrees to radians (also numpy's `radians`).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.deg2rad(mg.tensor([180.0])).tolist()]
    [3.1416]
    """
    return _unary("deg2rad", np.deg2rad, x)


@rules.register("deg2rad", shape_only=True)
def deg2rad_vjp(g, out, x):
    return (g * (math.pi / 180),)


def rad2deg(x):
    """Radians to degrees (also numpy's `degrees`).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.rad2deg(mg.tensor([3.141592653589793])).tolist()]
    [180.0]
    """
    return _unary("rad2deg", np.rad2deg, x)


@rules.register("rad2deg", shape_only=True)
def rad2deg_vjp(g, out, x):
    return (g * (180 / math.pi),)


# -- two inputs ---------------------------------------------------------------------------------

def arctan2(y, x):
    """The angle of the point (x, y), in (-pi, pi] (numpy's argument order: y first).

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.arctan2(mg.tensor([1.0, 1.0]), mg.tensor([1.0, -1.0])).tolist()]
    [0.7854, 2.3562]
    """
    return _binary("arctan2", np.arctan2, y, x)


@rules.register("arctan2")
def arctan2_vjp(g, out, y, x):
    r2 = x * x + y * y
    return (g * x / r2 if y.requires_grad else None), (-g * y / r2 if x.requires_grad else None)


def hypot(a, b):
    """sqrt(a**2 + b**2), without overflow (the gradient is undefined at a = b = 0).

    >>> import minigrad as mg
    >>> mg.hypot(mg.tensor([3.0]), 4.0).tolist()
    [5.0]
    """
    return _binary("hypot", np.hypot, a, b)


@rules.register("hypot")
def hypot_vjp(g, out, a, b):
    return (g * a / out if a.requires_grad else None), (g * b / out if b.requires_grad else None)


def logaddexp(a, b):
    """log(exp(a) + exp(b)), without overflow.

    >>> import minigrad as mg
    >>> [round(v, 4) for v in mg.logaddexp(mg.tensor([0.0, 1000.0]), 0.0).tolist()]
    [0.6931, 1000.0]
    """
    return _binary("logaddexp", np.logaddexp, a, b)


@rules.register("logaddexp")
def logaddexp_vjp(g, out, a, b):
    return (g * exp(a - out) if a.requires_grad else None), (g * exp(b - out) if b.requires_grad else None)


def logaddexp2(a, b):
    """log2(2**a + 2**b), without overflow.

    >>> import minigrad as mg
    >>> mg.logaddexp2(mg.tensor([1.0, 3.0]), 1.0).tolist()
    [2.0, 3.321928094887362]
    """
    return _binary("logaddexp2", np.logaddexp2, a, b)


@rules.register("logaddexp2")
def logaddexp2_vjp(g, out, a, b):
    return (g * exp2(a - out) if a.requires_grad else None), (g * exp2(b - out) if b.requires_grad else None)


__all__ = ["arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "cosh", "deg2rad", "exp2",
           "expm1", "hypot", "log10", "log1p", "log2", "logaddexp", "logaddexp2", "rad2deg", "reciprocal", "sinh",
           "square", "tan"]

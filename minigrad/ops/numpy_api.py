"""The interop table: which numpy function (or ufunc) runs which minigrad op when given Tensors.

`Tensor.__array_ufunc__` and `Tensor.__array_function__` look numpy's callables up in `TABLE`; a
function missing here, called on a Tensor that requires grad, raises a TypeError naming it
instead of silently returning a detached array. Adding an op to the interop is one line in the
section of its family (each section imports what it maps, so families never touch each other).
"""
from __future__ import annotations

import numpy as np

TABLE: dict = {}

# -- elementwise (ops/elementwise.py, ops/math.py) ------------------------------------------------
from .elementwise import abs, add, clip, cos, div, exp, log, maximum, minimum, mul, neg, power, sin, sqrt, sub, tanh, where  # noqa: E402

TABLE.update({
    np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.power: power,
    np.negative: neg, np.exp: exp, np.log: log, np.sqrt: sqrt, np.abs: abs, np.sin: sin, np.cos: cos,
    np.tanh: tanh, np.maximum: maximum, np.minimum: minimum, np.clip: clip, np.where: where,
})


# -- reductions and scans (ops/reduce.py, ops/scan.py) --------------------------------------------
from .reduce import max, mean, min, sum  # noqa: E402

TABLE.update({np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.min: min, np.amin: min})


# -- products (ops/products.py) -------------------------------------------------------------------
from .linalg import matmul  # noqa: E402

TABLE.update({np.matmul: matmul})


# -- shape, indexing, joining (ops/shape.py, ops/joining.py, ops/indexing.py) ---------------------
from .shape import concatenate, expand_dims, reshape, squeeze, stack, swapaxes, transpose  # noqa: E402

TABLE.update({
    np.concatenate: concatenate, np.stack: stack, np.reshape: reshape, np.transpose: transpose,
    np.swapaxes: swapaxes, np.expand_dims: expand_dims, np.squeeze: squeeze,
})


# -- linear algebra (ops/linalg.py; np.linalg.*) --------------------------------------------------

TABLE.update({})

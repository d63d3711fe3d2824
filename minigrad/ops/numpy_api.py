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
from . import math as _m, rounding as _r  # noqa: E402
from .elementwise import (equal, greater, greater_equal, less, less_equal, logical_and, logical_or,  # noqa: E402
                          logical_xor, not_equal, sign)

TABLE.update({getattr(np, name): getattr(_m, name) for name in _m.__all__})
TABLE.update({
    np.radians: _m.deg2rad, np.degrees: _m.rad2deg, np.sign: sign,
    np.floor: _r.floor, np.ceil: _r.ceil, np.trunc: _r.trunc, np.fix: _r.fix, np.rint: _r.rint,
    np.round: _r.round, np.around: _r.around, np.floor_divide: _r.floor_divide, np.divmod: _r.divmod_,
    np.remainder: _r.mod, np.fmod: _r.fmod, np.fmax: _r.fmax, np.fmin: _r.fmin, np.nan_to_num: _r.nan_to_num,
    # comparisons and logic: constant tensors, as the operators give
    np.greater: greater, np.greater_equal: greater_equal, np.less: less, np.less_equal: less_equal,
    np.equal: equal, np.not_equal: not_equal, np.logical_and: logical_and, np.logical_or: logical_or,
    np.logical_xor: logical_xor,
})


# -- reductions and scans (ops/reduce.py, ops/scan.py) --------------------------------------------
from .reduce import logsumexp, max, mean, min, sum  # noqa: E402

TABLE.update({np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.min: min, np.amin: min})
from . import scan as _s  # noqa: E402

TABLE.update({getattr(np, name): getattr(_s, name) for name in _s.__all__ if name != "logcumsumexp"})
# ufunc methods: np.add.reduce(t, axis) is a sum, np.multiply.accumulate(t) a cumprod, ...
REDUCE = {np.add: sum, np.multiply: _s.prod, np.maximum: max, np.minimum: min, np.logaddexp: logsumexp}
ACCUMULATE = {np.add: _s.cumsum, np.multiply: _s.cumprod, np.logaddexp: _s.logcumsumexp}
# numpy functions whose results carry no gradient by nature (shapes, indices, bools): run on the values
NO_GRADIENT = {np.shape, np.ndim, np.size, np.result_type, np.can_cast, np.isclose, np.allclose,
               np.array_equal, np.array_equiv, np.count_nonzero, np.nonzero, np.flatnonzero, np.argwhere,
               np.argsort, np.argpartition, np.searchsorted, np.isin, np.isreal, np.iscomplex,
               np.isrealobj, np.iscomplexobj, np.may_share_memory, np.shares_memory, np.isfinite, np.isnan,
               np.isinf, np.isneginf, np.isposinf, np.signbit}


# -- products (ops/products.py) -------------------------------------------------------------------
from .linalg import matmul  # noqa: E402
from .products import cross, dot, einsum, inner, kron, outer, tensordot, vdot, vecdot  # noqa: E402

TABLE.update({np.matmul: matmul})
TABLE.update({
    np.dot: dot, np.vdot: vdot, np.inner: inner, np.outer: outer, np.tensordot: tensordot, np.einsum: einsum,
    np.kron: kron, np.cross: cross,
})
if hasattr(np, "vecdot"):  # numpy >= 2.0
    TABLE[np.vecdot] = vecdot


# -- shape, indexing, joining (ops/shape.py, ops/joining.py, ops/indexing.py) ---------------------
from .shape import concatenate, expand_dims, reshape, squeeze, stack, swapaxes, transpose  # noqa: E402

TABLE.update({
    np.concatenate: concatenate, np.stack: stack, np.reshape: reshape, np.transpose: transpose,
    np.swapaxes: swapaxes, np.expand_dims: expand_dims, np.squeeze: squeeze,
})
from .differences import diff, gradient  # noqa: E402
from .indexing import diag, diagonal, piecewise, select, take, take_along_axis, trace, tril, triu  # noqa: E402
from .joining import (append, array_split, column_stack, dsplit, dstack, hsplit, hstack, split, vsplit,  # noqa: E402
                      vstack)
from .reduce import broadcast_to  # noqa: E402
from .reorder import (atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, flip, fliplr, flipud, meshgrid,  # noqa: E402
                      moveaxis, ravel, repeat, roll, rot90, tile)
from .shape import pad  # noqa: E402
from .sorting import argpartition, argsort, partition, sort  # noqa: E402

# not mapped: np.put_along_axis, np.put, np.place, np.add.at write in place (mg.put_along_axis and
# mg.add_at return a new tensor instead); np.r_/np.c_ are objects, not functions (use mg.r_/mg.c_)
TABLE.update({
    np.ravel: ravel, np.moveaxis: moveaxis, np.flip: flip, np.fliplr: fliplr, np.flipud: flipud,
    np.rot90: rot90, np.roll: roll, np.repeat: repeat, np.tile: tile, np.atleast_1d: atleast_1d,
    np.atleast_2d: atleast_2d, np.atleast_3d: atleast_3d, np.broadcast_arrays: broadcast_arrays,
    np.broadcast_to: broadcast_to, np.meshgrid: meshgrid, np.split: split, np.array_split: array_split,
    np.hsplit: hsplit, np.vsplit: vsplit, np.dsplit: dsplit, np.hstack: hstack, np.vstack: vstack,
    np.dstack: dstack, np.column_stack: column_stack, np.append: append, np.take: take,
    np.take_along_axis: take_along_axis, np.diag: diag, np.diagonal: diagonal, np.trace: trace,
    np.tril: tril, np.triu: triu, np.select: select, np.piecewise: piecewise, np.sort: sort,
    np.argsort: argsort, np.partition: partition, np.argpartition: argpartition, np.diff: diff,
    np.gradient: gradient, np.pad: pad,
})


# -- linear algebra (ops/linalg.py; np.linalg.*) --------------------------------------------------
from .decomp import cholesky, eigh, eigvalsh, lstsq, numpy_qr, pinv, svd, svdvals  # noqa: E402
from .linalg import (det, inv, matrix_power, matrix_rank, matrix_transpose, multi_dot, slogdet, solve,  # noqa: E402
                     tensorinv, tensorsolve)
from .norms import cond, matrix_norm, norm, vector_norm  # noqa: E402

# np.linalg.qr keeps numpy's (LAPACK's) signs: numpy_qr; mg.linalg.qr makes R's diagonal non-negative
TABLE.update({
    np.linalg.inv: inv, np.linalg.solve: solve, np.linalg.det: det, np.linalg.slogdet: slogdet,
    np.linalg.cholesky: cholesky, np.linalg.eigh: eigh, np.linalg.eigvalsh: eigvalsh, np.linalg.svd: svd,
    np.linalg.qr: numpy_qr, np.linalg.norm: norm, np.linalg.pinv: pinv, np.linalg.matrix_power: matrix_power,
    np.linalg.lstsq: lstsq, np.linalg.multi_dot: multi_dot, np.linalg.cond: cond,
    np.linalg.tensorinv: tensorinv, np.linalg.tensorsolve: tensorsolve,
    np.linalg.matrix_rank: matrix_rank,  # an integer array: no gradient by nature
})
# numpy >= 2.0 also has array-API names in np.linalg
TABLE.update({getattr(np.linalg, name): fn for name, fn in dict(
    svdvals=svdvals, vector_norm=vector_norm, matrix_norm=matrix_norm, matrix_transpose=matrix_transpose,
    matmul=matmul, tensordot=tensordot, outer=outer, cross=cross, vecdot=vecdot).items() if hasattr(np.linalg, name)})

"""All built-in ops, and the Tensor methods and operators that call them."""
import numpy as np

from ..tensor import Tensor
from .elementwise import (abs, add, astype, clip, cos, div, equal, exp, greater, greater_equal, less,
                          less_equal, log, logical_and, logical_or, logical_xor, maximum, minimum, mul,
                          neg, not_equal, power, relu, sigmoid, sign, sin, sqrt, sub, tanh, where)
from .inplace import iadd, imul, index_update, isub, itruediv, setitem
from .linalg import matmul
from .products import cross, dot, einsum, inner, kron, outer, tensordot, vdot, vecdot
from .reduce import broadcast_to, log_softmax, logsumexp, max, mean, min, softmax, sum
from .special import erf, erfc
from . import math as _math, rounding as _rounding, scan as _scan
from .math import *  # noqa: F401,F403 - numops: more elementwise math
from .rounding import *  # noqa: F401,F403 - numops: rounding, remainders, fmax/fmin, nan_to_num
from .inplace import _inplace
from .rounding import divmod_, floor_divide, fmod, mod, round
from .scan import *  # noqa: F401,F403 - numops: prod, var, std, scans, any/all/argmax/argmin
from .scan import all, any, argmax, argmin, cumprod, cumsum, prod, ptp, std, var
from .shape import (concatenate, expand_dims, flatten, getitem, pad, reshape, scatter_add, squeeze, stack,
                    swapaxes, transpose)
from .differences import diff, gradient
from .indexing import (add_at, diag, diagonal, piecewise, put_along_axis, select, take, take_along_axis, trace,
                       tril, triu)
from .joining import (append, array_split, c_, column_stack, dsplit, dstack, hsplit, hstack, r_, split, vsplit,
                      vstack)
from .reorder import (atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, flip, fliplr, flipud, meshgrid,
                      moveaxis, ravel, repeat, roll, rot90, tile)
from .sorting import argpartition, argsort, partition, sort

__all__ = ["abs", "add", "astype", "broadcast_to", "clip", "concatenate", "cos", "div", "equal", "exp",
           "expand_dims", "flatten", "getitem", "greater", "greater_equal", "index_update", "less", "less_equal", "log",
           "log_softmax", "logical_and", "logical_or", "logical_xor", "logsumexp", "matmul", "max", "maximum",
           "mean", "min", "minimum", "mul", "neg", "not_equal", "pad", "power", "relu", "reshape", "scatter_add",
           "sigmoid", "sign", "sin", "softmax", "sqrt", "squeeze", "stack", "sub", "sum", "swapaxes", "tanh",
           "transpose", "where"]
__all__ += ["cross", "dot", "einsum", "inner", "kron", "outer", "tensordot", "vdot", "vecdot"]
__all__ += ["add_at", "append", "argpartition", "argsort", "array_split", "atleast_1d", "atleast_2d", "atleast_3d",
            "broadcast_arrays", "c_", "column_stack", "diag", "diagonal", "diff", "dsplit", "dstack", "flip",
            "fliplr", "flipud", "gradient", "hsplit", "hstack", "meshgrid", "moveaxis", "partition", "piecewise",
            "put_along_axis", "r_", "ravel", "repeat", "roll", "rot90", "select", "sort", "split", "take",
            "take_along_axis", "tile", "trace", "tril", "triu", "vsplit", "vstack"]  # shape, indexing, joining
__all__ += ["erf", "erfc"]  # ops/special.py
__all__ += _math.__all__ + _rounding.__all__ + _scan.__all__  # numops


def _swap(fn):
    return lambda a, b: fn(b, a)


def _compare_bits(fn):
    return lambda a, b: Tensor(fn(a.data, b.data if isinstance(b, Tensor) else b))


_methods = dict(
    __add__=add, __radd__=_swap(add), __sub__=sub, __rsub__=_swap(sub), __mul__=mul, __rmul__=_swap(mul),
    __truediv__=div, __rtruediv__=_swap(div), __pow__=power, __rpow__=_swap(power),
    __matmul__=matmul, __rmatmul__=_swap(matmul), __neg__=neg, __pos__=lambda x: x, __abs__=abs,
    __gt__=greater, __ge__=greater_equal, __lt__=less, __le__=less_equal, __eq__=equal, __ne__=not_equal,
    __and__=_compare_bits(np.bitwise_and), __or__=_compare_bits(np.bitwise_or),
    __xor__=_compare_bits(np.bitwise_xor), __invert__=lambda x: Tensor(np.invert(x.data)),
    __getitem__=getitem, __setitem__=setitem,
    __iadd__=iadd, __isub__=isub, __imul__=imul, __itruediv__=itruediv,
    erf=erf, erfc=erfc,
    exp=exp, log=log, sqrt=sqrt, abs=abs, sin=sin, cos=cos, tanh=tanh, sigmoid=sigmoid, relu=relu,
    clip=clip, astype=astype, matmul=matmul, maximum=maximum, minimum=minimum,
    sum=sum, mean=mean, max=max, min=min, logsumexp=logsumexp, softmax=softmax, log_softmax=log_softmax,
    reshape=reshape, transpose=transpose, swapaxes=swapaxes, flatten=flatten, expand_dims=expand_dims,
    squeeze=squeeze, broadcast_to=broadcast_to, pad=pad,
    T=property(lambda x: transpose(x)), mT=property(lambda x: swapaxes(x, -1, -2)),
)
_methods.update(  # shape, indexing, joining (t.sort/t.partition left out: numpy's sort in place)
    ravel=ravel, repeat=repeat, take=take, diagonal=diagonal, trace=trace, argsort=argsort, flip=flip, roll=roll,
    moveaxis=moveaxis, tile=tile, diff=diff, tril=tril, triu=triu,
)
_methods.update(  # numops: % and //, and numpy's / PyTorch's method names of the ops above
    __mod__=mod, __rmod__=_swap(mod), __floordiv__=floor_divide, __rfloordiv__=_swap(floor_divide),
    __imod__=_inplace(mod, np.remainder, "%="), __ifloordiv__=_inplace(floor_divide, np.floor_divide, "//="),
    __divmod__=divmod_, __rdivmod__=_swap(divmod_), __round__=lambda x, ndigits=None: round(x, ndigits or 0),
    fmod=fmod, remainder=mod, round=round, sign=sign,
    prod=prod, var=var, std=std, ptp=ptp, cumsum=cumsum, cumprod=cumprod,
    any=any, all=all, argmax=argmax, argmin=argmin,
    **{name: getattr(_math, name) for name in ("log1p", "expm1", "log2", "log10", "exp2", "square", "reciprocal",
                                                "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh",
                                                "arccosh", "arctanh", "deg2rad", "rad2deg", "arctan2", "hypot",
                                                "logaddexp", "logaddexp2")},
    **{name: getattr(_rounding, name) for name in ("floor", "ceil", "trunc", "nan_to_num", "fmax", "fmin")},
    logcumsumexp=_scan.logcumsumexp,
)
for _name, _fn in _methods.items():
    setattr(Tensor, _name, _fn)
Tensor.dot = dot  # ndarray.dot

"""numpy's own functions on Tensors: `Tensor.__array_ufunc__`, `__array_function__` and `__array__`.

The policy, in one place:

- A numpy function or ufunc that `numpy_api.TABLE` maps to a minigrad op runs that op: `np.exp(t)`,
  `np.sum(t, axis=0)`, `ndarray * t`, `np.float64(2) * t` are recorded on the tape like `mg.exp(t)`.
  `np.add.reduce` / `np.multiply.accumulate` and friends map through `REDUCE` / `ACCUMULATE`.
- Anything else, called with a Tensor that requires grad, raises a TypeError naming the function:
  its result would be silently cut off the tape (under `mg.no_grad()` too, as PyTorch's
  `np.asarray` does: the explicit `t.detach()` says that a constant is meant). With no Tensor requiring grad it runs on the
  values (`.data`) and returns what numpy returns (plain arrays), so plotting and bookkeeping code
  on constants stays plain numpy. Functions whose results carry no gradient by nature (comparisons,
  isnan, argsort, shape, allclose... : `numpy_api.NO_GRADIENT`, and ufuncs that only return bools
  or integers) always run on the values.
- `out=` is refused when a Tensor involved requires grad; otherwise numpy writes into the arrays
  (a Tensor given as `out` has its values overwritten, as an in-place change).
- `np.asarray(t)` (`__array__`) refuses a tensor that requires grad, as PyTorch does; the explicit
  ways out are `t.detach()`, `t.numpy()` and `t.data` (all the same values, none on the tape).
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from ..tensor import Tensor, _owner
from .numpy_api import ACCUMULATE, NO_GRADIENT, REDUCE, TABLE

_INT_OR_BOOL = set("?bBhHiIlLqQpPnN")


def _name(func):
    if isinstance(func, np.ufunc):
        return f"np.{func.__name__}"
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module.replace('numpy', 'np', 1)}.{getattr(func, '__name__', func)}"


def _tensors(obj):
    """Every Tensor inside `obj` (nested lists, tuples and dicts)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _needs_grad(*objs):
    return any(t.requires_grad for t in _tensors(objs))


def _values(obj):
    """`obj` with every Tensor replaced by its array (nested lists, tuples and dicts)."""
    if isinstance(obj, Tensor):
        return obj.data
    if isinstance(obj, (list, tuple)):
        return type(obj)(_values(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _values(v) for k, v in obj.items()}
    return obj


def _refuse(what, why="minigrad has no rule for it"):
    raise TypeError(f"{what} is not differentiable in minigrad ({why}) and an input requires grad: its result "
                    f"would be silently cut off the tape. Use a minigrad op (mg.<name>) if there is one, or "
                    f"call it on t.detach() (or t.data) for a constant result.")


def _no_gradient_ufunc(ufunc):
    """A ufunc whose every numeric loop returns bools or integers (isnan, greater, ...)."""
    loops = [t.split("->") for t in ufunc.types if not set(t) & set("OmMSUV")]
    return bool(loops) and all(set(out) <= _INT_OR_BOOL for _, out in loops)


def _write_out(fn, args, kwargs, out, what):
    """numpy's `out=` on values: refused when a Tensor involved requires grad."""
    if _needs_grad(args, kwargs, out):
        raise TypeError(f"{what}(..., out=...): writing into an existing array cuts the result off the tape "
                        f"and a Tensor involved requires grad; drop out= (minigrad ops return new tensors)")
    fn(*_values(args), out=_values(out), **_values(kwargs))
    for o in _tensors(out):  # its memory changed: nodes that saved it must know
        _owner(o)._version += 1
    return out[0] if isinstance(out, tuple) and len(out) == 1 else out


def array_ufunc(ufunc, method, inputs, kwargs):
    """What `Tensor.__array_ufunc__` does: run the mapped op, or numpy on the values, or refuse.

    >>> import numpy as np, minigrad as mg
    >>> np.exp(mg.tensor([0.0], requires_grad=True))
    tensor([1.], op=exp)
    >>> np.cbrt(mg.tensor([8.0]))  # no rule, nothing requires grad: numpy's result on the values
    array([2.])
    """
    what = _name(ufunc) if method == "__call__" else f"{_name(ufunc)}.{method}"
    if kwargs.get("out") is not None:
        out = kwargs.pop("out")
        return _write_out(getattr(ufunc, method), inputs, kwargs, out, what)
    kwargs.pop("out", None)
    op = None
    if method == "__call__" and not kwargs:
        op = TABLE.get(ufunc)
    elif method == "reduce" and set(kwargs) <= {"axis", "keepdims"} and len(inputs) == 1:
        op, kwargs = REDUCE.get(ufunc), {"axis": 0, **kwargs}  # ufunc.reduce's axis defaults to 0
    elif method == "accumulate" and set(kwargs) <= {"axis"} and len(inputs) == 1:
        op, kwargs = ACCUMULATE.get(ufunc), {"axis": 0, **kwargs}
    if op is not None:
        return op(*inputs, **kwargs)
    if not _needs_grad(inputs, kwargs) or (method == "__call__" and _no_gradient_ufunc(ufunc)):
        return getattr(ufunc, method)(*_values(inputs), **_values(kwargs))
    if ufunc in TABLE or ufunc in REDUCE or ufunc in ACCUMULATE:
        _refuse(f"{what} with {', '.join(f'{k}=' for k in sorted(kwargs)) or 'these arguments'}",
                "minigrad's op does not take these arguments")
    _refuse(what)


@functools.lru_cache(maxsize=None)
def _signature(op):
    try:
        return inspect.signature(op)
    except (TypeError, ValueError):
        return None


def _bind(op, args, kwargs):
    """The keywords for `op`: numpy's keywords left at None that the op does not take are dropped;
    raises TypeError when the op cannot take the call (another keyword, too many arguments...)."""
    sig = _signature(op)
    if sig is None:
        return kwargs
    params = sig.parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = [k for k in kwargs if k not in params and kwargs[k] is not None]
        if unknown:
            raise TypeError(f"minigrad's {op.__name__} does not support the argument(s) {', '.join(unknown)}")
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    try:
        sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"minigrad's {op.__name__}{sig} cannot take these arguments: {e}") from None
    return kwargs


def array_function(func, args, kwargs):
    """What `Tensor.__array_function__` does: run the mapped op, or numpy on the values, or refuse.

    >>> import numpy as np, minigrad as mg
    >>> np.sum(mg.tensor([1.0, 2.0], requires_grad=True))
    tensor(3., op=sum)
    >>> np.median(mg.tensor([1.0, 2.0], requires_grad=True))
    Traceback (most recent call last):
    TypeError: np.median is not differentiable in minigrad (minigrad has no rule for it) and an input requires grad: its result would be silently cut off the tape. Use a minigrad op (mg.<name>) if there is one, or call it on t.detach() (or t.data) for a constant result.
    """
    what = _name(func)
    op = TABLE.get(func)
    if op is not None and kwargs.get("out") is not None:
        return _write_out(func, args, {k: v for k, v in kwargs.items() if k != "out"}, kwargs["out"], what)
    if op is not None:
        try:
            bound = _bind(op, args, kwargs)
        except TypeError as e:
            if _needs_grad(args, kwargs):
                raise TypeError(f"{what}: {e}") from None
        else:
            return op(*args, **bound)
    if func in NO_GRADIENT or not _needs_grad(args, kwargs):
        return func(*_values(args), **_values(kwargs))
    _refuse(what)


def to_array(t, dtype=None, copy=None):
    """What `Tensor.__array__` does (np.asarray(t), np.array(t)): refuse a tensor that requires grad.

    >>> import numpy as np, minigrad as mg
    >>> np.asarray(mg.tensor([1.0, 2.0]))
    array([1., 2.])
    >>> np.asarray(mg.tensor([1.0], requires_grad=True).detach())
    array([1.])
    """
    if t.requires_grad:
        raise TypeError(f"np.asarray() of a tensor that requires grad (shape {t.shape}) would cut it off the "
                        f"tape: use t.detach(), t.numpy() or t.data for its values, or minigrad ops (mg.exp, "
                        f"mg.sum, ... or numpy's own functions on the tensor) to stay differentiable")
    if copy:
        return np.array(t.data, dtype=dtype)
    return t.data if dtype is None else t.data.astype(dtype, copy=False)

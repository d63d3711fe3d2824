"""Activations, PyTorch's names, arguments, defaults and gradients at the kinks.

Everything is composed from exact recorded ops (where, exp, erfc, tanh, sigmoid, ...), so gradients
of every order come from rules that are already checked. The one dedicated op is softplus (op
"nn_softplus", not "softplus": that name is left to users' own examples):
log(1 + exp(beta x)) / beta through numpy's logaddexp (no overflow, no loss for x << 0), linear
where beta x > threshold as in PyTorch; logsigmoid(x) = -softplus(-x) with no threshold.

Kinks follow PyTorch (checked against torch's autograd in tests/test_torch_nn_functional.py):
leaky_relu, elu, celu, selu and prelu take the negative branch's slope at 0; hardtanh and relu6
pass no gradient at their bounds (unlike `clip`, which passes it); hardsigmoid has slope 0 at
+-3; hardswish has slope 0 at -3 and 1 at 3. `inplace=True` is accepted so that PyTorch code ports
unchanged, but the result is always a new tensor (minigrad records the op either way).
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops, rules
from ..tensor import _wrap, as_tensor, record
from .module import Module, Parameter


def _const(x, values):
    """A constant in x's dtype (a branch of `where` that carries no gradient)."""
    return _wrap(np.asarray(values, dtype=x.dtype))


# -- the softplus op ------------------------------------------------------------------------------

def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002 - PyTorch's argument name
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's convention).

    >>> import minigrad as mg
    >>> mg.nn.functional.softplus(mg.tensor([-30.0, 0.0, 30.0])).data.round(6).tolist()
    [0.0, 0.693147, 30.0]
    """
    x = as_tensor(input)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    bx = x.data * beta
    data = np.where(bx > threshold, x.data, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)
    return record("nn_softplus", data, (x,), beta=beta, threshold=threshold)


@rules.register("nn_softplus")
def softplus_vjp(g, out, x, beta, threshold):
    return (ops.where(x.data * beta > threshold, g, g * ops.sigmoid(x * beta)),)


def logsigmoid(input):  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), stable for any x.

    >>> import minigrad as mg
    >>> mg.nn.functional.logsigmoid(mg.tensor([-800.0, 0.0])).data.round(6).tolist()
    [-800.0, -0.693147]
    """
    return -softplus(-as_tensor(input), 1.0, math.inf)


# -- piecewise linear and exponential units ------------------------------------------------------

def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x where x > 0, negative_slope * x elsewhere (slope negative_slope at 0, as PyTorch).

    >>> import minigrad as mg
    >>> mg.nn.functional.leaky_relu(mg.tensor([-2.0, 3.0]), 0.1).data.tolist()
    [-0.2, 3.0]
    """
    x = as_tensor(input)
    return ops.where(x.data > 0, x, x * negative_slope)


def _negative_exp(x, alpha, input_scale=1.0):
    """alpha expm1(input_scale x) for the x <= 0 branch, as 2 t / (1 - t) with t = tanh(u / 2): no
    cancellation near 0 (exp(u) - 1 would lose the relative precision of small u), none for u <= 0
    in 1 - t either. It sees min(x, 0), so the unused branch cannot overflow into a 0 * inf = nan
    gradient (clip passes the gradient at 0: the slope there is the negative branch's)."""
    t = ops.tanh(ops.clip(x, None, 0.0) * (0.5 * input_scale))
    return t * (2.0 * alpha) / (1.0 - t)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, alpha (exp(x) - 1) elsewhere.

    >>> import minigrad as mg
    >>> mg.nn.functional.elu(mg.tensor([-1.0, 2.0])).data.round(6).tolist()
    [-0.632121, 2.0]
    """
    x = as_tensor(input)
    return ops.where(x.data > 0, x, _negative_exp(x, alpha))


def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, alpha (exp(x / alpha) - 1) elsewhere.

    >>> import minigrad as mg
    >>> mg.nn.functional.celu(mg.tensor([-1.0, 2.0]), alpha=2.0).data.round(6).tolist()
    [-0.786939, 2.0]
    """
    if alpha == 0:
        raise ValueError("celu: alpha must be non-zero")
    x = as_tensor(input)
    return ops.where(x.data > 0, x, _negative_exp(x, alpha, 1.0 / alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017).

    >>> import minigrad as mg
    >>> mg.nn.functional.selu(mg.tensor([-1.0, 1.0])).data.round(6).tolist()
    [-1.111331, 1.050701]
    """
    x = as_tensor(input)
    return ops.where(x.data > 0, x * _SELU_SCALE, _negative_exp(x, _SELU_ALPHA * _SELU_SCALE))


def gelu(input, approximate="none"):  # noqa: A002
    """x * Phi(x), Phi the standard normal CDF (0.5 erfc(-x / sqrt 2), exact in both tails), or
    PyTorch's tanh approximation with approximate="tanh".

    >>> import minigrad as mg
    >>> mg.nn.functional.gelu(mg.tensor([-1.0, 1.0])).data.round(6).tolist()
    [-0.158655, 0.841345]
    """
    x = as_tensor(input)
    if approximate == "none":
        return x * ops.erfc(x * (-1.0 / math.sqrt(2.0))) * 0.5
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * (ops.tanh(inner) + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace=False):  # noqa: A002
    """x * sigmoid(x) (also called swish).

    >>> import minigrad as mg
    >>> mg.nn.functional.silu(mg.tensor([-1.0, 1.0])).data.round(6).tolist()
    [-0.268941, 0.731059]
    """
    x = as_tensor(input)
    return x * ops.sigmoid(x)


def mish(input, inplace=False):  # noqa: A002
    """x * tanh(softplus(x)).

    >>> import minigrad as mg
    >>> mg.nn.functional.mish(mg.tensor([-1.0, 1.0])).data.round(6).tolist()
    [-0.303401, 0.865098]
    """
    x = as_tensor(input)
    return x * ops.tanh(softplus(x))


def softsign(input):  # noqa: A002
    """x / (1 + |x|).

    >>> import minigrad as mg
    >>> mg.nn.functional.softsign(mg.tensor([-3.0, 1.0])).data.tolist()
    [-0.75, 0.5]
    """
    x = as_tensor(input)
    return x / (ops.abs(x) + 1.0)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """x clipped to [min_val, max_val]; no gradient at the bounds (PyTorch's convention).

    >>> import minigrad as mg
    >>> mg.nn.functional.hardtanh(mg.tensor([-2.0, 0.5, 3.0])).data.tolist()
    [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    x = as_tensor(input)
    inside = (x.data > min_val) & (x.data < max_val)
    return ops.where(inside, x, _const(x, np.clip(x.data, min_val, max_val)))


def relu6(input, inplace=False):  # noqa: A002
    """min(max(x, 0), 6); no gradient at 0 and 6, as PyTorch.

    >>> import minigrad as mg
    >>> mg.nn.functional.relu6(mg.tensor([-1.0, 3.0, 8.0])).data.tolist()
    [0.0, 3.0, 6.0]
    """
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):  # noqa: A002
    """x / 6 + 1/2 clipped to [0, 1]; slope 0 at +-3, as PyTorch.

    >>> import minigrad as mg
    >>> mg.nn.functional.hardsigmoid(mg.tensor([-4.0, 0.0, 1.5, 4.0])).data.tolist()
    [0.0, 0.5, 0.75, 1.0]
    """
    x = as_tensor(input)
    inside = (x.data > -3) & (x.data < 3)
    return ops.where(inside, x / 6.0 + 0.5, _const(x, x.data >= 3))


def hardswish(input, inplace=False):  # noqa: A002
    """x * hardsigmoid(x) = x (x + 3) / 6 on (-3, 3); slope 0 at -3 and 1 at 3, as PyTorch.

    >>> import minigrad as mg
    >>> mg.nn.functional.hardswish(mg.tensor([-4.0, 1.0, 4.0])).data.round(6).tolist()
    [0.0, 0.666667, 4.0]
    """
    x = as_tensor(input)
    middle = ops.where(x.data < 3, x * (x + 3.0) / 6.0, x)
    return ops.where(x.data <= -3, _const(x, 0.0), middle)


# -- along a dimension -----------------------------------------------------------------------------

def _legacy_softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None):  # noqa: A002
    """softmax(-x) along `dim` (None: PyTorch's legacy choice, 0 for 0-, 1- and 3-D input, else 1).

    >>> import minigrad as mg
    >>> mg.nn.functional.softmin(mg.tensor([0.0, 1.0]), dim=0).data.round(6).tolist()
    [0.731059, 0.268941]
    """
    x = as_tensor(input)
    return ops.softmax(-x, axis=_legacy_softmax_dim(x.ndim) if dim is None else dim)


def glu(input, dim=-1):  # noqa: A002
    """The gated linear unit a * sigmoid(b), a and b the two halves of `input` along `dim`.

    >>> import minigrad as mg
    >>> mg.nn.functional.glu(mg.tensor([[1.0, 2.0, 0.0, 100.0]])).data.round(6).tolist()
    [[0.5, 2.0]]
    """
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("glu: input must have at least one dimension")
    axis = dim % x.ndim if -x.ndim <= dim < x.ndim else None
    if axis is None:
        raise ValueError(f"glu: dim {dim} is out of range for input of shape {x.shape}")
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: dimension {dim} of input {x.shape} has odd size {n}; it must be even")
    lead = (slice(None),) * axis
    return x[lead + (slice(0, n // 2),)] * ops.sigmoid(x[lead + (slice(n // 2, n),)])


def prelu(input, weight):  # noqa: A002
    """x where x > 0, a * x elsewhere, with a learnable slope per channel (axis 1) or one for all.

    >>> import minigrad as mg
    >>> mg.nn.functional.prelu(mg.tensor([[-2.0, 3.0]]), mg.tensor([0.25])).data.tolist()
    [[-0.5, 3.0]]
    """
    x, weight = as_tensor(input), as_tensor(weight)
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 1-D (num_parameters,), got shape {weight.shape}")
    k = weight.size
    if k != 1:
        if x.ndim < 2 or x.shape[1] != k:
            raise ValueError(f"prelu: weight has {k} parameters but input {x.shape} has "
                             f"{x.shape[1] if x.ndim >= 2 else 'no'} channels (axis 1)")
        weight = weight.reshape((1, k) + (1,) * (x.ndim - 2))
    elif weight.ndim == 1 and x.ndim == 0:
        weight = weight.reshape(())
    return ops.where(x.data > 0, x, x * weight)


def vector_norm(x, p=2.0, axis=None, keepdims=False):
    """The p-norm along `axis` (p > 0 or inf), with gradient 0 at the zero vector (as PyTorch).

    >>> import minigrad as mg
    >>> vector_norm(mg.tensor([3.0, -4.0])).item(), vector_norm(mg.tensor([3.0, -4.0]), 1).item()
    (5.0, 7.0)
    """
    x = as_tensor(x)
    if p == math.inf:
        return ops.max(ops.abs(x), axis=axis, keepdims=keepdims)
    if not p > 0:
        raise ValueError(f"norm: p must be positive or inf, got {p}")
    if p == 1:
        return ops.abs(x).sum(axis=axis, keepdims=keepdims)
    s = (x * x if p == 2 else ops.abs(x) ** p).sum(axis=axis, keepdims=keepdims)
    nonzero = s.data > 0  # the root's slope is infinite at 0: take it where s > 0 only
    safe = ops.where(nonzero, s, _const(s, 1.0))
    root = ops.sqrt(safe) if p == 2 else safe ** (1.0 / p)
    return ops.where(nonzero, root, _const(s, 0.0))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """x / max(||x||_p, eps) along `dim`.

    >>> import minigrad as mg
    >>> mg.nn.functional.normalize(mg.tensor([[3.0, 4.0]])).data.tolist()
    [[0.6, 0.8]]
    """
    if out is not None:
        raise ValueError("normalize: out= is not supported (minigrad ops return new tensors)")
    x = as_tensor(input)
    return x / ops.clip(vector_norm(x, p, dim, keepdims=True), eps, None)


# -- modules ---------------------------------------------------------------------------------------

class _Activation(Module):
    """Holds the keyword arguments of its functional and applies it."""

    _fn = None

    def __init__(self, **kwargs):
        super().__init__()
        self._kwargs = kwargs
        for k, v in kwargs.items():
            setattr(self, k, v)

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, **{k: getattr(self, k) for k in self._kwargs})

    def extra_repr(self):
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._kwargs if k != "inplace")


def _module(name, fn, doc, example, **defaults):
    """A module class applying `fn` with PyTorch's constructor arguments (`defaults`, in order)."""
    names = list(defaults)

    def __init__(self, *args, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"{name} takes at most {len(names)} positional arguments, got {len(args)}")
        unknown = set(kwargs) - set(names)
        if unknown:
            raise TypeError(f"{name}: unexpected argument(s) {', '.join(sorted(unknown))}")
        values = dict(defaults, **dict(zip(names, args)), **kwargs)
        _Activation.__init__(self, **values)

    cls = type(name, (_Activation,), {"__init__": __init__, "_fn": staticmethod(fn), "__module__": __name__,
                                      "__doc__": f"{doc}\n\n    >>> import minigrad as mg\n    {example}\n"})
    cls.__init__.__qualname__ = f"{name}.__init__"
    return cls


LeakyReLU = _module("LeakyReLU", leaky_relu, "Applies `leaky_relu` (negative_slope=0.01).",
                    ">>> mg.nn.LeakyReLU(0.2)(mg.tensor([-1.0, 1.0])).data.tolist()\n    [-0.2, 1.0]",
                    negative_slope=0.01, inplace=False)
ELU = _module("ELU", elu, "Applies `elu` (alpha=1.0).",
              ">>> mg.nn.ELU()(mg.tensor([0.0, 1.0])).data.tolist()\n    [0.0, 1.0]", alpha=1.0, inplace=False)
CELU = _module("CELU", celu, "Applies `celu` (alpha=1.0).",
               ">>> mg.nn.CELU()(mg.tensor([0.0, 1.0])).data.tolist()\n    [0.0, 1.0]", alpha=1.0, inplace=False)
SELU = _module("SELU", selu, "Applies `selu`.",
               ">>> mg.nn.SELU()(mg.tensor([0.0])).data.tolist()\n    [0.0]", inplace=False)
GELU = _module("GELU", gelu, "Applies `gelu` (approximate='none' or 'tanh').",
               ">>> mg.nn.GELU('tanh')(mg.tensor([0.0])).data.tolist()\n    [0.0]", approximate="none")
SiLU = _module("SiLU", silu, "Applies `silu`.",
               ">>> mg.nn.SiLU()(mg.tensor([0.0])).data.tolist()\n    [0.0]", inplace=False)
Mish = _module("Mish", mish, "Applies `mish`.",
               ">>> mg.nn.Mish()(mg.tensor([0.0])).data.tolist()\n    [0.0]", inplace=False)
Softplus = _module("Softplus", softplus, "Applies `softplus` (beta=1.0, threshold=20.0).",
                   ">>> mg.nn.Softplus(beta=2.0)(mg.tensor([30.0])).data.tolist()\n    [30.0]",
                   beta=1.0, threshold=20.0)
Softsign = _module("Softsign", softsign, "Applies `softsign`.",
                   ">>> mg.nn.Softsign()(mg.tensor([1.0])).data.tolist()\n    [0.5]")
LogSigmoid = _module("LogSigmoid", logsigmoid, "Applies `logsigmoid`.",
                     ">>> mg.nn.LogSigmoid()(mg.tensor([1000.0])).data.tolist()\n    [-0.0]")
Hardsigmoid = _module("Hardsigmoid", hardsigmoid, "Applies `hardsigmoid`.",
                      ">>> mg.nn.Hardsigmoid()(mg.tensor([0.0])).data.tolist()\n    [0.5]", inplace=False)
Hardswish = _module("Hardswish", hardswish, "Applies `hardswish`.",
                    ">>> mg.nn.Hardswish()(mg.tensor([3.0])).data.tolist()\n    [3.0]", inplace=False)
Hardtanh = _module("Hardtanh", hardtanh, "Applies `hardtanh` (min_val=-1.0, max_val=1.0).",
                   ">>> mg.nn.Hardtanh(-2.0, 2.0)(mg.tensor([3.0])).data.tolist()\n    [2.0]",
                   min_val=-1.0, max_val=1.0, inplace=False)
ReLU6 = _module("ReLU6", relu6, "Applies `relu6`.",
                ">>> mg.nn.ReLU6()(mg.tensor([7.0])).data.tolist()\n    [6.0]", inplace=False)
Softmin = _module("Softmin", softmin, "Applies `softmin` along `dim`.",
                  ">>> mg.nn.Softmin(dim=0)(mg.tensor([1.0, 1.0])).data.tolist()\n    [0.5, 0.5]", dim=None)
GLU = _module("GLU", glu, "Applies `glu` along `dim` (default -1).",
              ">>> mg.nn.GLU()(mg.tensor([2.0, 0.0])).data.tolist()\n    [1.0]", dim=-1)


class PReLU(Module):
    """`prelu` with a learnable slope: one (num_parameters=1) or one per channel, initialised to `init`.

    >>> import minigrad as mg
    >>> m = mg.nn.PReLU(num_parameters=2)
    >>> m.weight.shape, m(mg.tensor([[-1.0, -2.0]])).data.tolist()
    ((2,), [[-0.25, -0.5]])
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float32):
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init), dtype=dtype)

    def forward(self, input):  # noqa: A002
        return prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"

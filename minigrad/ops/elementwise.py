"""Elementwise ops: each forward with its backward rule right below it.

Rules never unbroadcast: the engine sums every gradient down to its input's shape. Rules that
would waste a large computation on an input nobody differentiates check `requires_grad` first.
Below each rule sits its ndarray twin (`rules.register_array`): the same formula on arrays, which
backward runs when it records nothing; the Tensor rule serves higher-order gradients.

Tie conventions (documented and tested): relu'(0) = 0, |x|'(0) = 0, clip passes the gradient at
its bounds, maximum/minimum split the gradient equally between tied inputs.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import Tensor, _wrap, as_tensor, is_grad_enabled, record


def _pair(a, b):
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    return a, b


def _binary(op, fn, a, b):
    if type(a) is not Tensor or type(b) is not Tensor:  # the common case skips a call
        a, b = _pair(a, b)
    try:
        data = fn(a.data, b.data)
    except ValueError as e:
        raise _value_error(op, e, a.shape, b.shape) from None
    return record(op, data, (a, b))


def _value_error(op, e, *shapes):
    """numpy's ValueError from `op`, named: a broadcasting one names the shapes; any other (an
    integer to a negative power, a read-only output...) keeps numpy's own message."""
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(map(str, shapes[:-1])) + f" and {shapes[-1]}"
        return ValueError(f"{op}: operands of shapes {listed} cannot be broadcast together")
    return ValueError(f"{op}: {e}")


# -- arithmetic ------------------------------------------------------------------------------

def add(a, b):
    """a + b elementwise, numpy broadcasting (also the `+` operator).

        >>> mg.add(mg.tensor([1.0, 2.0]), 10.0)
        tensor([11., 12.])
    """
    return _binary("add", np.add, a, b)


@rules.register("add", shape_only=True)
def add_vjp(g, out, a, b):
    return g, g


rules.register_array("add", add_vjp)  # the same formula serves arrays


def sub(a, b):
    """a - b elementwise, numpy broadcasting (also the `-` operator).

        >>> mg.sub(mg.tensor([1.0, 2.0]), 0.5)
        tensor([0.5, 1.5])
    """
    return _binary("sub", np.subtract, a, b)


@rules.register("sub", shape_only=True)
def sub_vjp(g, out, a, b):
    return g, (-g if b.requires_grad else None)


rules.register_array("sub", sub_vjp)  # the same formula serves arrays


def mul(a, b):
    """a * b elementwise, numpy broadcasting (also the `*` operator).

        >>> mg.mul(mg.tensor([1.0, 2.0]), mg.tensor([[1.0], [3.0]]))
        tensor([[1., 2.],
                [3., 6.]])
    """
    return _binary("mul", np.multiply, a, b)


@rules.register("mul", for_others=True)
def mul_vjp(g, out, a, b):
    return (g * b if a.requires_grad else None), (g * a if b.requires_grad else None)


@rules.register_array("mul")
def mul_vjp_array(g, out, a, b):
    return (g * b.data if a.requires_grad else None), (g * a.data if b.requires_grad else None)


def div(a, b):
    """a / b elementwise (true division), numpy broadcasting (also the `/` operator).

        >>> mg.div(mg.tensor([1.0, 3.0]), 2.0)
        tensor([0.5, 1.5])
    """
    return _binary("div", np.true_divide, a, b)


@rules.register("div", reads=(1,))  # b, and out: never a's value (a may change in place after)
def div_vjp(g, out, a, b):
    ga = g / b
    return (ga if a.requires_grad else None), (-ga * out if b.requires_grad else None)


@rules.register_array("div")
def div_vjp_array(g, out, a, b):
    ga = g / b.data
    return (ga if a.requires_grad else None), (-ga * out if b.requires_grad else None)


def power(a, b):
    """a ** b elementwise (also `**`); the gradient at base 0 is 0, as in PyTorch.

        >>> mg.power(mg.tensor([2.0, 3.0]), 2.0)
        tensor([4., 9.])
    """
    return _binary("pow", np.power, a, b)


@rules.register("pow")
def pow_vjp(g, out, a, b):
    # PyTorch's conventions where the formulas give 0 * inf: d(a**0)/da = 0 at a = 0, and
    # d(0**b)/db = 0 for b >= 0. Those entries are computed at base 1 instead of 0, so that no inf
    # enters the rule's own graph and the second order is 0 there too, not nan.
    ga = gb = None
    if a.requires_grad:
        zero_power = (b.data == 0) & (a.data == 0)
        ga = g * b * _base_one_where(zero_power, a) ** (b - 1)
    if b.requires_grad:
        zero_base = (a.data == 0) & (b.data >= 0)
        gb = g * out * log(_base_one_where(zero_base, a))
    return ga, gb


def _base_one_where(mask, a):
    return where(mask, 1.0, a) if mask.any() else a


@rules.register_array("pow")
def pow_vjp_array(g, out, a, b):
    ad, bd = a.data, b.data
    ga = gb = None
    if a.requires_grad:
        zero_power = (bd == 0) & (ad == 0)
        ga = g * bd * (np.where(zero_power, 1, ad) if zero_power.any() else ad) ** (bd - 1)
    if b.requires_grad:
        zero_base = (ad == 0) & (bd >= 0)
        gb = g * out * np.log(np.where(zero_base, 1, ad) if zero_base.any() else ad)
    return ga, gb


def neg(x):
    """-x elementwise (also unary `-`).

        >>> mg.neg(mg.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    return record("neg", np.negative(x.data), (x,))


@rules.register("neg", shape_only=True)
def neg_vjp(g, out, x):
    return (-g,)


rules.register_array("neg", neg_vjp)  # the same formula serves arrays


# -- unary math --------------------------------------------------------------------------------

def exp(x):
    """e ** x elementwise.

        >>> mg.exp(mg.tensor([0.0, 1.0]))
        tensor([1.        , 2.71828183])
    """
    return record("exp", np.exp(x.data), (x,))


@rules.register("exp")
def exp_vjp(g, out, x):
    return (g * out,)


rules.register_array("exp", exp_vjp)  # the same formula serves arrays


def log(x):
    """Natural logarithm, elementwise.

        >>> mg.log(mg.tensor([1.0, np.e]))
        tensor([0., 1.])
    """
    return record("log", np.log(x.data), (x,))


@rules.register("log")
def log_vjp(g, out, x):
    return (g / x,)


@rules.register_array("log")
def log_vjp_array(g, out, x):
    return (g / x.data,)


def sqrt(x):
    """Square root, elementwise.

        >>> mg.sqrt(mg.tensor([4.0, 9.0]))
        tensor([2., 3.])
    """
    return record("sqrt", np.sqrt(x.data), (x,))


@rules.register("sqrt")
def sqrt_vjp(g, out, x):
    return (g / (out + out),)  # out * 2 exactly, without a scalar operand (see tanh_vjp)


rules.register_array("sqrt", sqrt_vjp)  # the same formula serves arrays


def abs(x):  # noqa: A001 - numpy's name
    """|x| elementwise; the gradient at 0 is 0.

        >>> mg.abs(mg.tensor([-1.5, 2.0]))
        tensor([1.5, 2. ])
    """
    return record("abs", np.abs(x.data), (x,))


@rules.register("abs")
def abs_vjp(g, out, x):
    return (g * _wrap(np.sign(x.data)),)  # sign(0) = 0: the subgradient 0 at the kink


@rules.register_array("abs")
def abs_vjp_array(g, out, x):
    return (g * np.sign(x.data),)


def sin(x):
    """Sine, elementwise (radians).

        >>> mg.sin(mg.tensor([0.0, np.pi / 2]))
        tensor([0., 1.])
    """
    return record("sin", np.sin(x.data), (x,))


@rules.register("sin")
def sin_vjp(g, out, x):
    return (g * cos(x),)


@rules.register_array("sin")
def sin_vjp_array(g, out, x):
    return (g * np.cos(x.data),)


def cos(x):
    """Cosine, elementwise (radians).

        >>> mg.cos(mg.tensor([0.0, np.pi]))
        tensor([ 1., -1.])
    """
    return record("cos", np.cos(x.data), (x,))


@rules.register("cos")
def cos_vjp(g, out, x):
    return (-g * sin(x),)


@rules.register_array("cos")
def cos_vjp_array(g, out, x):
    return (-g * np.sin(x.data),)


def tanh(x):
    """Hyperbolic tangent, elementwise.

        >>> mg.tanh(mg.tensor([0.0, 100.0]))
        tensor([0., 1.])
    """
    return record("tanh", np.tanh(x.data), (x,))


@rules.register("tanh")
def tanh_vjp(g, out, x):
    # g (1 - out^2) written without the constant: a Python scalar operand costs numpy ~0.25 us a
    # call on small arrays (more than the multiply), and a Tensor rule would record a constant for it
    return (g - g * out * out,)


rules.register_array("tanh", tanh_vjp)  # the same formula serves arrays


def sigmoid(x):
    """The logistic function 1 / (1 + e^-x), elementwise, computed without overflow.

        >>> mg.sigmoid(mg.tensor([0.0, -1000.0]))
        tensor([0.5, 0. ])
    """
    # 0.5 * (1 + tanh(x / 2)) never overflows, unlike 1 / (1 + exp(-x)) for x << 0
    return record("sigmoid", 0.5 * (1 + np.tanh(0.5 * x.data)), (x,))


@rules.register("sigmoid")
def sigmoid_vjp(g, out, x):
    return (g * out * (1 - out),)


rules.register_array("sigmoid", sigmoid_vjp)  # the same formula serves arrays


def relu(x):
    """max(x, 0) elementwise; relu'(0) = 0. Its rule is the one `mg.rules.override(relu=...)` swaps.

        >>> x = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
        >>> mg.relu(x)
        tensor([0.5, 0. , 2. ], op=relu)
    """
    return record("relu", np.maximum(x.data, 0), (x,))


@rules.register("relu")
def relu_vjp(g, out, x):
    return (g * (x > 0),)  # relu'(0) = 0


@rules.register_array("relu")
def relu_vjp_array(g, out, x):
    # the mask written straight into g's dtype, then one same-dtype multiply: g * (x > 0) makes numpy
    # cast the bool operand through a buffer, ~1.5x slower on a conv layer's activations
    grad = np.greater(x.data, 0, out=np.empty_like(g))
    grad *= g
    return (grad,)


# -- two-input selections ------------------------------------------------------------------------

def maximum(a, b):
    """Elementwise maximum with numpy broadcasting; tied inputs share the gradient equally.

        >>> mg.maximum(mg.tensor([1.0, 5.0]), 3.0)
        tensor([3., 5.])
    """
    return _binary("maximum", np.maximum, a, b)


@rules.register("maximum")
def maximum_vjp(g, out, a, b):
    wa = _wrap((a.data > b.data) + 0.5 * (a.data == b.data)).astype(g.dtype)
    return (g * wa if a.requires_grad else None), (g * (1 - wa) if b.requires_grad else None)


@rules.register_array("maximum")
def maximum_vjp_array(g, out, a, b):
    wa = ((a.data > b.data) + 0.5 * (a.data == b.data)).astype(g.dtype)
    return (g * wa if a.requires_grad else None), (g * (1 - wa) if b.requires_grad else None)


def minimum(a, b):
    """Elementwise minimum with numpy broadcasting; tied inputs share the gradient equally.

        >>> mg.minimum(mg.tensor([1.0, 5.0]), 3.0)
        tensor([1., 3.])
    """
    return _binary("minimum", np.minimum, a, b)


@rules.register("minimum")
def minimum_vjp(g, out, a, b):
    wa = _wrap((a.data < b.data) + 0.5 * (a.data == b.data)).astype(g.dtype)
    return (g * wa if a.requires_grad else None), (g * (1 - wa) if b.requires_grad else None)


@rules.register_array("minimum")
def minimum_vjp_array(g, out, a, b):
    wa = ((a.data < b.data) + 0.5 * (a.data == b.data)).astype(g.dtype)
    return (g * wa if a.requires_grad else None), (g * (1 - wa) if b.requires_grad else None)


def clip(x, lo=None, hi=None):
    """Limit values to [lo, hi] (either may be None); the gradient passes at the bounds.

        >>> mg.clip(mg.tensor([-2.0, 0.5, 2.0]), -1.0, 1.0)
        tensor([-1. ,  0.5,  1. ])
    """
    if lo is None and hi is None:
        raise ValueError("clip needs at least one of lo and hi")
    lo, hi = _bound(lo), _bound(hi)
    return record("clip", np.clip(x.data, lo, hi), (x,), lo=lo, hi=hi)


def _bound(v):
    """A clip bound as the rule will read it: arrays copied (the caller may change theirs later)."""
    if isinstance(v, Tensor):
        return v.data.copy()
    return np.array(v) if isinstance(v, (np.ndarray, list)) else v


def _inside(x, lo, hi):
    """Where the gradient passes clip: inside [lo, hi], the bounds themselves included."""
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x.data >= lo
    if hi is not None:
        inside &= x.data <= hi
    return inside


@rules.register("clip")
def clip_vjp(g, out, x, lo, hi):
    return (g * _wrap(_inside(x, lo, hi)),)


@rules.register_array("clip")
def clip_vjp_array(g, out, x, lo, hi):
    return (g * _inside(x, lo, hi),)


def where(cond, a, b):
    """`a` where `cond` is true, else `b` (numpy broadcasting); `cond` is not differentiated.

        >>> mg.where(np.array([True, False]), mg.tensor([1.0, 2.0]), 0.0)
        tensor([1., 0.])
    """
    # a copy: the caller changing the mask after the op must not change the gradient
    cond = np.array(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = _pair(a, b)
    else:
        a, b = as_tensor(a), as_tensor(b)
    try:
        data = np.where(cond, a.data, b.data)
    except ValueError as e:
        raise _value_error("where", e, cond.shape, a.shape, b.shape) from None
    return record("where", data, (a, b), cond=cond)


@rules.register("where", shape_only=True)
def where_vjp(g, out, a, b, cond):
    zero = _wrap(np.zeros((), dtype=g.dtype))
    return ((where(cond, g, zero) if a.requires_grad else None),
            (where(cond, zero, g) if b.requires_grad else None))


@rules.register_array("where")
def where_vjp_array(g, out, a, b, cond):
    zero = np.zeros((), dtype=g.dtype)
    return ((np.where(cond, g, zero) if a.requires_grad else None),
            (np.where(cond, zero, g) if b.requires_grad else None))


def astype(x, dtype):
    """The same values in another dtype; the gradient is cast back to the input's dtype.

        >>> mg.astype(mg.tensor([1.5, 2.5]), np.float32)
        tensor([1.5, 2.5], dtype=float32)
    """
    dtype = np.dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind not in "fc":  # an integer or bool result has no gradient
        return _wrap(x.data.astype(dtype))
    if dtype.kind == "c" and x.requires_grad and is_grad_enabled():
        raise TypeError(f"astype({dtype}) of a tensor that requires grad: minigrad differentiates real "
                        f"values only (complex intermediates are refused); detach() it first")
    return record("cast", x.data.astype(dtype), (x,))


@rules.register("cast", shape_only=True)
def cast_vjp(g, out, x):
    return (astype(g, x.dtype),)


@rules.register_array("cast")
def cast_vjp_array(g, out, x):
    return (g.astype(x.dtype),)


# -- comparisons and logic: not differentiable, never recorded -----------------------------------

def _compare(fn):
    def compare(a, b):
        return _wrap(fn(a.data if isinstance(a, Tensor) else a, b.data if isinstance(b, Tensor) else b))
    compare.__name__ = fn.__name__
    compare.__doc__ = (f"numpy's `{fn.__name__}` elementwise, as a constant boolean tensor (not differentiable).\n\n"
                       f"    >>> mg.{fn.__name__}(mg.tensor([1.0, 2.0]), 1.5).dtype\n    dtype('bool')\n")
    return compare


greater, greater_equal, less, less_equal, equal, not_equal = map(_compare, (
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal))
logical_and, logical_or, logical_xor = map(_compare, (np.logical_and, np.logical_or, np.logical_xor))


def sign(x):
    """Elementwise sign as a constant (its derivative is 0 almost everywhere).

        >>> mg.sign(mg.tensor([-2.0, 0.0, 3.0], requires_grad=True))
        tensor([-1.,  0.,  1.])
    """
    return _wrap(np.sign(x.data))

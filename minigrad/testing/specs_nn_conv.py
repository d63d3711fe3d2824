"""Test data for the convolution and pooling ops of minigrad.nn: conv2d and its two adjoint ops (with
groups, dilation, stride, symmetric, asymmetric and "same" padding), max/avg pooling and their
adjoint ops (dilation, ceil_mode, count_include_pad, divisor_override), unfold and fold.
"""
from __future__ import annotations

import numpy as np

import minigrad.nn.functional as F
from minigrad.nn.conv import conv2d_input_grad, conv2d_weight_grad
from minigrad.nn.pooling import avg_pool2d_adjoint, max_pool2d_gather, max_pool2d_scatter
from minigrad.tensor import Tensor

from .specs import spec


def _conv_geometry(d):
    """Random small conv settings: (N, C, O, groups, kernel, stride, padding, dilation, (H, W), (Ho, Wo))."""
    n, groups = d.integers(1, 2), d.integers(1, 2)
    c, o = groups * d.integers(1, 2), groups * d.integers(1, 2)
    kernel = (d.integers(1, 3), d.integers(1, 3))
    dilation = (d.integers(1, 2), d.integers(1, 2))
    stride = (d.integers(1, 2), d.integers(1, 2))
    form = d.integers(0, 3)
    if form == 0:      # symmetric (ph, pw)
        padding = (d.integers(0, 2), d.integers(0, 2))
        sides = ((padding[0],) * 2, (padding[1],) * 2)
    elif form == 1:    # asymmetric ((top, bottom), (left, right))
        padding = sides = ((d.integers(0, 2), d.integers(0, 2)), (d.integers(0, 2), d.integers(0, 2)))
    elif form == 2 and stride == (1, 1):
        padding = "same"
        sides = tuple((e * (k - 1) // 2, e * (k - 1) - e * (k - 1) // 2) for k, e in zip(kernel, dilation))
    else:
        padding, sides = "valid", ((0, 0), (0, 0))
    span = [e * (k - 1) + 1 for k, e in zip(kernel, dilation)]
    hw = tuple(max(s - a - b, 1) + d.integers(0, 2) for s, (a, b) in zip(span, sides))
    out = tuple((h + a + b - s) // st + 1 for h, (a, b), s, st in zip(hw, sides, span, stride))
    return n, c, o, groups, kernel, stride, padding, dilation, hw, out


@spec("conv2d")
def _conv2d(d):
    n, c, o, groups, kernel, stride, padding, dilation, hw, _ = _conv_geometry(d)
    xs = [d.array((n, c) + hw), d.array((o, c // groups) + kernel)]
    if d.integers(0, 1):
        return (lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)), xs + [d.array((o,))]
    return (lambda x, w: F.conv2d(x, w, None, stride, padding, dilation, groups)), xs


@spec("conv2d_input_grad")
def _conv2d_input_grad(d):
    n, c, o, groups, kernel, stride, padding, dilation, hw, out = _conv_geometry(d)
    return ((lambda g, w: conv2d_input_grad(g, w, hw, stride, padding, dilation, groups)),
            [d.array((n, o) + out), d.array((o, c // groups) + kernel)])


@spec("conv2d_weight_grad")
def _conv2d_weight_grad(d):
    n, c, o, groups, kernel, stride, padding, dilation, hw, out = _conv_geometry(d)
    return ((lambda x, g: conv2d_weight_grad(x, g, kernel, stride, padding, dilation, groups)),
            [d.array((n, c) + hw), d.array((n, o) + out)])


def _pool_options(d, average):
    """(kernel, stride, padding, options, (H, W)) of a random pool; `options` are the keyword arguments."""
    kernel = (d.integers(1, 3), d.integers(1, 3))
    if d.integers(0, 2) == 0:  # the common case: stride == kernel tiling the image exactly
        hw = (kernel[0] * d.integers(1, 3), kernel[1] * d.integers(1, 3))
        return kernel, kernel, (0, 0), {}, hw
    stride = (d.integers(1, 3), d.integers(1, 3))  # also strides larger than the kernel
    padding = (d.integers(0, kernel[0] // 2), d.integers(0, kernel[1] // 2))
    options = {"ceil_mode": bool(d.integers(0, 1))}
    if average:
        options["count_include_pad"] = bool(d.integers(0, 1))
        if d.integers(0, 3) == 0:
            options["divisor_override"] = d.integers(1, 5)
        span = kernel
    else:
        options["dilation"] = (d.integers(1, 2), d.integers(1, 2))
        span = tuple(e * (k - 1) + 1 for k, e in zip(kernel, options["dilation"]))
    hw = tuple(s + d.integers(0, 2) for s in span)  # every window holds an input value
    return kernel, stride, padding, options, hw


def _pooled(fn, x, *args, **kwargs):
    """The node that fn records on x: its attributes are what the adjoint ops are called with."""
    return fn(Tensor(x, requires_grad=True), *args, **kwargs)._node.attrs


@spec("max_pool2d")
def _max_pool2d(d):
    kernel, stride, padding, options, hw = _pool_options(d, False)
    n, c = d.integers(1, 2), d.integers(1, 2)
    # distinct values: a tie inside a window would make the maximum's gradient jump under perturbation
    return (lambda x: F.max_pool2d(x, kernel, stride, padding, **options)), [d.distinct((n, c) + hw)]


def _argmax(d):
    kernel, stride, padding, options, hw = _pool_options(d, False)
    x = d.distinct((d.integers(1, 2), d.integers(1, 2)) + hw)
    attrs = dict(_pooled(F.max_pool2d, x, kernel, stride, padding, **options))
    return x.shape, attrs.pop("argmax"), attrs


@spec("max_pool2d_scatter")
def _max_pool2d_scatter(d):
    shape, arg, geo = _argmax(d)
    out = shape[:2] + arg.shape[2:]
    return (lambda g: max_pool2d_scatter(g, arg, shape[2:], **geo)), [d.array(out)]


@spec("max_pool2d_gather")
def _max_pool2d_gather(d):
    shape, arg, geo = _argmax(d)
    return (lambda h: max_pool2d_gather(h, arg, **geo)), [d.array(shape)]


@spec("avg_pool2d")
def _avg_pool2d(d):
    kernel, stride, padding, options, hw = _pool_options(d, True)
    return (lambda x: F.avg_pool2d(x, kernel, stride, padding, **options)), [d.array((d.integers(1, 2), 2) + hw)]


@spec("avg_pool2d_adjoint")
def _avg_pool2d_adjoint(d):
    kernel, stride, padding, options, hw = _pool_options(d, True)
    x = np.zeros((d.integers(1, 2), 2) + hw)
    node = F.avg_pool2d(Tensor(x, requires_grad=True), kernel, stride, padding, **options)
    geo = node._node.attrs
    return (lambda g: avg_pool2d_adjoint(g, hw, **geo)), [d.array(node.shape)]


def _fold_geometry(d):
    kernel = (d.integers(1, 3), d.integers(1, 2))
    dilation, stride = (d.integers(1, 2), d.integers(1, 2)), (d.integers(1, 2), d.integers(1, 3))
    padding = (d.integers(0, 1), d.integers(0, 2))
    span = [e * (k - 1) + 1 for k, e in zip(kernel, dilation)]
    hw = tuple(max(s - 2 * p, 1) + d.integers(0, 2) for s, p in zip(span, padding))
    out = [(h + 2 * p - s) // st + 1 for h, p, s, st in zip(hw, padding, span, stride)]
    return kernel, dilation, padding, stride, hw, out[0] * out[1]


@spec("unfold")
def _unfold(d):
    kernel, dilation, padding, stride, hw, _ = _fold_geometry(d)
    return (lambda x: F.unfold(x, kernel, dilation, padding, stride)), [d.array((d.integers(1, 2), 2) + hw)]


@spec("fold")
def _fold(d):
    kernel, dilation, padding, stride, hw, length = _fold_geometry(d)
    c = d.integers(1, 2) * kernel[0] * kernel[1]
    return (lambda x: F.fold(x, hw, kernel, dilation, padding, stride)), [d.array((d.integers(1, 2), c, length))]

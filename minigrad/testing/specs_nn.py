"""Test data for the ops that minigrad.nn registers (linear, conv2d and its family, pools)."""
from __future__ import annotations

import numpy as np

import minigrad.nn.functional as F
from minigrad.nn._windows import cn, max_windows
from minigrad.nn.conv import conv2d_input_grad, conv2d_weight_grad
from minigrad.nn.pooling import avg_pool2d_adjoint, max_pool2d_gather, max_pool2d_scatter

from .specs import spec


@spec("linear")
def _linear(d):
    n_in, n_out = d.integers(1, 4), d.integers(1, 3)
    lead = d.choice([(), (d.integers(1, 3),), (d.integers(1, 2), d.integers(1, 3))])
    xs = [d.array(lead + (n_in,)), d.array((n_out, n_in))]
    if d.integers(0, 1):
        return F.linear, xs + [d.array((n_out,))]
    return F.linear, xs


@spec("cross_entropy")
def _cross_entropy(d):
    n, c = d.integers(1, 4), d.integers(1, 4)
    labels = np.array([d.integers(0, c - 1) for _ in range(n)])
    reduction = d.choice(["mean", "sum", "none"])
    return (lambda z: F.cross_entropy(z, labels, reduction)), [d.array((n, c)) * 3]


def _conv_geometry(d):
    """Random small conv/pool settings: (N, C, O, kernel, stride, padding, (H, W), out (Ho, Wo))."""
    n, c, o = d.integers(1, 2), d.integers(1, 3), d.integers(1, 3)
    kernel = (d.integers(1, 3), d.integers(1, 3))
    stride = (d.integers(1, 2), d.integers(1, 2))
    padding = (d.integers(0, kernel[0] // 2), d.integers(0, kernel[1] // 2))  # pools allow at most half
    hw = tuple(max(k - 2 * p, 1) + d.integers(0, 3) for k, p in zip(kernel, padding))
    out = tuple((h + 2 * p - k) // s + 1 for h, p, k, s in zip(hw, padding, kernel, stride))
    return n, c, o, kernel, stride, padding, hw, out


@spec("conv2d")
def _conv2d(d):
    n, c, o, kernel, stride, padding, hw, _ = _conv_geometry(d)
    xs = [d.array((n, c) + hw), d.array((o, c) + kernel)]
    if d.integers(0, 1):
        return (lambda x, w, b: F.conv2d(x, w, b, stride, padding)), xs + [d.array((o,))]
    return (lambda x, w: F.conv2d(x, w, None, stride, padding)), xs


@spec("conv2d_input_grad")
def _conv2d_input_grad(d):
    n, c, o, kernel, stride, padding, hw, out = _conv_geometry(d)
    return ((lambda g, w: conv2d_input_grad(g, w, hw, stride, padding)),
            [d.array((n, o) + out), d.array((o, c) + kernel)])


@spec("conv2d_weight_grad")
def _conv2d_weight_grad(d):
    n, c, o, kernel, stride, padding, hw, out = _conv_geometry(d)
    return ((lambda x, g: conv2d_weight_grad(x, g, kernel, stride, padding)),
            [d.array((n, c) + hw), d.array((n, o) + out)])


def _pool_geometry(d):
    n, c, _, kernel, stride, padding, hw, out = _conv_geometry(d)
    if d.integers(0, 2) == 0:  # the common case: stride == kernel tiling the image exactly
        stride, padding = kernel, (0, 0)
        hw = (kernel[0] * d.integers(1, 3), kernel[1] * d.integers(1, 3))
        out = (hw[0] // kernel[0], hw[1] // kernel[1])
    elif d.integers(0, 1):
        stride = (d.integers(1, 3), d.integers(1, 3))  # also strides larger than the kernel
        out = tuple((h + 2 * p - k) // s + 1 for h, p, k, s in zip(hw, padding, kernel, stride))
    return n, c, kernel, stride, padding, hw, out


@spec("max_pool2d")
def _max_pool2d(d):
    n, c, kernel, stride, padding, hw, _ = _pool_geometry(d)
    # distinct values: a tie inside a window would make the maximum's gradient jump under perturbation
    return (lambda x: F.max_pool2d(x, kernel, stride, padding)), [d.distinct((n, c) + hw)]


@spec("max_pool2d_scatter")
def _max_pool2d_scatter(d):
    n, c, kernel, stride, padding, hw, out = _pool_geometry(d)
    arg = max_windows(cn(d.distinct((n, c) + hw)), kernel, stride, padding, out)[1]
    return (lambda g: max_pool2d_scatter(g, arg, hw, kernel, stride, padding)), [d.array((n, c) + out)]


@spec("max_pool2d_gather")
def _max_pool2d_gather(d):
    n, c, kernel, stride, padding, hw, out = _pool_geometry(d)
    arg = max_windows(cn(d.distinct((n, c) + hw)), kernel, stride, padding, out)[1]
    return (lambda h: max_pool2d_gather(h, arg, kernel, stride, padding)), [d.array((n, c) + hw)]


@spec("avg_pool2d")
def _avg_pool2d(d):
    n, c, kernel, stride, padding, hw, _ = _pool_geometry(d)
    return (lambda x: F.avg_pool2d(x, kernel, stride, padding)), [d.array((n, c) + hw)]


@spec("avg_pool2d_adjoint")
def _avg_pool2d_adjoint(d):
    n, c, kernel, stride, padding, hw, out = _pool_geometry(d)
    return (lambda g: avg_pool2d_adjoint(g, hw, kernel, stride, padding)), [d.array((n, c) + out)]

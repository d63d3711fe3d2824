"""Max and average pooling as recorded ops, each with its adjoint as a second op so gradients of
gradients work:

    max_pool2d(x)            keeps the argmax of every window (a small int array) from the forward
    max_pool2d_scatter(g)    puts g at those argmax positions      (the VJP of max_pool2d and of gather)
    max_pool2d_gather(h)     reads h at those argmax positions     (the VJP of scatter)
    avg_pool2d(x)            window means, zero padding counted
    avg_pool2d_adjoint(g)    spreads g/(kh*kw) over each window    (its VJP is avg_pool2d)
"""
from __future__ import annotations

from .. import rules
from ..tensor import as_tensor, record
from ._windows import avg_spread, avg_windows, cn, max_gather, max_scatter, max_windows, out_size, pair

__all__ = ["max_pool2d", "avg_pool2d", "max_pool2d_scatter", "max_pool2d_gather", "avg_pool2d_adjoint"]


def _setup(x, kernel_size, stride, padding, op):
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected (N, C, H, W), got {x.shape}")
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    padding = pair(padding, "padding", op, minimum=0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    return x, kernel, stride, padding, out_size(x.shape[2:], kernel, stride, padding, op)


def max_pool2d(input, kernel_size, stride=None, padding=0):  # noqa: A002 - PyTorch's name
    """Max over kh x kw windows (stride defaults to the kernel size); padding counts as -inf.

    Ties: each window's gradient goes to its first maximum in row-major order, as in PyTorch's
    max_pool2d (`mg.max` instead shares it equally among tied maxima, as torch.amax does).

    >>> import numpy as np, minigrad as mg
    >>> x = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    >>> max_pool2d(x, 2).sum().backward(); x.grad.data[0, 0].tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    x, kernel, stride, padding, out_hw = _setup(input, kernel_size, stride, padding, "max_pool2d")
    best, arg = max_windows(cn(x.data), kernel, stride, padding, out_hw)
    return record("max_pool2d", cn(best), (x,), kernel_size=kernel, stride=stride, padding=padding, argmax=arg)


@rules.register("max_pool2d")
def max_pool2d_vjp(g, out, x, kernel_size, stride, padding, argmax):
    return (max_pool2d_scatter(g, argmax, x.shape[2:], kernel_size, stride, padding),)


def max_pool2d_scatter(g, argmax, in_hw, kernel_size, stride, padding=0):
    """Zeros of spatial size `in_hw` with each value of g added at its window's argmax."""
    kernel, stride, padding = pair(kernel_size, "kernel_size", "max_pool2d_scatter"), pair(
        stride, "stride", "max_pool2d_scatter"), pair(padding, "padding", "max_pool2d_scatter", minimum=0)
    in_hw, g = tuple(int(v) for v in in_hw), as_tensor(g)
    if g.ndim != 4 or cn(g.data).shape != argmax.shape:
        raise ValueError(f"max_pool2d_scatter: gradient of shape {g.shape} does not match the pooled output "
                         f"{cn(argmax).shape}")
    dx = max_scatter(cn(g.data), argmax, in_hw, kernel, stride, padding)
    return record("max_pool2d_scatter", cn(dx), (g,), argmax=argmax, kernel_size=kernel, stride=stride,
                  padding=padding)


@rules.register("max_pool2d_scatter")
def max_pool2d_scatter_vjp(h, out, g, argmax, kernel_size, stride, padding):
    return (max_pool2d_gather(h, argmax, kernel_size, stride, padding),)


def max_pool2d_gather(h, argmax, kernel_size, stride, padding=0):
    """For every pooling window, the value of h at the window's (saved) argmax."""
    kernel, stride, padding = pair(kernel_size, "kernel_size", "max_pool2d_gather"), pair(
        stride, "stride", "max_pool2d_gather"), pair(padding, "padding", "max_pool2d_gather", minimum=0)
    h = as_tensor(h)
    if h.ndim != 4 or h.shape[:2] != cn(argmax).shape[:2]:
        raise ValueError(f"max_pool2d_gather: expected (N, C, H, W) with (N, C)={cn(argmax).shape[:2]}, got {h.shape}")
    out = max_gather(cn(h.data), argmax, kernel, stride, padding)
    return record("max_pool2d_gather", cn(out), (h,), argmax=argmax, kernel_size=kernel, stride=stride,
                  padding=padding)


@rules.register("max_pool2d_gather")
def max_pool2d_gather_vjp(g, out, h, argmax, kernel_size, stride, padding):
    return (max_pool2d_scatter(g, argmax, h.shape[2:], kernel_size, stride, padding),)


def avg_pool2d(input, kernel_size, stride=None, padding=0):  # noqa: A002
    """Mean over kh x kw windows (stride defaults to the kernel size); zero padding is averaged in."""
    x, kernel, stride, padding, out_hw = _setup(input, kernel_size, stride, padding, "avg_pool2d")
    out = avg_windows(cn(x.data), kernel, stride, padding, out_hw)
    return record("avg_pool2d", cn(out), (x,), kernel_size=kernel, stride=stride, padding=padding)


@rules.register("avg_pool2d")
def avg_pool2d_vjp(g, out, x, kernel_size, stride, padding):
    return (avg_pool2d_adjoint(g, x.shape[2:], kernel_size, stride, padding),)


def avg_pool2d_adjoint(g, in_hw, kernel_size, stride, padding=0):
    """Each value of g shared equally by the kh*kw inputs of its window; spatial size `in_hw`."""
    kernel, stride, padding = pair(kernel_size, "kernel_size", "avg_pool2d_adjoint"), pair(
        stride, "stride", "avg_pool2d_adjoint"), pair(padding, "padding", "avg_pool2d_adjoint", minimum=0)
    in_hw, g = tuple(int(v) for v in in_hw), as_tensor(g)
    if g.ndim != 4 or g.shape[2:] != out_size(in_hw, kernel, stride, padding, "avg_pool2d_adjoint"):
        raise ValueError(f"avg_pool2d_adjoint: gradient of shape {g.shape} does not fit an input of size {in_hw}")
    dx = avg_spread(cn(g.data), in_hw, kernel, stride, padding)
    return record("avg_pool2d_adjoint", cn(dx), (g,), in_hw=in_hw, kernel_size=kernel, stride=stride,
                  padding=padding)


@rules.register("avg_pool2d_adjoint")
def avg_pool2d_adjoint_vjp(h, out, g, in_hw, kernel_size, stride, padding):
    return (avg_pool2d(h, kernel_size, stride, padding),)

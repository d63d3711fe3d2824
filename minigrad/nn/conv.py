"""2-D convolution as three recorded ops whose rules are each other, so any order differentiates.

    conv2d(x, W)              y = W * x           (cross-correlation, PyTorch's conv2d)
    conv2d_input_grad(g, W)   the adjoint in x:   <g, conv2d(h, W)> = <conv2d_input_grad(g, W), h>
    conv2d_weight_grad(x, g)  the adjoint in W:   <g, conv2d(x, K)> = <conv2d_weight_grad(x, g), K>

Each is bilinear, so the VJP of any of them in either argument is another one of the three.
Each is one im2col (or col2im) and one GEMM; see _windows.py for the layout that keeps them cheap.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import as_tensor, is_grad_enabled, record
from ._windows import cn, col2im, im2col, out_size, pair

__all__ = ["conv2d", "conv2d_input_grad", "conv2d_weight_grad"]


def _geometry(op, kernel, stride, padding):
    return pair(kernel, "kernel_size", op), pair(stride, "stride", op), pair(padding, "padding", op, minimum=0)


def _check_input(x, channels, op):
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{op}: expected (N, C, H, W) with C={channels}, got {x.shape}")


def conv2d(input, weight, bias=None, stride=1, padding=0, *, _cols=None):  # noqa: A002 - PyTorch's name
    """Cross-correlate NCHW `input` with `weight` (out, in, kh, kw), plus `bias` (out,) if given."""
    x, weight = as_tensor(input), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (out_channels, in_channels, kh, kw), got {weight.shape}")
    o, c, kh, kw = weight.shape
    _check_input(x, c, "conv2d")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv2d: bias must have shape ({o},), got {bias.shape}")
    kernel, stride, padding = _geometry("conv2d", (kh, kw), stride, padding)
    n = x.shape[0]
    out_hw = out_size(x.shape[2:], kernel, stride, padding, "conv2d")
    cols = _cols if _cols is not None else im2col(cn(x.data), kernel, stride, padding, out_hw)
    y = weight.data.reshape(o, -1) @ cols  # (O, N*Ho*Wo): the one GEMM, its result already CN
    if bias is not None:
        y += bias.data.reshape(o, 1).astype(y.dtype, copy=False)
    y = cn(y.reshape((o, n) + out_hw))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    # the patch matrix is exactly what the weight gradient multiplies by: keep it rather than redo it
    keep = cols if weight.requires_grad and is_grad_enabled() else None
    return record("conv2d", y, inputs, stride=stride, padding=padding, cols=keep)


@rules.register("conv2d")
def conv2d_vjp(g, out, x, weight, *bias, stride, padding, cols):
    gx = conv2d_input_grad(g, weight, x.shape[2:], stride, padding) if x.requires_grad else None
    gw = conv2d_weight_grad(x, g, weight.shape[2:], stride, padding, _cols=cols) if weight.requires_grad else None
    if not bias:
        return gx, gw
    return gx, gw, (g.sum(axis=(0, 2, 3)) if bias[0].requires_grad else None)


def conv2d_input_grad(g, weight, in_hw, stride=1, padding=0):
    """The gradient of conv2d with respect to its input: col2im(W^T g), shape (N, C, *in_hw)."""
    g, weight = as_tensor(g), as_tensor(weight)
    o, c, kh, kw = weight.shape
    kernel, stride, padding = _geometry("conv2d_input_grad", (kh, kw), stride, padding)
    in_hw = tuple(int(v) for v in in_hw)
    _check_input(g, o, "conv2d_input_grad")
    out_hw = out_size(in_hw, kernel, stride, padding, "conv2d_input_grad")
    if g.shape[2:] != out_hw:
        raise ValueError(f"conv2d_input_grad: gradient of shape {g.shape} does not fit an input of size {in_hw} "
                         f"(expected spatial size {out_hw})")
    n = g.shape[0]
    dcols = weight.data.reshape(o, -1).T @ cn(g.data).reshape(o, -1)
    dx = col2im(dcols, c, n, in_hw, kernel, stride, padding, out_hw)
    return record("conv2d_input_grad", cn(dx), (g, weight), in_hw=in_hw, stride=stride, padding=padding)


@rules.register("conv2d_input_grad")
def conv2d_input_grad_vjp(h, out, g, weight, in_hw, stride, padding):
    gg = conv2d(h, weight, stride=stride, padding=padding) if g.requires_grad else None
    gw = conv2d_weight_grad(h, g, weight.shape[2:], stride, padding) if weight.requires_grad else None
    return gg, gw


def conv2d_weight_grad(x, g, kernel_size, stride=1, padding=0, *, _cols=None):
    """The gradient of conv2d with respect to its weight: g times the patch matrix of x."""
    x, g = as_tensor(x), as_tensor(g)
    kernel, stride, padding = _geometry("conv2d_weight_grad", kernel_size, stride, padding)
    if x.ndim != 4:
        raise ValueError(f"conv2d_weight_grad: expected (N, C, H, W) input, got {x.shape}")
    n, c = x.shape[:2]
    out_hw = out_size(x.shape[2:], kernel, stride, padding, "conv2d_weight_grad")
    if g.ndim != 4 or g.shape[0] != n or g.shape[2:] != out_hw:
        raise ValueError(f"conv2d_weight_grad: gradient of shape {g.shape} does not fit input {x.shape} "
                         f"(expected (N={n}, O, {out_hw[0]}, {out_hw[1]}))")
    o = g.shape[1]
    cols = _cols if _cols is not None else im2col(cn(x.data), kernel, stride, padding, out_hw)
    # (cols @ g^T)^T ran ~25% faster than g @ cols^T on this OpenBLAS; copy the small result back to
    # C order, which the optimizer's in-place update against the C-ordered weight needs to be fast
    dw = np.ascontiguousarray((cols @ cn(g.data).reshape(o, -1).T).T).reshape((o, c) + kernel)
    keep = cols if g.requires_grad and is_grad_enabled() else None
    return record("conv2d_weight_grad", dw, (x, g), kernel_size=kernel, stride=stride, padding=padding, cols=keep)


@rules.register("conv2d_weight_grad")
def conv2d_weight_grad_vjp(k, out, x, g, kernel_size, stride, padding, cols):
    gx = conv2d_input_grad(g, k, x.shape[2:], stride, padding) if x.requires_grad else None
    gg = conv2d(x, k, stride=stride, padding=padding, _cols=cols) if g.requires_grad else None
    return gx, gg

"""2-D convolution as three recorded ops whose rules are each other, so any order differentiates.

    conv2d(x, W)              y = W * x           (cross-correlation, PyTorch's conv2d)
    conv2d_input_grad(g, W)   the adjoint in x:   <g, conv2d(h, W)> = <conv2d_input_grad(g, W), h>
    conv2d_weight_grad(x, g)  the adjoint in W:   <g, conv2d(x, K)> = <conv2d_weight_grad(x, g), K>

Each is bilinear, so the VJP of any of them in either argument is another one of the three.
Each is one im2col (or col2im) and one GEMM; see _windows.py for the layout that keeps them cheap.
All three take stride, padding (int, pair, "same"/"valid", or ((top, bottom), (left, right))),
dilation and groups. `groups` > 1 makes the one GEMM a batched one (one product per group) over the
same patch matrix; with groups=1, dilation=1 and zero padding the code path is the plain one.
conv_transpose2d is conv2d_input_grad itself (convolution.py), so it needs no op of its own.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import as_tensor, is_grad_enabled, record
from ._windows import cn, col2im, im2col, out_size, padding_arg, pair

__all__ = ["conv2d", "conv2d_input_grad", "conv2d_weight_grad"]


def conv_padding(padding, kernel, stride, dilation, op):
    """PyTorch's padding argument as (ph, pw) or, when the sides differ, ((top, bottom), (left, right)).

    "valid" is no padding; "same" pads d*(k-1) in total per axis, the odd one at the end (as
    PyTorch does), and like PyTorch refuses strided convolutions.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions (stride={stride})")
        padding = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    return padding_arg(padding, op)


def _geometry(op, kernel, stride, padding, dilation, groups):
    kernel, stride = pair(kernel, "kernel_size", op), pair(stride, "stride", op)
    dilation = pair(dilation, "dilation", op)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    return kernel, stride, conv_padding(padding, kernel, stride, dilation, op), dilation, int(groups)


def _check_input(x, channels, op):
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{op}: expected (N, C, H, W) with C={channels}, got {x.shape}")


def _check_groups(o, c_in, groups, op, what="out_channels"):
    if o % groups:
        raise ValueError(f"{op}: {what} ({o}) must be divisible by groups ({groups})")


def _gemm(a, b, groups, ta=False):
    """a @ b (or a^T @ b), group by group: a is (G*m, k) (or (G*k, m)), b is (G*k', n); result (G*m, n)."""
    if groups == 1:
        return (a.T if ta else a) @ b
    ag = a.reshape(groups, -1, a.shape[1])
    if ta:
        ag = ag.transpose(0, 2, 1)
    return np.matmul(ag, b.reshape(groups, -1, b.shape[1])).reshape(-1, b.shape[1])


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, _cols=None):  # noqa: A002
    """Cross-correlate NCHW `input` with `weight` (out, in/groups, kh, kw), plus `bias` (out,) if given.

    PyTorch's F.conv2d: padding is an int, a pair, "same" or "valid"; `groups` splits the channels
    (groups == in_channels: depthwise).

    >>> import minigrad as mg
    >>> x, w = mg.tensor(np.ones((1, 2, 5, 5))), mg.tensor(np.ones((4, 1, 3, 3)))
    >>> conv2d(x, w, padding="same", groups=2).shape
    (1, 4, 5, 5)
    """
    x, weight = as_tensor(input), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (out_channels, in_channels/groups, kh, kw), got {weight.shape}")
    o, cg, kh, kw = weight.shape
    kernel, stride, padding, dilation, groups = _geometry("conv2d", (kh, kw), stride, padding, dilation, groups)
    _check_input(x, cg * groups, "conv2d")
    _check_groups(o, cg, groups, "conv2d")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv2d: bias must have shape ({o},), got {bias.shape}")
    n = x.shape[0]
    out_hw = out_size(x.shape[2:], kernel, stride, padding, "conv2d", dilation)
    cols = _cols if _cols is not None else im2col(cn(x.data), kernel, stride, padding, out_hw, dilation)
    y = _gemm(weight.data.reshape(o, -1), cols, groups)  # (O, N*Ho*Wo): the one GEMM, its result already CN
    if bias is not None:
        y += bias.data.reshape(o, 1).astype(y.dtype, copy=False)
    y = cn(y.reshape((o, n) + out_hw))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    # the patch matrix is exactly what the weight gradient multiplies by: keep it rather than redo it
    keep = cols if weight.requires_grad and is_grad_enabled() else None
    return record("conv2d", y, inputs, stride=stride, padding=padding, dilation=dilation, groups=groups, cols=keep)


@rules.register("conv2d")
def conv2d_vjp(g, out, x, weight, *bias, stride, padding, dilation, groups, cols):
    geo = stride, padding, dilation, groups
    gx = conv2d_input_grad(g, weight, x.shape[2:], *geo) if x.requires_grad else None
    gw = conv2d_weight_grad(x, g, weight.shape[2:], *geo, _cols=cols) if weight.requires_grad else None
    if not bias:
        return gx, gw
    return gx, gw, (g.sum(axis=(0, 2, 3)) if bias[0].requires_grad else None)


def conv2d_input_grad(g, weight, in_hw, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to its input: col2im(W^T g), shape (N, C, *in_hw).

    It is also the transposed convolution of `g` by `weight` (F.conv_transpose2d).

    >>> import minigrad as mg
    >>> conv2d_input_grad(mg.tensor(np.ones((1, 1, 2, 2))), mg.tensor(np.ones((1, 1, 2, 2))), (3, 3)).data[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    g, weight = as_tensor(g), as_tensor(weight)
    o, cg, kh, kw = weight.shape
    kernel, stride, padding, dilation, groups = _geometry("conv2d_input_grad", (kh, kw), stride, padding, dilation,
                                                          groups)
    in_hw = tuple(int(v) for v in in_hw)
    _check_input(g, o, "conv2d_input_grad")
    _check_groups(o, cg, groups, "conv2d_input_grad")
    out_hw = out_size(in_hw, kernel, stride, padding, "conv2d_input_grad", dilation)
    if g.shape[2:] != out_hw:
        raise ValueError(f"conv2d_input_grad: gradient of shape {g.shape} does not fit an input of size {in_hw} "
                         f"(expected spatial size {out_hw})")
    n = g.shape[0]
    dcols = _gemm(weight.data.reshape(o, -1), cn(g.data).reshape(o, -1), groups, ta=True)
    dx = col2im(dcols, cg * groups, n, in_hw, kernel, stride, padding, out_hw, dilation)
    return record("conv2d_input_grad", cn(dx), (g, weight), in_hw=in_hw, stride=stride, padding=padding,
                  dilation=dilation, groups=groups)


@rules.register("conv2d_input_grad")
def conv2d_input_grad_vjp(h, out, g, weight, in_hw, stride, padding, dilation, groups):
    geo = stride, padding, dilation, groups
    gg = conv2d(h, weight, None, *geo) if g.requires_grad else None
    gw = conv2d_weight_grad(h, g, weight.shape[2:], *geo) if weight.requires_grad else None
    return gg, gw


def conv2d_weight_grad(x, g, kernel_size, stride=1, padding=0, dilation=1, groups=1, *, _cols=None):
    """The gradient of conv2d with respect to its weight: g times the patch matrix of x.

    >>> import minigrad as mg
    >>> conv2d_weight_grad(mg.tensor(np.ones((1, 1, 3, 3))), mg.tensor(np.ones((1, 1, 2, 2))), 2).shape
    (1, 1, 2, 2)
    """
    x, g = as_tensor(x), as_tensor(g)
    kernel, stride, padding, dilation, groups = _geometry("conv2d_weight_grad", kernel_size, stride, padding,
                                                          dilation, groups)
    if x.ndim != 4:
        raise ValueError(f"conv2d_weight_grad: expected (N, C, H, W) input, got {x.shape}")
    n, c = x.shape[:2]
    out_hw = out_size(x.shape[2:], kernel, stride, padding, "conv2d_weight_grad", dilation)
    if g.ndim != 4 or g.shape[0] != n or g.shape[2:] != out_hw:
        raise ValueError(f"conv2d_weight_grad: gradient of shape {g.shape} does not fit input {x.shape} "
                         f"(expected (N={n}, O, {out_hw[0]}, {out_hw[1]}))")
    o = g.shape[1]
    _check_groups(o, c, groups, "conv2d_weight_grad", "the gradient's channels")
    _check_groups(c, c, groups, "conv2d_weight_grad", "the input's channels")
    cols = _cols if _cols is not None else im2col(cn(x.data), kernel, stride, padding, out_hw, dilation)
    g2 = cn(g.data).reshape(o, -1)
    if groups == 1:
        # (cols @ g^T)^T ran ~25% faster than g @ cols^T on this OpenBLAS; copy the small result back to
        # C order, which the optimizer's in-place update against the C-ordered weight needs to be fast
        dw = np.ascontiguousarray((cols @ g2.T).T)
    else:
        cg = cols.reshape(groups, -1, cols.shape[1])
        dw = np.ascontiguousarray(np.matmul(cg, g2.reshape(groups, -1, g2.shape[1]).transpose(0, 2, 1))
                                  .transpose(0, 2, 1))
    dw = dw.reshape((o, c // groups) + kernel)
    keep = cols if g.requires_grad and is_grad_enabled() else None
    return record("conv2d_weight_grad", dw, (x, g), kernel_size=kernel, stride=stride, padding=padding,
                  dilation=dilation, groups=groups, cols=keep)


@rules.register("conv2d_weight_grad")
def conv2d_weight_grad_vjp(k, out, x, g, kernel_size, stride, padding, dilation, groups, cols):
    geo = stride, padding, dilation, groups
    gx = conv2d_input_grad(g, k, x.shape[2:], *geo) if x.requires_grad else None
    gg = conv2d(x, k, None, *geo, _cols=cols) if g.requires_grad else None
    return gx, gg

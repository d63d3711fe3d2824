"""Max and average pooling as recorded ops, each with its adjoint as a second op so gradients of
gradients work:

    max_pool2d(x)            keeps the argmax of every window (a small int array) from the forward
    max_pool2d_scatter(g)    puts g at those argmax positions      (the VJP of max_pool2d and of gather)
    max_pool2d_gather(h)     reads h at those argmax positions     (the VJP of scatter)
    avg_pool2d(x)            window sums times 1/divisor (PyTorch's divisor for the options given)
    avg_pool2d_adjoint(g)    spreads g/divisor over each window    (its VJP is avg_pool2d)

PyTorch's options: dilation (max), ceil_mode (a last partial window, padded with -inf for max and
zeros for the average), count_include_pad and divisor_override (average), return_indices (max:
flat indices into each H*W plane, for max_unpool2d). Ties in a window: the first maximum in
row-major window order takes the value and the whole gradient, as in PyTorch. The 1-d pools are the
2-d ones over a height-1 image.
"""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import _wrap, as_tensor, record
from ._windows import (avg_spread, avg_windows, cn, max_gather, max_scatter, max_windows, out_size, padding_arg,
                       pair, pads, reach, single)

__all__ = ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "max_pool2d_scatter", "max_pool2d_gather",
           "avg_pool2d_adjoint"]


def _setup(x, kernel_size, stride, padding, op, dilation=1, ceil_mode=False):
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected (N, C, H, W), got {x.shape}")
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == [] else pair(stride, "stride", op)
    padding = pair(padding, "padding", op, minimum=0)
    dilation = pair(dilation, "dilation", op)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    out_hw = out_size(x.shape[2:], kernel, stride, padding, op, dilation, bool(ceil_mode))
    # ceil_mode may need a wider trailing side; otherwise the padding stays the symmetric (ph, pw)
    padding = padding_arg(reach(x.shape[2:], kernel, stride, padding, out_hw, dilation), op)
    return x, kernel, stride, padding, dilation, out_hw


def _geometry(op, kernel_size, stride, padding, dilation=1):
    """The checked geometry of the adjoint ops (padding may be ((top, bottom), (left, right)))."""
    return (pair(kernel_size, "kernel_size", op), pair(stride, "stride", op), padding_arg(padding, op),
            pair(dilation, "dilation", op))


def _flat_indices(arg, padding, kernel, stride, dilation, width):
    """PyTorch's return_indices: the flat index into the H*W plane of each window's maximum."""
    (t, _), (l, _) = pads(padding)
    a = arg.astype(np.int64)
    ho, wo = arg.shape[2:]
    rows = (np.arange(ho) * stride[0] - t)[:, None] + a // kernel[1] * dilation[0]
    cols = (np.arange(wo) * stride[1] - l)[None, :] + a % kernel[1] * dilation[1]
    return cn(rows * width + cols)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max over kh x kw windows (stride defaults to the kernel size); padding counts as -inf.

    Ties: each window's gradient goes to its first maximum in row-major order, as in PyTorch's
    max_pool2d (`mg.max` instead shares it equally among tied maxima, as torch.amax does).

    >>> import minigrad as mg
    >>> x = mg.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> y, i = max_pool2d(x, 2, return_indices=True)
    >>> y.data[0, 0].tolist(), i.data[0, 0].tolist()
    ([[5.0, 7.0], [13.0, 15.0]], [[5, 7], [13, 15]])
    """
    x, kernel, stride, padding, dilation, out_hw = _setup(input, kernel_size, stride, padding, "max_pool2d",
                                                          dilation, ceil_mode)
    best, arg = max_windows(cn(x.data), kernel, stride, padding, out_hw, dilation)
    geo = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    y = record("max_pool2d", cn(best), (x,), argmax=arg, **geo)
    if return_indices:
        return y, _wrap(_flat_indices(arg, padding, kernel, stride, dilation, x.shape[3]))
    return y


@rules.register("max_pool2d")
def max_pool2d_vjp(g, out, x, argmax, **geo):
    return (max_pool2d_scatter(g, argmax, x.shape[2:], **geo),)


def max_pool2d_scatter(g, argmax, in_hw, kernel_size, stride, padding=0, dilation=1):
    """Zeros of spatial size `in_hw` with each value of g added at its window's argmax.

    >>> import minigrad as mg
    >>> arg = np.array([[[[3]]]], dtype=np.uint8)
    >>> max_pool2d_scatter(mg.tensor(np.ones((1, 1, 1, 1))), arg, (2, 2), 2, 2).data[0, 0].tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """
    kernel, stride, padding, dilation = _geometry("max_pool2d_scatter", kernel_size, stride, padding, dilation)
    in_hw, g = tuple(int(v) for v in in_hw), as_tensor(g)
    if g.ndim != 4 or cn(g.data).shape != argmax.shape:
        raise ValueError(f"max_pool2d_scatter: gradient of shape {g.shape} does not match the pooled output "
                         f"{cn(argmax).shape}")
    dx = max_scatter(cn(g.data), argmax, in_hw, kernel, stride, padding, dilation)
    geo = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    return record("max_pool2d_scatter", cn(dx), (g,), argmax=argmax, **geo)


@rules.register("max_pool2d_scatter")
def max_pool2d_scatter_vjp(h, out, g, argmax, **geo):
    return (max_pool2d_gather(h, argmax, **geo),)


def max_pool2d_gather(h, argmax, kernel_size, stride, padding=0, dilation=1):
    """For every pooling window, the value of h at the window's (saved) argmax.

    >>> import minigrad as mg
    >>> arg = np.array([[[[2]]]], dtype=np.uint8)
    >>> max_pool2d_gather(mg.tensor(np.arange(4.0).reshape(1, 1, 2, 2)), arg, 2, 2).data.tolist()
    [[[[2.0]]]]
    """
    kernel, stride, padding, dilation = _geometry("max_pool2d_gather", kernel_size, stride, padding, dilation)
    h = as_tensor(h)
    if h.ndim != 4 or h.shape[:2] != cn(argmax).shape[:2]:
        raise ValueError(f"max_pool2d_gather: expected (N, C, H, W) with (N, C)={cn(argmax).shape[:2]}, got {h.shape}")
    out = max_gather(cn(h.data), argmax, kernel, stride, padding, dilation)
    geo = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    return record("max_pool2d_gather", cn(out), (h,), argmax=argmax, **geo)


@rules.register("max_pool2d_gather")
def max_pool2d_gather_vjp(g, out, h, argmax, **geo):
    return (max_pool2d_scatter(g, argmax, h.shape[2:], **geo),)


def _divisors(n, kernel, stride, pad, out, count_include_pad):
    """PyTorch's per-window divisor along one axis: the window clipped to the padded input (or, without
    count_include_pad, to the input itself)."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, n + pad)
    if count_include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,  # noqa: A002
               divisor_override=None):
    """Mean over kh x kw windows (stride defaults to the kernel size), with PyTorch's divisor options.

    >>> import minigrad as mg
    >>> x = mg.tensor(np.ones((1, 1, 3, 3)))
    >>> avg_pool2d(x, 2, padding=1, count_include_pad=False).data[0, 0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    x, kernel, stride, padding, _, out_hw = _setup(input, kernel_size, stride, padding, "avg_pool2d", 1, ceil_mode)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive integer, got {divisor_override!r}")
        divisor = np.full(out_hw, float(divisor_override))
    else:
        (t, _), (l, _) = pads(padding)
        dh, dw = (_divisors(n, k, s, p, o, count_include_pad)
                  for n, k, s, p, o in zip(x.shape[2:], kernel, stride, (t, l), out_hw))
        divisor = np.maximum(np.outer(dh, dw), 1).astype(float)  # a window wholly in padding sums to 0
    scale = None if (divisor == kernel[0] * kernel[1]).all() else 1.0 / divisor
    return _avg_pool(x, kernel, stride, padding, out_hw, scale)


def _avg_pool(x, kernel, stride, padding, out_hw, scale):
    out = avg_windows(cn(x.data), kernel, stride, padding, out_hw, scale)
    return record("avg_pool2d", cn(out), (x,), kernel_size=kernel, stride=stride, padding=padding, scale=scale)


@rules.register("avg_pool2d")
def avg_pool2d_vjp(g, out, x, kernel_size, stride, padding, scale):
    return (avg_pool2d_adjoint(g, x.shape[2:], kernel_size, stride, padding, scale),)


def avg_pool2d_adjoint(g, in_hw, kernel_size, stride, padding=0, scale=None):
    """Each value of g times its window's 1/divisor (`scale`, (Ho, Wo); default 1/(kh*kw)), given to
    each input of the window; spatial size `in_hw`.

    >>> import minigrad as mg
    >>> avg_pool2d_adjoint(mg.tensor(np.ones((1, 1, 1, 1))), (2, 2), 2, 2).data[0, 0].tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    kernel, stride, padding, _ = _geometry("avg_pool2d_adjoint", kernel_size, stride, padding)
    in_hw, g = tuple(int(v) for v in in_hw), as_tensor(g)
    if g.ndim != 4 or g.shape[2:] != out_size(in_hw, kernel, stride, padding, "avg_pool2d_adjoint"):
        raise ValueError(f"avg_pool2d_adjoint: gradient of shape {g.shape} does not fit an input of size {in_hw}")
    dx = avg_spread(cn(g.data), in_hw, kernel, stride, padding, scale)
    return record("avg_pool2d_adjoint", cn(dx), (g,), in_hw=in_hw, kernel_size=kernel, stride=stride,
                  padding=padding, scale=scale)


@rules.register("avg_pool2d_adjoint")
def avg_pool2d_adjoint_vjp(h, out, g, in_hw, kernel_size, stride, padding, scale):
    return (_avg_pool(h, kernel_size, stride, padding, g.shape[2:], scale),)


def _as_2d(x, op):
    x = as_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"{op}: expected (N, C, L), got {x.shape}")
    return x.reshape(x.shape[:2] + (1, x.shape[2]))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """max_pool2d over (N, C, L) input: windows along L.

    >>> import minigrad as mg
    >>> max_pool1d(mg.tensor(np.array([[[1.0, 3.0, 2.0, 0.0, 5.0]]])), 2, ceil_mode=True).data.tolist()
    [[[3.0, 2.0, 5.0]]]
    """
    k, s, p, d = (single(v, n, "max_pool1d") for v, n in ((kernel_size, "kernel_size"), (stride, "stride"),
                                                         (padding, "padding"), (dilation, "dilation")))
    out = max_pool2d(_as_2d(input, "max_pool1d"), (1, k), None if s is None else (1, s), (0, p), (1, d), ceil_mode,
                     return_indices)
    if return_indices:
        return out[0][:, :, 0], _wrap(out[1].data[:, :, 0])
    return out[:, :, 0]


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):  # noqa: A002
    """avg_pool2d over (N, C, L) input: windows along L.

    >>> import minigrad as mg
    >>> avg_pool1d(mg.tensor(np.array([[[1.0, 3.0, 2.0, 0.0]]])), 2).data.tolist()
    [[[2.0, 1.0]]]
    """
    k, s, p = (single(v, n, "avg_pool1d") for v, n in ((kernel_size, "kernel_size"), (stride, "stride"),
                                                      (padding, "padding")))
    return avg_pool2d(_as_2d(input, "avg_pool1d"), (1, k), None if s is None else (1, s), (0, p), ceil_mode,
                      count_include_pad)[:, :, 0]

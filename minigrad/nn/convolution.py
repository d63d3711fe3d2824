"""The convolutions built on the three conv2d ops, PyTorch's F names and arguments:

    conv1d             conv2d over a height-1 image
    conv_transpose2d   conv2d_input_grad itself (the transposed convolution is the adjoint of conv2d),
                       plus the bias; output_padding grows the image it writes into
    conv_transpose1d   conv_transpose2d over a height-1 image
    pad                constant padding (the `pad` op) or reflect / replicate / circular, which are
                       gathers (`getitem` with an index array per padded axis), so all differentiate
                       to any order through ops that are already checked
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import as_tensor
from ._windows import pair, single
from .conv import conv2d, conv2d_input_grad

__all__ = ["conv1d", "conv_transpose1d", "conv_transpose2d", "pad", "transpose_output_size"]


def _lift(x, op, what="input", ndim=3):
    x = as_tensor(x)
    if x.ndim != ndim:
        raise ValueError(f"{op}: expected {what} of shape {'(N, C, L)' if what == 'input' else '(O, C, k)'}, "
                         f"got {x.shape}")
    return x.reshape(x.shape[:2] + (1, x.shape[2]))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """Cross-correlate (N, C, L) `input` with `weight` (out, in/groups, k): conv2d over height 1.

    >>> import minigrad as mg
    >>> conv1d(mg.tensor(np.ones((1, 1, 5))), mg.tensor(np.ones((1, 1, 3))), padding="same").data.tolist()
    [[[2.0, 3.0, 3.0, 3.0, 2.0]]]
    """
    s, d = single(stride, "stride", "conv1d"), single(dilation, "dilation", "conv1d")
    p = padding if isinstance(padding, str) else (0, single(padding, "padding", "conv1d"))
    y = conv2d(_lift(input, "conv1d"), _lift(weight, "conv1d", "weight"), bias, (1, s), p, (1, d), groups)
    return y.reshape(y.shape[:2] + (y.shape[3],))


def transpose_output_size(in_hw, kernel, stride, padding, output_padding, dilation, op="conv_transpose2d"):
    """(H-1)*s - 2p + d*(k-1) + output_padding + 1 per axis, with PyTorch's limit on output_padding."""
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise ValueError(f"{op}: output_padding {tuple(output_padding)} must be smaller than either the stride "
                             f"{tuple(stride)} or the dilation {tuple(dilation)}")
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                for n, k, s, p, o, d in zip(in_hw, kernel, stride, padding, output_padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{op}: the output size {out} is not positive (input {tuple(in_hw)}, padding {padding})")
    return out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """The transposed convolution: weight (in, out/groups, kh, kw) as in PyTorch; the adjoint of conv2d.

    >>> import minigrad as mg
    >>> y = conv_transpose2d(mg.tensor(np.ones((1, 2, 3, 3))), mg.tensor(np.ones((2, 3, 3, 3))), stride=2,
    ...                      padding=1, output_padding=1)
    >>> y.shape
    (1, 3, 6, 6)
    """
    x, weight = as_tensor(input), as_tensor(weight)
    op = "conv_transpose2d"
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must be (in_channels, out_channels/groups, kh, kw), got {weight.shape}")
    if x.ndim != 4 or x.shape[1] != weight.shape[0]:
        raise ValueError(f"{op}: expected (N, C, H, W) with C={weight.shape[0]} (the weight's first axis), "
                         f"got {x.shape}")
    stride, padding = pair(stride, "stride", op), pair(padding, "padding", op, minimum=0)
    dilation, output_padding = pair(dilation, "dilation", op), pair(output_padding, "output_padding", op, minimum=0)
    out_hw = transpose_output_size(x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation)
    if output_padding[0] >= stride[0] or output_padding[1] >= stride[1]:
        # PyTorch allows it when smaller than the dilation, but conv2d would then see one window more
        raise ValueError(f"{op}: output_padding {output_padding} not smaller than the stride {stride} is not "
                         f"supported")
    y = conv2d_input_grad(x, weight, out_hw, stride, padding, dilation, groups)
    if bias is None:
        return y
    bias = as_tensor(bias)
    if bias.shape != (y.shape[1],):
        raise ValueError(f"{op}: bias must have shape ({y.shape[1]},), got {bias.shape}")
    return y + bias.reshape(1, -1, 1, 1)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """The transposed 1-d convolution: (N, C, L) input, weight (in, out/groups, k).

    >>> import minigrad as mg
    >>> conv_transpose1d(mg.tensor(np.ones((1, 1, 3))), mg.tensor(np.ones((1, 1, 2))), stride=2).data.tolist()
    [[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]]
    """
    op = "conv_transpose1d"
    s, p, o, d = (single(v, n, op) for v, n in ((stride, "stride"), (padding, "padding"),
                                              (output_padding, "output_padding"), (dilation, "dilation")))
    y = conv_transpose2d(_lift(input, op), _lift(weight, op, "weight"), bias, (1, s), (0, p), (0, o), groups, (1, d))
    return y.reshape(y.shape[:2] + (y.shape[3],))


def pad(input, pad, mode="constant", value=0.0):  # noqa: A002 - PyTorch's names
    """PyTorch's F.pad: `pad` = (last_before, last_after, second_last_before, ...), non-negative;
    mode "constant" (with `value`), "reflect", "replicate" or "circular".

    >>> import minigrad as mg
    >>> pad(mg.tensor(np.array([[[1.0, 2.0, 3.0]]])), (2, 1), mode="reflect").data.tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    """
    x = as_tensor(input)
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise ValueError(f"pad: `pad` must hold an even number of ints, two per padded axis (at most {x.ndim}), "
                         f"got {pad}")
    if min(pad, default=0) < 0:
        raise ValueError(f"pad: negative padding {pad} is not supported")
    sides = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]  # last axis first
    widths = [(0, 0)] * (x.ndim - len(sides)) + sides[::-1]
    if mode == "constant":
        return ops.pad(x, widths, value=value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if len(sides) > x.ndim - 1 and mode != "constant":
        raise ValueError(f"pad: mode {mode!r} pads at most the last {x.ndim - 1} axes of a {x.ndim}-d input "
                         f"(the first is the batch)")
    for i, (a, b) in enumerate(sides):
        axis = x.ndim - 1 - i
        n = x.shape[axis]
        limit = n - 1 if mode == "reflect" else n
        if max(a, b) > limit:
            raise ValueError(f"pad: {mode} padding {(a, b)} of axis {axis} must be at most {limit} for its size {n}")
    return ops.pad(x, widths, mode=mode)  # numpy's reflect, edge and wrap are PyTorch's three modes

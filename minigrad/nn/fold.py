"""unfold (im2col) and fold (col2im) as two recorded ops, each the other's rule: both are linear and
adjoint, <fold(c), x> = <c, unfold(x)>, so any order of gradients differentiates. PyTorch's layout:
unfold gives (N, C*kh*kw, L), channel-major then kernel row then column, L windows in row-major order.
"""
from __future__ import annotations

from .. import rules
from ..tensor import as_tensor, record
from ._windows import cn, col2im, im2col, out_size, pair

__all__ = ["unfold", "fold"]


def _geometry(op, kernel_size, dilation, padding, stride):
    return (pair(kernel_size, "kernel_size", op), pair(dilation, "dilation", op),
            pair(padding, "padding", op, minimum=0), pair(stride, "stride", op))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002 - PyTorch's names
    """Every kh x kw window of (N, C, H, W) `input` as a column: (N, C*kh*kw, L).

    >>> import numpy as np, minigrad as mg
    >>> unfold(mg.tensor(np.arange(9.0).reshape(1, 1, 3, 3)), 2).data[0].tolist()
    [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    x = as_tensor(input)
    kernel, dilation, padding, stride = _geometry("unfold", kernel_size, dilation, padding, stride)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected (N, C, H, W), got {x.shape}")
    n, c = x.shape[:2]
    out_hw = out_size(x.shape[2:], kernel, stride, padding, "unfold", dilation)
    cols = im2col(cn(x.data), kernel, stride, padding, out_hw, dilation)
    y = cols.reshape(cols.shape[0], n, -1).transpose(1, 0, 2)
    return record("unfold", y, (x,), kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)


@rules.register("unfold", shape_only=True)
def unfold_vjp(g, out, x, **geo):
    return (fold(g, x.shape[2:], **geo),)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """The adjoint of unfold: add each column of (N, C*kh*kw, L) `input` back into its window of an
    (N, C, *output_size) image (overlaps add up).

    >>> import numpy as np, minigrad as mg
    >>> fold(mg.tensor(np.ones((1, 4, 4))), (3, 3), 2).data[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    x = as_tensor(input)
    kernel, dilation, padding, stride = _geometry("fold", kernel_size, dilation, padding, stride)
    hw = pair(output_size, "output_size", "fold")
    out_hw = out_size(hw, kernel, stride, padding, "fold", dilation)
    k = kernel[0] * kernel[1]
    if x.ndim != 3 or x.shape[1] % k or x.shape[2] != out_hw[0] * out_hw[1]:
        raise ValueError(f"fold: expected (N, C*{k}, {out_hw[0] * out_hw[1]}) for kernel {kernel} and output size "
                         f"{hw}, got {x.shape}")
    n, ck = x.shape[:2]
    cols = x.data.transpose(1, 0, 2).reshape(ck, -1)
    y = col2im(cols, ck // k, n, hw, kernel, stride, padding, out_hw, dilation)
    return record("fold", cn(y), (x,), kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)


@rules.register("fold", shape_only=True)
def fold_vjp(g, out, x, **geo):
    return (unfold(g, **geo),)

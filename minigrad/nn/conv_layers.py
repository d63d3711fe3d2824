"""Convolution layers with PyTorch's constructor arguments, weight layouts and default initialisation:
Conv1d, Conv2d (weight (out, in/groups, *k)) and ConvTranspose1d, ConvTranspose2d (weight
(in, out/groups, *k)), all initialised as PyTorch does (kaiming-uniform(a=sqrt(5)) weight,
U(+-1/sqrt(fan_in)) bias, fan_in from the weight's shape), so state dicts interchange.

padding_mode "reflect", "replicate" or "circular" pads with F.pad first and convolves unpadded, as
PyTorch's modules do (the transposed ones accept only "zeros", as in PyTorch).
"""
from __future__ import annotations

import numpy as np

from . import functional as F
from .convolution import transpose_output_size
from .layers import _Affine, _sizes

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n, name, layer, minimum=1):
    t = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(t) != n or not all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in t):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {v!r}")
    if any(e < minimum for e in t):
        raise ValueError(f"{layer}: {name} must be >= {minimum}, got {v!r}")
    return tuple(int(e) for e in t)


class _ConvNd(_Affine):
    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=np.float32, output_padding=0):
        super().__init__()
        name, n = type(self).__name__, self._dims
        self.in_channels, self.out_channels, self.groups = _sizes(name, in_channels=in_channels,
                                                                 out_channels=out_channels, groups=groups)
        for what, v in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if v % self.groups:
                raise ValueError(f"{name}: {what} ({v}) must be divisible by groups ({self.groups})")
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size", name)
        self.stride = _ntuple(stride, n, "stride", name)
        self.dilation = _ntuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self._transposed:
                strings = "" if self._transposed else ", 'same' or 'valid'"
                raise ValueError(f"{name}: padding must be an int or a tuple of {n} ints{strings}, got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, n, "padding", name, minimum=0)
        if padding_mode not in _PADDING_MODES or (self._transposed and padding_mode != "zeros"):
            allowed = ("zeros",) if self._transposed else _PADDING_MODES
            raise ValueError(f"{name}: padding_mode must be one of {', '.join(map(repr, allowed))}, "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.output_padding = _ntuple(output_padding, n, "output_padding", name, minimum=0)
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self._init_parameters(np.zeros(shape), self.out_channels, bias, dtype)

    def _pad_sides(self):
        """F.pad's argument for padding_mode != "zeros": (last_before, last_after, ...), PyTorch's
        _reversed_padding_repeated_twice."""
        sides = []
        for i in reversed(range(self._dims)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                sides += [total // 2, total - total // 2]
            elif self.padding == "valid":
                sides += [0, 0]
            else:
                sides += [self.padding[i]] * 2
        return tuple(sides)

    def _fn_args(self, padding):
        """stride, padding, dilation as the functional form wants them (ints for 1-d)."""
        if self._dims == 1:
            return self.stride[0], padding if isinstance(padding, str) else padding[0], self.dilation[0]
        return self.stride, padding, self.dilation

    def forward(self, x):
        conv = F.conv1d if self._dims == 1 else F.conv2d
        if self.padding_mode != "zeros":
            x = F.pad(x, self._pad_sides(), mode=self.padding_mode)
            stride, padding, dilation = self._fn_args((0,) * self._dims)
        else:
            stride, padding, dilation = self._fn_args(self.padding)
        return conv(x, self.weight, self.bias, stride, padding, dilation, self.groups)

    def extra_repr(self):
        n = self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """1-d cross-correlation over (N, C, L) input; weight (out_channels, in_channels/groups, k).

    >>> import minigrad as mg
    >>> mg.nn.Conv1d(2, 4, 3, padding="same", padding_mode="circular")(mg.tensor(np.ones((1, 2, 5), np.float32))).shape
    (1, 4, 5)
    """

    _dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)


class Conv2d(_ConvNd):
    """2-D cross-correlation over NCHW input; weight (out_channels, in_channels/groups, kh, kw) as in PyTorch.

    >>> import minigrad as mg
    >>> conv = mg.nn.Conv2d(4, 4, 3, padding=1, groups=4, padding_mode="reflect")   # depthwise
    >>> conv.weight.shape, conv(mg.tensor(np.ones((2, 4, 6, 6), np.float32))).shape
    ((4, 1, 3, 3), (2, 4, 6, 6))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, output_padding)

    def _output_padding(self, x, output_size):
        """PyTorch's: the output_padding that makes the output `output_size` (or the constructor's)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        size = tuple(int(v) for v in output_size)[-n:]
        name = type(self).__name__
        if len(size) != n:
            raise ValueError(f"{name}: output_size must have {n} (or {n + 2}) values, got {output_size!r}")
        base = transpose_output_size(x.shape[2:], self.kernel_size, self.stride, self.padding, (0,) * n,
                                     self.dilation, name)
        for want, lo, s in zip(size, base, self.stride):
            if not lo <= want < lo + s:
                raise ValueError(f"{name}: output_size {size} is outside the reachable sizes "
                                 f"{base} to {tuple(b + s - 1 for b, s in zip(base, self.stride))}")
        return tuple(w - b for w, b in zip(size, base))

    def forward(self, x, output_size=None):
        op = self._output_padding(x, output_size)
        if self._dims == 1:
            return F.conv_transpose1d(x, self.weight, self.bias, self.stride[0], self.padding[0], op[0], self.groups,
                                      self.dilation[0])
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """The transposed 1-d convolution; weight (in_channels, out_channels/groups, k) as in PyTorch.

    >>> import minigrad as mg
    >>> mg.nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1)(mg.tensor(np.ones((1, 2, 5), np.float32))).shape
    (1, 3, 10)
    """

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """The transposed 2-d convolution (the adjoint of Conv2d); weight (in_channels, out_channels/groups,
    kh, kw) as in PyTorch.

    >>> import minigrad as mg
    >>> up = mg.nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
    >>> up.weight.shape, up(mg.tensor(np.ones((1, 8, 5, 5), np.float32))).shape
    ((8, 4, 3, 3), (1, 4, 10, 10))
    """

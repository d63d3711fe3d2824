"""Pooling and resizing layers with PyTorch's names and constructor arguments: each calls its
function in mg.nn.functional (pooling.py, resize.py, fold.py)."""
from __future__ import annotations

import numpy as np  # noqa: F401 - the examples use it

from . import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "MaxUnpool1d", "MaxUnpool2d", "Upsample", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "Unfold", "Fold"]


def _options(module, names, defaults):
    """", name=value" for every option that differs from its default (PyTorch-like reprs, but short)."""
    return "".join(f", {n}={getattr(module, n)!r}" for n, d in zip(names, defaults) if getattr(module, n) != d)


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                + _options(self, ("dilation", "return_indices", "ceil_mode"), (1, False, False)))


class MaxPool2d(_MaxPoolNd):
    """F.max_pool2d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)(mg.tensor(np.ones((1, 1, 6, 6)))).shape
    (1, 1, 4, 4)
    """

    _fn = staticmethod(F.max_pool2d)


class MaxPool1d(_MaxPoolNd):
    """F.max_pool1d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.MaxPool1d(2)(mg.tensor(np.ones((1, 1, 6)))).shape
    (1, 1, 3)
    """

    _fn = staticmethod(F.max_pool1d)


class AvgPool2d(Module):
    """F.avg_pool2d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.AvgPool2d(2, count_include_pad=False, padding=1)(mg.tensor(np.ones((1, 1, 4, 4)))).shape
    (1, 1, 3, 3)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                + _options(self, ("ceil_mode", "count_include_pad", "divisor_override"), (False, True, None)))


class AvgPool1d(AvgPool2d):
    """F.avg_pool1d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.AvgPool1d(3, stride=1)(mg.tensor(np.ones((1, 1, 6)))).shape
    (1, 1, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _Adaptive(Module):
    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return type(self)._fn(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_Adaptive):
    """F.adaptive_avg_pool2d as a layer (output_size: int, pair, None entries keep the input size).

    >>> import minigrad as mg
    >>> mg.nn.AdaptiveAvgPool2d((1, None))(mg.tensor(np.ones((2, 3, 5, 7)))).shape
    (2, 3, 1, 7)
    """

    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool1d(_Adaptive):
    """F.adaptive_avg_pool1d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.AdaptiveAvgPool1d(2)(mg.tensor(np.ones((2, 3, 5)))).shape
    (2, 3, 2)
    """

    _fn = staticmethod(F.adaptive_avg_pool1d)


class _AdaptiveMax(_Adaptive):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return type(self)._fn(x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMax):
    """F.adaptive_max_pool2d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.AdaptiveMaxPool2d(3)(mg.tensor(np.ones((2, 3, 5, 7)))).shape
    (2, 3, 3, 3)
    """

    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMax):
    """F.adaptive_max_pool1d as a layer.

    >>> import minigrad as mg
    >>> mg.nn.AdaptiveMaxPool1d(3)(mg.tensor(np.ones((2, 3, 5)))).shape
    (2, 3, 3)
    """

    _fn = staticmethod(F.adaptive_max_pool1d)


class MaxUnpool2d(Module):
    """F.max_unpool2d as a layer: call it with the pooled values and the indices MaxPool2d returned.

    >>> import minigrad as mg
    >>> y, i = mg.nn.MaxPool2d(2, return_indices=True)(mg.tensor(np.arange(16.0).reshape(1, 1, 4, 4)))
    >>> mg.nn.MaxUnpool2d(2)(y, i).data[0, 0, 1].tolist()
    [0.0, 5.0, 0.0, 7.0]
    """

    _fn = staticmethod(F.max_unpool2d)

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding

    def forward(self, x, indices, output_size=None):
        return type(self)._fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpool2d):
    """F.max_unpool1d as a layer.

    >>> import minigrad as mg
    >>> y, i = mg.nn.MaxPool1d(2, return_indices=True)(mg.tensor(np.array([[[1.0, 3.0, 2.0, 0.0]]])))
    >>> mg.nn.MaxUnpool1d(2)(y, i).data.tolist()
    [[[0.0, 3.0, 2.0, 0.0]]]
    """

    _fn = staticmethod(F.max_unpool1d)


class Upsample(Module):
    """F.interpolate as a layer: `size` or `scale_factor`, mode "nearest", "nearest-exact", "linear",
    "bilinear".

    >>> import minigrad as mg
    >>> mg.nn.Upsample(scale_factor=2, mode="bilinear")(mg.tensor(np.ones((1, 1, 3, 3)))).shape
    (1, 1, 6, 6)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}" + _options(self, ("align_corners",), (None,))


class UpsamplingNearest2d(Upsample):
    """Upsample(mode="nearest").

    >>> import minigrad as mg
    >>> mg.nn.UpsamplingNearest2d(scale_factor=2)(mg.tensor(np.ones((1, 1, 2, 3)))).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(mode="bilinear", align_corners=True), as PyTorch defines it.

    >>> import minigrad as mg
    >>> mg.nn.UpsamplingBilinear2d(size=(3, 3))(mg.tensor(np.ones((1, 1, 2, 2)))).data.sum()
    np.float64(9.0)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "bilinear", True)


class _Rearrange(Module):
    """A layer around a function of (x, factor) whose factor keeps PyTorch's attribute name `_arg`."""

    _arg = _fn = None

    def __init__(self, factor):
        super().__init__()
        setattr(self, self._arg, factor)

    def forward(self, x):
        return type(self)._fn(x, getattr(self, self._arg))

    def extra_repr(self):
        return f"{self._arg}={getattr(self, self._arg)}"


class PixelShuffle(_Rearrange):
    """F.pixel_shuffle as a layer.

    >>> import minigrad as mg
    >>> mg.nn.PixelShuffle(2)(mg.tensor(np.ones((1, 8, 3, 3)))).shape
    (1, 2, 6, 6)
    """

    _arg, _fn = "upscale_factor", staticmethod(F.pixel_shuffle)

    def __init__(self, upscale_factor):
        super().__init__(upscale_factor)


class PixelUnshuffle(_Rearrange):
    """F.pixel_unshuffle as a layer.

    >>> import minigrad as mg
    >>> mg.nn.PixelUnshuffle(2)(mg.tensor(np.ones((1, 2, 6, 6)))).shape
    (1, 8, 3, 3)
    """

    _arg, _fn = "downscale_factor", staticmethod(F.pixel_unshuffle)

    def __init__(self, downscale_factor):
        super().__init__(downscale_factor)


class Unfold(Module):
    """F.unfold as a layer: (N, C, H, W) -> (N, C*kh*kw, L).

    >>> import minigrad as mg
    >>> mg.nn.Unfold(2, stride=2)(mg.tensor(np.ones((1, 3, 4, 4)))).shape
    (1, 12, 4)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, x):
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Unfold):
    """F.fold as a layer: (N, C*kh*kw, L) -> (N, C, *output_size).

    >>> import minigrad as mg
    >>> mg.nn.Fold((4, 4), 2, stride=2)(mg.tensor(np.ones((1, 12, 4)))).shape
    (1, 3, 4, 4)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, x):
        return F.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"output_size={self.output_size}, " + super().extra_repr()

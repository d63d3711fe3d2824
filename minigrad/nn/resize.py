"""Resizing, composed of recorded ops that are already checked (no new rules):

    interpolate          nearest / nearest-exact: a gather (`getitem` with index arrays) per axis;
                         linear / bilinear: one interpolation matrix per axis (`matmul`)
    adaptive_avg_pool    one averaging matrix per axis (`matmul`)
    adaptive_max_pool    argmax per window found in numpy (first maximum, as PyTorch), then a gather
    max_unpool           a gather from the input (plus a zero) into the output: the inverse of the
                         indices max_pool returned
    pixel_(un)shuffle    reshape + transpose + reshape

The index formulas are PyTorch's (ATen's UpSample.h and AdaptivePooling.h), so sizes and values agree
with torch.nn.functional for the same arguments; nearest computes its source indices in float32 as
ATen does, which decides the rounding at exact multiples.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import _wrap, as_tensor

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d", "max_unpool2d"]


def _tuple(v, n, name, op, allow_none=False):
    t = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(t) != n:
        raise ValueError(f"{op}: {name} must be one value or {n} values, got {v!r}")
    for e in t:
        if e is None and allow_none:
            continue
        if not isinstance(e, (int, float, np.integer, np.floating)) or isinstance(e, bool) or e <= 0:
            raise ValueError(f"{op}: {name} must be positive, got {v!r}")
    return t


# -- interpolate --------------------------------------------------------------------------------

def _nearest_index(n_in, n_out, scale, exact):
    """ATen's nearest_idx / nearest_neighbor_exact_compute_source_index (float32 arithmetic)."""
    i = np.arange(n_out, dtype=np.float32)
    if not exact and n_out == n_in:
        return np.arange(n_out)
    if not exact and n_out == 2 * n_in:
        return np.arange(n_out) >> 1
    s = np.float32(1.0 / scale if scale else n_in / n_out)
    src = np.floor((i + np.float32(0.5)) * s) if exact else np.floor(i * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, scale, align_corners, dtype):
    """(n_out, n_in) matrix of ATen's linear interpolation weights along one axis."""
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        s = 1.0 / scale if scale else n_in / n_out
        src = np.maximum(s * (i + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0.0, 1.0)
    i1 = i0 + (i0 < n_in - 1)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), i0), 1.0 - lam)
    np.add.at(m, (np.arange(n_out), i1), lam)
    return m.astype(dtype)


_MODES = {"nearest": 0, "nearest-exact": 0, "linear": 1, "bilinear": 2}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, L) or (N, C, H, W) input to `size` or by `scale_factor` (one of them), PyTorch's
    F.interpolate for modes "nearest", "nearest-exact", "linear" (3-d) and "bilinear" (4-d).

    >>> import minigrad as mg
    >>> x = mg.tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    >>> interpolate(x, scale_factor=2, mode="bilinear", align_corners=True).data[0, 0, 0].round(3).tolist()
    [1.0, 1.333, 1.667, 2.0]
    """
    x = as_tensor(input)
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    dims = x.ndim - 2
    if dims not in (1, 2) or (_MODES[mode] and _MODES[mode] != dims):
        raise ValueError(f"interpolate: mode {mode!r} expects a {'3' if _MODES[mode] == 1 else '4' if _MODES[mode] else '3- or 4'}-d "
                         f"input (N, C, ...), got shape {x.shape}")
    if align_corners is not None and not _MODES[mode]:
        raise ValueError("interpolate: align_corners only applies to the linear modes")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    n_in = x.shape[2:]
    if size is not None:
        n_out = tuple(int(v) for v in _tuple(size, dims, "size", "interpolate"))
        scales = (None,) * dims
    else:
        factors = _tuple(scale_factor, dims, "scale_factor", "interpolate")
        n_out = tuple(int(math.floor(n * float(f))) for n, f in zip(n_in, factors))
        scales = (None,) * dims if recompute_scale_factor else tuple(float(f) for f in factors)
        if min(n_out) < 1:
            raise ValueError(f"interpolate: scale_factor {scale_factor} makes an empty output from size {n_in}")
    y = x
    for axis, (a, b, s) in enumerate(zip(n_in, n_out, scales), start=2):
        if _MODES[mode]:
            m = _wrap(_linear_matrix(a, b, s, bool(align_corners), x.dtype))
            y = ops.matmul(y, m.T) if axis == x.ndim - 1 else ops.matmul(m, y)
        else:
            y = y[(slice(None),) * axis + (_nearest_index(a, b, s, mode == "nearest-exact"),)]
    return y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """The same as interpolate (PyTorch's deprecated F.upsample).

    >>> import minigrad as mg
    >>> upsample(mg.tensor(np.array([[[1.0, 2.0]]])), scale_factor=2).data.tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


# -- pixel shuffle ------------------------------------------------------------------------------

def _factor(r, op, name):
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool) or r < 1:
        raise ValueError(f"{op}: {name} must be a positive integer, got {r!r}")
    return int(r)


def pixel_shuffle(input, upscale_factor):  # noqa: A002
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): each group of r*r channels becomes an r x r block.

    >>> import minigrad as mg
    >>> pixel_shuffle(mg.tensor(np.arange(4.0).reshape(1, 4, 1, 1)), 2).data[0, 0].tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    x, r = as_tensor(input), _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected (*, C*{r * r}, H, W), got {x.shape}")
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    y = y.transpose(tuple(range(n)) + tuple(n + a for a in (0, 3, 1, 4, 2)))
    return y.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):  # noqa: A002
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of pixel_shuffle.

    >>> import minigrad as mg
    >>> pixel_unshuffle(mg.tensor(np.arange(4.0).reshape(1, 1, 2, 2)), 2).data.ravel().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    x, r = as_tensor(input), _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if x.ndim < 3 or x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(f"pixel_unshuffle: expected (*, C, H, W) with H and W divisible by {r}, got {x.shape}")
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(n)) + tuple(n + a for a in (0, 2, 4, 1, 3)))
    return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))


# -- adaptive pooling ---------------------------------------------------------------------------

def _adaptive_setup(x, output_size, dims, op):
    x = as_tensor(x)
    if x.ndim != dims + 2:
        raise ValueError(f"{op}: expected (N, C{', H, W' if dims == 2 else ', L'}), got {x.shape}")
    out = _tuple(output_size, dims, "output_size", op, allow_none=True)
    out = tuple(n if o is None else int(o) for n, o in zip(x.shape[2:], out))
    return x, out


def _bins(n_in, n_out):
    """ATen's adaptive windows: [floor(i*n/out), ceil((i+1)*n/out)) for each output i."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def _adaptive_avg(x, output_size, dims, op):
    x, out = _adaptive_setup(x, output_size, dims, op)
    y = x
    for axis, (a, b) in enumerate(zip(x.shape[2:], out), start=2):
        start, end = _bins(a, b)
        cols = np.arange(a)
        m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
        m = _wrap(m.astype(x.dtype))
        y = ops.matmul(y, m.T) if axis == x.ndim - 1 else ops.matmul(m, y)
    return y


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average over PyTorch's adaptive windows so the output is (N, C, *output_size).

    >>> import minigrad as mg
    >>> adaptive_avg_pool2d(mg.tensor(np.arange(9.0).reshape(1, 1, 3, 3)), 2).data[0, 0].tolist()
    [[2.0, 3.0], [5.0, 6.0]]
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    """Average over PyTorch's adaptive windows of (N, C, L) input.

    >>> import minigrad as mg
    >>> adaptive_avg_pool1d(mg.tensor(np.array([[[1.0, 2.0, 3.0]]])), 2).data.tolist()
    [[[1.5, 2.5]]]
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def _gather_planes(x, flat):
    """out[n, c, ...] = x[n, c].ravel()[flat[n, c, ...]] as a recorded gather."""
    n, c = x.shape[:2]
    planes = x.reshape(n * c, -1)
    rows = np.arange(n * c).reshape((n * c,) + (1,) * (flat.ndim - 2))
    return planes[rows, flat.reshape((n * c,) + flat.shape[2:])].reshape(flat.shape)


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max over PyTorch's adaptive windows; ties: the first maximum (row-major) takes the gradient.

    >>> import minigrad as mg
    >>> adaptive_max_pool2d(mg.tensor(np.arange(9.0).reshape(1, 1, 3, 3)), 2).data[0, 0].tolist()
    [[4.0, 5.0], [7.0, 8.0]]
    """
    x, out = _adaptive_setup(input, output_size, 2, "adaptive_max_pool2d")
    h, w = x.shape[2:]
    (hs, he), (ws, we) = _bins(h, out[0]), _bins(w, out[1])
    flat = np.empty(x.shape[:2] + out, dtype=np.int64)
    for i in range(out[0]):
        for j in range(out[1]):
            win = x.data[:, :, hs[i]:he[i], ws[j]:we[j]]
            a = win.reshape(win.shape[:2] + (-1,)).argmax(axis=2)
            flat[:, :, i, j] = (hs[i] + a // win.shape[3]) * w + ws[j] + a % win.shape[3]
    y = _gather_planes(x, flat)
    return (y, _wrap(flat)) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """adaptive_max_pool2d over (N, C, L) input.

    >>> import minigrad as mg
    >>> adaptive_max_pool1d(mg.tensor(np.array([[[1.0, 3.0, 2.0]]])), 2).data.tolist()
    [[[3.0, 3.0]]]
    """
    x = as_tensor(input)
    if x.ndim != 3:
        raise ValueError(f"adaptive_max_pool1d: expected (N, C, L), got {x.shape}")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    y = adaptive_max_pool2d(x.reshape(x.shape[:2] + (1, x.shape[2])), (1, size), return_indices)
    return (y[0][:, :, 0], _wrap(y[1].data[:, :, 0])) if return_indices else y[:, :, 0]


# -- max_unpool ---------------------------------------------------------------------------------

def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Put each value of `input` at its index (as max_pool2d(..., return_indices=True) gave it) in an
    otherwise zero (N, C, H, W) output. Repeated indices: the last one wins.

    >>> import minigrad as mg
    >>> y = max_unpool2d(mg.tensor(np.array([[[[5.0]]]])), np.array([[[[3]]]]), 2)
    >>> y.data[0, 0].tolist()
    [[0.0, 0.0], [0.0, 5.0]]
    """
    from ._windows import pair
    x = as_tensor(input)
    idx = np.asarray(indices.data if hasattr(indices, "data") else indices)
    op = "max_unpool2d"
    if x.ndim != 4 or idx.shape != x.shape:
        raise ValueError(f"{op}: expected (N, C, H, W) input and indices of the same shape, got {x.shape} and "
                         f"{idx.shape}")
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    padding = pair(padding, "padding", op, minimum=0)
    if output_size is None:
        hw = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[2:], stride, padding, kernel))
    else:
        hw = tuple(int(v) for v in tuple(output_size)[-2:])
    size = hw[0] * hw[1]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"{op}: indices must lie in [0, {size}) for the output size {hw}, got "
                         f"[{idx.min()}, {idx.max()}]")
    n, c = x.shape[:2]
    # the inverse map: for each output position, which input value lands there (the zero slot if none)
    length = x.shape[2] * x.shape[3]
    source = np.full((n * c, size), length, dtype=np.int64)
    rows = np.arange(n * c)[:, None]
    source[rows, idx.reshape(n * c, -1)] = np.arange(length)
    padded = ops.concatenate([x.reshape(n * c, length), _wrap(np.zeros((n * c, 1), dtype=x.dtype))], axis=1)
    return padded[rows, source].reshape((n, c) + hw)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """max_unpool2d over (N, C, L) input.

    >>> import minigrad as mg
    >>> max_unpool1d(mg.tensor(np.array([[[5.0]]])), np.array([[[0]]]), 2).data.tolist()
    [[[5.0, 0.0]]]
    """
    from ._windows import single
    x = as_tensor(input)
    idx = np.asarray(indices.data if hasattr(indices, "data") else indices)
    if x.ndim != 3:
        raise ValueError(f"max_unpool1d: expected (N, C, L), got {x.shape}")
    k = single(kernel_size, "kernel_size", "max_unpool1d")
    s = k if stride is None else single(stride, "stride", "max_unpool1d")
    p = single(padding, "padding", "max_unpool1d")
    size = None if output_size is None else (1, tuple(output_size)[-1])
    y = max_unpool2d(x.reshape(x.shape[:2] + (1, x.shape[2])), idx.reshape(idx.shape[:2] + (1, idx.shape[2])),
                     (1, k), (1, s), (0, p), size)
    return y[:, :, 0]

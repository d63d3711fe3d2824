"""numpy kernels behind conv2d and the pools: sliding windows by slice copies, one per kernel offset.

Everything here works on "CN" arrays (C, N, H, W): channels first, then batch. In that layout the
im2col matrix (C*kh*kw, N*Ho*Wo) is filled by kh*kw strided slice copies and the convolution is one
GEMM whose (O, N*Ho*Wo) result is already CN. The ops hand out `cn(result)`, an (N, C, H, W) view of
CN memory: elementwise ops keep that memory order, so the next layer's `cn(x)` is contiguous again and
no layer pays for a transpose copy (shared/notes/performance.md: ~0.5x the time of the usual NCHW
sliding_window_view im2col). No loop ever runs over pixels or batch items.
"""
from __future__ import annotations

import numpy as np


def cn(a):
    """(N, C, H, W) <-> (C, N, H, W) as a view: the same transpose goes both ways."""
    return a.transpose(1, 0, 2, 3)


def pair(v, name, op, minimum=1):
    """An int or a pair of ints as (h, w), checked against `minimum`."""
    t = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) != 2 or not all(isinstance(e, (int, np.integer)) for e in t):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    if any(e < minimum for e in t):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {v!r}")
    return int(t[0]), int(t[1])


def out_size(hw, kernel, stride, padding, op):
    """Output (Ho, Wo) of sliding `kernel` over `hw` padded by `padding`, or raise naming the sizes."""
    h, w = hw
    ho = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    wo = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"{op}: kernel {kernel} is larger than the input {(h, w)} padded by {padding}")
    return ho, wo


def windows(xp, i, j, stride, out_hw):
    """The (C, N, Ho, Wo) view of padded `xp` that kernel offset (i, j) sees across all windows."""
    (sh, sw), (ho, wo) = stride, out_hw
    return xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]


def pad(xc, padding, value=0.0):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return xc
    c, n, h, w = xc.shape
    out = np.full((c, n, h + 2 * ph, w + 2 * pw), value, dtype=xc.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = xc
    return out


def zeros_padded(c, n, hw, padding, dtype):
    return np.zeros((c, n, hw[0] + 2 * padding[0], hw[1] + 2 * padding[1]), dtype=dtype)


def crop(xp, hw, padding):
    (ph, pw), (h, w) = padding, hw
    return xp if ph == 0 and pw == 0 else xp[:, :, ph:ph + h, pw:pw + w]


def im2col(xc, kernel, stride, padding, out_hw):
    """(C*kh*kw, N*Ho*Wo) patch matrix of CN input `xc`: kh*kw slice copies."""
    c, n = xc.shape[:2]
    kh, kw = kernel
    xp = pad(xc, padding)
    cols = np.empty((c, kh, kw, n) + tuple(out_hw), dtype=xc.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = windows(xp, i, j, stride, out_hw)
    return cols.reshape(c * kh * kw, -1)


def col2im(cols, c, n, hw, kernel, stride, padding, out_hw):
    """The adjoint of im2col: add each patch column back where it came from; CN (C, N, H, W)."""
    kh, kw = kernel
    cols = cols.reshape((c, kh, kw, n) + tuple(out_hw))
    xp = zeros_padded(c, n, hw, padding, cols.dtype)
    for i in range(kh):
        for j in range(kw):
            windows(xp, i, j, stride, out_hw)[...] += cols[:, i, j]
    return crop(xp, hw, padding)


# -- pooling: loops over the kh*kw kernel offsets, each a whole-array op on a strided view ------------
# (faster here than reshaping kernel == stride windows onto a small trailing axis: reductions and
# argmax over a length-4 axis run ~10x slower than elementwise ops over strided views)

def _index_type(kernel):
    n = kernel[0] * kernel[1]
    return np.uint8 if n <= 1 << 8 else np.uint16 if n <= 1 << 16 else np.uint32


def _offsets(kernel):
    kh, kw = kernel
    return [(o, o // kw, o % kw) for o in range(kh * kw)]


def max_windows(xc, kernel, stride, padding, out_hw):
    """(max over each window, offset i*kw + j of its first maximum) for CN input, padding = -inf."""
    xp = pad(xc, padding, -np.inf)
    best = windows(xp, 0, 0, stride, out_hw).copy()
    idx = _index_type(kernel)
    arg = np.zeros(best.shape, dtype=idx)
    step = np.empty_like(arg)
    for o, i, j in _offsets(kernel)[1:]:
        v = windows(xp, i, j, stride, out_hw)
        better = np.greater(v, best)  # strict: ties keep the first maximum, as PyTorch does
        np.maximum(best, v, out=best)
        # arg = where(better, o, arg) as unsigned arithmetic, which is several times faster here:
        # arg + better * (o - arg) wraps around to exactly o where better is set
        np.subtract(idx(o), arg, out=step)
        step *= better.view(np.uint8)
        arg += step
    return best, arg


def max_scatter(gc, arg, hw, kernel, stride, padding):
    """Zeros of CN shape (C, N, H, W) with each gc value added at its window's argmax."""
    c, n = gc.shape[:2]
    out_hw = gc.shape[2:]
    xp = zeros_padded(c, n, hw, padding, gc.dtype)
    disjoint = stride[0] >= kernel[0] and stride[1] >= kernel[1]  # each input in at most one window
    tmp = None if disjoint else np.empty_like(gc)
    for o, i, j in _offsets(kernel):
        sl = windows(xp, i, j, stride, out_hw)
        if disjoint:
            np.multiply(gc, arg == o, out=sl)
        else:
            np.multiply(gc, arg == o, out=tmp)
            sl += tmp
    return crop(xp, hw, padding)


def max_gather(hc, arg, kernel, stride, padding):
    """For each window, the value of CN `hc` at the window's argmax: shape of `arg`."""
    hp = pad(hc, padding)
    out = np.zeros(arg.shape, dtype=hc.dtype)
    tmp = np.empty_like(out)
    for o, i, j in _offsets(kernel):
        np.multiply(windows(hp, i, j, stride, arg.shape[2:]), arg == o, out=tmp)
        out += tmp
    return out


def avg_windows(xc, kernel, stride, padding, out_hw):
    """Mean over each window, zero padding counted (PyTorch's count_include_pad=True)."""
    xp = pad(xc, padding)
    acc = windows(xp, 0, 0, stride, out_hw).copy()
    for o, i, j in _offsets(kernel)[1:]:
        acc += windows(xp, i, j, stride, out_hw)
    acc *= 1.0 / (kernel[0] * kernel[1])
    return acc


def avg_spread(gc, hw, kernel, stride, padding):
    """The adjoint of avg_windows: each window's gradient shared equally over its kh*kw inputs."""
    c, n = gc.shape[:2]
    share = gc * (1.0 / (kernel[0] * kernel[1]))
    xp = zeros_padded(c, n, hw, padding, share.dtype)
    for o, i, j in _offsets(kernel):
        windows(xp, i, j, stride, gc.shape[2:])[...] += share
    return crop(xp, hw, padding)

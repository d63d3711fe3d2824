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


def single(v, name, op):
    """A 1-d argument (an int or a 1-tuple) as an int."""
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {v!r}")
        v = v[0]
    return v


def padding_arg(padding, op):
    """A padding argument as (ph, pw), or as ((top, bottom), (left, right)) when the sides differ."""
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(isinstance(p, (tuple, list)) for p in padding):
        sides = tuple(pair(p, "padding", op, minimum=0) for p in padding)
        return sides if any(a != b for a, b in sides) else (sides[0][0], sides[1][0])
    return pair(padding, "padding", op, minimum=0)


def pads(padding):
    """Padding as ((top, bottom), (left, right)) from (ph, pw) or from that form itself."""
    (a, b) = padding
    if isinstance(a, tuple):
        return padding
    return (a, a), (b, b)


def out_size(hw, kernel, stride, padding, op, dilation=(1, 1), ceil_mode=False):
    """Output (Ho, Wo) of sliding `kernel` (spread by `dilation`) over `hw` padded by `padding`, or
    raise naming the sizes. `ceil_mode` counts a last partial window, as PyTorch's pools do, when it
    starts inside the input or its leading padding."""
    out = []
    for n, (p0, p1), k, s, d in zip(hw, pads(padding), kernel, stride, dilation):
        span = n + p0 + p1 - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p0:
            o -= 1
        out.append(o)
    if out[0] < 1 or out[1] < 1:
        spread = "" if tuple(dilation) == (1, 1) else f" dilated by {tuple(dilation)}"
        raise ValueError(f"{op}: kernel {kernel}{spread} is larger than the input {tuple(hw)} padded by {padding}")
    return tuple(out)


def windows(xp, i, j, stride, out_hw):
    """The (C, N, Ho, Wo) view of padded `xp` that kernel offset (i, j) sees across all windows
    (i, j already multiplied by the dilation)."""
    (sh, sw), (ho, wo) = stride, out_hw
    return xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]


def reach(hw, kernel, stride, padding, out_hw, dilation=(1, 1)):
    """`padding` with the trailing sides grown so the last window (ceil_mode) fits inside."""
    (t, b), (l, r) = pads(padding)
    need = [(o - 1) * s + d * (k - 1) + 1 - n - p for o, s, d, k, n, p in zip(out_hw, stride, dilation, kernel, hw, (t, l))]
    return (t, max(b, need[0])), (l, max(r, need[1]))


def pad(xc, padding, value=0.0):
    (t, b), (l, r) = pads(padding)
    if t == b == l == r == 0:
        return xc
    c, n, h, w = xc.shape
    out = np.full((c, n, h + t + b, w + l + r), value, dtype=xc.dtype)
    out[:, :, t:t + h, l:l + w] = xc
    return out


def zeros_padded(c, n, hw, padding, dtype):
    (t, b), (l, r) = pads(padding)
    return np.zeros((c, n, hw[0] + t + b, hw[1] + l + r), dtype=dtype)


def crop(xp, hw, padding):
    (t, b), (l, r) = pads(padding)
    h, w = hw
    return xp if t == b == l == r == 0 else xp[:, :, t:t + h, l:l + w]


def im2col(xc, kernel, stride, padding, out_hw, dilation=(1, 1)):
    """(C*kh*kw, N*Ho*Wo) patch matrix of CN input `xc`: kh*kw slice copies."""
    c, n = xc.shape[:2]
    (kh, kw), (dh, dw) = kernel, dilation
    xp = pad(xc, padding)
    cols = np.empty((c, kh, kw, n) + tuple(out_hw), dtype=xc.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = windows(xp, i * dh, j * dw, stride, out_hw)
    return cols.reshape(c * kh * kw, -1)


def col2im(cols, c, n, hw, kernel, stride, padding, out_hw, dilation=(1, 1)):
    """The adjoint of im2col: add each patch column back where it came from; CN (C, N, H, W)."""
    (kh, kw), (dh, dw) = kernel, dilation
    cols = cols.reshape((c, kh, kw, n) + tuple(out_hw))
    xp = zeros_padded(c, n, hw, reach(hw, kernel, stride, padding, out_hw, dilation), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            windows(xp, i * dh, j * dw, stride, out_hw)[...] += cols[:, i, j]
    return crop(xp, hw, padding)


# -- pooling: loops over the kh*kw kernel offsets, each a whole-array op on a strided view ------------
# (faster here than reshaping kernel == stride windows onto a small trailing axis: reductions and
# argmax over a length-4 axis run ~10x slower than elementwise ops over strided views)

def _index_type(kernel):
    n = kernel[0] * kernel[1]
    return np.uint8 if n <= 1 << 8 else np.uint16 if n <= 1 << 16 else np.uint32


def _offsets(kernel, dilation=(1, 1)):
    """(offset index i*kw + j, row shift, column shift) of every kernel position."""
    kh, kw = kernel
    return [(o, o // kw * dilation[0], o % kw * dilation[1]) for o in range(kh * kw)]


def max_windows(xc, kernel, stride, padding, out_hw, dilation=(1, 1)):
    """(max over each window, offset i*kw + j of its first maximum) for CN input, padding = -inf."""
    xp = pad(xc, padding, -np.inf)
    best = windows(xp, 0, 0, stride, out_hw).copy()
    idx = _index_type(kernel)
    arg = np.zeros(best.shape, dtype=idx)
    step = np.empty_like(arg)
    for o, i, j in _offsets(kernel, dilation)[1:]:
        v = windows(xp, i, j, stride, out_hw)
        better = np.greater(v, best)  # strict: ties keep the first maximum, as PyTorch does
        np.maximum(best, v, out=best)
        # arg = where(better, o, arg) as unsigned arithmetic, which is several times faster here:
        # arg + better * (o - arg) wraps around to exactly o where better is set
        np.subtract(idx(o), arg, out=step)
        step *= better.view(np.uint8)
        arg += step
    return best, arg


def max_scatter(gc, arg, hw, kernel, stride, padding, dilation=(1, 1)):
    """Zeros of CN shape (C, N, H, W) with each gc value added at its window's argmax."""
    c, n = gc.shape[:2]
    out_hw = gc.shape[2:]
    xp = zeros_padded(c, n, hw, padding, gc.dtype)
    # each input in at most one window: plain writes instead of accumulation
    disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
    tmp = None if disjoint else np.empty_like(gc)
    for o, i, j in _offsets(kernel, dilation):
        sl = windows(xp, i, j, stride, out_hw)
        if disjoint:
            np.multiply(gc, arg == o, out=sl)
        else:
            np.multiply(gc, arg == o, out=tmp)
            sl += tmp
    return crop(xp, hw, padding)


def max_gather(hc, arg, kernel, stride, padding, dilation=(1, 1)):
    """For each window, the value of CN `hc` at the window's argmax: shape of `arg`."""
    hp = pad(hc, padding)
    out = np.zeros(arg.shape, dtype=hc.dtype)
    tmp = np.empty_like(out)
    for o, i, j in _offsets(kernel, dilation):
        np.multiply(windows(hp, i, j, stride, arg.shape[2:]), arg == o, out=tmp)
        out += tmp
    return out


def avg_windows(xc, kernel, stride, padding, out_hw, scale=None):
    """Each window's sum times `scale` (default 1/(kh*kw): the mean, zero padding counted; else a
    (Ho, Wo) array of 1/divisor per window)."""
    xp = pad(xc, padding)
    acc = windows(xp, 0, 0, stride, out_hw).copy()
    for o, i, j in _offsets(kernel)[1:]:
        acc += windows(xp, i, j, stride, out_hw)
    acc *= 1.0 / (kernel[0] * kernel[1]) if scale is None else scale.astype(acc.dtype, copy=False)
    return acc


def avg_spread(gc, hw, kernel, stride, padding, scale=None):
    """The adjoint of avg_windows: each window's gradient times `scale`, given to each of its inputs."""
    c, n = gc.shape[:2]
    share = gc * (1.0 / (kernel[0] * kernel[1]) if scale is None else scale.astype(gc.dtype, copy=False))
    xp = zeros_padded(c, n, hw, padding, share.dtype)
    for o, i, j in _offsets(kernel):
        windows(xp, i, j, stride, gc.shape[2:])[...] += share
    return crop(xp, hw, padding)

"""numpy and PyTorch mirrors of minigrad.nn's recorded ops (see mirrors.py): linear, cross_entropy,
binary_cross_entropy, softplus, conv2d and its two adjoints, the pools, unfold and fold, with every
recorded geometry attribute: stride, padding ((ph, pw) or ((top, bottom), (left, right))), dilation,
groups, and avg_pool2d's per-window `scale`. The numpy ones cut windows by plain slicing,
independently of minigrad.nn._windows, so they check its im2col and col2im rather than repeat them;
the torch ones pad explicitly (torch's own padding argument is symmetric only) and call torch's ops."""
from __future__ import annotations

import numpy as np

from ._mirror_tables import NUMPY, TORCH, NoMirror, _np, _th


@_np("linear")
def _linear_np(xs, a, out):
    y = xs[0] @ xs[1].T
    return y + xs[2] if len(xs) == 3 else y


_th("linear")(lambda torch, xs, a, out: torch.nn.functional.linear(*xs))


@_th("cross_entropy")
def _cross_entropy_torch(torch, xs, a, out):
    return torch.nn.functional.cross_entropy(xs[0], torch.as_tensor(a["labels"]), reduction=a["reduction"])


@_np("cross_entropy")
def _cross_entropy_np(xs, a, out):
    z = xs[0] - np.max(xs[0], axis=1, keepdims=True)
    nll = -(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[np.arange(len(z)), a["labels"]]
    r = {"none": nll, "sum": nll.sum(), "mean": nll.mean()}[a["reduction"]]
    return np.asarray(r, dtype=out.dtype)


@_np("binary_cross_entropy")
def _bce_np(xs, a, out):
    x, t = xs
    with np.errstate(divide="ignore"):
        r = -(t * np.maximum(np.log(x), -100.0) + (1 - t) * np.maximum(np.log(1 - x), -100.0))
    return r.astype(out.dtype)


_th("binary_cross_entropy")(lambda torch, xs, a, out: torch.nn.functional.binary_cross_entropy(
    xs[0], xs[1].broadcast_to(xs[0].shape).to(xs[0].dtype), reduction="none"))


@_np("nn_softplus")
def _softplus_np(xs, a, out):
    bx = xs[0] * a["beta"]
    return np.where(bx > a["threshold"], xs[0], np.logaddexp(0, bx) / a["beta"]).astype(out.dtype)


_th("nn_softplus")(lambda torch, xs, a, out: torch.nn.functional.softplus(xs[0], a["beta"], a["threshold"]))


# -- geometry: windows of NCHW images by plain slicing, for numpy and torch alike ---------------------

def _sides(padding):
    """((top, bottom), (left, right)) from either recorded form."""
    a, b = padding
    return (tuple(a), tuple(b)) if isinstance(a, tuple) else ((a, a), (b, b))


def _geo(a):
    return a["stride"], _sides(a["padding"]), tuple(a.get("dilation", (1, 1)))


def _padded(x, padding, fill, lib):
    (t, b), (l, r) = _sides(padding)
    if lib is np:
        return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=fill)
    return lib.nn.functional.pad(x, (l, r, t, b), value=fill)


def _window_views(x, kernel, stride, padding, dilation, out_hw, fill, lib):
    """{(i, j): the (N, C, Ho, Wo) values kernel offset (i, j) sees in every window} (x padded with fill)."""
    xp = _padded(x, padding, fill, lib)
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return {(i, j): xp[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
            for i in range(kernel[0]) for j in range(kernel[1])}


def _spread(g, weights, in_hw, kernel, stride, padding, dilation, lib):
    """The adjoint of _window_views: add weights(i, j, g) back into a padded image, then crop."""
    (t, b), (l, r) = _sides(padding)
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, g.shape[2:]
    # as tall and wide as the windows reach (trailing rows no window covers stay zero)
    hp = max(in_hw[0] + t + b, dh * (kernel[0] - 1) + sh * (ho - 1) + 1)
    wp = max(in_hw[1] + l + r, dw * (kernel[1] - 1) + sw * (wo - 1) + 1)
    shape = (g.shape[0], weights(0, 0, g).shape[1], hp, wp)
    acc = np.zeros(shape, dtype=g.dtype) if lib is np else lib.zeros(shape, dtype=g.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            part = weights(i, j, g)
            rows, cols = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            if lib is np:
                acc[:, :, rows, cols] += part
            else:
                acc = acc.index_put((lib.arange(shape[0])[:, None, None, None], lib.arange(shape[1])[None, :, None, None],
                                     lib.arange(hp)[rows][None, None, :, None],
                                     lib.arange(wp)[cols][None, None, None, :]), part, accumulate=True)
    return acc[:, :, t:t + in_hw[0], l:l + in_hw[1]]


def _grouped(v, groups):
    """(N, C, ...) as (N, G, C/G, ...)."""
    return v.reshape((v.shape[0], groups, v.shape[1] // groups) + tuple(v.shape[2:]))


def _wg(w, groups):
    """(O, Cg) kernel slice as (G, O/G, Cg)."""
    return w.reshape(groups, w.shape[0] // groups, w.shape[1])


def _ungroup(v):
    return v.reshape((v.shape[0], v.shape[1] * v.shape[2]) + tuple(v.shape[3:]))


@_np("conv2d")
def _conv2d_np(xs, a, out):
    x, w = xs[0], xs[1]
    wins = _window_views(x, w.shape[2:], *_geo(a), out.shape[2:], 0.0, np)
    G = a["groups"]
    y = sum(_ungroup(np.einsum("ngchw,goc->ngohw", _grouped(v, G), _wg(w[:, :, i, j], G))) for (i, j), v in wins.items())
    return (y + xs[2][:, None, None] if len(xs) == 3 else y).astype(out.dtype)


@_np("conv2d_weight_grad")
def _conv2d_weight_grad_np(xs, a, out):
    x, g = xs
    G = a["groups"]
    wins = _window_views(x, a["kernel_size"], *_geo(a), g.shape[2:], 0.0, np)
    dw = np.zeros(out.shape, dtype=out.dtype)
    for (i, j), v in wins.items():
        dw[:, :, i, j] = np.einsum("ngchw,ngohw->goc", _grouped(v, G), _grouped(g, G)).reshape(dw.shape[:2])
    return dw


@_np("conv2d_input_grad")
def _conv2d_input_grad_np(xs, a, out):
    g, w = xs
    G = a["groups"]
    return _spread(g, lambda i, j, g: _ungroup(np.einsum("ngohw,goc->ngchw", _grouped(g, G), _wg(w[:, :, i, j], G))),
                   a["in_hw"], w.shape[2:], *_geo(a), np).astype(out.dtype)


@_np("max_pool2d")
def _max_pool2d_np(xs, a, out):
    wins = _window_views(xs[0], a["kernel_size"], *_geo(a), out.shape[2:], -np.inf, np)
    return np.max(np.stack(list(wins.values())), axis=0)


def _scale(a, k, dtype):
    return 1.0 / (k[0] * k[1]) if a["scale"] is None else np.asarray(a["scale"]).astype(dtype)


@_np("avg_pool2d")
def _avg_pool2d_np(xs, a, out):  # zero padding counted; the divisor of each window is 1/scale
    wins = _window_views(xs[0], a["kernel_size"], *_geo(a), out.shape[2:], 0.0, np)
    return (sum(wins.values()) * _scale(a, a["kernel_size"], out.dtype)).astype(out.dtype)


def _avg_adjoint(lib):
    def mirror(xs, a, out):
        k, g = a["kernel_size"], xs[0]
        s = _scale(a, k, out.dtype)
        s = s if lib is np or np.ndim(s) == 0 else lib.as_tensor(s)
        return _spread(g, lambda i, j, g: g * s, a["in_hw"], k, *_geo(a), lib)
    return mirror


NUMPY["avg_pool2d_adjoint"] = lambda xs, a, out: _avg_adjoint(np)(xs, a, out).astype(out.dtype)
TORCH["avg_pool2d_adjoint"] = lambda torch, xs, a, out: _avg_adjoint(torch)(xs, a, out)


@_np("unfold")
def _unfold_np(xs, a, out):
    x = xs[0]
    wins = _window_views(x, a["kernel_size"], *_geo(a), _unfold_hw(x.shape[2:], a), 0.0, np)
    kh, kw = a["kernel_size"]
    cols = np.stack([wins[i, j] for i in range(kh) for j in range(kw)], axis=2)  # (N, C, kh*kw, Ho, Wo)
    return cols.reshape(out.shape)


def _unfold_hw(hw, a):
    (sh, sw), ((t, b), (l, r)), (dh, dw) = _geo(a)
    kh, kw = a["kernel_size"]
    return ((hw[0] + t + b - dh * (kh - 1) - 1) // sh + 1, (hw[1] + l + r - dw * (kw - 1) - 1) // sw + 1)


@_np("fold")
def _fold_np(xs, a, out):
    kh, kw = a["kernel_size"]
    n, c = out.shape[:2]
    ho, wo = _unfold_hw(out.shape[2:], a)
    cols = xs[0].reshape(n, c, kh, kw, ho, wo)
    return _spread(cols[:, :, 0, 0], lambda i, j, g: cols[:, :, i, j], out.shape[2:], (kh, kw), *_geo(a),
                   np).astype(out.dtype)


def _torch_fold_args(a):
    stride, ((t, b), (l, r)), dilation = _geo(a)
    if t != b or l != r:
        raise NoMirror(f"unfold/fold with asymmetric padding {a['padding']}: torch's is symmetric")
    return dict(kernel_size=a["kernel_size"], dilation=dilation, padding=(t, l), stride=stride)


_th("unfold")(lambda torch, xs, a, out: torch.nn.functional.unfold(xs[0], **_torch_fold_args(a)))
_th("fold")(lambda torch, xs, a, out: torch.nn.functional.fold(xs[0], tuple(out.shape[2:]), **_torch_fold_args(a)))


# torch: pad explicitly (any sides), then torch's op without padding
@_th("conv2d")
def _conv2d_torch(torch, xs, a, out):
    stride, padding, dilation = _geo(a)
    return torch.nn.functional.conv2d(_padded(xs[0], padding, 0.0, torch), *xs[1:], stride=stride,
                                      dilation=dilation, groups=a["groups"])


@_th("conv2d_input_grad")
def _conv2d_input_grad_torch(torch, xs, a, out):
    g, w = xs
    stride, ((t, b), (l, r)), dilation = _geo(a)
    h, wd = a["in_hw"]
    # the padded input's size as conv2d saw it (rows past the last window get no gradient)
    full = (h + t + b, wd + l + r)
    dx = torch.nn.grad.conv2d_input((out.shape[0], out.shape[1]) + full, w, g, stride=stride, dilation=dilation,
                                    groups=a["groups"])
    return dx[:, :, t:t + h, l:l + wd]


@_th("conv2d_weight_grad")
def _conv2d_weight_grad_torch(torch, xs, a, out):
    x, g = xs
    stride, padding, dilation = _geo(a)
    return torch.nn.grad.conv2d_weight(_padded(x, padding, 0.0, torch), tuple(out.shape), g, stride=stride,
                                       dilation=dilation, groups=a["groups"])


@_th("max_pool2d")
def _max_pool2d_torch(torch, xs, a, out):
    stride, padding, dilation = _geo(a)
    y = torch.nn.functional.max_pool2d(_padded(xs[0], padding, -float("inf"), torch), a["kernel_size"], stride,
                                       0, dilation)
    return y[:, :, :out.shape[2], :out.shape[3]]


@_th("avg_pool2d")
def _avg_pool2d_torch(torch, xs, a, out):
    stride, padding, _ = _geo(a)
    sums = torch.nn.functional.avg_pool2d(_padded(xs[0], padding, 0.0, torch), a["kernel_size"], stride,
                                          divisor_override=1)[:, :, :out.shape[2], :out.shape[3]]
    s = _scale(a, a["kernel_size"], out.dtype)
    return sums * (s if np.ndim(s) == 0 else torch.as_tensor(s))


# max_pool2d_scatter / max_pool2d_gather read the argmax max_pool2d saved (attribute `argmax`: the
# offset i*kw + j of each window's maximum, in (C, N, Ho, Wo) order): put g there, or read h there
def _hit(a, i, j, lib):
    hit = np.ascontiguousarray(a["argmax"].transpose(1, 0, 2, 3)) == i * a["kernel_size"][1] + j
    return hit if lib is np else lib.as_tensor(hit)


def _max_scatter(lib):
    def mirror(xs, a, out):
        return _spread(xs[0], lambda i, j, g: g * _hit(a, i, j, lib), out.shape[2:],
                       a["kernel_size"], *_geo(a), lib)
    return mirror


def _max_gather(lib):
    def mirror(xs, a, out):
        wins = _window_views(xs[0], a["kernel_size"], *_geo(a), out.shape[2:], 0.0, lib)
        return sum(v * _hit(a, i, j, lib) for (i, j), v in wins.items())
    return mirror


NUMPY["max_pool2d_scatter"] = lambda xs, a, out: _max_scatter(np)(xs, a, out).astype(out.dtype)
TORCH["max_pool2d_scatter"] = lambda torch, xs, a, out: _max_scatter(torch)(xs, a, out)
NUMPY["max_pool2d_gather"] = lambda xs, a, out: _max_gather(np)(xs, a, out).astype(out.dtype)
TORCH["max_pool2d_gather"] = lambda torch, xs, a, out: _max_gather(torch)(xs, a, out)

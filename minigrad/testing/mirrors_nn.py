"""numpy and PyTorch mirrors of minigrad.nn's recorded ops (see mirrors.py): linear, cross_entropy,
conv2d and its two adjoints, the pools. The numpy ones cut windows by plain slicing, independently of
minigrad.nn._windows, so they check its im2col and col2im rather than repeat them."""
from __future__ import annotations

import numpy as np

from .mirrors import NUMPY, TORCH, _np, _th


@_np("linear")
def _linear_np(xs, a, out):
    y = xs[0] @ xs[1].T
    return y + xs[2] if len(xs) == 3 else y


_th("linear")(lambda torch, xs, a, out: torch.nn.functional.linear(*xs))


@_th("cross_entropy")
def _cross_entropy_torch(torch, xs, a, out):
    return torch.nn.functional.cross_entropy(xs[0], torch.as_tensor(a["labels"]), reduction=a["reduction"])


@_th("conv2d")
def _conv2d_torch(torch, xs, a, out):
    return torch.nn.functional.conv2d(*xs, stride=a["stride"], padding=a["padding"])


@_th("max_pool2d")
def _max_pool2d_torch(torch, xs, a, out):
    return torch.nn.functional.max_pool2d(xs[0], a["kernel_size"], a["stride"], a["padding"])


@_th("avg_pool2d")
def _avg_pool2d_torch(torch, xs, a, out):
    return torch.nn.functional.avg_pool2d(xs[0], a["kernel_size"], a["stride"], a["padding"], count_include_pad=True)


# windows of NCHW images, by plain slicing (independent of minigrad.nn._windows), for numpy and torch alike
def _padded(x, padding, fill, lib):
    (ph, pw) = padding
    if lib is np:
        return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return lib.nn.functional.pad(x, (pw, pw, ph, ph), value=fill)


def _window_views(x, kernel, stride, padding, out_hw, fill, lib):
    """{(i, j): x_padded[:, :, i::s, j::s] cut to the output size} for every kernel offset."""
    xp = _padded(x, padding, fill, lib)
    (sh, sw), (ho, wo) = stride, out_hw
    return {(i, j): xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
            for i in range(kernel[0]) for j in range(kernel[1])}


def _spread(g, weights, in_hw, kernel, stride, padding, lib):
    """The adjoint of _window_views: add g (times a per-offset factor) back into a padded image."""
    (ph, pw), (sh, sw), (ho, wo) = padding, stride, g.shape[2:]
    shape = tuple(g.shape[:1]) + (weights(0, 0, g).shape[1],) + (in_hw[0] + 2 * ph, in_hw[1] + 2 * pw)
    acc = np.zeros(shape, dtype=g.dtype) if lib is np else lib.zeros(shape, dtype=g.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            part = weights(i, j, g)
            if lib is np:
                acc[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += part
            else:
                acc = acc.index_put((lib.arange(shape[0])[:, None, None, None], lib.arange(shape[1])[None, :, None, None],
                                     lib.arange(i, i + sh * (ho - 1) + 1, sh)[None, None, :, None],
                                     lib.arange(j, j + sw * (wo - 1) + 1, sw)[None, None, None, :]), part, accumulate=True)
    return acc[:, :, ph:ph + in_hw[0], pw:pw + in_hw[1]]


def _out_hw(out):
    return tuple(out.shape[2:])


@_np("conv2d")
def _conv2d_np(xs, a, out):
    x, w = xs[0], xs[1]
    wins = _window_views(x, w.shape[2:], a["stride"], a["padding"], _out_hw(out), 0.0, np)
    y = sum(np.einsum("nchw,oc->nohw", v, w[:, :, i, j]) for (i, j), v in wins.items())
    return (y + xs[2][:, None, None] if len(xs) == 3 else y).astype(out.dtype)


@_np("conv2d_weight_grad")
def _conv2d_weight_grad_np(xs, a, out):
    x, g = xs
    wins = _window_views(x, a["kernel_size"], a["stride"], a["padding"], g.shape[2:], 0.0, np)
    dw = np.zeros(out.shape, dtype=out.dtype)
    for (i, j), v in wins.items():
        dw[:, :, i, j] = np.einsum("nchw,nohw->oc", v, g)
    return dw


@_np("conv2d_input_grad")
def _conv2d_input_grad_np(xs, a, out):
    g, w = xs
    return _spread(g, lambda i, j, g: np.einsum("nohw,oc->nchw", g, w[:, :, i, j]), a["in_hw"], w.shape[2:],
                   a["stride"], a["padding"], np).astype(out.dtype)


@_np("max_pool2d")
def _max_pool2d_np(xs, a, out):
    wins = _window_views(xs[0], a["kernel_size"], a["stride"], a["padding"], _out_hw(out), -np.inf, np)
    return np.max(np.stack(list(wins.values())), axis=0)


@_np("avg_pool2d")
def _avg_pool2d_np(xs, a, out):  # zero padding counted, as PyTorch's count_include_pad=True
    wins = _window_views(xs[0], a["kernel_size"], a["stride"], a["padding"], _out_hw(out), 0.0, np)
    return (sum(wins.values()) / len(wins)).astype(out.dtype)


def _avg_adjoint(lib):
    def mirror(*args):
        xs, a, out = args[-3:]
        k = a["kernel_size"]
        return _spread(xs[0], lambda i, j, g: g / (k[0] * k[1]), a["in_hw"], k, a["stride"], a["padding"], lib)
    return mirror


NUMPY["avg_pool2d_adjoint"] = _avg_adjoint(np)
TORCH["avg_pool2d_adjoint"] = lambda torch, xs, a, out: _avg_adjoint(torch)(xs, a, out)


@_th("conv2d_input_grad")
def _conv2d_input_grad_torch(torch, xs, a, out):
    g, w = xs
    return torch.nn.grad.conv2d_input(tuple(out.shape), w, g, stride=a["stride"], padding=a["padding"])


@_th("conv2d_weight_grad")
def _conv2d_weight_grad_torch(torch, xs, a, out):
    x, g = xs
    return torch.nn.grad.conv2d_weight(x, tuple(out.shape), g, stride=a["stride"], padding=a["padding"])


@_np("cross_entropy")
def _cross_entropy_np(xs, a, out):
    z = xs[0] - np.max(xs[0], axis=1, keepdims=True)
    nll = -(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[np.arange(len(z)), a["labels"]]
    r = {"none": nll, "sum": nll.sum(), "mean": nll.mean()}[a["reduction"]]
    return np.asarray(r, dtype=out.dtype)


# max_pool2d_scatter / max_pool2d_gather take minigrad's own argmax layout (an attribute of
# max_pool2d's rule): they are checked through max_pool2d, and by finite differences, not mirrored.

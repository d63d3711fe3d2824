"""Stateless layer functions (`mg.nn.functional`, imported as F), PyTorch's names and argument names.

`linear` is one recorded op rather than a transpose + matmul + add, so it can pick the fast GEMM
orientation for the weight's memory order and compute only the gradients somebody needs.
nn.Linear keeps its (out, in) weight in F order, i.e. the memory of an (in, out) C array; measured
on the face MLP step (64x4096 -> 300 -> 6, one BLAS thread, interleaved with hand-written numpy):
    C-order W: forward (W @ x^T)^T, weight gradient g^T @ x       ~1.09x numpy
    F-order W: forward x @ W^T,     weight gradient (x^T @ g)^T   ~1.04x numpy
(x @ W^T on a C-order W was slower still: 2.26 vs 1.79 ms for the first layer's forward alone.)
The weight gradient always takes the weight's memory order, so the optimizer's update never mixes
C and F order, which costs ~25x more than a same-order elementwise update.
"""
from __future__ import annotations

import numpy as np

from .. import ops, rules
from ..tensor import _wrap, as_tensor, record
from .conv import conv2d  # noqa: F401 - part of F's public surface
from .init import generator
from .normalization import batch_norm  # noqa: F401
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss  # noqa: F401
from .pooling import avg_pool2d, max_pool2d  # noqa: F401

relu = ops.relu
tanh = ops.tanh
sigmoid = ops.sigmoid


def softmax(x, dim=-1):
    return ops.softmax(x, axis=dim)


def log_softmax(x, dim=-1):
    return ops.log_softmax(x, axis=dim)


def _transposed(W):
    """True for a weight stored as the transpose of an (in, out) C array (nn.Linear's layout)."""
    return W.flags.f_contiguous and not W.flags.c_contiguous


def linear(x, weight, bias=None):
    """y = x W^T + b with W of shape (out_features, in_features); x may have any leading dims."""
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    W = weight.data
    if W.ndim != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != W.shape[1]:
        raise ValueError(f"linear: expected input (..., {W.shape[1]}) for weight of shape {weight.shape}, "
                         f"got {x.shape}")
    if bias is not None and bias.shape != (W.shape[0],):
        raise ValueError(f"linear: bias must have shape ({W.shape[0]},), got {bias.shape}")
    xd = x.data if x.ndim == 2 else x.data.reshape(-1, W.shape[1])
    out = xd @ W.T if _transposed(W) else (W @ xd.T).T
    if bias is not None:
        if out.dtype == bias.data.dtype:
            out += bias.data  # `out` is a fresh array nobody else holds
        else:
            out = out + bias.data
    if x.ndim != 2:
        out = out.reshape(x.shape[:-1] + (W.shape[0],))
    return record("linear", out, (x, weight) if bias is None else (x, weight, bias))


@rules.register("linear", for_others=True)
def linear_vjp(g, out, x, weight, *bias):
    return _linear_grads(g, x, weight, bias[0] if bias else None)


@rules.register_array("linear")
def linear_vjp_array(g, out, x, weight, *bias):
    return _linear_grads(g, x, weight, bias[0] if bias else None, arrays=True)


def _linear_grads(g, x, weight, bias, arrays=False):
    """The gradients somebody needs, for the rule (Tensors) and its array twin (`arrays`: ndarrays),
    with only what Tensors and ndarrays share (reshape, .T, @, sum)."""
    W = weight.data
    n_out, n_in = W.shape
    xv, wv = (x.data, W) if arrays else (x, weight)
    g2 = g if g.ndim == 2 else g.reshape(-1, n_out)
    gx = gw = None
    if x.requires_grad:
        gx = g2 @ wv
        if x.ndim != 2:
            gx = gx.reshape(x.shape)
    if weight.requires_grad:
        x2 = xv if x.ndim == 2 else xv.reshape(-1, n_in)
        gw = (x2.T @ g2).T if _transposed(W) else g2.T @ x2
    if bias is None:
        return gx, gw
    return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)


def dropout(x, p=0.5, training=True):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got p={p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * _wrap(np.zeros((), dtype=x.dtype))
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    keep = generator().random(x.shape, dtype=dtype) >= p
    return x * _wrap(np.multiply(keep, 1.0 / (1.0 - p), dtype=x.dtype))

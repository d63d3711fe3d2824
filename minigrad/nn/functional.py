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
from .activations import (celu, elu, gelu, glu, hardsigmoid, hardswish, hardtanh, leaky_relu,  # noqa: F401
                          logsigmoid, mish, normalize, prelu, relu6, selu, silu, softmin, softplus, softsign)
from .losses2 import (binary_cross_entropy, cosine_embedding_loss, cosine_similarity, gaussian_nll_loss,  # noqa: F401
                      hinge_embedding_loss, huber_loss, kl_div, l1_loss, margin_ranking_loss, multilabel_soft_margin_loss,
                      pairwise_distance, poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from .norms import embedding, group_norm, instance_norm, layer_norm  # noqa: F401
from .attention import scaled_dot_product_attention  # noqa: F401
from .convolution import conv1d, conv_transpose1d, conv_transpose2d, pad  # noqa: F401
from .fold import fold, unfold  # noqa: F401
from .pooling import avg_pool1d, max_pool1d  # noqa: F401
from .resize import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,  # noqa: F401
                     interpolate, max_unpool1d, max_unpool2d, pixel_shuffle, pixel_unshuffle, upsample)

relu = ops.relu
tanh = ops.tanh
sigmoid = ops.sigmoid

# the functional API; the helpers imported above (as_tensor, record, generator) and linear's rules
# are not part of it, so `from minigrad.nn.functional import *` and the reference leave them out
__all__ = ["relu", "tanh", "sigmoid", "softmax", "log_softmax", "linear", "dropout",  # defined here
           "conv2d", "batch_norm", "avg_pool2d", "max_pool2d", "avg_pool1d", "max_pool1d",
           "binary_cross_entropy_with_logits", "cross_entropy", "mse_loss", "nll_loss",
           "celu", "elu", "gelu", "glu", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu", "logsigmoid", "mish",
           "normalize", "prelu", "relu6", "selu", "silu", "softmin", "softplus", "softsign",
           "binary_cross_entropy", "cosine_embedding_loss", "cosine_similarity", "gaussian_nll_loss",
           "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss", "margin_ranking_loss",
           "multilabel_soft_margin_loss", "pairwise_distance", "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss",
           "triplet_margin_loss", "embedding", "group_norm", "instance_norm", "layer_norm",
           "scaled_dot_product_attention", "conv1d", "conv_transpose1d", "conv_transpose2d", "pad", "fold", "unfold",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
           "max_unpool1d", "max_unpool2d", "pixel_shuffle", "pixel_unshuffle", "upsample"]


def softmax(x, dim=-1):
    """softmax along `dim` (PyTorch's argument name for numpy's `axis`).

        >>> F.softmax(mg.tensor([0.0, np.log(3.0)]), dim=0)
        tensor([0.25, 0.75])
    """
    return ops.softmax(x, axis=dim)


def log_softmax(x, dim=-1):
    """log(softmax(x)) along `dim`, computed stably.

        >>> F.log_softmax(mg.tensor([0.0, 0.0]), dim=0)
        tensor([-0.69314718, -0.69314718])
    """
    return ops.log_softmax(x, axis=dim)


def _transposed(W):
    """True for a weight stored as the transpose of an (in, out) C array (nn.Linear's layout)."""
    return W.flags.f_contiguous and not W.flags.c_contiguous


def linear(x, weight, bias=None):
    """y = x W^T + b with W of shape (out_features, in_features); x may have any leading dims.

        >>> W = mg.tensor([[1.0, 1.0], [0.0, 2.0], [1.0, -1.0]])
        >>> F.linear(mg.tensor([[1.0, 2.0]]), W, mg.tensor([0.0, 0.0, 0.5]))
        tensor([[ 3. ,  4. , -0.5]])
    """
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
    """The rule of `linear`: g W for x, g^T x for W, g summed over the batch for b (only those needed)."""
    return _linear_grads(g, x, weight, bias[0] if bias else None)


@rules.register_array("linear")
def linear_vjp_array(g, out, x, weight, *bias):
    """`linear_vjp` on ndarrays (backward's fast path without create_graph)."""
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
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    The scaling keeps each element's expected value, so `training=False` is just the identity.

        >>> _ = mg.manual_seed(0)
        >>> F.dropout(mg.tensor(np.ones(6)), p=0.5)
        tensor([2., 0., 0., 0., 2., 2.])
        >>> F.dropout(mg.tensor(np.ones(2)), p=0.5, training=False)
        tensor([1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got p={p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * _wrap(np.zeros((), dtype=x.dtype))
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    keep = generator().random(x.shape, dtype=dtype) >= p
    return x * _wrap(np.multiply(keep, 1.0 / (1.0 - p), dtype=x.dtype))

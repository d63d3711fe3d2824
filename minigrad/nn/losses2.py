"""More losses with PyTorch's names, argument order (its deprecated size_average/reduce dropped),
defaults, weighted means and kink conventions; all composed from exact recorded ops.

Kinks: l1's slope at 0 is 0; margin-type losses use clamp-at-0 with the gradient passing at the
bound (PyTorch's clamp_min), i.e. `clip`'s convention; smooth_l1 and huber switch branch at
|d| = beta (delta), where both branches have the same slope. Every reduction is one of
'mean', 'sum', 'none' ('batchmean' too for kl_div).
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops, rules
from ..tensor import Tensor, _wrap, as_tensor, record
from .activations import softplus, vector_norm
from .losses import _broadcastable, _check_reduction, _reduce

_EPSILON = 1e-12  # PyTorch's EPSILON in cosine_embedding_loss
_BCE_EPSILON = float(np.float32(1e-12))  # PyTorch's floor of x (1 - x) in BCE's gradient (a float32 there)


def _pair(input, target, fn, same_shape=True):  # noqa: A002
    input = as_tensor(input)
    target = as_tensor(target, like=input)
    if same_shape and input.shape != target.shape:
        raise ValueError(f"{fn}: input of shape {input.shape} and target of shape {target.shape} differ "
                         f"(broadcasting them is almost always a bug)")
    return input, target


def _straight_through_clamp(n, eps):
    """max(n, eps) in value, with n's gradient (PyTorch clamps such norms in place under no_grad)."""
    return n + _wrap((np.maximum(n.data, eps) - n.data).astype(n.dtype, copy=False))


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    """|input - target| (slope 0 where they are equal).

    >>> import minigrad as mg
    >>> mg.nn.functional.l1_loss(mg.tensor([1.0, -2.0]), mg.tensor([0.0, 0.0])).item()
    1.5
    """
    input, target = _pair(input, target, "l1_loss")
    return _reduce(ops.abs(input - target), reduction, "l1_loss")


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):  # noqa: A002
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target; beta=0: l1).

    >>> import minigrad as mg
    >>> mg.nn.functional.smooth_l1_loss(mg.tensor([0.5, 3.0]), mg.tensor([0.0, 0.0]), reduction="none").data.tolist()
    [0.125, 2.5]
    """
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _pair(input, target, "smooth_l1_loss")
    d = input - target
    ad = ops.abs(d)
    if beta == 0:
        return _reduce(ad, reduction, "smooth_l1_loss")
    return _reduce(ops.where(ad.data < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (= delta * smooth_l1 with beta=delta).

    >>> import minigrad as mg
    >>> x, zero = mg.tensor([0.5, 3.0]), mg.tensor([0.0, 0.0])
    >>> mg.nn.functional.huber_loss(x, zero, reduction="none", delta=2.0).data.tolist()
    [0.125, 4.0]
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair(input, target, "huber_loss")
    d = input - target
    ad = ops.abs(d)
    return _reduce(ops.where(ad.data < delta, d * d * 0.5, (ad - 0.5 * delta) * delta), reduction, "huber_loss")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """-weight (t log x + (1 - t) log(1 - x)) for probabilities x, each log clamped at -100 (PyTorch).

    One op with PyTorch's gradients: (x - t) / max(x (1 - x), 1e-12) for x, so a saturated sigmoid
    (x = 0 or 1 exactly) still gets a large finite gradient, and log(1 - x) - log(x) for t.

    >>> import minigrad as mg
    >>> round(mg.nn.functional.binary_cross_entropy(mg.tensor([0.8]), mg.tensor([1.0])).item(), 6)
    0.223144
    """
    input, target = _pair(input, target, "binary_cross_entropy")
    if input.size and not ((input.data >= 0) & (input.data <= 1)).all():
        raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1] (use "
                         "binary_cross_entropy_with_logits for logits)")
    x, t = input.data, target.data
    with np.errstate(divide="ignore"):
        data = -(t * np.maximum(np.log(x), -100.0) + (1 - t) * np.maximum(np.log1p(-x), -100.0))
    loss = record("binary_cross_entropy", data.astype(input.dtype, copy=False), (input, target))
    if weight is not None:
        loss = loss * _broadcastable(weight, input, "weight", "binary_cross_entropy")
    return _reduce(loss, reduction, "binary_cross_entropy")


@rules.register("binary_cross_entropy")
def binary_cross_entropy_vjp(g, out, x, t):
    gx = g * (x - t) / ops.clip(x * (1.0 - x), _BCE_EPSILON, None) if x.requires_grad else None
    gt = g * (ops.log(1.0 - x) - ops.log(x)) if t.requires_grad else None
    return gx, gt


def _xlogy(t):
    """t log t with 0 at t = 0; its slope there is taken as 0 (log t + 1 -> -inf; PyTorch gives nan)."""
    positive = t.data > 0
    return ops.where(positive, t * ops.log(ops.where(positive, t, 1.0)), 0.0)


def kl_div(input, target, reduction="mean", log_target=False):  # noqa: A002
    """Pointwise KL divergence t (log t - input) for log-probabilities `input` (target as
    probabilities, or log-probabilities with log_target=True). 'batchmean' divides the sum by the
    batch size (the true KL divergence); 'mean', as in PyTorch, by the number of elements.

    >>> import minigrad as mg, numpy as np
    >>> logq = mg.tensor(np.log([[0.5, 0.5]]))
    >>> round(mg.nn.functional.kl_div(logq, mg.tensor([[0.9, 0.1]]), reduction="batchmean").item(), 6)
    0.368064
    """
    _check_reduction(reduction, "kl_div", ("mean", "sum", "none", "batchmean"))
    input, target = _pair(input, target, "kl_div")
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = _xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps)) along `dim` (inputs broadcast together); as in
    PyTorch the clamp changes the value only, the gradient is the norm's.

    >>> import minigrad as mg
    >>> mg.nn.functional.cosine_similarity(mg.tensor([[1.0, 0.0]]), mg.tensor([[1.0, 1.0]])).data.round(6).tolist()
    [0.707107]
    """
    x1, x2 = as_tensor(x1), as_tensor(x2)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 {x1.shape} and x2 {x2.shape} do not broadcast") from None
    x1, x2 = ops.broadcast_to(x1, shape), ops.broadcast_to(x2, shape)
    n1 = _straight_through_clamp(vector_norm(x1, 2, dim, keepdims=True), eps)
    n2 = _straight_through_clamp(vector_norm(x2, 2, dim, keepdims=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis.

    >>> import minigrad as mg
    >>> round(mg.nn.functional.pairwise_distance(mg.tensor([[3.0, 0.0]]), mg.tensor([[0.0, 4.0]]), eps=0).item(), 6)
    5.0
    """
    x1, x2 = as_tensor(x1), as_tensor(x2)
    return vector_norm(x1 - x2 + eps, p, -1, keepdims=keepdim)


def _values(target):
    """A target's values as an ndarray (labels like y = +-1 are constants)."""
    return target.data if isinstance(target, Tensor) else np.asarray(target)


def _signs(target, like):
    return _wrap(_values(target).astype(like.dtype))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -y (x1 - x2) + margin) for y = +-1 (gradient passes at the kink, as PyTorch's clamp_min).

    >>> import minigrad as mg
    >>> mg.nn.functional.margin_ranking_loss(mg.tensor([1.0, 1.0]), mg.tensor([0.0, 3.0]), mg.tensor([1.0, 1.0])).item()
    1.0
    """
    input1, input2 = as_tensor(input1), as_tensor(input2)
    y = _signs(target, input1)
    return _reduce(ops.clip(-y * (input1 - input2) + margin, 0.0, None), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):  # noqa: A002
    """x where y = 1, max(0, margin - x) where y = -1 (PyTorch's formula for other y: the sum of both).

    >>> import minigrad as mg
    >>> x, y = mg.tensor([0.3, 0.4]), mg.tensor([1.0, -1.0])
    >>> mg.nn.functional.hinge_embedding_loss(x, y, reduction="none").data.tolist()
    [0.3, 0.6]
    """
    input = as_tensor(input)
    y = _values(target)
    hinge = ops.where(y != 1, ops.clip(margin - input, 0.0, None), 0.0)
    return _reduce(hinge + ops.where(y != -1, input, 0.0), reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, reduction="mean"):  # noqa: A002
    """log(1 + exp(-y x)) for y = +-1 (softplus(-y x), stable).

    >>> import minigrad as mg
    >>> round(mg.nn.functional.soft_margin_loss(mg.tensor([0.0]), mg.tensor([1.0])).item(), 6)
    0.693147
    """
    input, target = _pair(input, target, "soft_margin_loss")
    return _reduce(softplus(-target * input, 1.0, math.inf), reduction, "soft_margin_loss")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance; swap=True uses min(d(a, n), d(p, n)).

    >>> import minigrad as mg
    >>> a, p, n = mg.tensor([[0.0, 0.0]]), mg.tensor([[1.0, 0.0]]), mg.tensor([[0.0, 3.0]])
    >>> round(mg.nn.functional.triplet_margin_loss(a, p, n, margin=3.0, eps=0).item(), 6)
    1.0
    """
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(ops.clip(d_pos - d_neg + margin, 0.0, None), reduction, "triplet_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, along the last axis
    (cos with PyTorch's 1e-12 added to each squared norm).

    >>> import minigrad as mg
    >>> x1, x2 = mg.tensor([[1.0, 0.0]]), mg.tensor([[0.0, 1.0]])
    >>> mg.nn.functional.cosine_embedding_loss(x1, x2, mg.tensor([1.0])).item()
    1.0
    """
    x1, x2 = as_tensor(input1), as_tensor(input2)
    y = _values(target)
    dot = (x1 * x2).sum(axis=-1)
    cos = dot / ops.sqrt(((x1 * x1).sum(axis=-1) + _EPSILON) * ((x2 * x2).sum(axis=-1) + _EPSILON))
    loss = ops.where(y == 1, 1.0 - cos, 0.0) + ops.where(y == -1, ops.clip(cos - margin, 0.0, None), 0.0)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):  # noqa: A002
    """0.5 (log max(var, eps) + (input - target)^2 / max(var, eps)) (+ 0.5 log 2 pi with full=True);
    the clamp changes values only, as PyTorch's in-place clamp under no_grad.

    >>> import minigrad as mg
    >>> round(mg.nn.functional.gaussian_nll_loss(mg.tensor([1.0]), mg.tensor([0.0]), mg.tensor([1.0])).item(), 6)
    0.5
    """
    input, target = _pair(input, target, "gaussian_nll_loss")
    var = as_tensor(var, like=input)
    if (var.data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entries")
    if var.shape != input.shape:  # PyTorch's shapes: one variance for the whole last axis
        if var.shape == input.shape[:-1]:
            var = var.reshape(var.shape + (1,))
        elif not (var.shape[:-1] == input.shape[:-1] and var.shape[-1:] == (1,)):
            raise ValueError(f"gaussian_nll_loss: var of shape {var.shape} fits neither input {input.shape} "
                             f"nor its shape without the last axis")
    var = _straight_through_clamp(var, eps)
    d = input - target
    loss = (ops.log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):  # noqa: A002
    """exp(input) - target input (log_input), or input - target log(input + eps); full=True adds
    Stirling's t log t - t + 0.5 log(2 pi t) where t > 1.

    >>> import minigrad as mg
    >>> round(mg.nn.functional.poisson_nll_loss(mg.tensor([0.0]), mg.tensor([2.0])).item(), 6)
    1.0
    """
    input, target = _pair(input, target, "poisson_nll_loss")
    loss = ops.exp(input) - target * input if log_input else input - target * ops.log(input + eps)
    if full:
        t = target.data
        big = t > 1
        tb = np.where(big, t, 1.0)
        stirling = np.where(big, tb * np.log(tb) - tb + 0.5 * np.log(2 * np.pi * tb), 0.0)
        loss = loss + _wrap(stirling.astype(input.dtype))
    return _reduce(loss, reduction, "poisson_nll_loss")


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):  # noqa: A002
    """-mean over classes of weight (t log sigmoid(x) + (1 - t) log sigmoid(-x)), per sample.

    >>> import minigrad as mg
    >>> round(mg.nn.functional.multilabel_soft_margin_loss(mg.tensor([[0.0, 0.0]]), mg.tensor([[1.0, 0.0]])).item(), 6)
    0.693147
    """
    input, target = _pair(input, target, "multilabel_soft_margin_loss")
    log_sig = -softplus(-input, 1.0, math.inf)
    log_sig_neg = -softplus(input, 1.0, math.inf)
    loss = -(target * log_sig + (1.0 - target) * log_sig_neg)
    if weight is not None:
        loss = loss * _broadcastable(weight, input, "weight", "multilabel_soft_margin_loss")
    return _reduce(loss.mean(axis=-1), reduction, "multilabel_soft_margin_loss")

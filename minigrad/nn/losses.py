"""Loss functions, stable for any logits, differentiable to any order.

cross_entropy is one fused op (the classifier's loss runs every training step: one op instead of
log_softmax, an indexing, a negation and a mean); its rule is (softmax(z) - onehot) * g, written
with the softmax op so a second derivative flows through it.
"""
from __future__ import annotations

import numpy as np

from .. import ops, rules
from ..tensor import Tensor, _wrap, as_tensor, is_grad_enabled, record

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction, fn):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_labels(x, labels, fn):
    """Integer labels (N,) checked against input (N, C): shape, dtype and range, naming the culprit."""
    if x.ndim != 2:
        raise ValueError(f"{fn}: expected input of shape (N, C), got {x.shape}")
    n, c = x.shape
    # a copy: cross_entropy's rule reads the labels, which the caller may change after the forward
    arr = np.array(labels.data if isinstance(labels, Tensor) else labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integer class indices, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{fn}: labels of shape {arr.shape} do not match input of shape {x.shape}; "
                         f"expected labels of shape ({n},)")
    if n:
        bad = np.flatnonzero((arr < 0) | (arr >= c))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{fn}: label {int(arr[i])} at index {i} is out of range for {c} classes "
                             f"(valid: 0..{c - 1}; {bad.size} bad label(s))")
    return arr


def nll_loss(log_probs, labels, reduction="mean"):
    """Negative log-likelihood of integer `labels` (N,) under `log_probs` (N, C)."""
    log_probs = as_tensor(log_probs)
    arr = _class_labels(log_probs, labels, "nll_loss")
    picked = log_probs[np.arange(len(arr)), arr]
    return _reduce(-picked, reduction, "nll_loss")


def cross_entropy(logits, labels, reduction="mean"):
    """Softmax cross-entropy of `logits` (N, C) against integer `labels` (N,)."""
    logits = as_tensor(logits)
    arr = _class_labels(logits, labels, "cross_entropy")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    z = logits.data
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(arr))
    per = np.log(total[:, 0]) - shifted[rows, arr]
    out = per.mean() if reduction == "mean" else per.sum() if reduction == "sum" else per
    e /= total  # the softmax, kept for a first-order backward
    return record("cross_entropy", np.asarray(out, dtype=z.dtype), (logits,), labels=arr, reduction=reduction,
                  probs=e, rows=rows)


@rules.register("cross_entropy")
def cross_entropy_vjp(g, out, logits, labels, reduction, probs, rows):
    # under create_graph the softmax is recomputed as an op, so the second derivative sees it
    p = ops.softmax(logits, axis=1) if is_grad_enabled() else _wrap(probs)
    onehot = np.zeros(logits.shape, dtype=logits.dtype)
    onehot[rows, labels] = 1
    if reduction == "none":
        g = g.reshape(-1, 1)
    elif reduction == "mean" and len(labels):
        g = g * (1.0 / len(labels))
    return ((p - _wrap(onehot)) * g,)


@rules.register_array("cross_entropy")
def cross_entropy_vjp_array(g, out, logits, labels, reduction, probs, rows):
    grad = probs.copy()  # the saved softmax stays intact for a retain_graph=True second backward
    grad[rows, labels] -= 1
    if reduction == "none":
        grad *= g.reshape(-1, 1)
    else:
        grad *= g * (1.0 / len(labels)) if reduction == "mean" and len(labels) else g
    return (grad,)


def mse_loss(input, target, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    input, target = as_tensor(input), as_tensor(target, like=input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input of shape {input.shape} and target of shape {target.shape} "
                         f"differ (broadcasting them is almost always a bug)")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Sigmoid + binary cross-entropy as softplus(z) - z*t, softplus(z) = logsumexp([0, z]): stable,
    and smooth at z = 0 (a max(z, 0) + log(1 + exp(-|z|)) form would get the kink's gradients wrong)."""
    logits, target = as_tensor(logits), as_tensor(target, like=logits)
    if logits.shape != target.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: logits of shape {logits.shape} and target "
                         f"of shape {target.shape} differ")
    zero = _wrap(np.zeros(logits.shape, dtype=logits.dtype))
    loss = ops.logsumexp(ops.stack([zero, logits]), axis=0) - logits * target
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")

"""Loss functions. cross_entropy is log_softmax followed by nll_loss: stable for any logits, and
every piece is an op with a rule, so losses differentiate to any order."""
from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor, _wrap, as_tensor

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
    arr = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
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
    _class_labels(logits, labels, "cross_entropy")
    return nll_loss(ops.log_softmax(logits, axis=1), labels, reduction)


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

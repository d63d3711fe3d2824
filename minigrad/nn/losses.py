"""Loss functions, stable for any logits, differentiable to any order.

cross_entropy is one fused op (the classifier's loss runs every training step: one op instead of
log_softmax, an indexing, a negation and a mean); its rule is (softmax(z) - onehot) * g, written
with the softmax op so a second derivative flows through it.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops, rules
from .activations import softplus
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


def _class_labels(x, labels, fn, ignore_index=None):
    """Integer labels (N, d1, ...) checked against input (N, C, d1, ...): shape, dtype and range
    (labels equal to `ignore_index` may be anything), naming the culprit."""
    if x.ndim < 2:
        raise ValueError(f"{fn}: expected input of shape (N, C) or (N, C, d1, ...), got {x.shape}")
    n, c = x.shape[:2]
    want = (n,) + x.shape[2:]
    # a copy: the rules read the labels, which the caller may change after the forward
    arr = np.array(labels.data if isinstance(labels, Tensor) else labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integer class indices, got dtype {arr.dtype}")
    if arr.shape != want:
        raise ValueError(f"{fn}: labels of shape {arr.shape} do not match input of shape {x.shape}; "
                         f"expected labels of shape {want}")
    if arr.size:
        bad = np.flatnonzero(((arr < 0) | (arr >= c)) & (arr != ignore_index))
        if bad.size:
            i = int(bad[0]) if arr.ndim == 1 else tuple(int(j) for j in np.unravel_index(bad[0], arr.shape))
            raise ValueError(f"{fn}: label {int(arr.reshape(-1)[bad[0]])} at index {i} is out of range for {c} "
                             f"classes (valid: 0..{c - 1}; {bad.size} bad label(s))")
    return arr


def weight_buffer(value):
    """A loss module's class-weight buffer: float arrays keep their dtype (as PyTorch's tensors do),
    anything else becomes float32; None stays None.

    >>> weight_buffer([1, 2]).dtype, weight_buffer(np.ones(2)).dtype, weight_buffer(None)
    (dtype('float32'), dtype('float64'), None)
    """
    if value is None:
        return None
    value = np.array(value.data if isinstance(value, Tensor) else value)
    return value if value.dtype.kind == "f" else value.astype(np.float32)


def _check_reduction(reduction, fn, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{fn}: reduction must be one of {allowed}, got {reduction!r}")


def _class_weight(weight, c, dtype, fn):
    """The per-class weight as an ndarray of x's dtype (a constant: PyTorch gives it no gradient)."""
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if w.shape != (c,):
        raise ValueError(f"{fn}: weight must have one entry per class, shape ({c},), got {w.shape}")
    return w


def _weighted_nll(log_probs, arr, weight, ignore_index, reduction, fn):
    """-weight[y] log_probs[n, y, ...], ignored entries 0; 'mean' divides by the summed weights of
    the entries not ignored (PyTorch's weighted mean: nan when every entry is ignored)."""
    c = log_probs.shape[1]
    kept = arr != ignore_index
    safe = np.where(kept, arr, 0)
    moved = log_probs
    if log_probs.ndim > 2:  # classes last, so one fancy index picks every entry's log-probability
        moved = log_probs.transpose((0,) + tuple(range(2, log_probs.ndim)) + (1,))
    flat = moved.reshape(-1, c)
    picked = flat[np.arange(flat.shape[0]), safe.reshape(-1)].reshape(arr.shape)
    w = (np.ones(c, log_probs.dtype) if weight is None else weight)[safe] * kept
    loss = -picked * _wrap(w)
    return _weighted_mean(loss, w, reduction, fn)


def _weighted_mean(loss, w, reduction, fn):
    """'mean' as sum(loss) / sum(w) (w: the entries' weights, 0 where ignored), else _reduce."""
    if reduction != "mean":
        return _reduce(loss, reduction, fn)
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / _wrap(np.asarray(w.sum(), dtype=loss.dtype))


def nll_loss(log_probs, labels, reduction="mean", *, weight=None, ignore_index=-100):
    """Negative log-likelihood of integer `labels` (N,) or (N, d1, ...) under `log_probs` (N, C) or
    (N, C, d1, ...), with PyTorch's per-class `weight` and `ignore_index` (weighted mean).

    >>> import minigrad as mg, numpy as np
    >>> logp = mg.tensor(np.log([[0.5, 0.5], [0.25, 0.75]]))
    >>> round(mg.nn.functional.nll_loss(logp, np.array([0, 1]), weight=np.array([1.0, 3.0])).item(), 6)
    0.389048
    """
    log_probs = as_tensor(log_probs)
    _check_reduction(reduction, "nll_loss")
    arr = _class_labels(log_probs, labels, "nll_loss", ignore_index)
    weight = _class_weight(weight, log_probs.shape[1], log_probs.dtype, "nll_loss")
    if weight is None and log_probs.ndim == 2 and not (arr == ignore_index).any():
        picked = log_probs[np.arange(len(arr)), arr]
        return _reduce(-picked, reduction, "nll_loss")
    return _weighted_nll(log_probs, arr, weight, ignore_index, reduction, "nll_loss")


def cross_entropy(logits, labels, reduction="mean", *, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Softmax cross-entropy of `logits` (N, C) or (N, C, d1, ...) against integer `labels` (N, ...)
    or class probabilities (a float target of the logits' shape), with PyTorch's options: per-class
    `weight`, `ignore_index` (class labels only) and `label_smoothing`.

    Plain (N, C) logits with labels run one fused op; the options compose log_softmax and indexing.

    >>> import minigrad as mg, numpy as np
    >>> z = mg.tensor([[2.0, 0.0, 0.0]])
    >>> round(mg.nn.functional.cross_entropy(z, np.array([0]), label_smoothing=0.3).item(), 6)
    0.639545
    """
    logits = as_tensor(logits)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if target.dtype.kind == "f" and target.shape == logits.shape and logits.ndim >= 2:
        return _soft_cross_entropy(logits, labels, weight, reduction, label_smoothing)
    arr = _class_labels(logits, labels, "cross_entropy", ignore_index)
    c = logits.shape[1]
    weight = _class_weight(weight, c, logits.dtype, "cross_entropy")
    if weight is None and label_smoothing == 0 and logits.ndim == 2 and not (arr == ignore_index).any():
        return _fused_cross_entropy(logits, arr, reduction)
    log_probs = ops.log_softmax(logits, axis=1)
    nll = _weighted_nll(log_probs, arr, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing == 0:
        return nll
    # PyTorch's smoothing term: -sum_c weight_c log p_c per entry, 0 where ignored, the same weighted mean
    kept = arr != ignore_index
    wb = log_probs if weight is None else log_probs * _wrap(weight.reshape((1, c) + (1,) * (logits.ndim - 2)))
    smooth = -wb.sum(axis=1) * _wrap(kept.astype(logits.dtype))
    w = kept if weight is None else weight[np.where(kept, arr, 0)] * kept
    smooth = _weighted_mean(smooth, w, reduction, "cross_entropy")
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / c)


def _soft_cross_entropy(logits, target, weight, reduction, label_smoothing):
    """-sum_c weight_c t_c log_softmax(z)_c per entry; 'mean' divides by the number of entries (N
    times the spatial size), unweighted, as PyTorch does for probability targets."""
    target = as_tensor(target, like=logits)
    c = logits.shape[1]
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    terms = ops.log_softmax(logits, axis=1) * target
    weight = _class_weight(weight, c, logits.dtype, "cross_entropy")
    if weight is not None:
        terms = terms * _wrap(weight.reshape((c,) + (1,) * (logits.ndim - 2)))
    return _reduce(-terms.sum(axis=1), reduction, "cross_entropy")


def _fused_cross_entropy(logits, arr, reduction):
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
    """Mean (or summed, or elementwise with reduction="none") squared error; shapes must match.

        >>> F.mse_loss(mg.tensor([1.0, 3.0]), mg.tensor([0.0, 1.0]))
        tensor(2.5)
    """
    input, target = as_tensor(input), as_tensor(target, like=input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input of shape {input.shape} and target of shape {target.shape} "
                         f"differ (broadcasting them is almost always a bug)")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def binary_cross_entropy_with_logits(logits, target, reduction="mean", *, weight=None, pos_weight=None):
    """Sigmoid + binary cross-entropy as softplus(z) - z*t, softplus(z) = logsumexp([0, z]): stable,
    and smooth at z = 0 (a max(z, 0) + log(1 + exp(-|z|)) form would get the kink's gradients wrong).

    PyTorch's options: `weight` (broadcast to the logits' shape) multiplies each element's loss;
    `pos_weight` (broadcast along the last, class, axis) weights the positive term:
    (1 - t) z + (1 + (pos_weight - 1) t) softplus(-z). 'mean' is the plain mean over elements.

    >>> import minigrad as mg, numpy as np
    >>> F = mg.nn.functional
    >>> loss = F.binary_cross_entropy_with_logits(mg.tensor([0.0]), np.array([1.0]), pos_weight=np.array([3.0]))
    >>> round(loss.item(), 6)
    2.079442
    """
    logits, target = as_tensor(logits), as_tensor(target, like=logits)
    if logits.shape != target.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: logits of shape {logits.shape} and target "
                         f"of shape {target.shape} differ")
    if pos_weight is None:
        zero = _wrap(np.zeros(logits.shape, dtype=logits.dtype))
        loss = ops.logsumexp(ops.stack([zero, logits]), axis=0) - logits * target
    else:
        pos_weight = _broadcastable(pos_weight, logits, "pos_weight", "binary_cross_entropy_with_logits")
        log_weight = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * logits + log_weight * softplus(-logits, 1.0, math.inf)
    if weight is not None:
        loss = loss * _broadcastable(weight, logits, "weight", "binary_cross_entropy_with_logits")
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _broadcastable(w, x, name, fn):
    """An optional weight as a tensor of x's dtype that broadcasts to x's shape without growing it."""
    w = as_tensor(w, like=x)
    if w.dtype != x.dtype and not w.requires_grad:
        w = as_tensor(w.data.astype(x.dtype))
    try:
        shape = np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ValueError(f"{fn}: {name} of shape {w.shape} does not broadcast to the input's shape {x.shape}")
    return w

"""Gradient clipping with PyTorch's names and semantics: `clip_grad_norm_`, `clip_grad_value_`.

Both change each parameter's `.grad` in place (every `.grad` owns its memory, so no other tensor
sees the change) and skip parameters without a gradient.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, _wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_"]  # Tensor is imported for isinstance, not exported


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint `norm_type`-norm is at most `max_norm`.

    Returns the total norm before clipping (a 0-d tensor), as PyTorch does; the scale is
    max_norm / (total + 1e-6), capped at 1.

        >>> import numpy as np, minigrad as mg
        >>> w = mg.nn.Parameter([3.0, 4.0], dtype=np.float64)
        >>> (w * w).sum().backward()                 # grad (6, 8): norm 10
        >>> float(mg.nn.utils.clip_grad_norm_([w], max_norm=5.0))
        10.0
        >>> np.round(w.grad.data, 4).tolist()
        [3.0, 4.0]
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return _wrap(np.array(0.0))
    if norm_type == math.inf:
        norms = [np.max(np.abs(g.data), initial=0.0) for g in grads]
        total = float(max(norms))
    else:
        total = float(sum(np.sum(np.abs(g.data) ** norm_type) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {total}; "
                           f"pass error_if_nonfinite=False to clip anyway")
    scale = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g.data *= np.asarray(scale, dtype=g.dtype)
    return _wrap(np.array(total))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element to [-clip_value, clip_value].

        >>> import numpy as np, minigrad as mg
        >>> w = mg.nn.Parameter([3.0, -4.0], dtype=np.float64)
        >>> (w * w).sum().backward()                 # grad (6, -8)
        >>> mg.nn.utils.clip_grad_value_([w], 1.0)
        >>> w.grad.data.tolist()
        [1.0, -1.0]
    """
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _grads(parameters):
        np.clip(g.data, -clip_value, clip_value, out=g.data)

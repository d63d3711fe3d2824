"""Scaled dot-product attention (Vaswani et al. 2017), PyTorch's F.scaled_dot_product_attention.

Composed from matmul, where, add and the softmax op, so it differentiates to any order. Masks as
in PyTorch: a boolean attn_mask says which keys a query may attend to (True = takes part); a float
one is added to the scores. A query row whose every key is masked gives nan, as PyTorch's math path.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import Tensor, _wrap, as_tensor


def _mask_array(mask):
    return mask.data if isinstance(mask, Tensor) else np.asarray(mask)


def _repeat_heads(x, r):
    """(..., Hk, S, E) -> (..., Hk * r, S, E), each head repeated r times in place (repeat_interleave)."""
    if r == 1:
        return x
    lead, (hk, s, e) = x.shape[:-3], x.shape[-3:]
    x = x.reshape(lead + (hk, 1, s, e))
    return ops.broadcast_to(x, lead + (hk, r, s, e)).reshape(lead + (hk * r, s, e))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over the last two axes (..., L, E), (..., S, E), (..., S, Ev);
    scale defaults to 1/sqrt(E); dropout_p drops attention weights (always, as PyTorch's function).

    >>> import minigrad as mg, numpy as np
    >>> q = k = v = mg.tensor(np.eye(2)[None])
    >>> mg.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).data.round(4).tolist()
    [[[1.0, 0.0], [0.3302, 0.6698]]]
    """
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"scaled_dot_product_attention: query, key and value need at least 2 dims (..., L, E), "
                         f"got {q.shape}, {k.shape}, {v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {q.shape} and key {k.shape} need the same last dim, "
                         f"key and value {v.shape} the same sequence length (axis -2)")
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        if k.shape[-3] != v.shape[-3] or q.shape[-3] % k.shape[-3]:
            raise ValueError(f"scaled_dot_product_attention: with enable_gqa the query heads ({q.shape[-3]}) must be "
                             f"a multiple of the key/value heads ({k.shape[-3]}, {v.shape[-3]})")
        r = q.shape[-3] // k.shape[-3]
        k, v = _repeat_heads(k, r), _repeat_heads(v, r)
    L, S = q.shape[-2], k.shape[-2]
    scores = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both")
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is not None:
        m = _mask_array(attn_mask)
        if m.dtype == bool:
            scores = ops.where(m, scores, _wrap(np.asarray(-np.inf, dtype=scores.dtype)))
        else:
            scores = scores + (attn_mask if isinstance(attn_mask, Tensor) else _wrap(m.astype(scores.dtype)))
    weights = ops.softmax(scores, axis=-1)
    if dropout_p > 0:
        from .functional import dropout  # here, not at the top: nn/functional re-exports this module
        weights = dropout(weights, dropout_p, training=True)
    return weights @ v

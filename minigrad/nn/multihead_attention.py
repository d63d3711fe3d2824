"""nn.MultiheadAttention with PyTorch's parameters, state_dict keys, masks and return values.

Parameters: `in_proj_weight` (3E, E) and `in_proj_bias` (3E,) hold the query, key and value
projections stacked (or `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when kdim/vdim differ
from embed_dim), `out_proj` is a Linear(E, E); `bias_k`/`bias_v` with add_bias_kv. A PyTorch
module's state_dict loads as is (converted to arrays).

Masks as in PyTorch's module (the opposite of scaled_dot_product_attention's boolean convention):
a boolean `attn_mask` (L, S) or (N * num_heads, L, S), or `key_padding_mask` (N, S), is True where a
key must NOT be attended to; float masks are added to the scores.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import _wrap, as_tensor
from . import init
from .attention import _mask_array
from .functional import dropout, linear
from .layers import Linear
from .module import Module, Parameter


def _additive(mask, dtype, name):
    """A PyTorch-style mask as a float array to add to scores: booleans (True = masked) become -inf."""
    if mask is None:
        return None
    m = _mask_array(mask)
    if m.dtype == bool:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {name} must be bool or float, got dtype {m.dtype}")
    return m.astype(dtype)


class MultiheadAttention(Module):
    """Multi-head attention over (L, N, E) input, or (N, L, E) with batch_first=True, or unbatched (L, E).

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) returns (output, weights): weights (N, L, S)
    averaged over heads, (N, num_heads, L, S) otherwise, or None with need_weights=False.

    >>> import minigrad as mg, numpy as np
    >>> m = mg.nn.MultiheadAttention(4, 2, batch_first=True)
    >>> x = mg.tensor(np.ones((3, 5, 4), np.float32))
    >>> out, w = m(x, x, x)
    >>> out.shape, w.shape, sorted(m.state_dict())
    ((3, 5, 4), (3, 5, 5), ['in_proj_bias', 'in_proj_weight', 'out_proj.bias', 'out_proj.weight'])
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=np.float32):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be a positive multiple of "
                             f"num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first, self.add_zero_attn = dropout, batch_first, add_zero_attn
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.zeros((3 * E, E)), dtype=dtype)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(np.zeros((E, E)), dtype=dtype)
            self.k_proj_weight = Parameter(np.zeros((E, self.kdim)), dtype=dtype)
            self.v_proj_weight = Parameter(np.zeros((E, self.vdim)), dtype=dtype)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * E), dtype=dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.zeros((1, 1, E)), dtype=dtype)
            self.bias_v = Parameter(np.zeros((1, 1, E)), dtype=dtype)
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's initialisation: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self, query, key, value):
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True is a hint about attn_mask; "
                             "pass the causal attn_mask too")
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (t.reshape((t.shape[0], 1, t.shape[1])) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _mask_array(key_padding_mask)[None]
        elif self.batch_first:
            query, key, value = (t.swapaxes(0, 1) for t in (query, key, value))
        if query.ndim != 3 or query.shape[-1] != self.embed_dim or key.shape[-1] != self.kdim or \
                value.shape[-1] != self.vdim or key.shape[:2] != value.shape[:2] or key.shape[1] != query.shape[1]:
            raise ValueError(f"MultiheadAttention: query/key/value of shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                             f"{tuple(value.shape)} (as (L, N, E)) do not fit embed_dim={self.embed_dim}, "
                             f"kdim={self.kdim}, vdim={self.vdim}")
        L, N, E = query.shape
        H, D = self.num_heads, self.head_dim
        q, k, v = self._projections(query, key, value)              # (L, N, E), (S, N, E), (S, N, E)
        dtype = q.dtype
        attn_mask = _additive(attn_mask, dtype, "attn_mask")
        key_padding_mask = _additive(key_padding_mask, dtype, "key_padding_mask")
        if self.bias_k is not None:
            k = ops.concatenate([k, ops.broadcast_to(self.bias_k, (1, N, E))], axis=0)
            v = ops.concatenate([v, ops.broadcast_to(self.bias_v, (1, N, E))], axis=0)
            attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
        # (len, N, E) -> (N, H, len, D)
        q, k, v = (t.reshape((t.shape[0], N, H, D)).transpose((1, 2, 0, 3)) for t in (q, k, v))
        if self.add_zero_attn:
            zeros = _wrap(np.zeros((N, H, 1, D), dtype))
            k, v = ops.concatenate([k, zeros], axis=2), ops.concatenate([v, zeros], axis=2)
            attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
        S = k.shape[2]
        scores = (q * (1.0 / math.sqrt(D))) @ k.swapaxes(-1, -2)    # (N, H, L, S)
        mask = _merged_mask(attn_mask, key_padding_mask, N, H, L, S)
        if mask is not None:
            scores = scores + _wrap(mask)
        weights = ops.softmax(scores, axis=-1)
        if self.dropout > 0:
            weights = dropout(weights, self.dropout, self.training)
        out = (weights @ v).transpose((2, 0, 1, 3)).reshape((L, N, E))
        out = self.out_proj(out)
        if unbatched:
            out = out.reshape((L, E))
        elif self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights.reshape(weights.shape[1:]) if unbatched else weights)

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")


def _pad_masks(attn_mask, key_padding_mask):
    """One more key (bias_k or the zero key) that every query may attend to."""
    if attn_mask is not None:
        attn_mask = np.pad(attn_mask, [(0, 0)] * (attn_mask.ndim - 1) + [(0, 1)])
    if key_padding_mask is not None:
        key_padding_mask = np.pad(key_padding_mask, [(0, 0), (0, 1)])
    return attn_mask, key_padding_mask


def _merged_mask(attn_mask, key_padding_mask, N, H, L, S):
    """attn_mask (L, S) or (N * H, L, S) plus key_padding_mask (N, S), as one (N, H, L, S)-broadcastable array."""
    mask = None
    if attn_mask is not None:
        if attn_mask.shape == (L, S):
            mask = attn_mask
        elif attn_mask.shape == (N * H, L, S):
            mask = attn_mask.reshape(N, H, L, S)
        else:
            raise ValueError(f"MultiheadAttention: attn_mask of shape {attn_mask.shape} should be {(L, S)} or "
                             f"{(N * H, L, S)}")
    if key_padding_mask is not None:
        if key_padding_mask.shape != (N, S):
            raise ValueError(f"MultiheadAttention: key_padding_mask of shape {key_padding_mask.shape} should be "
                             f"{(N, S)}")
        kp = key_padding_mask.reshape(N, 1, 1, S)
        mask = kp if mask is None else mask + kp
    return mask

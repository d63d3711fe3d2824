"""Layer, group and instance normalisation and embeddings, PyTorch's names, arguments and state_dict keys.

Like batch_norm, each is composed from recorded ops (mean, subtract, multiply, sqrt, divide,
indexing), so the gradients through the statistics come from checked rules and differentiate
again. Variances are the biased ones (divide by n), as PyTorch normalises; running statistics (for
instance norm with track_running_stats) take the unbiased one, as PyTorch does.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor, _wrap, as_tensor
from . import init
from .module import Module, Parameter


def _standardize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes`, with the mean and biased variance it used."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred / ops.sqrt(var + eps), mean, var


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * as_tensor(weight).reshape(shape)
    if bias is not None:
        y = y + as_tensor(bias).reshape(shape)
    return y


def _check_param(name, v, want, fn):
    if v is not None and tuple(v.shape) != tuple(want):
        raise ValueError(f"{fn}: {name} has shape {tuple(v.shape)}, expected {tuple(want)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the trailing dims `normalized_shape`, then scale and shift elementwise.

    >>> import minigrad as mg
    >>> mg.nn.functional.layer_norm(mg.tensor([[1.0, 3.0]]), (2,)).data.round(4).tolist()
    [[-1.0, 1.0]]
    """
    x = as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the trailing dims of input {x.shape}")
    for name, v in (("weight", weight), ("bias", bias)):
        _check_param(name, v, shape, "layer_norm")
    y, _, _ = _standardize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine(y, weight, bias, shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise each sample over groups of channels (axis 1) and all other dims; per-channel affine.

    >>> import minigrad as mg
    >>> x = mg.tensor([[[1.0], [3.0], [5.0], [5.0]]])
    >>> mg.nn.functional.group_norm(x, 2).data.round(4).reshape(-1).tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected input (N, C, ...), got {x.shape}")
    n, c = x.shape[:2]
    if not isinstance(num_groups, (int, np.integer)) or num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups!r} must be a positive divisor of the {c} channels")
    for name, v in (("weight", weight), ("bias", bias)):
        _check_param(name, v, (c,), "group_norm")
    y, _, _ = _standardize(x.reshape(n, num_groups, -1), 2, eps)
    return _affine(y.reshape(x.shape), weight, bias, (1, c) + (1,) * (x.ndim - 2))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each sample's each channel over its spatial dims (N, C, ...). With running stats
    (ndarrays of shape (C,), updated in place while use_input_stats), as PyTorch: they move by
    `momentum` towards the batch average of the instance means and unbiased variances.

    >>> import minigrad as mg
    >>> mg.nn.functional.instance_norm(mg.tensor([[[1.0, 3.0]]])).data.round(4).tolist()
    [[[-1.0, 1.0]]]
    """
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, L), (N, C, H, W), ..., got {x.shape}")
    c = x.shape[1]
    for name, v in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_param(name, v, (c,), "instance_norm")
    bshape = (1, c) + (1,) * (x.ndim - 2)
    axes = tuple(range(2, x.ndim))
    if use_input_stats or running_mean is None:
        y, mean, var = _standardize(x, axes, eps)
        m = x.size // (x.shape[0] * c)
        if use_input_stats and running_mean is not None:
            if m < 2:
                raise ValueError(f"instance_norm: running statistics need more than one value per instance, "
                                 f"got {x.shape}")
            running_mean *= 1 - momentum
            running_mean += momentum * mean.data.mean(axis=0).reshape(c)
        if use_input_stats and running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * var.data.mean(axis=0).reshape(c) * (m / (m - 1))
    else:
        centred = x - _wrap(np.asarray(running_mean, dtype=x.dtype).reshape(bshape))
        y = centred / ops.sqrt(_wrap(np.asarray(running_var, dtype=x.dtype).reshape(bshape)) + eps)
    return _affine(y, weight, bias, bshape)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,  # noqa: A002
              sparse=False):
    """Rows of `weight` (num_embeddings, embedding_dim) picked by the integer indices `input`;
    the row `padding_idx` gets no gradient. max_norm, scale_grad_by_freq and sparse are not supported.

    >>> import minigrad as mg, numpy as np
    >>> w = mg.tensor(np.arange(6.0).reshape(3, 2))
    >>> mg.nn.functional.embedding(np.array([[2, 0]]), w).data.tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, embedding_dim), got {weight.shape}")
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    num = weight.shape[0]
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx[(idx < 0) | (idx >= num)].reshape(-1)[0]
        raise IndexError(f"embedding: index {int(bad)} is out of range for {num} embeddings")
    out = weight[idx]
    if padding_idx is None:
        return out
    padding_idx = _padding_index(padding_idx, num, "embedding")
    keep = (idx != padding_idx)[..., None]
    return ops.where(keep, out, _wrap(weight.data[padding_idx]))


def _padding_index(padding_idx, num, fn):
    if not -num <= padding_idx < num:
        raise ValueError(f"{fn}: padding_idx {padding_idx} is out of range for {num} embeddings")
    return int(padding_idx) % num


# -- modules ---------------------------------------------------------------------------------------

def _affine_params(module, shape, on, dtype, bias=True):
    if on:
        module.weight = Parameter(np.ones(shape), dtype=dtype)
        if bias:
            module.bias = Parameter(np.zeros(shape), dtype=dtype)
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


class LayerNorm(Module):
    """`layer_norm` over the trailing `normalized_shape`, with elementwise weight and bias.

    >>> import minigrad as mg
    >>> m = mg.nn.LayerNorm(4)
    >>> m.weight.shape, m(mg.tensor([[1.0, 2.0, 3.0, 4.0]])).shape
    ((4,), (1, 4))
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float32):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_params(self, self.normalized_shape, elementwise_affine, dtype, bias)

    def forward(self, input):  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """`group_norm` with `num_groups` over `num_channels`, per-channel weight and bias (affine).

    >>> import minigrad as mg
    >>> mg.nn.GroupNorm(2, 4)(mg.tensor(np.ones((1, 4, 3)))).shape
    (1, 4, 3)
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=np.float32):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_groups={num_groups} must be a positive divisor of "
                             f"num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_params(self, (num_channels,), affine, dtype)

    def forward(self, input):  # noqa: A002
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Module):
    _rank = 3

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 dtype=np.float32):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_params(self, (num_features,), affine, dtype)
        track = track_running_stats
        self.register_buffer("running_mean", np.zeros(num_features, dtype) if track else None)
        self.register_buffer("running_var", np.ones(num_features, dtype) if track else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if track else None)

    def forward(self, input):  # noqa: A002
        x = as_tensor(input)
        unbatched = x.ndim == self._rank - 1
        if unbatched:
            x = x.reshape((1,) + x.shape)
        if x.ndim != self._rank or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self._rank}-D input (or unbatched {self._rank - 1}-D) "
                             f"with {self.num_features} channels, got {tuple(as_tensor(input).shape)}")
        use_input_stats = self.training or not self.track_running_stats
        if use_input_stats and self.track_running_stats:
            self.num_batches_tracked += 1
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                          self.momentum, self.eps)
        return y.reshape(y.shape[1:]) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """`instance_norm` of (N, C, L) or (C, L) input (affine and running stats off by default, as PyTorch).

    >>> import minigrad as mg
    >>> mg.nn.InstanceNorm1d(2)(mg.tensor([[1.0, 3.0], [0.0, 2.0]])).data.round(4).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """
    _rank = 3


class InstanceNorm2d(_InstanceNorm):
    """`instance_norm` of (N, C, H, W) or (C, H, W) input.

    >>> import minigrad as mg
    >>> mg.nn.InstanceNorm2d(1, affine=True)(mg.tensor(np.eye(2)[None, None])).shape
    (1, 1, 2, 2)
    """
    _rank = 4


class Embedding(Module):
    """A lookup table (num_embeddings, embedding_dim), initialised N(0, 1) with the padding row zero.

    >>> import minigrad as mg, numpy as np
    >>> m = mg.nn.Embedding(10, 3, padding_idx=0)
    >>> m(np.array([[0, 5]])).shape, m.weight.data[0].tolist()
    ((1, 2, 3), [0.0, 0.0, 0.0])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, dtype=np.float32):
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = None if padding_idx is None else _padding_index(padding_idx, self.num_embeddings,
                                                                           "Embedding")
        if _weight is None:
            self.weight = Parameter(np.zeros((self.num_embeddings, self.embedding_dim)), dtype=dtype)
            self.reset_parameters()
        else:
            w = np.asarray(_weight.data if isinstance(_weight, Tensor) else _weight)
            if w.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {w.shape}, expected "
                                 f"{(self.num_embeddings, self.embedding_dim)}")
            self.weight = Parameter(w, dtype=w.dtype, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding `embeddings` (2-D), frozen (no gradient) unless freeze=False.

        >>> import minigrad as mg, numpy as np
        >>> mg.nn.Embedding.from_pretrained(np.eye(2)).weight.requires_grad
        False
        """
        w = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx, _weight=w, _freeze=freeze)

    def forward(self, input):  # noqa: A002
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")

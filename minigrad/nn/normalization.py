"""Batch normalisation (Ioffe & Szegedy 2015), PyTorch's names, arguments and state_dict keys.

`batch_norm` is written with recorded ops (mean, subtract, multiply, sqrt, divide) rather than as
one op with its own rule: its gradient, including the terms through the batch mean and variance,
then comes from rules that are already checked, and it differentiates twice like everything else.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import as_tensor
from .module import Module, Parameter, _sizes


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (axis 1) by the batch's statistics (training) or the running ones.

    In training, running_mean/running_var (ndarrays, updated in place) move towards the batch mean
    and the unbiased batch variance by `momentum`, as in PyTorch.

        >>> mean, var = np.zeros(2), np.ones(2)
        >>> x = mg.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> F.batch_norm(x, mean, var, training=True).data.round(4)
        array([[-1., -1.],
               [ 1.,  1.]])
        >>> mean, var                                   # 0.9 * old + 0.1 * batch
        (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """
    x = as_tensor(x)
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"batch_norm: expected (N, C), (N, C, L) or (N, C, H, W), got {tuple(x.shape)}")
    c, axes = x.shape[1], (0,) + tuple(range(2, x.ndim))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    for name, v in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if v is not None and tuple(v.shape) != (c,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(v.shape)}, expected ({c},) for the {c} "
                             f"channels of input {tuple(x.shape)}")
    if training or running_mean is None:
        n = x.size // c
        if n < 2 and training:
            raise ValueError(f"batch_norm: training needs more than one value per channel, got input {x.shape}")
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        if training and running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.data.reshape(c)
            running_var *= 1 - momentum
            running_var += momentum * var.data.reshape(c) * (n / (n - 1))
    else:
        centred = x - running_mean.reshape(bshape).astype(x.dtype, copy=False)
        var = as_tensor(running_var.reshape(bshape).astype(x.dtype, copy=False))
    y = centred / ops.sqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


class _BatchNorm(Module):
    _ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        super().__init__()
        (self.num_features,) = _sizes(type(self).__name__, num_features=num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(self.num_features), dtype=dtype)
            self.bias = Parameter(np.zeros(self.num_features), dtype=dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        track = track_running_stats  # PyTorch's buffers, so its state_dicts load here
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype) if track else None)
        self.register_buffer("running_var", np.ones(self.num_features, dtype) if track else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if track else None)

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            ranks = " or ".join({2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}[r] for r in self._ranks)
            raise ValueError(f"{type(self).__name__}: expected {ranks} with C={self.num_features}, "
                             f"got {tuple(x.shape)}")
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats, self.momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over all but the channel axis.

        >>> bn = mg.nn.BatchNorm1d(2)
        >>> bn(mg.tensor([[1.0, 10.0], [3.0, 30.0]])).data.round(4)    # each column to mean 0, std 1
        array([[-1., -1.],
               [ 1.,  1.]])
        >>> bn.running_mean                                            # moved 10% towards the batch mean
        array([0.2, 2. ], dtype=float32)
    """
    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over N, H and W, per channel.

        >>> bn = mg.nn.BatchNorm2d(3)
        >>> y = bn(mg.tensor(np.arange(48.0).reshape(2, 3, 2, 4)))
        >>> y.shape, y.data.mean(axis=(0, 2, 3)).round(6).tolist()
        ((2, 3, 2, 4), [0.0, 0.0, 0.0])
    """
    _ranks = (4,)

"""Layers with PyTorch's constructor arguments, weight layouts and default initialisation."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import ops
from . import functional as F
from . import init
from ._windows import pair
from .losses import weight_buffer
from .module import Module, Parameter, _sizes


class _Affine(Module):
    """A weight and an optional bias, initialised as PyTorch does (uniform in +-1/sqrt(fan_in))."""

    def _init_parameters(self, weight, out_features, bias, dtype):
        self.weight = Parameter(weight, dtype=dtype)
        if bias:
            self.bias = Parameter(np.zeros(out_features), dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_init_(self.weight, self.bias)


class Linear(_Affine):
    """y = x W^T + b, weight (out_features, in_features) as in PyTorch, so weights interchange.

        >>> fc = mg.nn.Linear(3, 2)
        >>> fc.weight.shape, fc(np.ones((5, 3), np.float32)).shape
        ((2, 3), (5, 2))
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features = _sizes("Linear", in_features=in_features, out_features=out_features)
        # (out, in) as in PyTorch, stored in F order: see nn/functional.py for the measurements
        self._init_parameters(np.zeros((self.in_features, self.out_features), dtype=dtype).T, self.out_features,
                              bias, dtype)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Calls its children in order; indexable (`seq[0]`, `seq[1:]`), children named "0", "1", ...

        >>> net = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Linear(4, 1))
        >>> net(np.ones((2, 3), np.float32)).shape, len(net), net[1]
        ((2, 1), 3, ReLU())
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, idx):
        mods = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(mods[idx]))
        if not -len(mods) <= idx < len(mods):
            raise IndexError(f"Sequential index {idx} out of range for {len(mods)} modules")
        return mods[idx][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list would hide them).

        >>> blocks = mg.nn.ModuleList([mg.nn.Linear(2, 2) for _ in range(3)])
        >>> len(blocks), len(list(blocks.parameters()))       # a weight and a bias each
        (3, 6)
    """

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.append: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        return ModuleList(mods[idx]) if isinstance(idx, slice) else mods[idx]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ReLU(Module):
    """Uses the `relu` op, so `mg.rules.override(relu=...)` changes its backward too.

        >>> mg.nn.ReLU()(mg.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def forward(self, x):
        return ops.relu(x)


class Tanh(Module):
    """The `tanh` op as a layer, for `Sequential`.

        >>> mg.nn.Tanh()(mg.tensor([0.0, 100.0]))
        tensor([0., 1.])
    """

    def forward(self, x):
        return ops.tanh(x)


class Sigmoid(Module):
    """The `sigmoid` op as a layer, for `Sequential`.

        >>> mg.nn.Sigmoid()(mg.tensor([0.0]))
        tensor([0.5])
    """

    def forward(self, x):
        return ops.sigmoid(x)


class Identity(Module):
    """Returns its input: a placeholder where a layer is optional (e.g. no activation).

        >>> mg.nn.Identity()(mg.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """

    def forward(self, x):
        return x


class Softmax(Module):
    """softmax along `dim` as a layer (outputs sum to 1 along `dim`).

        >>> mg.nn.Softmax(dim=0)(mg.tensor([0.0, np.log(3.0)]))
        tensor([0.25, 0.75])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax) along `dim`, computed stably: what `NLLLoss` expects.

        >>> mg.nn.LogSoftmax(dim=0)(mg.tensor([0.0, 0.0]))
        tensor([-0.69314718, -0.69314718])
    """

    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Flatten(Module):
    """Merges dims `start_dim`..`end_dim` (default: all but the batch dim), between conv and linear layers.

        >>> mg.nn.Flatten()(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout while training; the identity after `.eval()`.

    Inverted: the kept values are scaled by 1/(1-p) while training, so evaluation needs no rescaling.

        >>> drop = mg.nn.Dropout(0.5)
        >>> _ = mg.manual_seed(0)
        >>> drop(mg.tensor(np.ones(6)))
        tensor([2., 0., 0., 0., 2., 2.])
        >>> drop.eval()(mg.tensor(np.ones(3)))
        tensor([1., 1., 1.])
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class NLLLoss(_Loss):
    """F.nll_loss; PyTorch's options are keywords (`weight` is a buffer, as in PyTorch's state_dict).

    >>> import minigrad as mg, numpy as np
    >>> mg.nn.NLLLoss(weight=[1.0, 0.0])(mg.tensor([[-1.0, -2.0], [-3.0, -4.0]]), np.array([0, 1])).item()
    1.0
    """

    def __init__(self, reduction="mean", *, weight=None, ignore_index=-100):
        super().__init__(reduction)
        self.register_buffer("weight", weight_buffer(weight))
        self.ignore_index = ignore_index

    def forward(self, log_probs, labels):
        return F.nll_loss(log_probs, labels, self.reduction, weight=self.weight, ignore_index=self.ignore_index)


class CrossEntropyLoss(NLLLoss):
    """F.cross_entropy with PyTorch's keyword options (weight, ignore_index, label_smoothing).

    >>> import minigrad as mg, numpy as np
    >>> round(mg.nn.CrossEntropyLoss(ignore_index=1)(mg.tensor([[0.0, 0.0], [5.0, 0.0]]), np.array([0, 1])).item(), 6)
    0.693147
    """

    def __init__(self, reduction="mean", *, weight=None, ignore_index=-100, label_smoothing=0.0):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)
        self.label_smoothing = label_smoothing

    def forward(self, logits, labels):
        return F.cross_entropy(logits, labels, self.reduction, weight=self.weight, ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)


class MSELoss(_Loss):
    """F.mse_loss as a module: mean (or sum, or none: `reduction`) of the squared differences.

        >>> mg.nn.MSELoss()(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 4.0])).item()
        2.0
    """

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, self.reduction)

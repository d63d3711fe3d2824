"""Parameter initialisation (PyTorch's formulas) and the one random generator nn draws from.

Layers and dropout all draw from `generator()`, so `mg.manual_seed(0)` makes a whole run
(initial weights and dropout masks) reproducible. Initialisers fill a tensor's array in place.
"""
from __future__ import annotations

import functools
import math

import numpy as np

_rng = [np.random.default_rng()]


def manual_seed(seed):
    """Reseed the generator behind layer initialisation and dropout; returns the new generator.

    One seed makes a whole run repeat: the initial weights and every dropout mask.

        >>> _ = mg.manual_seed(0); a = mg.nn.Linear(3, 2).weight.data.copy()
        >>> _ = mg.manual_seed(0); b = mg.nn.Linear(3, 2).weight.data.copy()
        >>> bool((a == b).all())
        True
    """
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def generator():
    """The numpy Generator that layer initialisation and dropout draw from.

    For custom layers that should follow `mg.manual_seed` like the built-in ones.

        >>> g = mg.manual_seed(0)
        >>> mg.nn.init.generator() is g
        True
    """
    return _rng[0]


def _fill(tensor, values):
    tensor.data[...] = values
    tensor._version += 1
    return tensor


_BLOCK = 1 << 16  # values per draw when filling with random numbers


def _fill_drawn(tensor, draw):
    """Fill `tensor` with `draw(size=...)` in blocks of leading-axis rows. The generator's stream is
    sequential, so the values are exactly those of one draw of the whole shape, but no float64
    temporary of the whole tensor is made: for a 4096x300 float32 layer that temporary was twice the
    layer's own size, and the peak memory of a small training run."""
    data = tensor.data
    if data.ndim == 0 or data.size <= _BLOCK:
        return _fill(tensor, draw(size=data.shape))
    rows = max(1, _BLOCK * len(data) // data.size)
    for i in range(0, len(data), rows):
        chunk = data[i:i + rows]
        chunk[...] = draw(size=chunk.shape)
    tensor._version += 1
    return tensor


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight as PyTorch counts them: (out, in, *kernel) layout.

        >>> mg.nn.init.calculate_fan_in_and_fan_out(mg.tensor(np.zeros((8, 3, 5, 5))))
        (75, 200)
    """
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's values).

        >>> round(mg.nn.init.calculate_gain("relu"), 4)
        1.4142
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def uniform_(tensor, a=0.0, b=1.0):
    """Fill `tensor` in place with U(a, b) draws from the nn generator (see `manual_seed`).

        >>> w = mg.nn.init.uniform_(mg.tensor(np.zeros((10, 10))), -0.1, 0.1)
        >>> bool((abs(w.data) <= 0.1).all())
        True
    """
    return _fill_drawn(tensor, functools.partial(generator().uniform, a, b))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill `tensor` in place with N(mean, std^2) draws from the nn generator.

        >>> _ = mg.manual_seed(0)
        >>> w = mg.nn.init.normal_(mg.tensor(np.zeros((100, 100))), std=0.5)
        >>> round(float(w.data.std()), 2)
        0.5
    """
    return _fill_drawn(tensor, functools.partial(generator().normal, mean, std))


def constant_(tensor, value):
    """Fill `tensor` in place with `value`.

        >>> w = mg.nn.init.constant_(mg.tensor(np.zeros(2)), 0.5); w
        tensor([0.5, 0.5])
    """
    return _fill(tensor, value)


def zeros_(tensor):
    """Fill `tensor` in place with zeros (e.g. a bias that should start neutral).

        >>> mg.nn.init.zeros_(mg.tensor(np.ones(2)))
        tensor([0., 0.])
    """
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill `tensor` in place with ones (e.g. a normalisation layer's scale).

        >>> mg.nn.init.ones_(mg.tensor(np.zeros(2)))
        tensor([1., 1.])
    """
    return _fill(tensor, 1)


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He initialisation, uniform (PyTorch's formula): U(-b, b), b = gain * sqrt(3 / fan).

        >>> w = mg.nn.init.kaiming_uniform_(mg.tensor(np.zeros((300, 100))), nonlinearity="relu")
        >>> bool(abs(w.data).max() <= np.sqrt(6 / 100))
        True
    """
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He initialisation, normal (PyTorch's formula): N(0, (gain / sqrt(fan))^2).

    Keeps the activations' variance from layer to layer in a relu network.

        >>> _ = mg.manual_seed(0)
        >>> w = mg.nn.init.kaiming_normal_(mg.tensor(np.zeros((300, 200))), nonlinearity="relu")
        >>> round(float(w.data.std() / np.sqrt(2 / 200)), 2)             # std = sqrt(2 / fan_in)
        1.0
    """
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def xavier_uniform_(tensor, gain=1.0):
    """Glorot initialisation, uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).

    Balances the variance of activations (forward) and gradients (backward) for tanh-like units.

        >>> w = mg.nn.init.xavier_uniform_(mg.tensor(np.zeros((300, 100))))
        >>> bool(abs(w.data).max() <= np.sqrt(6 / 400))
        True
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot initialisation, normal: N(0, gain^2 * 2 / (fan_in + fan_out)).

        >>> _ = mg.manual_seed(0)
        >>> w = mg.nn.init.xavier_normal_(mg.tensor(np.zeros((300, 100))))
        >>> round(float(w.data.std() / np.sqrt(2 / 400)), 2)
        1.0
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def default_init_(weight, bias=None):
    """PyTorch's Linear/Conv default: kaiming-uniform(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias.

    Both bounds come to 1/sqrt(fan_in), so a layer starts as PyTorch's would (in distribution).

        >>> w, b = mg.tensor(np.zeros((4, 16))), mg.tensor(np.zeros(4))
        >>> mg.nn.init.default_init_(w, b)
        >>> bool(abs(w.data).max() <= 0.25), bool(abs(b.data).max() <= 0.25)     # 1/sqrt(16)
        (True, True)
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)

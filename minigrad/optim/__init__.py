"""Optimizers with PyTorch's names, defaults and update formulas, and `lr_scheduler`.

    >>> import numpy as np, minigrad as mg
    >>> w = mg.nn.Parameter([1.0, -2.0], dtype=np.float64)
    >>> opt = mg.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data.tolist()
    [0.8, -1.6]
"""
from . import lr_scheduler
from .algorithms import SGD, Adagrad, Adam, AdamW, RMSprop
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]

"""Neural-network layers, PyTorch-style: `mg.nn.Linear`, `mg.nn.functional as F`, `mg.nn.init`."""
from . import functional, init, utils
from . import explain  # noqa: F401 - registers the "positive_paths" rule preset in mg.rules
from .init import manual_seed
from .layers import (AvgPool2d, Conv2d, CrossEntropyLoss, Dropout, Flatten, Identity, Linear, LogSoftmax, MaxPool2d,
                     ModuleList, MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = ["Module", "Parameter", "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "MaxPool2d", "AvgPool2d", "Sequential", "ModuleList", "ReLU", "Tanh", "Sigmoid", "Identity", "Softmax",
           "LogSoftmax", "Flatten", "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss", "functional", "init", "utils",
           "manual_seed"]

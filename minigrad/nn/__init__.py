"""Neural-network layers, PyTorch-style: `mg.nn.Linear`, `mg.nn.functional as F`, `mg.nn.init`."""
from . import functional, init
from . import explain  # noqa: F401 - registers the "positive_paths" rule preset in mg.rules
from .init import manual_seed
from .layers import (AvgPool2d, Conv2d, CrossEntropyLoss, Dropout, Flatten, Identity, Linear, LogSoftmax, MaxPool2d,
                     ModuleList, MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = ["Module", "Parameter", "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "MaxPool2d", "AvgPool2d", "Sequential", "ModuleList", "ReLU", "Tanh", "Sigmoid", "Identity", "Softmax",
           "LogSoftmax", "Flatten", "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss", "functional", "init",
           "manual_seed"]
from .activations import (CELU, ELU, GELU, GLU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, Mish,
                          PReLU, ReLU6, SELU, SiLU, Softmin, Softplus, Softsign)
__all__ += ["CELU", "ELU", "GELU", "GLU", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid", "Mish",
            "PReLU", "ReLU6", "SELU", "SiLU", "Softmin", "Softplus", "Softsign"]  # nn/activations.py
from .loss_modules import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CosineSimilarity, GaussianNLLLoss,
                           HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MultiLabelSoftMarginLoss,
                           PairwiseDistance, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss)
__all__ += ["BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "CosineSimilarity", "GaussianNLLLoss",
            "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MarginRankingLoss", "MultiLabelSoftMarginLoss",
            "PairwiseDistance", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss", "TripletMarginLoss"]  # nn/loss_modules.py
from .norms import Embedding, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
__all__ += ["Embedding", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm"]  # nn/norms.py
from .multihead_attention import MultiheadAttention
__all__ += ["MultiheadAttention"]  # nn/multihead_attention.py

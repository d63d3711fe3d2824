"""Neural-network layers, PyTorch-style: `mg.nn.Linear`, `mg.nn.functional as F`, `mg.nn.init`."""
from . import functional, init, utils
from . import explain  # noqa: F401 - registers the "positive_paths" rule preset in mg.rules
from .init import manual_seed
from .layers import (CrossEntropyLoss, Dropout, Flatten, Identity, Linear, LogSoftmax,
                     ModuleList, MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d
from .conv_layers import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv_layers import __all__ as _conv_all
from .pool_layers import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
                          AvgPool2d, Fold, MaxPool1d, MaxPool2d, MaxUnpool1d, MaxUnpool2d, PixelShuffle, PixelUnshuffle,
                          Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d)
from .pool_layers import __all__ as _pool_all

__all__ = ["Module", "Parameter", "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "MaxPool2d", "AvgPool2d", "Sequential", "ModuleList", "ReLU", "Tanh", "Sigmoid", "Identity", "Softmax",
           "LogSoftmax", "Flatten", "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss", "functional", "init", "utils",
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
__all__ += [n for n in _conv_all + _pool_all if n not in __all__]

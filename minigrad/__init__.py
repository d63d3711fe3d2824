"""minigrad: a small, readable, tape-based reverse-mode autodiff engine on numpy.

    import minigrad as mg
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([2., 4.])
"""
from . import rules
from .draw import draw, tape_table
from .engine import Tape, detect_anomaly, grad, gradients
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import *  # noqa: F401,F403 - the op functions are the public API (mg.exp, mg.matmul, ...)
from .ops import abs, max, min, sum  # noqa: A004 - numpy's names, shadowing builtins on purpose
from .primitive import primitive
from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from . import nn, optim  # noqa: E402 - layers build on everything above
from .nn.init import manual_seed
from .serialization import load, save
from . import pytree  # noqa: E402
from .transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp  # noqa: E402,F811 - grad gains pytrees, has_aux
from . import linalg  # noqa: E402 - mg.linalg mirrors numpy.linalg

__version__ = "0.1.0"

"""minigrad: a small, readable, tape-based reverse-mode autodiff engine on numpy.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])

Every op records a node on the tape of the tensor it produces; `backward` walks the tape in reverse,
calling each op's vector-Jacobian product from one registry (`mg.rules`), which a `with
mg.rules.override(...)` block can swap. Ops take numpy's names and signatures (`mg.exp`, `mg.einsum`,
`mg.linalg.solve`, ...), and numpy's own functions run them when given Tensors. `mg.nn` and
`mg.optim` follow PyTorch; `mg.grad`, `mg.jvp`, `mg.vjp`, `mg.jacobian`, `mg.hessian`, `mg.hvp`
follow JAX / torch.func. The tour notebook (demos/tour.ipynb) walks through it all.
"""
from . import rules
from .draw import draw, tape_table
from .engine import Tape, detect_anomaly, gradients
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

from .ops import __all__ as _ops  # noqa: E402
# the public surface (what `from minigrad import *` gives and the API reference documents)
__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "Tape", "detect_anomaly", "gradients",
           "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "gradcheck", "gradgradcheck",
           "GradcheckError", "primitive", "draw", "tape_table", "manual_seed", "save", "load",
           "nn", "optim", "linalg", "rules", "pytree"] + [n for n in _ops if n not in ("getitem",)]

"""`mg.linalg`: numpy.linalg on Tensors, batched over leading axes as numpy is, every result differentiable.

    >>> import minigrad as mg
    >>> a = mg.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> mg.linalg.slogdet(a).logabsdet.backward()
    >>> a.grad.data.round(6).tolist()          # d log|det a| / da = inv(a).T
    [[0.6, -0.2], [-0.2, 0.4]]

Left out on purpose: `eig`/`eigvals` (non-symmetric matrices have complex, generally non-normal
eigenvectors whose gradient needs complex tensors), and the degenerate cases of eigh/svd, where the
eigenvectors or singular vectors are not functions of the input (see ops/decomp.py).
"""
from .ops.decomp import EighResult, QRResult, SVDResult, cholesky, eigh, eigvalsh, lstsq, pinv, qr, svd, svdvals
from .ops.linalg import (LinAlgError, SlogdetResult, det, inv, matmul, matrix_power, matrix_rank, matrix_transpose,
                         multi_dot, slogdet, solve, tensorinv, tensorsolve)
from .ops.norms import cond, matrix_norm, norm, vector_norm
from .ops.products import cross, outer, tensordot, vecdot


__all__ = ["EighResult", "LinAlgError", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "cond", "cross",
           "det", "eigh", "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
           "matrix_transpose", "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
           "tensordot", "tensorinv", "tensorsolve", "vecdot", "vector_norm"]

"""Matrix products. The rule computes the plain `g @ b.T` and `a.T @ g` (BLAS sees transposed
views, no copies) and only the products some input needs: the gradient of a 64x4096 data batch
is a third large GEMM that nobody asked for."""
from __future__ import annotations

import numpy as np

from .. import rules
from ..tensor import record
from .elementwise import _pair


def matmul(a, b):
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape} (use * for scalars)")
    try:
        data = np.matmul(a.data, b.data)
    except ValueError:
        ka, kb = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({ka} (last dim of a) != {kb} ({'second-to-last' if b.ndim > 1 else 'only'} dim of b))"
                         if ka != kb else f"matmul: batch dims of {a.shape} and {b.shape} cannot be broadcast") from None
    return record("matmul", data, (a, b))


def _mT(x):
    return x.swapaxes(-1, -2) if x.ndim > 2 else x.T


@rules.register("matmul", for_others=True)
def matmul_vjp(g, out, a, b):
    return _matmul_grads(g, a, b, a.requires_grad, b.requires_grad)


@rules.register_array("matmul")
def matmul_vjp_array(g, out, a, b):
    return _matmul_grads(g, a.data, b.data, a.requires_grad, b.requires_grad)


def _matmul_grads(g, a, b, need_a, need_b):
    """g @ b^T and a^T @ g, for whichever input needs it. Only methods that Tensors and ndarrays
    share (reshape, swapaxes, .T, @), so the one formula serves the rule and its array twin."""
    # 1-D operands: lift to matrices as numpy does, so one formula covers every case
    A = a.reshape(1, -1) if a.ndim == 1 else a
    B = b.reshape(-1, 1) if b.ndim == 1 else b
    if a.ndim == 1 and b.ndim == 1:
        g = g.reshape(1, 1)
    elif a.ndim == 1:
        g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
    elif b.ndim == 1:
        g = g.reshape(g.shape + (1,))
    ga = gb = None
    if need_a:
        ga = g @ _mT(B)
        if a.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if need_b:
        gb = _mT(A) @ g
        if b.ndim == 1:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb

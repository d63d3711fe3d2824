"""numpy and PyTorch mirrors of the ops added after the fuzzers (see mirrors.py): scans, products,
sorting, rounding, special functions, norms, linear algebra and decompositions.

Decompositions are recorded packed (their outputs flattened and joined on the last axis, attribute
`cores`); the mirrors pack theirs the same way. Eigen- and singular vectors are defined up to sign:
the torch mirrors turn theirs to minigrad's (a constant factor per vector, so gradients are kept).
Where minigrad does not record an argument (nan_to_num's replacements), the mirror reads those
values from minigrad's output at the positions they fill, and checks every other position.
"""
from __future__ import annotations

import math

import numpy as np

from ._mirror_tables import NUMPY, TORCH, _flat_positions, _np, _th


def _both(op, np_fn, torch_fn):
    NUMPY[op] = np_fn
    TORCH[op] = torch_fn


def _axis(x, axis):
    return (x.reshape(-1), 0) if axis is None else (x, axis)


# -- scans and reductions -------------------------------------------------------------------------------
_both("cumsum", lambda xs, a, out: np.cumsum(*_axis(xs[0], a["axis"])),
      lambda torch, xs, a, out: torch.cumsum(*_axis(xs[0], a["axis"])))
_both("cumprod", lambda xs, a, out: np.cumprod(*_axis(xs[0], a["axis"])),
      lambda torch, xs, a, out: torch.cumprod(*_axis(xs[0], a["axis"])))
_both("logcumsumexp", lambda xs, a, out: np.logaddexp.accumulate(*_axis(xs[0], a["axis"])),
      lambda torch, xs, a, out: torch.logcumsumexp(*_axis(xs[0], a["axis"])))
_both("var", lambda xs, a, out: np.asarray(np.var(xs[0], axis=tuple(a["axes"]), ddof=a["ddof"],
                                                  keepdims=a["keepdims"])),
      lambda torch, xs, a, out: torch.var(xs[0], dim=tuple(a["axes"]), correction=a["ddof"], keepdim=a["keepdims"])
      if a["axes"] else xs[0] * 0.0)
_np("prod")(lambda xs, a, out: np.asarray(np.prod(xs[0], axis=tuple(a["axes"]), keepdims=a["keepdims"])))


@_th("prod")
def _prod_torch(torch, xs, a, out):
    x = xs[0]
    for ax in sorted(a["axes"], reverse=True):  # torch's prod takes one dim
        x = x.prod(dim=ax, keepdim=True)
    return x if a["keepdims"] else x.reshape(out.shape)


@_np("norm")
def _norm_np(xs, a, out):
    r = np.sum(np.abs(xs[0]) ** a["p"], axis=tuple(a["axes"]), keepdims=a["keepdims"]) ** (1.0 / a["p"])
    return np.asarray(r).astype(out.dtype)


_th("norm")(lambda torch, xs, a, out: torch.linalg.vector_norm(xs[0], ord=a["p"], dim=tuple(a["axes"]),
                                                                 keepdim=a["keepdims"]))

# -- elementwise ----------------------------------------------------------------------------------------
_both("round", lambda xs, a, out: np.round(xs[0], a["decimals"]),
      lambda torch, xs, a, out: torch.round(xs[0], decimals=a["decimals"]))
for _op, _f in (("erf", math.erf), ("erfc", math.erfc)):
    NUMPY[_op] = lambda xs, a, out, f=_f: np.vectorize(f, otypes=[np.float64])(xs[0]).astype(xs[0].dtype)
    TORCH[_op] = lambda torch, xs, a, out, name=_op: getattr(torch, name)(xs[0])
TORCH["mod"] = lambda torch, xs, a, out: torch.remainder(*xs)  # numpy's mod (derived) is torch's remainder


@_np("nan_to_num")
def _nan_to_num_np(xs, a, out):  # the replacement values are not recorded: read where they go
    return np.where(np.isfinite(xs[0]), xs[0], out)


_th("nan_to_num")(lambda torch, xs, a, out: torch.where(torch.isfinite(xs[0]), xs[0], torch.as_tensor(out)))

# -- indexing, sorting, products ----------------------------------------------------------------------


@_np("add_at")
def _add_at_np(xs, a, out):
    z = xs[0].copy()
    np.add.at(z, a["key"], xs[1])
    return z


@_th("add_at")
def _add_at_torch(torch, xs, a, out):
    pos = _flat_positions(out.shape, a["key"])
    src = xs[1].broadcast_to(pos.shape).reshape(-1)
    return xs[0].reshape(-1).index_add(0, torch.as_tensor(pos.reshape(-1)), src).reshape(out.shape)


_both("sort", lambda xs, a, out: np.sort(xs[0], axis=a["axis"]),
      lambda torch, xs, a, out: torch.sort(xs[0], dim=a["axis"]).values)
# partition's order is numpy's introselect's: the mirror takes minigrad's recorded permutation
_both("partition", lambda xs, a, out: np.take_along_axis(xs[0], a["idx"], a["axis"]),
      lambda torch, xs, a, out: torch.take_along_dim(xs[0], torch.as_tensor(a["idx"]), dim=a["axis"]))


def _einsum_subscripts(a):
    return ",".join(a["terms"]) + "->" + a["result"]


_both("einsum", lambda xs, a, out: np.asarray(np.einsum(_einsum_subscripts(a), *xs)),
      lambda torch, xs, a, out: torch.einsum(_einsum_subscripts(a), *xs))

# -- linear algebra -------------------------------------------------------------------------------------
_both("det", lambda xs, a, out: np.asarray(np.linalg.det(xs[0])), lambda torch, xs, a, out: torch.linalg.det(xs[0]))
_both("slogdet", lambda xs, a, out: np.asarray(np.linalg.slogdet(xs[0])[1]),
      lambda torch, xs, a, out: torch.linalg.slogdet(xs[0])[1])
_both("inv", lambda xs, a, out: np.linalg.inv(xs[0]), lambda torch, xs, a, out: torch.linalg.inv(xs[0]))
_both("pinv", lambda xs, a, out: np.linalg.pinv(xs[0]), lambda torch, xs, a, out: torch.linalg.pinv(xs[0]))
_np("solve")(lambda xs, a, out: np.linalg.solve(*xs))


@_th("solve")
def _solve_torch(torch, xs, a, out):  # numpy: a 2-D b is a matrix; torch reads b (n, n) as a batch of vectors
    x, b = xs
    if b.ndim >= 2:
        b = b.expand(tuple(np.broadcast_shapes(tuple(x.shape[:-2]), tuple(b.shape[:-2]))) + tuple(b.shape[-2:]))
    return torch.linalg.solve(x, b)
_both("cholesky", lambda xs, a, out: np.linalg.cholesky(xs[0]), lambda torch, xs, a, out: torch.linalg.cholesky(xs[0]))
_both("svdvals", lambda xs, a, out: np.linalg.svd(xs[0], compute_uv=False),
      lambda torch, xs, a, out: torch.linalg.svdvals(xs[0]))
_both("eigvalsh", lambda xs, a, out: np.linalg.eigvalsh(xs[0], UPLO=a["UPLO"]),
      lambda torch, xs, a, out: torch.linalg.eigvalsh(xs[0], UPLO=a["UPLO"]))
# minimum-norm least squares (numpy's lstsq; rcond is not recorded: the default)
_both("lstsq", lambda xs, a, out: np.linalg.lstsq(xs[0], xs[1], rcond=None)[0],
      lambda torch, xs, a, out: torch.linalg.pinv(xs[0]) @ xs[1])


def _pack(arrays, x, lib):
    batch = tuple(x.shape[:x.ndim - 2])
    flat = [v.reshape(batch + (-1,)) for v in arrays]
    return np.concatenate(flat, axis=-1) if lib is np else lib.cat(flat, dim=-1)


def _unpack(packed, cores):
    parts, start = [], 0
    for core in cores:
        n = int(np.prod(core))
        parts.append(packed[..., start:start + n].reshape(packed.shape[:-1] + tuple(core)))
        start += n
    return parts


def _signs(v, ref, lib):
    """+-1 per vector (column) of v turning it to the sign of minigrad's `ref` (shape v's without row)."""
    vv = v if lib is np else v.detach().numpy()
    sign = np.where((vv * ref).sum(axis=-2) < 0, -1.0, 1.0).astype(ref.dtype)
    return sign if lib is np else lib.as_tensor(sign)


def _eigh(lib, linalg):
    def mirror(xs, a, out):
        w, v = linalg(lib).eigh(xs[0])
        return _pack([w, v * _signs(v, _unpack(out, a["cores"])[1], lib)[..., None, :]], xs[0], lib)
    return mirror


def _svd(lib, linalg):
    def mirror(xs, a, out):
        u, s, vh = linalg(lib).svd(xs[0], full_matrices=False)
        sign = _signs(u, _unpack(out, a["cores"])[0], lib)
        return _pack([u * sign[..., None, :], s, vh * sign[..., :, None]], xs[0], lib)
    return mirror


def _qr(lib, linalg):
    def mirror(xs, a, out):  # mg.linalg.qr keeps LAPACK's signs; other callers make diag(R) positive
        q, r = linalg(lib).qr(xs[0])
        sign = _signs(q, _unpack(out, a["cores"])[0], lib)
        return _pack([q * sign[..., None, :], r * sign[..., :, None]], xs[0], lib)
    return mirror


for _op, _make in (("eigh", _eigh), ("svd", _svd), ("qr", _qr)):
    NUMPY[_op] = _make(np, lambda lib: np.linalg)
    TORCH[_op] = lambda torch, xs, a, out, make=_make: make(torch, lambda lib: lib.linalg)(xs, a, out)


__all__: list = []  # everything here registers itself in the tables

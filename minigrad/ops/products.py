"""Products: einsum (the one recorded op here) and dot, vdot, inner, outer, tensordot, kron, cross.

`einsum` takes any subscripts numpy takes (implicit or explicit output, repeated labels within an
operand for diagonals and traces, `...` with broadcasting, size-1 label broadcasting, the sublist
form, any number of operands). Its rule is again an einsum per operand: the output gradient
contracted with the other operands, plus an identity matrix for each repeated label (the gradient
of a diagonal lives on the diagonal) and a ones vector for each label summed inside that operand
alone. So it is exact and differentiates again to any order.

The other products are compositions of recorded ops (matmul, transpose, reshape, mul, ...): their
gradients follow, exact to any order, with the BLAS speed of matmul.
"""
from __future__ import annotations

import string

import numpy as np

from .. import rules
from ..tensor import Tensor, _wrap, as_tensor, record
from .linalg import matmul
from .reduce import broadcast_to
from .shape import pad, stack, transpose

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # numpy's sublist ints 0..51 map to these


def _sublists_to_subscripts(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) -> ("subscripts", operands)."""
    def term(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)
    ops, terms = list(args[0::2]), [term(s) for s in args[1::2]]
    out = None
    if len(args) % 2:
        out = term(ops.pop())
    return ",".join(terms) + ("" if out is None else "->" + out), ops


def _parse(subscripts, shapes):
    """Explicit labels for every axis: (input terms, output term, label sizes), `...` replaced by
    fresh letters (right-aligned, as numpy broadcasts them). Raises numpy's errors, clearer."""
    s = subscripts.replace(" ", "")
    lhs, arrow, rhs = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), got {len(shapes)}")
    bad = set(s.replace("...", "").replace(",", "").replace("->", "")) - set(_LETTERS)
    if bad or any(t.count("...") > 1 for t in terms + [rhs]):
        raise ValueError(f"einsum: invalid subscripts {subscripts!r} (letters, ',', '->' and one '...' per term)")
    fresh = [c for c in _LETTERS if c not in s]
    n_ell = [len(shape) - (len(t) - 3) if "..." in t else 0 for t, shape in zip(terms, shapes)]
    ell = max(n_ell, default=0)
    if ell > len(fresh):
        raise ValueError(f"einsum: too many dimensions for {subscripts!r}")
    ell_labels = "".join(fresh[:ell])
    full, sizes = [], {}
    for i, (t, shape, e) in enumerate(zip(terms, shapes, n_ell)):
        t = t.replace("...", ell_labels[ell - e:])
        if e < 0 or len(t) != len(shape):
            raise ValueError(f"einsum: operand {i} has shape {shape} but subscript {terms[i]!r} names "
                             f"{len(t)} axes")
        for lab, n in zip(t, shape):
            if lab in sizes and sizes[lab] != n and (t.count(lab) > 1 or 1 not in (n, sizes[lab])):
                raise ValueError(f"einsum: label {lab!r} has sizes {sizes[lab]} and {n} (operand {i}, "
                                 f"shape {shape})")
            sizes[lab] = max(sizes.get(lab, n), n)
        full.append(t)
    if arrow:
        if "..." not in rhs and ell:
            raise ValueError(f"einsum: {subscripts!r} broadcasts '...' over axes but its output has no '...'")
        out = rhs.replace("...", ell_labels)
        missing = [c for c in out if c not in sizes]
        if missing or len(set(out)) != len(out):
            raise ValueError(f"einsum: output {rhs!r} repeats a label or names one no operand has "
                             f"({''.join(missing)!r})")
    else:
        counts = {}
        for t in terms:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = ell_labels + "".join(sorted(c for c, k in counts.items() if k == 1))
    return full, out, sizes


def einsum(*operands, optimize=False, out=None, dtype=None, order="K", casting="safe"):
    """numpy's einsum, recorded: any subscripts numpy accepts; differentiable to any order.

    >>> import minigrad as mg
    >>> a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> mg.einsum("ii", a)                    # trace
    tensor(5., op=einsum)
    >>> mg.einsum("ij,jk->ik", a, a).tolist()
    [[7.0, 10.0], [15.0, 22.0]]
    >>> mg.einsum("ii->i", a).sum().backward(); a.grad.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if out is not None:
        raise TypeError("einsum: out= is not supported (the result is a new Tensor)")
    if not operands:
        raise TypeError("einsum needs subscripts and at least one operand")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _sublists_to_subscripts(operands)
    like = next((x for x in ops if isinstance(x, Tensor)), None)
    xs = [as_tensor(x, like=like) for x in ops]
    if dtype is not None:
        xs = [x.astype(dtype) for x in xs]
    terms, out_labels, sizes = _parse(subscripts, [x.shape for x in xs])
    # size-1 axes that numpy would broadcast: broadcast them first (recorded, so their gradient sums)
    xs = [x if x.shape == tuple(sizes[c] for c in t) else broadcast_to(x, tuple(sizes[c] for c in t))
          for x, t in zip(xs, terms)]
    return _einsum(terms, out_labels, xs, optimize)


def _einsum(terms, out_labels, xs, optimize):
    """The recorded op: every label has one size across the operands."""
    data = np.einsum(",".join(terms) + "->" + out_labels, *[x.data for x in xs], optimize=optimize)
    if any(np.may_share_memory(data, x.data) for x in xs):
        data = data.copy()  # a diagonal or transposed view: the result owns its memory
    return record("einsum", data, tuple(xs), terms=tuple(terms), result=out_labels, optimize=optimize)


@rules.register("einsum")
def einsum_vjp(g, out, *xs, terms, result, optimize):
    sizes = {c: n for x, t in zip(xs, terms) for c, n in zip(t, x.shape)}
    used = set("".join(terms) + result)
    grads = []
    for k, (x, t) in enumerate(zip(xs, terms)):
        if not x.requires_grad:
            grads.append(None)
            continue
        fresh = iter(c for c in _LETTERS if c not in used)
        others = [(xs[j], terms[j]) for j in range(len(xs)) if j != k]
        present = set(result).union(*[set(tj) for _, tj in others])
        extra, target, seen = [], "", set()
        for c in t:
            if c in seen:           # a repeated label: the gradient sits on that diagonal
                f = next(fresh)
                extra.append((_wrap(np.eye(sizes[c], dtype=g.dtype)), c + f))
                target += f
            else:
                seen.add(c)
                target += c
                if c not in present:  # summed in this operand alone: the gradient is constant along it
                    extra.append((_wrap(np.ones(sizes[c], dtype=g.dtype)), c))
        parts = [(g, result)] + others + extra
        grads.append(_einsum([p[1] for p in parts], target, [p[0] for p in parts], optimize))
    return tuple(grads)


# -- products built from recorded ops --------------------------------------------------------

def _tensors(a, b):
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    return a, b


def _moveaxis(x, src, dst):
    """x with axis `src` moved to position `dst` (a recorded transpose; nothing when it stays)."""
    src, dst = src % x.ndim, dst % x.ndim
    perm = [i for i in range(x.ndim) if i != src]
    perm.insert(dst, src)
    return x if perm == list(range(x.ndim)) else transpose(x, perm)


def tensordot(a, b, axes=2):
    """Sum products over `axes` (an int: the last n of a with the first n of b; or a pair of sequences).

    >>> import minigrad as mg, numpy as np
    >>> mg.tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5)), axes=2).shape
    (2, 5)
    >>> mg.tensordot(np.ones((2, 3)), np.ones((3, 2)), axes=([1], [0])).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """
    a, b = _tensors(a, b)
    if isinstance(axes, (int, np.integer)):
        if axes < 0 or axes > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} is out of range for shapes {a.shape} and {b.shape}")
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
        ax_a = [int(i) % max(a.ndim, 1) for i in ax_a]
        ax_b = [int(i) % max(b.ndim, 1) for i in ax_b]
    if len(ax_a) != len(ax_b) or any(a.shape[i] != b.shape[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError(f"tensordot: shape mismatch for sum: axes {ax_a} of {a.shape} and {ax_b} of {b.shape}")
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = int(np.prod([a.shape[i] for i in ax_a]))
    at = _permute(a, free_a + ax_a).reshape(-1, k)
    bt = _permute(b, ax_b + free_b).reshape(k, -1)
    return matmul(at, bt).reshape(tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b))


def _permute(x, perm):
    return x if perm == list(range(x.ndim)) else transpose(x, perm)


def dot(a, b, out=None):
    """numpy's dot: products for scalars, matmul up to 2-D, else a sum over a's last and b's
    second-to-last axis.

    >>> import minigrad as mg
    >>> mg.dot([1.0, 2.0], [3.0, 4.0])
    tensor(11.)
    >>> mg.dot(mg.tensor([[1.0, 2.0]]), [[3.0], [4.0]]).shape
    (1, 1)
    """
    if out is not None:
        raise TypeError("dot: out= is not supported (the result is a new Tensor)")
    a, b = _tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [max(b.ndim - 2, 0)]))


def vdot(a, b):
    """Dot product of the flattened inputs (real tensors; no conjugation).

    >>> import minigrad as mg
    >>> mg.vdot([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]])
    tensor(10.)
    """
    a, b = _tensors(a, b)
    if a.size != b.size:
        raise ValueError(f"vdot: inputs of shapes {a.shape} and {b.shape} have different sizes")
    return matmul(a.reshape(-1), b.reshape(-1))


def vecdot(x1, x2, axis=-1):
    """The dot product of vectors along `axis`, broadcasting the rest (numpy 2's vecdot, real tensors).

    >>> import minigrad as mg
    >>> mg.vecdot([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).tolist()
    [3.0, 7.0]
    """
    a, b = _tensors(x1, x2)
    if a.ndim == 0 or b.ndim == 0 or a.shape[axis] != b.shape[axis]:
        raise ValueError(f"vecdot: shapes {a.shape} and {b.shape} differ along axis {axis} (or are 0-d)")
    return (a * b).sum(axis=axis)


def inner(a, b):
    """Sum of products over the last axes (numpy's inner).

    >>> import minigrad as mg
    >>> mg.inner([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).tolist()
    [3.0, 7.0]
    """
    a, b = _tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: last dimensions of {a.shape} and {b.shape} differ")
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None):
    """Outer product of the flattened inputs.

    >>> import minigrad as mg
    >>> mg.outer([1.0, 2.0], [1.0, 10.0, 100.0]).tolist()
    [[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]]
    """
    if out is not None:
        raise TypeError("outer: out= is not supported (the result is a new Tensor)")
    a, b = _tensors(a, b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def kron(a, b):
    """Kronecker product: blocks a[i] * b (numpy's kron, shapes padded with leading 1s).

    >>> import minigrad as mg
    >>> mg.kron([1.0, 2.0], [1.0, 10.0]).tolist()
    [1.0, 10.0, 2.0, 20.0]
    >>> mg.kron(mg.tensor([[1.0, 0.0], [0.0, 1.0]]), [[1.0, 2.0]]).shape
    (2, 4)
    """
    a, b = _tensors(a, b)
    nd = max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    ia = sum(((n, 1) for n in sa), ())
    ib = sum(((1, n) for n in sb), ())
    return (a.reshape(ia) * b.reshape(ib)).reshape(tuple(m * n for m, n in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, numpy's conventions) along the given axes.

    >>> import minigrad as mg
    >>> mg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).tolist()
    [0.0, 0.0, 1.0]
    >>> mg.cross([1.0, 2.0], [3.0, 4.0])
    tensor(-2.)
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cross: inputs must be at least 1-D, got shapes {a.shape} and {b.shape}")
    a, b = _moveaxis(a, axisa, -1), _moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: incompatible vector dimensions {a.shape[-1]} and {b.shape[-1]} "
                         f"(shapes {a.shape}, {b.shape} after moving the axes last; must be 2 or 3)")
    if a.shape[-1] == b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    if a.shape[-1] == 2:
        a = pad(a, [(0, 0)] * (a.ndim - 1) + [(0, 1)])
    if b.shape[-1] == 2:
        b = pad(b, [(0, 0)] * (b.ndim - 1) + [(0, 1)])
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return _moveaxis(c, -1, axisc)

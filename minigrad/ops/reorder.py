"""Ops that rearrange elements: ravel, moveaxis, flip, rot90, roll, repeat, tile, atleast_nd,
broadcast_arrays, meshgrid.

None of them needs a rule of its own: each is composed of recorded ops (reshape, transpose,
getitem with slices, concatenate, broadcast_to) whose rules are exact, so their gradients are
exact to any order. Signatures and results (values, dtypes, shapes) are numpy's.
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.exceptions import AxisError

from ..tensor import as_tensor
from .reduce import broadcast_to
from .shape import concatenate, getitem, reshape, transpose


def _axis(axis, ndim, op, name="axis"):
    """One axis as a non-negative int, or an AxisError (a ValueError) naming the op and the axis."""
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an integer, got {axis!r}") from None
    if not -ndim <= a < ndim:
        raise AxisError(f"{op}: {name}={axis} is out of range for a tensor with {ndim} dimension(s)")
    return a % ndim


def _axes(axis, ndim, op, name="axis"):
    """An int or a sequence of ints as a tuple of distinct non-negative axes."""
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    out = tuple(_axis(a, ndim, op, name) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {name}={axis!r}")
    return out


def _along(x, axis, index):
    """x[..., index, ...] with `index` (a slice or an index array) at `axis`: one recorded getitem."""
    return getitem(x, (slice(None),) * axis + (index,))


def ravel(a, order="C"):
    """The elements as a 1-D tensor, in C (row-major) or 'F' (column-major) order (numpy's `ravel`).

    >>> ravel(as_tensor(np.arange(6).reshape(2, 3)))
    tensor([0, 1, 2, 3, 4, 5])
    >>> ravel(as_tensor(np.arange(6).reshape(2, 3)), order="F")
    tensor([0, 3, 1, 4, 2, 5])
    """
    a = as_tensor(a)
    if order not in ("C", "F"):
        raise ValueError(f"ravel: order must be 'C' or 'F', got {order!r}")
    return reshape(a if order == "C" else transpose(a), (-1,))


def moveaxis(a, source, destination):
    """Move axes to new positions, the others keeping their order (numpy's `moveaxis`).

    >>> moveaxis(as_tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    a = as_tensor(a)
    src = _axes(source, a.ndim, "moveaxis", "source")
    dst = _axes(destination, a.ndim, "moveaxis", "destination")
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must have the same "
                         f"number of elements")
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def flip(m, axis=None):
    """Reverse the order of elements along `axis` (an int, a tuple, or None for all axes).

    >>> flip(as_tensor([[1, 2], [3, 4]]), axis=-1)
    tensor([[2, 1],
            [4, 3]])
    """
    m = as_tensor(m)
    axes = range(m.ndim) if axis is None else _axes(axis, m.ndim, "flip")
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(m.ndim))
    return getitem(m, key)


def fliplr(m):
    """Reverse the order of columns (axis 1); needs at least 2-D (numpy's `fliplr`).

    >>> fliplr(as_tensor([[1, 2, 3]]))
    tensor([[3, 2, 1]])
    """
    m = as_tensor(m)
    if m.ndim < 2:
        raise ValueError(f"fliplr: the tensor must be at least 2-D, got shape {m.shape}")
    return flip(m, 1)


def flipud(m):
    """Reverse the order of rows (axis 0); needs at least 1-D (numpy's `flipud`).

    >>> flipud(as_tensor([1, 2, 3]))
    tensor([3, 2, 1])
    """
    m = as_tensor(m)
    if m.ndim < 1:
        raise ValueError("flipud: the tensor must be at least 1-D, got a 0-d tensor")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees `k` times in the plane of `axes`, from the first towards the second.

    >>> rot90(as_tensor([[1, 2], [3, 4]]))
    tensor([[2, 4],
            [1, 3]])
    """
    m = as_tensor(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must be two axes, got {axes!r}")
    a0, a1 = _axes(axes, m.ndim, "rot90", "axes")
    k = operator.index(k) % 4
    if k == 0:
        return getitem(m, ...)
    if k == 2:
        return flip(m, (a0, a1))
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    return transpose(flip(m, a1), perm) if k == 1 else flip(transpose(m, perm), a1)


def roll(a, shift, axis=None):
    """Shift elements along `axis` (None: the flattened tensor), wrapping around the end.

    `shift` and `axis` may be tuples (broadcast together), as in numpy.

    >>> roll(as_tensor([1, 2, 3, 4]), 1)
    tensor([4, 1, 2, 3])
    """
    a = as_tensor(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for s, ax in zip(shifts.ravel().tolist(), axes.ravel().tolist()):
        ax = _axis(ax, a.ndim, "roll")
        total[ax] = total.get(ax, 0) + s
    for ax, s in total.items():
        n = a.shape[ax]
        s = s % n if n else 0
        if s:
            a = concatenate([_along(a, ax, slice(n - s, None)), _along(a, ax, slice(None, n - s))], axis=ax)
    return a


def repeat(a, repeats, axis=None):
    """Repeat each element `repeats` times along `axis` (None: the flattened tensor), as numpy.

    `repeats` is an int or one count per element along the axis.

    >>> repeat(as_tensor([1, 2]), 2)
    tensor([1, 1, 2, 2])
    >>> repeat(as_tensor([[1, 2], [3, 4]]), [1, 2], axis=0)
    tensor([[1, 2],
            [3, 4],
            [3, 4]])
    """
    a = as_tensor(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim, "repeat")
    n = a.shape[axis]
    reps = np.asarray(repeats)
    if reps.dtype.kind not in "iub":
        raise TypeError(f"repeat: repeats must be integers, got {repeats!r}")
    if (reps < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative, got {repeats!r}")
    if reps.size == 1:
        r = int(reps.reshape(()))
        wide = broadcast_to(reshape(a, a.shape[:axis + 1] + (1,) + a.shape[axis + 1:]),
                            a.shape[:axis + 1] + (r,) + a.shape[axis + 1:])
        return reshape(wide, a.shape[:axis] + (n * r,) + a.shape[axis + 1:])
    if reps.shape != (n,):
        raise ValueError(f"repeat: repeats of shape {reps.shape} does not match the {n} elements along "
                         f"axis {axis} of a tensor of shape {a.shape}")
    return _along(a, axis, np.repeat(np.arange(n), reps))


def tile(A, reps):
    """`A` repeated `reps` times along each axis (numpy's `tile`: reps may add leading axes).

    >>> tile(as_tensor([1, 2]), (2, 2))
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    A = as_tensor(A)
    reps = tuple(int(r) for r in np.atleast_1d(reps))
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    d = max(len(reps), A.ndim)
    reps = (1,) * (d - len(reps)) + reps
    shape = (1,) * (d - A.ndim) + A.shape
    inter = tuple(v for s in shape for v in (1, s))                  # (1, a0, 1, a1, ...)
    wide = broadcast_to(reshape(A, inter), tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return reshape(wide, tuple(r * s for r, s in zip(reps, shape)))


def _atleast(arys, nd, lift):
    out = tuple(x if x.ndim >= nd else reshape(x, lift(x.shape)) for x in map(as_tensor, arys))
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    """Each input viewed with at least one dimension (a tuple for several inputs, as numpy).

    >>> atleast_1d(as_tensor(3.0))
    tensor([3.])
    """
    return _atleast(arys, 1, lambda s: (1,))


def atleast_2d(*arys):
    """Each input with at least two dimensions: () -> (1, 1), (n,) -> (1, n).

    >>> atleast_2d(as_tensor([1, 2])).shape
    (1, 2)
    """
    return _atleast(arys, 2, lambda s: (1,) * (2 - len(s)) + s)


def atleast_3d(*arys):
    """Each input with at least three dimensions: () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1).

    >>> [t.shape for t in atleast_3d(as_tensor([1, 2]), as_tensor(np.ones((2, 3))))]
    [(1, 2, 1), (2, 3, 1)]
    """
    return _atleast(arys, 3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


def broadcast_arrays(*args):
    """The inputs broadcast to their common shape (a tuple, as numpy 2 returns).

    >>> [t.shape for t in broadcast_arrays(as_tensor([1, 2]), as_tensor([[1], [2], [3]]))]
    [(3, 2), (3, 2)]
    """
    ts = [as_tensor(a) for a in args]
    try:
        shape = np.broadcast_shapes(*(t.shape for t in ts))
    except ValueError:
        raise ValueError(f"broadcast_arrays: shapes {[t.shape for t in ts]} cannot be broadcast together") from None
    return tuple(broadcast_to(t, shape) for t in ts)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate tensors from coordinate vectors, as numpy's `meshgrid` (a tuple).

    `copy` is accepted for numpy's signature; the results are broadcast views either way.

    >>> X, Y = meshgrid(as_tensor([1, 2, 3]), as_tensor([4, 5]))
    >>> X.shape, Y.tolist()
    ((2, 3), [[4, 4, 4], [5, 5, 5]])
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    n = len(xi)
    ones = (1,) * n
    out = [reshape(ravel(x), ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    return tuple(out) if sparse else broadcast_arrays(*out)

"""Splitting and joining: split and its relatives, hstack/vstack/dstack/column_stack, append,
and the `r_`/`c_` index tricks.

Composed of recorded ops (getitem with slices, reshape, concatenate), so gradients are exact to
any order. Splits return lists of tensors and stacks accept tensors, arrays and numbers mixed,
as numpy does.
"""
from __future__ import annotations

import operator

import numpy as np

from ..tensor import Tensor, as_tensor
from .reorder import _along, _axis, atleast_1d, atleast_2d, atleast_3d, ravel
from .shape import concatenate, reshape


def array_split(ary, indices_or_sections, axis=0):
    """Split into sub-tensors along `axis` (a list): `n` nearly equal parts (the first ones one
    longer), or cut before each index of a sequence, as numpy's `array_split`.

    >>> [t.tolist() for t in array_split(as_tensor([1, 2, 3, 4, 5]), 2)]
    [[1, 2, 3], [4, 5]]
    """
    ary = as_tensor(ary)
    axis = _axis(axis, ary.ndim, "split")
    n = ary.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"split: the number of sections must be larger than 0, got {sections}")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        cuts = np.cumsum([0] + sizes).tolist()
    else:
        cuts = [0] + [operator.index(i) for i in indices_or_sections] + [n]
    return [_along(ary, axis, slice(start, stop)) for start, stop in zip(cuts[:-1], cuts[1:])]


def split(ary, indices_or_sections, axis=0):
    """Like `array_split`, but `n` sections must divide the axis exactly (numpy's `split`).

    >>> [t.shape for t in split(as_tensor(np.zeros((4, 2))), 2)]
    [(2, 2), (2, 2)]
    """
    ary = as_tensor(ary)
    if np.ndim(indices_or_sections) == 0:
        n = ary.shape[_axis(axis, ary.ndim, "split")]
        if operator.index(indices_or_sections) > 0 and n % indices_or_sections:
            raise ValueError(f"split: {indices_or_sections} sections do not divide axis {axis} of length {n} "
                             f"equally (use array_split)")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D input), as numpy's `hsplit`.

    >>> [t.tolist() for t in hsplit(as_tensor([[1, 2, 3, 4]]), 2)]
    [[[1, 2]], [[3, 4]]]
    """
    ary = as_tensor(ary)
    if ary.ndim == 0:
        raise ValueError("hsplit only works on tensors of 1 or more dimensions, got a 0-d tensor")
    return split(ary, indices_or_sections, 1 if ary.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    """Split along axis 0; needs at least 2-D (numpy's `vsplit`).

    >>> [t.shape for t in vsplit(as_tensor(np.zeros((4, 3))), [1])]
    [(1, 3), (3, 3)]
    """
    ary = as_tensor(ary)
    if ary.ndim < 2:
        raise ValueError(f"vsplit only works on tensors of 2 or more dimensions, got shape {ary.shape}")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    """Split along axis 2; needs at least 3-D (numpy's `dsplit`).

    >>> [t.shape for t in dsplit(as_tensor(np.zeros((1, 2, 4))), 2)]
    [(1, 2, 2), (1, 2, 2)]
    """
    ary = as_tensor(ary)
    if ary.ndim < 3:
        raise ValueError(f"dsplit only works on tensors of 3 or more dimensions, got shape {ary.shape}")
    return split(ary, indices_or_sections, 2)


def _as_list(tup, lift):
    if isinstance(tup, (Tensor, np.ndarray)):  # numpy's: an array is the sequence of its sub-arrays on axis 0
        if tup.ndim == 0:
            raise TypeError("arrays to stack must be passed as a sequence (a list, a tuple or a tensor of at "
                            "least 1 dimension), not a 0-d tensor")
        tup = list(tup)
    like = next((t for t in tup if isinstance(t, Tensor)), None)
    out = lift(*[as_tensor(t, like=like) for t in tup]) if tup else ()
    return [out] if isinstance(out, Tensor) else list(out)


def hstack(tup):
    """Join horizontally: along axis 1, or axis 0 for 1-D inputs (numpy's `hstack`).

    >>> hstack([as_tensor([1, 2]), np.array([3])])
    tensor([1, 2, 3])
    """
    xs = _as_list(tup, atleast_1d)
    return concatenate(xs, axis=0 if xs and xs[0].ndim == 1 else 1)


def vstack(tup):
    """Join vertically: 1-D inputs become rows, then concatenate along axis 0 (numpy's `vstack`).

    >>> vstack([as_tensor([1, 2]), as_tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])
    """
    return concatenate(_as_list(tup, atleast_2d), axis=0)


def dstack(tup):
    """Join along the third axis, after `atleast_3d` (numpy's `dstack`).

    >>> dstack([as_tensor([1, 2]), as_tensor([3, 4])]).shape
    (1, 2, 2)
    """
    return concatenate(_as_list(tup, atleast_3d), axis=2)


def column_stack(tup):
    """1-D inputs as columns, 2-D ones as they are, joined along axis 1 (numpy's `column_stack`).

    >>> column_stack([as_tensor([1, 2]), as_tensor([3, 4])])
    tensor([[1, 3],
            [2, 4]])
    """
    xs = _as_list(tup, lambda *a: a)
    return concatenate([reshape(x, (-1, 1)) if x.ndim < 2 else x for x in xs], axis=1)


def append(arr, values, axis=None):
    """`values` appended to `arr` along `axis`; with axis=None both are flattened (numpy's `append`).

    >>> append(as_tensor([1.0, 2.0]), [[3.0]])
    tensor([1., 2., 3.])
    """
    arr = as_tensor(arr)
    values = as_tensor(values, like=arr)
    if axis is None:
        arr, values, axis = ravel(arr), ravel(values), 0
    return concatenate([arr, values], axis=axis)


class _Concatenator:
    """`r_[...]` / `c_[...]`: numpy's index tricks for building a tensor by concatenation.

    Items are tensors, arrays, numbers and slices (`0:5`, `0:1:5j` for numpy's arange/linspace,
    as constants). A leading string may give the axis (`r_['1', a, b]`); numpy's longer
    directives ('r', 'c', '0,2,1') are not supported and raise.
    """

    def __init__(self, axis, columns):
        self.axis, self.columns = axis, columns

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis = self.axis
        if items and isinstance(items[0], str):
            try:
                axis = int(items.pop(0))
            except ValueError:
                raise ValueError(f"r_/c_: only an integer axis string is supported as a directive, "
                                 f"got {key[0]!r}") from None
        like = next((t for t in items if isinstance(t, Tensor)), None)
        parts = []
        for item in items:
            if isinstance(item, slice):
                item = np.r_[item]
            elif isinstance(item, str):
                raise ValueError(f"r_/c_: a string directive must come first, got {item!r}")
            t = atleast_1d(as_tensor(item, like=like))
            parts.append(reshape(t, (-1, 1)) if self.columns and t.ndim == 1 else t)
        if self.columns:
            parts = [atleast_2d(p) for p in parts]
        return concatenate(parts, axis=axis)


r_ = _Concatenator(0, columns=False)
r_.__doc__ = """Concatenate along the first axis by indexing: `mg.r_[a, 0:3, b]` (numpy's `r_`).

    >>> r_[as_tensor([1, 2]), 0, 7:9]
    tensor([1, 2, 0, 7, 8])
    """
c_ = _Concatenator(-1, columns=True)
c_.__doc__ = """Stack 1-D inputs as columns by indexing: `mg.c_[a, b]` (numpy's `c_`).

    >>> c_[as_tensor([1, 2]), as_tensor([3, 4])]
    tensor([[1, 3],
            [2, 4]])
    """

__test__ = {"r_": r_.__doc__, "c_": c_.__doc__}  # doctest does not look into instances' docstrings

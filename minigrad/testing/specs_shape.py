"""Test data for the shape, indexing and joining family (ops/reorder, sorting, indexing, joining,
differences; pad modes).

`SPECS` entries (via `@spec`) cover the ops with rules of their own: sort and partition. Most of
the family is composed of recorded ops and has no rule to register; `CASES` holds their test data
as `name -> case(draw) -> (call, arrays)`, where `call(lib, *xs)` runs the op through `lib`, which
is either `numpy` or `minigrad` (the names and signatures are the same), so one case checks the
forward against numpy and the gradient (first and second order) against central differences.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

from .specs import CASES, case, spec  # noqa: F401 - CASES: where this family's cases live

def _axis(d, ndim):
    """An axis of an ndim-D array, negative half of the time."""
    a = d.integers(0, ndim - 1)
    return a - ndim if d.integers(0, 1) else a


def _tied(d, shape, axis):
    """Values with ties that move together: `call` gets half the axis and duplicates it."""
    return d.distinct(shape), (lambda lib, x: lib.concatenate([x, x], axis=axis))


# -- sort and partition: registered ops --------------------------------------------------------

def _sort_data(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, _axis(d, len(shape))])
    if axis is not None and d.integers(0, 1):
        x, dup = _tied(d, shape, axis)
        return x, axis, dup
    return d.distinct(shape), axis, (lambda lib, x: x)


@spec("sort")
def _sort(d):
    x, axis, prep = _sort_data(d)
    return (lambda t: mg.sort(prep(mg, t), axis=axis)), [x]


@case("sort")
def _sort_case(d):
    x, axis, prep = _sort_data(d)
    return (lambda lib, t: lib.sort(prep(lib, t), axis=axis)), [x]


def _partition_data(d):
    x, axis, prep = _sort_data(d)
    n = prep(np, x).size if axis is None else prep(np, x).shape[axis]
    kth = d.choice([d.integers(0, n - 1), d.integers(-n, -1), (0, n - 1)])
    return x, axis, prep, kth


@spec("partition")
def _partition(d):
    x, axis, prep, kth = _partition_data(d)
    return (lambda t: mg.partition(prep(mg, t), kth, axis=axis)), [x]


@case("partition")
def _partition_case(d):
    x, axis, prep, kth = _partition_data(d)
    # only the k-th values are fixed by numpy's contract: compare those (the rest is unordered)
    kths = np.atleast_1d(kth)
    def call(lib, t):
        p = lib.partition(prep(lib, t), kth, axis=axis)
        return lib.take(p, kths, axis=0 if axis is None else axis)
    return call, [x]


# -- reordering ------------------------------------------------------------------------------------

def _unary_case(name, make, min_dims=0):
    @case(name)
    def build(d):
        shape = d.shape(min_dims=min_dims)
        return make(d, shape), [d.array(shape)]


_unary_case("ravel", lambda d, s: lambda lib, x: lib.ravel(x))
_unary_case("squeeze", lambda d, s: (lambda ax: lambda lib, x: lib.squeeze(lib.expand_dims(x, ax), ax))(
    d.choice([0, -1, (0, -1)])))
_unary_case("expand_dims", lambda d, s: (lambda ax: lambda lib, x: lib.expand_dims(x, ax))(
    d.choice([0, -1, (0, 2), (-1, 1)])), min_dims=1)
_unary_case("swapaxes", lambda d, s: (lambda a, b: lambda lib, x: lib.swapaxes(x, a, b))(
    _axis(d, len(s)), _axis(d, len(s))), min_dims=1)
_unary_case("moveaxis", lambda d, s: (lambda a, b: lambda lib, x: lib.moveaxis(x, a, b))(
    *d.choice([(_axis(d, len(s)), _axis(d, len(s))), ((0, -1), (-1, 0))])), min_dims=2)
_unary_case("flip", lambda d, s: (lambda ax: lambda lib, x: lib.flip(x, ax))(
    d.choice([None, _axis(d, len(s)), (0, -1) if len(s) > 1 else -1])), min_dims=1)
_unary_case("fliplr", lambda d, s: lambda lib, x: lib.fliplr(x), min_dims=2)
_unary_case("flipud", lambda d, s: lambda lib, x: lib.flipud(x), min_dims=1)
_unary_case("rot90", lambda d, s: (lambda k, axes: lambda lib, x: lib.rot90(x, k, axes))(
    d.integers(-1, 4), d.choice([(0, 1), (1, 0), (-1, 0)])), min_dims=2)
_unary_case("roll", lambda d, s: (lambda sh, ax: lambda lib, x: lib.roll(x, sh, ax))(
    *d.choice([(d.integers(-4, 4), None), (d.integers(-4, 4), _axis(d, len(s))), ((1, -2), (0, -1))])),
    min_dims=1)
_unary_case("repeat", lambda d, s: (lambda r, ax: lambda lib, x: lib.repeat(x, r, ax))(
    d.integers(0, 3), d.choice([None, _axis(d, len(s))])), min_dims=1)
_unary_case("tile", lambda d, s: (lambda r: lambda lib, x: lib.tile(x, r))(
    d.choice([2, (2, 1), (1, 2, 2), (0, 1)])))
_unary_case("atleast_1d", lambda d, s: lambda lib, x: lib.atleast_1d(x))
_unary_case("atleast_2d", lambda d, s: lambda lib, x: lib.atleast_2d(x))
_unary_case("atleast_3d", lambda d, s: lambda lib, x: lib.atleast_3d(x))
_unary_case("pad", lambda d, s: (lambda w, mode: lambda lib, x: lib.pad(x, w, mode=mode))(
    [(d.integers(0, 3), d.integers(0, 3)) for _ in s],
    d.choice(["constant", "reflect", "symmetric", "edge", "wrap"])), min_dims=1)


@case("repeat_counts")
def _repeat_counts(d):
    shape = d.shape(min_dims=1)
    axis = _axis(d, len(shape))
    counts = np.array([d.integers(0, 3) for _ in range(shape[axis])])
    return (lambda lib, x: lib.repeat(x, counts, axis)), [d.array(shape)]


@case("broadcast_arrays")
def _broadcast_arrays(d):
    sa, sb = d.broadcastable(2)
    return (lambda lib, a, b: lib.broadcast_arrays(a, b)), [d.array(sa), d.array(sb)]


@case("meshgrid")
def _meshgrid(d):
    n = d.integers(1, 3)
    indexing, sparse = d.choice(["xy", "ij"]), bool(d.integers(0, 1))
    return (lambda lib, *xs: lib.meshgrid(*xs, indexing=indexing, sparse=sparse)), \
        [d.array((d.integers(1, 3),)) for _ in range(n)]


# -- splitting and joining -------------------------------------------------------------------------

@case("split")
def _split(d):
    shape = d.shape(min_dims=1)
    axis = _axis(d, len(shape))
    n = shape[axis]
    how = d.choice([1, n, 2 if n % 2 == 0 else 1, [1], [0, n - 1], [2, 1, n + 2]])
    return (lambda lib, x: lib.split(x, how, axis)), [d.array(shape)]


@case("array_split")
def _array_split(d):
    shape = d.shape(min_dims=1)
    sections = d.integers(1, 4)
    return (lambda lib, x: lib.array_split(x, sections, -1)), [d.array(shape)]


def _split_named(name, axis, min_dims):
    @case(name)
    def build(d):
        shape = d.shape(min_dims=min_dims)
        shape = shape[:axis] + (2,) + shape[axis + 1:]
        how = d.choice([2, [1]])
        return (lambda lib, x: getattr(lib, name)(x, how)), [d.array(shape)]


_split_named("hsplit", 1, 2)
_split_named("vsplit", 0, 2)
_split_named("dsplit", 2, 3)


def _join_case(name, lift):
    @case(name)
    def build(d):
        base = d.shape(min_dims=0, max_dims=3)
        if d.integers(0, 3) == 0:  # one array: the sequence of its sub-arrays along axis 0, as numpy takes it
            return (lambda lib, x: getattr(lib, name)(x)), [d.array((d.integers(1, 3),) + base)]
        shapes = [lift(base, d) for _ in range(d.integers(1, 3))]
        return (lambda lib, *xs: getattr(lib, name)(list(xs))), [d.array(s) for s in shapes]


def _vary(base, axis, d):
    """`base` with the length along `axis` (if it has one) drawn anew: joinable along that axis."""
    if len(base) <= axis:
        return base
    return base[:axis] + (d.integers(1, 3),) + base[axis + 1:]


_join_case("hstack", lambda s, d: _vary(s, 1 if len(s) > 1 else 0, d))
_join_case("vstack", lambda s, d: _vary(s, 0, d) if len(s) > 1 else s)
_join_case("dstack", lambda s, d: _vary(s, 2, d) if len(s) > 2 else s)
_join_case("column_stack", lambda s, d: s[:2] if len(s) >= 1 else (2,))


@case("append")
def _append(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, _axis(d, len(shape))])
    other = d.shape() if axis is None else _vary(shape, axis % len(shape), d)
    return (lambda lib, a, b: lib.append(a, b, axis)), [d.array(shape), d.array(other)]


@case("r_")
def _r(d):
    return (lambda lib, a, b: lib.r_[a, 0.5, 1:3, b]), [d.array((d.integers(1, 3),)), d.array((2,))]


@case("c_")
def _c(d):
    n = d.integers(1, 3)
    return (lambda lib, a, b: lib.c_[a, b]), [d.array((n,)), d.array((n, 2))]


# -- indexing --------------------------------------------------------------------------------------

def _repeating(d, n, count):
    """`count` indices into n elements, with repeats (and negative ones) likely."""
    return np.array([d.integers(-n, n - 1) for _ in range(count)])


@case("take")
def _take(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, _axis(d, len(shape))])
    n = int(np.prod(shape)) if axis is None else shape[axis]
    idx, mode = d.choice([(_repeating(d, n, 4), "raise"), (np.array([[0, n + 1], [-n - 2, 0]]), "wrap"),
                          (np.array([n + 2, -1, 0]), "clip"), (np.array(d.integers(0, n - 1)), "raise")])
    return (lambda lib, x: lib.take(x, idx, axis, mode=mode)), [d.array(shape)]


def _along_indices(d, shape, axis, m):
    """Indices of shape `shape` with `m` at `axis` and some other axes 1 (they broadcast)."""
    ishape = tuple(m if i == axis else d.choice([1, s]) for i, s in enumerate(shape))
    return np.array([d.integers(-shape[axis], shape[axis] - 1) for _ in range(int(np.prod(ishape)))],
                    dtype=np.int64).reshape(ishape)


@case("take_along_axis")
def _take_along_axis(d):
    shape = d.shape(min_dims=1)
    axis = _axis(d, len(shape))
    idx = _along_indices(d, shape, axis, d.integers(1, 4))  # repeats accumulate
    return (lambda lib, x: lib.take_along_axis(x, idx, axis)), [d.array(shape)]


@case("put_along_axis")
def _put_along_axis(d):
    shape = d.shape(min_dims=1)
    axis = _axis(d, len(shape))
    n = shape[axis]
    idx = np.moveaxis(np.argsort(d.array(shape), axis=axis), axis, -1)[..., :d.integers(1, n)]
    idx = np.moveaxis(idx, -1, axis)  # distinct per line: numpy's last-write-wins is not differentiable
    vshape = idx.shape[axis:] if d.integers(0, 1) else idx.shape

    def call(lib, x, v):
        if lib is np:  # numpy's writes in place and returns None
            x = x.copy()
            np.put_along_axis(x, idx, v, axis)
            return x
        return mg.put_along_axis(x, idx, v, axis)
    return call, [d.array(shape), d.array(vshape)]


def _add_at_data(d):
    shape = d.shape(min_dims=1)
    key = d.choice([_repeating(d, shape[0], 5), (Ellipsis, _repeating(d, shape[-1], 3)), slice(None, None, 2)])
    target = np.zeros(shape)[key].shape

    return key, [d.array(shape), d.array(target[d.integers(0, len(target)):])]


@spec("add_at")
def _add_at(d):
    key, arrays = _add_at_data(d)
    return (lambda x, v: mg.add_at(x, key, v)), arrays


@case("add_at")
def _add_at_case(d):
    key, arrays = _add_at_data(d)

    def call(lib, x, v):
        if lib is np:  # numpy's writes in place
            x = x.copy()
            np.add.at(x, key, v)
            return x
        return mg.add_at(x, key, v)
    return call, arrays


@case("diag")
def _diag(d):
    k = d.integers(-2, 2)
    shape = d.choice([(d.integers(1, 3),), (d.integers(1, 3), d.integers(1, 3))])
    return (lambda lib, x: lib.diag(x, k)), [d.array(shape)]


def _plane_case(name):
    @case(name)
    def build(d):
        shape = d.shape(min_dims=2)
        a1 = _axis(d, len(shape))
        a2 = d.choice([i for i in range(-len(shape), len(shape)) if i % len(shape) != a1 % len(shape)])
        offset = d.integers(-2, 2)
        return (lambda lib, x: getattr(lib, name)(x, offset, a1, a2)), [d.array(shape)]


_plane_case("diagonal")
_plane_case("trace")


def _triangle_case(name):
    @case(name)
    def build(d):
        k = d.integers(-2, 2)
        return (lambda lib, x: getattr(lib, name)(x, k)), [d.array(d.shape(min_dims=1))]


_triangle_case("tril")
_triangle_case("triu")


@case("select")
def _select(d):
    sc, sa, sb, sd = d.broadcastable(4)
    c1, c2 = d.array(sc) > 0, d.array(sc) > 1  # overlapping: the first condition must win
    return (lambda lib, a, b, e: lib.select([c1, c2], [a, b], e)), [d.array(sa), d.array(sb), d.array(sd)]


@case("piecewise")
def _piecewise(d):
    shape = d.shape()
    x = d.array(shape, away=(0.0, 1.0))
    conds = [x < 0, x > 1, x > 2] if d.integers(0, 1) else [x < 0]
    funcs = [lambda t: t ** 2, lambda t: t * 3.0, 0.5][:len(conds)] + [lambda t: t ** 0.5]  # sqrt: x >= 0 only
    return (lambda lib, t: lib.piecewise(t, conds, funcs)), [x]


# -- finite differences ----------------------------------------------------------------------------

@case("diff")
def _diff(d):
    shape = d.shape(min_dims=1)
    axis = _axis(d, len(shape))
    n = d.integers(0, 3)
    ends = d.choice([{}, {"prepend": 0.5}, {"append": np.ones(shape)}, {"prepend": -1.0, "append": 2.0}])
    return (lambda lib, x: lib.diff(x, n, axis, **ends)), [d.array(shape)]


@case("gradient")
def _gradient(d):
    edge = d.integers(1, 2)
    shape = tuple(d.integers(edge + 1, 4) for _ in range(d.integers(1, 3)))
    axis = d.choice([None, _axis(d, len(shape))])
    axes = range(len(shape)) if axis is None else [axis]
    spacing = d.choice([(), (0.5,), tuple(np.cumsum(d.array((shape[a],), 0.2, 1.0)) for a in axes),
                        tuple(d.choice([2.0, np.arange(shape[a]) * 0.5]) for a in axes)])
    return (lambda lib, x: lib.gradient(x, *spacing, axis=axis, edge_order=edge)), [d.array(shape)]


# numpy function -> (make(*inputs) -> (args, kwargs), inputs): how tests/test_interop.py calls this
# family's entries of the interop table that numpy cannot call with its defaults (one or two 3x3 arrays)
_X = np.random.default_rng(1).uniform(0.2, 0.9, (2, 3))   # distinct values: no ties for partition
_Y = np.random.default_rng(2).uniform(0.2, 0.9, (2, 3))
_X3 = np.random.default_rng(3).uniform(0.2, 0.9, (2, 3, 4))
_TO_SQUARE = [lambda t: t ** 2, lambda t: t * 3.0, 0.5]    # piecewise's: a function, another, a constant
INTEROP_EXAMPLES = {
    np.moveaxis: (lambda x: ((x, 0, -1), {}), [_X3]),
    np.roll: (lambda x: ((x, (1, -2), (0, 1)), {}), [_X3]),
    np.repeat: (lambda x: ((x, [2, 0, 1], 1), {}), [_X]),              # per-element counts, a zero among them
    np.tile: (lambda x: ((x, (2, 1, 2)), {}), [_X]),
    np.broadcast_to: (lambda x: ((x, (4, 2, 3)), {}), [_X]),
    np.split: (lambda x: ((x, [1, 3], 2), {}), [_X3]),                 # cut before indices: 1, 2, 1 long
    np.array_split: (lambda x: ((x, 3), {"axis": -1}), [_X3]),          # 4 into 3: unequal sections
    np.hsplit: (lambda x: ((x, 3), {}), [_X]),
    np.vsplit: (lambda x: ((x, [1]), {}), [_X]),
    np.dsplit: (lambda x: ((x, 2), {}), [_X3]),
    np.take: (lambda x: ((x, [[5, 0], [-1, 5]]), {}), [_X]),             # flat indices, repeats accumulate
    np.take_along_axis: (lambda x: ((x, np.argsort(_X3, axis=1)[:, ::-1], 1), {}), [_X3]),
    np.select: (lambda x, y: (([_X > 0.5, _Y > 0.4], [x, y], 0.25), {}), [_X, _Y]),  # overlapping conditions
    np.piecewise: (lambda x: ((x, [_X < 0.4, _X > 0.7], _TO_SQUARE), {}), [_X]),
    np.partition: (lambda x: ((x, 1), {"axis": 0}), [_X3]),
    np.argpartition: (lambda x: ((x, [0, 2]), {}), [_X3]),
    np.pad: (lambda x: ((x, ((1, 0), (2, 1))), {"mode": "reflect"}), [_X]),
}


@case("flatten")
def _flatten_case(d):
    shape = d.shape(min_dims=1)
    return (lambda lib, x: lib.ravel(x) if lib is np else lib.flatten(x)), [d.array(shape)]

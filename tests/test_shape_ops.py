"""The shape, indexing and joining ops: forward equal to numpy's (values, dtypes, shapes), gradients
exact to second order (float64 central differences), errors that name the bad argument.

Every op is driven from `minigrad.testing.specs_shape.CASES`, where one `call(lib, *xs)` runs
through numpy or through minigrad; sort and partition also have registry specs (test_rules.py).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.ops.numpy_api import TABLE
from minigrad.testing import HypothesisDraw
from minigrad.testing.specs_shape import CASES

NAMES = sorted(n for n, f in CASES.items() if f.__module__ == "minigrad.testing.specs_shape")  # this family's


def _parts(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _same(ours, theirs):
    ours, theirs = _parts(ours), _parts(theirs)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert isinstance(o, mg.Tensor), type(o)
        t = np.asarray(t)
        assert o.shape == t.shape and o.dtype == t.dtype, (o.shape, o.dtype, t.shape, t.dtype)
        np.testing.assert_array_equal(o.data, t)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_matches_numpy(name, data):
    call, arrays = CASES[name](HypothesisDraw(data))
    _same(call(mg, *[mg.tensor(a) for a in arrays]), call(np, *arrays))


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_keeps_numpy_dtypes(name, dtype, data):
    call, arrays = CASES[name](HypothesisDraw(data))
    arrays = [(a * 3).astype(dtype) for a in arrays]
    _same(call(mg, *[mg.tensor(a) for a in arrays]), call(np, *arrays))


def _joined(call):
    def f(*ts):
        parts = _parts(call(mg, *ts))
        return mg.concatenate([mg.ravel(p) for p in parts]) if len(parts) > 1 else parts[0]
    return f


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradients_first_and_second_order(name, data):
    call, arrays = CASES[name](HypothesisDraw(data))
    f = _joined(call)
    assert mg.gradcheck(f, *arrays)
    assert mg.gradgradcheck(f, *arrays)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_backward_differentiates_in_the_upstream_gradient(name, data):
    # the ops are linear, so gradgradcheck's Hessian is 0 whatever the rule records: check instead
    # that the VJP u -> J^T u, recorded with create_graph, has the right gradient (J v) itself
    call, arrays = CASES[name](HypothesisDraw(data))
    f = _joined(call)
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    y = f(*xs)

    def vjp(u):
        gs = [g for g in mg.gradients((f(*xs) * u).sum(), xs, create_graph=True) if g is not None]
        return mg.concatenate([mg.ravel(g) for g in gs]) if gs else mg.tensor(0.0)
    assert mg.gradcheck(vjp, np.random.default_rng(0).standard_normal(y.shape))


def test_every_op_of_the_family_has_a_case():
    family = ["ravel", "squeeze", "expand_dims", "swapaxes", "moveaxis", "flip", "fliplr", "flipud", "rot90", "roll",
              "repeat", "tile", "split", "array_split", "hsplit", "vsplit", "dsplit", "hstack", "vstack", "dstack",
              "column_stack", "append", "atleast_1d", "atleast_2d", "atleast_3d", "take", "take_along_axis",
              "put_along_axis", "add_at", "diag", "diagonal", "trace", "tril", "triu", "sort", "partition", "diff",
              "gradient", "pad", "broadcast_arrays", "r_", "c_", "meshgrid", "select", "piecewise"]
    assert not sorted(set(family) - set(CASES))
    for name in family:
        assert callable(getattr(mg, name, None)) or name in ("r_", "c_"), name


def test_interop_table_maps_numpy_functions_of_the_family():
    for fn in (np.ravel, np.moveaxis, np.flip, np.fliplr, np.flipud, np.rot90, np.roll, np.repeat, np.tile,
               np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.hstack, np.vstack, np.dstack,
               np.column_stack, np.append, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.take,
               np.take_along_axis, np.diag, np.diagonal, np.trace, np.tril, np.triu, np.sort, np.argsort,
               np.partition, np.argpartition, np.diff, np.gradient, np.pad, np.broadcast_arrays, np.meshgrid,
               np.select, np.piecewise, np.squeeze, np.expand_dims, np.swapaxes):
        assert TABLE.get(fn) is getattr(mg, fn.__name__), fn.__name__
    assert np.put_along_axis not in TABLE  # numpy's writes in place: mapping it would change its meaning


# -- sort: ties share the gradient -------------------------------------------------------------------

def _grad(f, x):
    t = mg.tensor(x, requires_grad=True)
    f(t).backward()
    return t.grad.data


def test_sort_pair_tie_matches_central_differences():
    x = np.array([2.0, 1.0, 2.0, 0.5])
    u = np.array([0.3, -1.0, 2.0, 5.0])
    f = lambda t: (mg.sort(t) * u).sum()  # noqa: E731
    eps = 1e-6
    for j in range(4):
        e = np.eye(4)[j] * eps
        numeric = (f(mg.tensor(x + e)).item() - f(mg.tensor(x - e)).item()) / (2 * eps)
        assert _grad(f, x)[j] == pytest.approx(numeric, abs=1e-8)


def test_sort_ties_share_equally_like_max():
    x = np.array([[3.0, 1.0, 3.0, 3.0], [0.0, 0.0, -1.0, 2.0]])
    np.testing.assert_allclose(_grad(lambda t: mg.sort(t, axis=1)[:, -1].sum(), x),
                               _grad(lambda t: mg.max(t, axis=1).sum(), x))
    np.testing.assert_allclose(_grad(lambda t: mg.sort(t, axis=1)[:, 0].sum(), x),
                               _grad(lambda t: mg.min(t, axis=1).sum(), x))
    # a tied group gets the mean of the upstream gradient over the positions it occupies
    u = np.array([[1.0, 2.0, 4.0, 8.0], [1.0, 2.0, 4.0, 8.0]])
    np.testing.assert_allclose(_grad(lambda t: (mg.sort(t, axis=1) * u).sum(), x),
                               [[14 / 3, 1.0, 14 / 3, 14 / 3], [3.0, 3.0, 1.0, 8.0]])


def test_partition_ties_share_and_kth_value_is_numpys():
    x = np.array([5.0, 2.0, 2.0, 9.0, 1.0])
    t = mg.tensor(x, requires_grad=True)
    p = mg.partition(t, 2)
    assert p.data[2] == np.partition(x, 2)[2]
    p[2].backward()
    np.testing.assert_allclose(t.grad.data, [0, 0.5, 0.5, 0, 0])


def test_argsort_and_argpartition_are_plain_arrays():
    t = mg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    assert isinstance(mg.argsort(t), np.ndarray) and mg.argsort(t).tolist() == [1, 2, 0]
    assert isinstance(t.argsort(), np.ndarray)
    assert mg.argpartition(t, 0)[0] == 1


def test_sort_refuses_structured_order():
    with pytest.raises(TypeError, match="order"):
        mg.sort(mg.tensor([1.0]), order="f")


# -- methods ---------------------------------------------------------------------------------------

def test_tensor_methods():
    a = np.arange(12.0).reshape(3, 4)
    t = mg.tensor(a)
    for name, args in [("ravel", ()), ("repeat", (2, 1)), ("take", ([0, 0, 2],)), ("diagonal", (1,)),
                       ("trace", ()), ("flip", (0,)), ("roll", (1, 1)), ("moveaxis", (0, 1)), ("tile", ((2, 1),)),
                       ("diff", ()), ("tril", ()), ("triu", (1,))]:
        _same(getattr(t, name)(*args), getattr(np, name)(a, *args))


def test_flatten_is_numpy_like_by_default_and_torch_like_with_dims():
    a = np.arange(24.0).reshape(2, 3, 4)
    _same(mg.flatten(mg.tensor(a)), a.flatten())
    assert mg.tensor(a).flatten(1).shape == (2, 12)
    assert mg.flatten(mg.tensor(a), 0, 1).shape == (6, 4)


# -- scatter and gather details --------------------------------------------------------------------

def test_take_repeated_indices_accumulate():
    g = _grad(lambda t: mg.take(t, [0, 0, 2, 0]).sum(), np.zeros(3))
    assert g.tolist() == [3.0, 0.0, 1.0]


def test_add_at_accumulates_and_put_along_axis_refuses_repeats():
    assert mg.add_at(mg.tensor([0.0, 0.0]), [1, 1, 1], 2.0).tolist() == [0.0, 6.0]
    with pytest.raises(ValueError, match="repeated indices"):
        mg.put_along_axis(mg.tensor([[1.0, 2.0]]), np.array([[0, 0]]), 5.0, axis=1)


def test_put_along_axis_leaves_its_input_alone():
    x = mg.tensor([[1.0, 2.0, 3.0]])
    y = mg.put_along_axis(x, np.array([[1]]), 9.0, axis=1)
    assert x.tolist() == [[1.0, 2.0, 3.0]] and y.tolist() == [[1.0, 9.0, 3.0]]
    assert mg.put_along_axis(x, np.array([0, 2]), 0.0, axis=None).tolist() == [[0.0, 2.0, 0.0]]


def test_piecewise_gives_no_nan_where_a_piece_is_undefined():
    x = mg.tensor([-4.0, 4.0], requires_grad=True)
    y = mg.piecewise(x, [x.data < 0], [lambda t: -t, lambda t: mg.sqrt(t)])
    y.sum().backward()
    assert np.isfinite(x.grad.data).all() and x.grad.tolist() == [-1.0, 0.25]


def test_pad_aliases_and_constant_values():
    a = np.arange(6.0).reshape(2, 3)
    _same(mg.pad(mg.tensor(a), 1, mode="replicate"), np.pad(a, 1, mode="edge"))
    _same(mg.pad(mg.tensor(a), ((0, 0), (2, 2)), mode="circular"), np.pad(a, ((0, 0), (2, 2)), mode="wrap"))
    _same(mg.pad(mg.tensor(a), 1, constant_values=7.0), np.pad(a, 1, constant_values=7.0))
    _same(mg.pad(mg.tensor(a), 1, value=-1.0), np.pad(a, 1, constant_values=-1.0))
    _same(mg.pad(mg.tensor([1.0, 2.0]), 5, mode="reflect"), np.pad([1.0, 2.0], 5, mode="reflect"))


def test_results_are_tuples_or_lists_as_numpy():
    a, b = mg.tensor([1.0]), mg.tensor([2.0])
    assert isinstance(mg.atleast_1d(a, b), tuple) and isinstance(mg.broadcast_arrays(a, b), tuple)
    assert isinstance(mg.meshgrid(a, b), tuple) and isinstance(mg.split(mg.tensor([1.0, 2.0]), 2), list)
    assert isinstance(mg.atleast_2d(a), mg.Tensor)


# -- misuse ----------------------------------------------------------------------------------------

X = mg.tensor(np.zeros((2, 3)))


@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.flip(X, 2), ValueError, "flip: axis=2 is out of range"),
    (lambda: mg.flip(X, (0, -2)), ValueError, "repeated axis"),
    (lambda: mg.moveaxis(X, 0, 5), ValueError, "moveaxis: destination=5"),
    (lambda: mg.moveaxis(X, (0, 1), 0), ValueError, "same number of elements"),
    (lambda: mg.swapaxes(X, 0, -3), ValueError, "swapaxes: axis2=-3"),
    (lambda: mg.squeeze(X, 0), ValueError, r"squeeze: axis=0 for a tensor of shape \(2, 3\)"),
    (lambda: mg.expand_dims(X, 3), ValueError, "expand_dims: axis=3"),
    (lambda: mg.rot90(X, 1, (0, 0)), ValueError, "repeated axis"),
    (lambda: mg.rot90(X, 1, (0,)), ValueError, "two axes"),
    (lambda: mg.roll(X, 1, axis=2), ValueError, "roll: axis=2"),
    (lambda: mg.repeat(X, [1, 2], axis=1), ValueError, "repeats of shape"),
    (lambda: mg.repeat(X, -1), ValueError, "non-negative"),
    (lambda: mg.tile(X, (-1,)), ValueError, "non-negative"),
    (lambda: mg.split(X, 2, axis=1), ValueError, "do not divide axis 1 of length 3"),
    (lambda: mg.split(X, 0), ValueError, "larger than 0"),
    (lambda: mg.vsplit(mg.tensor([1.0]), 1), ValueError, "2 or more dimensions"),
    (lambda: mg.dsplit(X, 1), ValueError, "3 or more dimensions"),
    (lambda: mg.hsplit(mg.tensor(1.0), 1), ValueError, "1 or more dimensions"),
    (lambda: mg.hstack(mg.tensor(1.0)), TypeError, "sequence .*not a 0-d tensor"),
    (lambda: mg.vstack([X, mg.tensor(np.zeros((1, 2)))]), ValueError, "concatenate along axis 0"),
    (lambda: mg.fliplr(mg.tensor([1.0])), ValueError, "at least 2-D"),
    (lambda: mg.take(X, [6]), IndexError, "index 6 is out of bounds"),
    (lambda: mg.take(X, [0], mode="bogus"), ValueError, "mode"),
    (lambda: mg.take(X, [0.5]), IndexError, "integers"),
    (lambda: mg.take_along_axis(X, np.array([0]), 1), ValueError, "same number of dimensions"),
    (lambda: mg.take_along_axis(X, np.array([[3]]), 1), IndexError, "out of bounds"),
    (lambda: mg.take_along_axis(X, np.zeros((3, 1), dtype=int), 1), ValueError, "do not broadcast"),
    (lambda: mg.diagonal(X, 0, 1, -1), ValueError, "cannot be the same axis"),
    (lambda: mg.diagonal(mg.tensor([1.0])), ValueError, "at least 2-D"),
    (lambda: mg.diag(mg.tensor(np.zeros((1, 1, 1)))), ValueError, "1-D or 2-D"),
    (lambda: mg.select([X.data > 0], [X, X]), ValueError, "1 conditions but 2 choices"),
    (lambda: mg.select([X.data], [X]), TypeError, "boolean"),
    (lambda: mg.piecewise(X, [X.data > 0], [abs, abs, abs]), ValueError, "3 functions for 1 conditions"),
    (lambda: mg.diff(mg.tensor(1.0)), ValueError, "at least 1-D"),
    (lambda: mg.diff(X, -1), ValueError, "non-negative"),
    (lambda: mg.gradient(X, edge_order=3), ValueError, "edge_order"),
    (lambda: mg.gradient(mg.tensor([1.0, 2.0]), edge_order=2), ValueError, "at least 3"),
    (lambda: mg.gradient(X, [1.0, 2.0], axis=1), ValueError, "2 coordinates for axis 1 of length 3"),
    (lambda: mg.pad(X, 1, mode="maximum"), ValueError, "mode 'maximum' is not supported"),
    (lambda: mg.pad(X, -1), ValueError, "negative pad width"),
    (lambda: mg.sort(X, axis=2), ValueError, "sort: axis=2"),
    (lambda: mg.partition(X, 5), ValueError, "kth=5"),
    (lambda: mg.r_["r", X], ValueError, "integer axis string"),
    (lambda: mg.ravel(X, order="K"), ValueError, "order"),
    (lambda: mg.take(X, [0], out=np.zeros(1)), TypeError, "out="),
])
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()

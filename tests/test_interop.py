"""numpy's own functions on Tensors (minigrad/ops/interop.py): every entry of the interop table runs
its op (values and dtype as numpy's, gradient as central differences), anything else refuses a
tensor that requires grad, naming the function."""
import importlib
import pkgutil

import numpy as np
import pytest

import minigrad as mg
import minigrad.testing
from minigrad.ops.numpy_api import ACCUMULATE, NO_GRADIENT, REDUCE, TABLE

RNG = np.random.default_rng(0)
A = RNG.uniform(0.2, 0.9, (2, 3))  # the defaults of _default: values inside every domain of the table
B = RNG.uniform(0.2, 0.9, (2, 3))
C = RNG.uniform(0.2, 0.9, (3,))
SQUARE = (lambda m: m @ m.T / 3 + np.eye(3))(RNG.uniform(0.2, 0.9, (3, 3)))  # symmetric positive definite


# numpy function -> (make(*inputs) -> (args, kwargs), inputs): the examples for the table's entries that
# numpy cannot be called on with the defaults of `_default`. Each op family keeps its own in
# INTEROP_EXAMPLES of its minigrad/testing/specs_<family>.py; these are for the ops that predate them.
EXAMPLES = {
    np.clip: (lambda x: ((x, 0.3, 0.7), {}), [A]),
    np.where: (lambda x, y: ((A > 0.5, x, y), {}), [A, B]),
    np.concatenate: (lambda x, y: (([x, y],), {"axis": 1}), [A, B]),
    np.stack: (lambda x, y: (([x, y],), {"axis": -1}), [A, B]),
    np.reshape: (lambda x: ((x, (3, 2)), {}), [A]),
    np.swapaxes: (lambda x: ((x, 0, 1), {}), [A]),
    np.expand_dims: (lambda x: ((x, 1), {}), [A]),
    np.squeeze: (lambda x: ((x,), {}), [A[:1]]),
    np.matmul: (lambda x, y: ((x, y), {}), [A, B.T]),
    np.power: (lambda x, y: ((x, y), {}), [A, B * 3]),
}
for _info in pkgutil.iter_modules(minigrad.testing.__path__):
    if _info.name.startswith("specs_"):
        EXAMPLES.update(getattr(importlib.import_module(f"minigrad.testing.{_info.name}"), "INTEROP_EXAMPLES", {}))


def _default(func):
    """Inputs numpy itself accepts: nin arrays for a ufunc; else the first of a few call patterns."""
    if isinstance(func, np.ufunc):
        return (lambda *xs: (xs, {})), [A, B, C][:func.nin]
    for make, inputs in ((lambda x: ((x,), {}), [SQUARE]), (lambda x, y: ((x, y), {}), [SQUARE, SQUARE]),
                         (lambda x, y: (([x, y],), {}), [SQUARE, SQUARE])):
        try:
            args, kwargs = make(*inputs)
            func(*args, **kwargs)
        except Exception:  # noqa: BLE001 - numpy refused this pattern: try the next
            continue
        return make, inputs
    pytest.fail(f"no example for {func}: add one to INTEROP_EXAMPLES in the specs_<family>.py of its op")


def _name(func):
    return getattr(func, "__name__", repr(func))


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)  # numpy's splits return lists


@pytest.mark.parametrize("func", list(TABLE), ids=[_name(f) for f in TABLE])
def test_every_table_entry_runs_its_op(func):
    make, inputs = EXAMPLES.get(func) or _default(func)
    args, kwargs = make(*inputs)
    want = func(*args, **kwargs)
    tensors = [mg.tensor(x, requires_grad=True) for x in inputs]
    args, kwargs = make(*tensors)
    got = func(*args, **kwargs)
    assert len(_as_tuple(got)) == len(_as_tuple(want))
    assert getattr(got, "_fields", None) == getattr(want, "_fields", None)  # numpy's namedtuple, field by field
    for w, g in zip(_as_tuple(want), _as_tuple(got)):
        w = np.asarray(w)
        if isinstance(g, mg.Tensor):
            g = g.data
        assert isinstance(g, (np.ndarray, np.generic)), type(g)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=0)
    differentiable = [g for g in _as_tuple(got) if isinstance(g, mg.Tensor) and g.requires_grad]
    if differentiable:  # recorded: the gradient through numpy's function is the op's
        def f(*ts):
            a, k = make(*ts)
            out = _as_tuple(func(*a, **k))
            return mg.stack([mg.nan_to_num(o).sum() for o in out if isinstance(o, mg.Tensor)])
        assert mg.gradcheck(f, *[mg.tensor(x, requires_grad=True) for x in inputs])


def test_table_covers_the_issue_list():
    for name in ("log1p expm1 log2 log10 exp2 square reciprocal tan arcsin arccos arctan sinh cosh arcsinh arccosh "
                 "arctanh arctan2 hypot logaddexp logaddexp2 sign floor ceil round trunc mod remainder fmod fmax fmin "
                 "deg2rad rad2deg nan_to_num floor_divide prod var std cumsum cumprod amax amin ptp average any all "
                 "argmax argmin").split():
        assert getattr(np, name) in TABLE, name
        assert hasattr(mg, name), name


# -- ufunc methods --------------------------------------------------------------------------------

@pytest.mark.parametrize("ufunc", list(REDUCE), ids=[u.__name__ for u in REDUCE])
def test_ufunc_reduce(ufunc):
    x = mg.tensor(A, requires_grad=True)
    for kwargs in ({}, {"axis": 1}, {"axis": None, "keepdims": True}):
        got = ufunc.reduce(x, **kwargs)
        assert got.requires_grad
        np.testing.assert_allclose(got.data, ufunc.reduce(A, **kwargs), rtol=1e-12)


@pytest.mark.parametrize("ufunc", list(ACCUMULATE), ids=[u.__name__ for u in ACCUMULATE])
def test_ufunc_accumulate(ufunc):
    x = mg.tensor(A, requires_grad=True)
    for kwargs in ({}, {"axis": 1}):
        got = ufunc.accumulate(x, **kwargs)
        assert got.requires_grad
        np.testing.assert_allclose(got.data, ufunc.accumulate(A, **kwargs), rtol=1e-12)
    assert mg.gradcheck(lambda t: ufunc.accumulate(t, axis=1), A)


# -- refusals ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda t: np.nanprod(t), "np.nanprod"),
    (lambda t: np.sinc(t), "np.sinc"),
    (lambda t: np.cbrt(t), "np.cbrt"),
    (lambda t: np.nancumsum(t), "np.nancumsum"),
    (lambda t: np.add.outer(t, t), "np.add.outer"),
    (lambda t: np.subtract.reduce(t), "np.subtract.reduce"),
    (lambda t: np.exp(t, dtype=np.float32), "np.exp"),
    (lambda t: np.median(t), "np.median"),
])
def test_unsupported_function_on_a_tensor_that_requires_grad_raises_naming_it(call, name):
    t = mg.tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match=f"{name.replace('.', '[.]')} .*not differentiable"):
        call(t)
    # on constants numpy runs on the values and returns its plain result
    want = call(A)
    got = call(mg.tensor(A))
    assert isinstance(got, (np.ndarray, np.generic)) and not isinstance(got, mg.Tensor)
    np.testing.assert_array_equal(got, want)


def test_out_is_refused_with_grad_and_written_without():
    t = mg.tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.exp\(\.\.\., out=\.\.\.\)"):
        np.exp(t, out=np.empty_like(A))
    with pytest.raises(TypeError, match=r"np\.sum\(\.\.\., out=\.\.\.\)"):
        np.sum(t, axis=0, out=np.empty(3))
    c, dest = mg.tensor(A), mg.tensor(np.zeros_like(A))
    version = dest._version
    assert np.exp(c, out=dest) is dest
    np.testing.assert_array_equal(dest.data, np.exp(A))
    assert dest._version == version + 1
    arr = np.empty(3)
    assert np.sum(c, axis=0, out=arr) is arr
    np.testing.assert_allclose(arr, A.sum(axis=0))


def test_unsupported_keyword_of_a_mapped_function_is_named():
    with pytest.raises(TypeError, match="np.sum: minigrad's sum does not support the argument.*initial"):
        np.sum(mg.tensor(A, requires_grad=True), initial=1.0)
    np.testing.assert_allclose(np.sum(mg.tensor(A), dtype=None).data, A.sum())  # a default is fine
    with pytest.raises(TypeError, match=r"np\.where: minigrad's where.*cannot take these arguments"):
        np.where(mg.tensor(A, requires_grad=True))
    # on constants, numpy runs on the values instead
    assert np.sum(mg.tensor(A), dtype=np.float32).dtype == np.float32
    assert [i.tolist() for i in np.where(mg.tensor(A) > 0.5)] == [i.tolist() for i in np.where(A > 0.5)]


def test_functions_without_a_gradient_by_nature_run_on_values():
    t = mg.tensor(np.array([1.0, np.nan, 3.0]), requires_grad=True)
    assert np.isnan(t).tolist() == [False, True, False]
    assert np.shape(t) == (3,) and np.ndim(t) == 1 and np.size(t) == 3
    assert np.argsort(mg.tensor(A, requires_grad=True), axis=1).tolist() == np.argsort(A, axis=1).tolist()
    assert np.allclose(mg.tensor(A, requires_grad=True), A)
    assert np.signbit(-t).tolist() == np.signbit(-t.data).tolist()
    assert all(f in NO_GRADIENT for f in (np.shape, np.isnan, np.allclose))
    assert (np.greater(t, 2.0).tolist() == [False, False, True]) and not np.greater(t, 2.0).requires_grad


def test_asarray_refuses_a_tensor_that_requires_grad():
    t = mg.tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match=r"t\.detach\(\), t\.numpy\(\) or t\.data"):
        np.asarray(t)
    with pytest.raises(TypeError, match="requires grad"):
        np.array(t, dtype=np.float32)
    for explicit in (t.numpy(), t.data, np.asarray(t.detach())):
        np.testing.assert_array_equal(explicit, A)
    c = mg.tensor(A)
    assert np.asarray(c) is c.data
    assert np.asarray(c, dtype=np.float32).dtype == np.float32
    assert np.array(c, copy=True) is not c.data


# -- scalars and arrays on either side ----------------------------------------------------------

OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b, "%": lambda a, b: a % b, "//": lambda a, b: a // b,
}


@pytest.mark.parametrize("symbol", OPERATORS)
@pytest.mark.parametrize("other", [np.float64(1.5), np.float32(1.5), 1.5, 2, B + 0.5], ids=[
    "np.float64", "np.float32", "float", "int", "ndarray"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_scalars_and_arrays_on_either_side_record(symbol, other, dtype):
    op = OPERATORS[symbol]
    x = A.astype(dtype) + 0.5
    for left in (True, False):
        t = mg.tensor(x, requires_grad=True)
        got = op(t, other) if left else op(other, t)
        want = op(x, other) if left else op(other, x)
        assert isinstance(got, mg.Tensor) and got.requires_grad, (symbol, type(other))
        assert got.dtype == np.asarray(want).dtype, (symbol, type(other), left)
        np.testing.assert_allclose(got.data, want, rtol=1e-6)
        assert mg.gradcheck(lambda u: op(u, other) if left else op(other, u), x.astype(np.float64))


def test_the_issue_examples_record():
    t = mg.tensor([0.25, 1.75], requires_grad=True)
    y = t % np.float64(1.0)
    y.sum().backward()
    assert t.grad.tolist() == [1.0, 1.0]
    t.grad = None
    (np.float64(2) * t).sum().backward()
    assert t.grad.tolist() == [2.0, 2.0]
    x = mg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    np.prod(x).backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    u = mg.tensor(A, requires_grad=True)
    (np.ones((4, 2)) @ u).sum().backward()
    np.testing.assert_array_equal(u.grad.data, np.full(A.shape, 4.0))


def test_in_place_mod_and_floor_divide():
    base = mg.tensor([5.5, -5.5, 7.0])
    view = base[1:]
    view %= 2.0
    assert base.tolist() == [5.5, 0.5, 1.0]
    x = mg.tensor([5.5, 7.0], requires_grad=True)
    y = x * 1
    y //= 2.0
    assert y.tolist() == [2.0, 3.0] and y.requires_grad
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x %= 2.0


def test_numpys_positional_arguments_mean_what_they_mean_in_numpy():
    t = mg.tensor(A.astype(np.float64), requires_grad=True)
    for func, args in ((np.sum, (0, None, None, True)), (np.mean, (1, np.float32)), (np.prod, (0, np.float32)),
                       (np.max, (1, None, True)), (np.cumsum, (1, np.float32)), (np.var, (0, None, None, 1, True)),
                       (np.ptp, (1, None, True)), (np.argmax, (1,)), (np.any, (0, None, True))):
        got, want = func(t, *args), func(A, *args)
        got = got.data if isinstance(got, mg.Tensor) else np.asarray(got)
        assert got.dtype == want.dtype and got.shape == want.shape, func
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.var(t, correction=1).item() == pytest.approx(np.var(A, ddof=1))
    with pytest.raises(TypeError, match="out= is not supported"):
        mg.sum(t, out=np.empty(()))


def test_ufunc_dtypes_follow_numpys_promotion():
    t32 = mg.tensor(A.astype(np.float32), requires_grad=True)
    assert np.multiply(t32, 2.0).dtype == np.float32                  # Python scalars are weak
    assert np.multiply(t32, np.float64(2.0)).dtype == np.float64      # numpy scalars are not (NEP 50)
    assert np.add(A, t32).dtype == np.float64 and np.add(A.astype(np.float32), t32).dtype == np.float32
    assert np.exp(mg.tensor(np.arange(3))).dtype == np.exp(np.arange(3)).dtype

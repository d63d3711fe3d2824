"""The elementwise math, rounding, reduction and scan ops beyond what the registry-driven property
tests (test_rules.py) check: edge values (zeros for prod and cumprod, nan for fmax, infinities for
nan_to_num, huge values for logcumsumexp), numpy's signatures and results, and misuse."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad.testing import arrays

RNG = np.random.default_rng(0)


def _grad(f, x):
    t = mg.tensor(x, requires_grad=True)
    f(t).backward()
    return t.grad.data


# -- prod and cumprod at zeros ------------------------------------------------------------------

@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [0.0, 2.0, 0.0, 5.0], [1e-200, 1e-200, 4.0]])
def test_prod_gradient_is_exact_at_zeros_and_tiny_values(x):
    x = np.array(x)
    others = np.array([np.prod(np.delete(x, i)) for i in range(len(x))])
    np.testing.assert_array_equal(_grad(mg.prod, x), others)
    assert mg.gradcheck(mg.prod, x) and mg.gradgradcheck(mg.prod, x)


def test_prod_second_order_with_one_zero_is_the_product_of_the_rest():
    x = mg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    (g,) = mg.gradients(mg.prod(x), [x], create_graph=True)
    (h,) = mg.gradients(g[0], [x])  # d/dx (x1 * x2) = [0, x2, x1]
    assert h.tolist() == [0.0, 3.0, 0.0]


@given(x=arrays((3, 4), lo=-2, hi=2), data=st.data())
@settings(max_examples=25, deadline=None)
def test_prod_and_cumprod_against_central_differences_with_zeros(x, data):
    x = np.where(np.abs(x) < 0.7, 0.0, x)
    axis = data.draw(st.sampled_from([0, 1, -1]))
    assert mg.gradcheck(lambda t: mg.prod(t, axis=axis), x)
    assert mg.gradgradcheck(lambda t: mg.prod(t, axis=axis), x)
    assert mg.gradcheck(lambda t: mg.cumprod(t, axis=axis), x)
    assert mg.gradgradcheck(lambda t: mg.cumprod(t, axis=axis), x)


def test_cumprod_gradient_at_a_zero():
    # out = [x0, x0 x1, x0 x1 x2]; d sum / d x1 = x0 + x0 x2
    np.testing.assert_array_equal(_grad(lambda t: mg.cumprod(t).sum(), np.array([2.0, 0.0, 3.0])), [1.0, 8.0, 0.0])


# -- var, std, average, ptp ---------------------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_var_and_std_match_numpy(axis, ddof, keepdims):
    x = RNG.standard_normal((2, 3, 4))
    for ours, theirs in ((mg.var, np.var), (mg.std, np.std)):
        got = ours(mg.tensor(x), axis=axis, ddof=ddof, keepdims=keepdims)
        np.testing.assert_allclose(got.data, theirs(x, axis=axis, ddof=ddof, keepdims=keepdims), rtol=1e-12)
    assert mg.gradcheck(lambda t: mg.std(t, axis=axis, ddof=ddof, keepdims=keepdims), x)
    assert mg.gradgradcheck(lambda t: mg.std(t, axis=axis, ddof=ddof, keepdims=keepdims), x)


def test_var_keeps_float32_and_methods():
    x = mg.tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    assert x.var().dtype == np.float32 and x.std(axis=0).shape == (4,)
    x.var(ddof=1).backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("axis, weights", [(None, None), (1, None), (None, "same"), (1, "1d"), (0, "same")])
def test_average_matches_numpy_and_differentiates_weights(axis, weights):
    a = RNG.uniform(-1, 1, (3, 4))
    w = {None: None, "same": RNG.uniform(0.5, 1.5, (3, 4)), "1d": RNG.uniform(0.5, 1.5, (4,))}[weights]
    avg, scl = mg.average(mg.tensor(a), axis=axis, weights=w, returned=True)
    want_avg, want_scl = np.average(a, axis=axis, weights=w, returned=True)
    np.testing.assert_allclose(avg.data, want_avg, rtol=1e-12)
    np.testing.assert_allclose(scl.data, want_scl, rtol=1e-12)
    if w is not None:
        assert mg.gradcheck(lambda t, u: mg.average(t, axis=axis, weights=u), a, w)


def test_average_misuse_names_the_problem():
    a = mg.tensor(np.ones((3, 4)))
    with pytest.raises(TypeError, match="give axis"):
        mg.average(a, weights=np.ones(4))
    with pytest.raises(ValueError, match="3 weights for axis 1 of length 4"):
        mg.average(a, axis=1, weights=np.ones(3))
    with pytest.raises(ZeroDivisionError, match="weights sum to zero"):
        mg.average(a, axis=1, weights=np.array([1.0, -1.0, 0.0, 0.0]))


def test_ptp_amax_amin():
    x = np.array([[1.0, 5.0, 5.0], [2.0, 2.5, -1.0]])
    np.testing.assert_array_equal(mg.ptp(mg.tensor(x), axis=1).data, np.ptp(x, axis=1))
    assert mg.amax is mg.max and mg.amin is mg.min
    # ties share the gradient: 5.0 twice
    np.testing.assert_allclose(_grad(lambda t: mg.ptp(t, axis=1).sum(), x), [[-1, 0.5, 0.5], [0, 1, -1]])


# -- scans ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_scans_match_numpy(axis):
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(mg.cumsum(mg.tensor(x), axis=axis).data, np.cumsum(x, axis=axis), rtol=1e-12)
    np.testing.assert_allclose(mg.cumprod(mg.tensor(x), axis=axis).data, np.cumprod(x, axis=axis), rtol=1e-12)
    want = np.logaddexp.accumulate(x.reshape(-1) if axis is None else x, axis=0 if axis is None else axis)
    np.testing.assert_allclose(mg.logcumsumexp(mg.tensor(x), axis=axis).data, want, rtol=1e-12)


def test_cumsum_dtype_is_numpys():
    x = np.arange(5, dtype=np.int32)
    assert mg.cumsum(mg.tensor(x)).dtype == np.cumsum(x).dtype
    assert mg.cumsum(mg.tensor(x), dtype=np.float32).dtype == np.float32


def test_logcumsumexp_never_overflows_and_its_gradient_is_finite():
    x = np.array([1000.0, -1000.0, 1000.0, 999.0])
    out = mg.logcumsumexp(mg.tensor(x))
    np.testing.assert_allclose(out.data, np.logaddexp.accumulate(x))
    for create_graph in (False, True):  # the array twin and the Tensor rule
        t = mg.tensor(x, requires_grad=True)
        (g,) = mg.gradients((mg.logcumsumexp(t) * np.array([1.0, -2.0, 0.5, 3.0])).sum(), [t],
                            create_graph=create_graph)
        assert np.isfinite(g.data).all()
        np.testing.assert_allclose(g.data.sum(), 1.0 - 2.0 + 0.5 + 3.0)  # the softmax weights sum to 1


# -- no gradient: numpy's results -----------------------------------------------------------------

def test_any_all_argmax_argmin_return_numpys_results():
    x = np.array([[0.0, 3.0, 3.0], [-1.0, 0.0, 2.0]])
    t = mg.tensor(x, requires_grad=True)
    for name in ("any", "all", "argmax", "argmin"):
        for kwargs in ({}, {"axis": 1}, {"axis": 0, "keepdims": True}):
            got, want = getattr(mg, name)(t, **kwargs), getattr(np, name)(x, **kwargs)
            assert not isinstance(got, mg.Tensor)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(getattr(t, name)(**kwargs), want)


# -- elementwise edge values -----------------------------------------------------------------------

def test_rounding_ops_have_a_zero_gradient():
    x = np.array([-1.5, 0.25, 2.7])
    for f in (mg.floor, mg.ceil, mg.trunc, mg.round, mg.rint, mg.fix, lambda t: t // 2.0):
        out = f(mg.tensor(x, requires_grad=True))
        assert out.requires_grad
        np.testing.assert_array_equal(_grad(lambda t: f(t).sum(), x), np.zeros(3))


def test_round_matches_numpy_halves_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, 0.125, 2.675])
    for decimals in (0, 1, 2):
        np.testing.assert_array_equal(mg.round(mg.tensor(x), decimals).data, np.round(x, decimals))
    assert round(mg.tensor(x)).tolist() == np.round(x).tolist()


@pytest.mark.parametrize("a, b", [(5.5, 2.0), (-5.5, 2.0), (5.5, -2.0), (-5.5, -2.0)])
def test_mod_fmod_floor_divide_signs_and_gradients(a, b):
    for ours, theirs, quotient in ((mg.mod, np.remainder, np.floor), (mg.fmod, np.fmod, np.trunc)):
        ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
        out = ours(ta, tb)
        assert out.item() == theirs(a, b)
        out.backward()
        assert ta.grad.item() == 1.0 and tb.grad.item() == -quotient(a / b)
    assert (mg.tensor(a) // b).item() == a // b
    q, r = divmod(mg.tensor(a), b)
    assert (q.item(), r.item()) == divmod(a, b)


def test_fmax_fmin_send_the_gradient_to_the_input_that_is_not_nan():
    a = np.array([1.0, np.nan, 0.5, 2.0, np.nan])
    b = np.array([0.25, 2.0, np.nan, 2.0, np.nan])
    for ours, theirs, wa in ((mg.fmax, np.fmax, [1, 0, 1, 0.5, 1]), (mg.fmin, np.fmin, [0, 0, 1, 0.5, 1])):
        ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
        out = ours(ta, tb)
        np.testing.assert_array_equal(out.data, theirs(a, b))
        out.sum().backward()
        np.testing.assert_array_equal(ta.grad.data, wa)
        np.testing.assert_array_equal(tb.grad.data, 1 - np.array(wa, dtype=float))


def test_nan_to_num_passes_the_gradient_only_where_finite():
    x = np.array([np.nan, 1.0, np.inf, -np.inf, -2.0])
    out = mg.nan_to_num(mg.tensor(x), nan=7.0, posinf=8.0, neginf=-8.0)
    np.testing.assert_array_equal(out.data, np.nan_to_num(x, nan=7.0, posinf=8.0, neginf=-8.0))
    np.testing.assert_array_equal(_grad(lambda t: mg.nan_to_num(t).sum(), x), [0, 1, 0, 0, 1])


def test_logaddexp_is_stable():
    a = mg.tensor([1000.0, -1000.0], requires_grad=True)
    out = mg.logaddexp(a, 1000.0)
    np.testing.assert_allclose(out.data, np.logaddexp([1000.0, -1000.0], 1000.0))
    out.sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5, 0.0])


@pytest.mark.parametrize("name", ["log1p", "expm1", "log2", "log10", "exp2", "square", "reciprocal", "tan",
                                  "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arctanh",
                                  "deg2rad", "rad2deg", "floor", "ceil", "trunc", "sign"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_values_dtypes_and_methods_match_numpy(name, dtype):
    x = RNG.uniform(0.1, 0.9, (2, 3)).astype(dtype)
    got = getattr(mg, name)(mg.tensor(x))
    want = getattr(np, name)(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.data, want, rtol=1e-6 if dtype == np.float32 else 1e-15)
    np.testing.assert_array_equal(getattr(mg.tensor(x), name)().data, got.data)
    np.testing.assert_array_equal(getattr(mg, name)(x).data, got.data)  # plain arrays are lifted


def test_binary_ops_take_arrays_and_scalars_either_side():
    a, b = RNG.uniform(0.5, 2, (2, 3)), RNG.uniform(0.5, 2, (3,))
    for name in ("arctan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "fmod", "mod", "floor_divide"):
        f = getattr(mg, name)
        want = getattr(np, "remainder" if name == "mod" else name)(a, b)
        for x, y in ((mg.tensor(a), b), (a, mg.tensor(b)), (mg.tensor(a), mg.tensor(b))):
            np.testing.assert_allclose(f(x, y).data, want, rtol=1e-15)
        assert f(mg.tensor(a.astype(np.float32)), 2.0).dtype == np.float32


def test_gradcheck_on_a_transposed_input():
    x = RNG.standard_normal((3, 2)).T  # not C-contiguous: its numeric gradient used to come out 0
    assert mg.gradcheck(lambda t: (mg.square(t) * np.arange(1.0, 4.0)).sum(), x)
    with mg.rules.override(square=lambda g, out, x: (g * x,)):  # a rule that forgets the factor 2
        with pytest.raises(mg.GradcheckError):
            mg.gradcheck(lambda t: mg.square(t).sum(), x)


def test_tensor_methods_match_numpys_methods_and_functions():
    x = RNG.uniform(0.5, 2, (3, 4))
    t = mg.tensor(x)
    for name, kwargs in (("prod", {"axis": 1}), ("cumsum", {"axis": 0}), ("cumprod", {"axis": 1}), ("var", {"ddof": 1}),
                         ("std", {"axis": 0}), ("round", {"decimals": 1}), ("any", {}), ("argmin", {"axis": 0})):
        got = getattr(t, name)(**kwargs)
        np.testing.assert_allclose(got.data if isinstance(got, mg.Tensor) else got, getattr(x, name)(**kwargs), rtol=1e-12)
    np.testing.assert_allclose(t.ptp(axis=1).data, np.ptp(x, axis=1))
    np.testing.assert_allclose(t.logcumsumexp(axis=1).data, np.logaddexp.accumulate(x, axis=1), rtol=1e-12)
    for name in ("arctan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "fmod", "remainder"):
        np.testing.assert_allclose(getattr(t, name)(1.25).data, getattr(np, name)(x, 1.25), rtol=1e-12)


def test_cumprod_gradient_survives_an_underflowing_product():
    x = np.array([1e-200, 1e-200, 1e200])  # out = [1e-200, 0 (underflow), 0 (underflow)]
    # d sum(out) / dx = [1 + x1 + x1 x2, x0 + x0 x2, x0 x1]
    want = [1 + 1e-200 + 1e-200 * 1e200, 1e-200 + 1e-200 * 1e200, 0.0]
    np.testing.assert_allclose(_grad(lambda t: mg.cumprod(t).sum(), x), want, rtol=1e-15)


def test_empty_reductions_and_scans_backprop():
    for f in (lambda t: mg.prod(t, axis=1).sum(), lambda t: mg.cumprod(t, axis=1).sum(),
              lambda t: mg.cumsum(t, axis=1).sum(), lambda t: mg.logcumsumexp(t, axis=1).sum()):
        assert _grad(f, np.zeros((2, 0))).shape == (2, 0)
    np.testing.assert_array_equal(_grad(lambda t: mg.prod(t, axis=0).sum(), np.zeros((0, 3))), np.zeros((0, 3)))

"""erf / erfc: values to double precision (against scipy when installed), dtypes, gradients."""
import math

import numpy as np
import pytest

import minigrad as mg

X = np.concatenate([np.linspace(-6, 6, 241), [0.0, -0.0, 1e-300, -1e-10, 27.0, -27.0, np.inf, -np.inf]])


def test_erf_and_erfc_are_within_two_ulp_of_the_true_value():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 200
    finite = X[np.isfinite(X)]
    for f, exact in ((mg.erf, mpmath.erf), (mg.erfc, mpmath.erfc)):
        truth = np.array([float(exact(mpmath.mpf(float(v)))) for v in finite])
        ulps = np.abs(f(mg.tensor(finite)).data - truth) / np.spacing(np.abs(truth))
        assert ulps.max() <= 2, (f.__name__, ulps.max())


def test_erf_and_erfc_match_scipy():
    special = pytest.importorskip("scipy.special")
    # scipy's own erfc is up to ~26 ulp off the true value (measured against mpmath): rtol 1e-14
    np.testing.assert_allclose(mg.erf(mg.tensor(X)).data, special.erf(X), rtol=1e-14, atol=0)
    # atol: scipy's erfc(27) underflows to 0 (the true value, 5e-319, is a double subnormal)
    np.testing.assert_allclose(mg.erfc(mg.tensor(X)).data, special.erfc(X), rtol=1e-14, atol=1e-300)


def test_erfc_keeps_relative_precision_in_the_tail():
    # 1 - erf(x) would be 0 here; erfc is computed directly
    assert mg.erfc(mg.tensor(10.0)).item() == math.erfc(10.0) > 0


def test_nan_propagates_and_dtypes_are_kept():
    assert np.isnan(mg.erf(mg.tensor([np.nan])).data[0])
    x32 = mg.tensor(np.linspace(-2, 2, 5, dtype=np.float32))
    assert mg.erf(x32).dtype == np.float32 and x32.erfc().dtype == np.float32
    assert mg.erf(mg.tensor([1, 2])).dtype == np.float64  # integers give float64, like numpy's ufuncs
    assert mg.erf(mg.tensor(0.5)).shape == ()


def test_gradients_first_and_second_order():
    x = np.array([[-2.5, -0.3, 0.0], [0.7, 1.9, 3.5]])
    for f in (mg.erf, mg.erfc, lambda t: mg.erf(t * t) * mg.erfc(t)):
        assert mg.gradcheck(f, x) and mg.gradgradcheck(f, x)


def test_derivative_is_the_gaussian_density_times_two_over_sqrt_pi():
    x = mg.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    mg.erf(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 / np.sqrt(np.pi) * np.exp(-x.data ** 2), rtol=1e-15)

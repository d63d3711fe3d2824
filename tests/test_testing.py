"""minigrad.testing is a public tool: its strategies and checker must work on a user's own op."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.testing import SPECS, NumpyDraw, arrays, broadcastable_shapes, check_rule, spec


@mg.primitive(name="user_softplus")
def softplus(x):
    return np.logaddexp(0.0, x)


@softplus.defvjp
def softplus_vjp(g, out, x):
    return (g * mg.sigmoid(x),)


@spec("user_softplus")
def _softplus_spec(d):
    return softplus, [d.array(d.shape(), -4, 4)]


@pytest.fixture(autouse=True, scope="module")
def _unregister():
    yield
    mg.rules._registry.pop("user_softplus", None)
    SPECS.pop("user_softplus", None)


@given(st.data())
def test_check_rule_on_a_user_primitive(data):
    assert check_rule("user_softplus", data)
    assert check_rule("user_softplus", data, order=2)


@given(arrays(away=(0.0,)))
def test_arrays_stay_off_kinks(x):
    assert x.dtype == np.float64 and x.ndim <= 4
    assert np.all(np.abs(x) >= 1e-2)


@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


@given(st.data())
def test_check_rule_catches_a_wrong_rule(data):
    mg.rules.register("user_softplus", lambda g, out, x: (g * mg.sigmoid(x) * 1.1,), replace=True)
    try:
        with pytest.raises(AssertionError, match="softplus"):
            check_rule("user_softplus", data)
    finally:
        softplus.defvjp(softplus_vjp, replace=True)


def test_a_spec_that_does_not_record_its_op_is_rejected():
    SPECS["softplus_fake"] = lambda d: ((lambda x: x * 2), [np.ones(3)])
    try:
        with pytest.raises(AssertionError, match="does not record 'softplus_fake'"):
            check_rule("softplus_fake", NumpyDraw(0))
    finally:
        SPECS.pop("softplus_fake")

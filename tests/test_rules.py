"""Every registered backward rule against central differences, driven from the registry itself.

A rule without test data fails here: registering an op obliges you to say how to test it.
"""
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
import minigrad.nn  # noqa: F401 - registers conv2d, pools, ... so they are checked too
from minigrad.testing import SPECS, check_rule

OPS = mg.rules.names()


def test_every_rule_has_test_data():
    missing = sorted(set(OPS) - set(SPECS))
    assert not missing, f"rules without test data (add @minigrad.testing.spec): {missing}"


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_first_order(op, data):
    assert check_rule(op, data, order=1)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_second_order(op, data):
    assert check_rule(op, data, order=2)

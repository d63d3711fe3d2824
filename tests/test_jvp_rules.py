"""Forward mode (`mg.jvp`) for every registered op against central differences, from its spec.

Forward mode is derived from each op's VJP rule (the transpose of the VJP, minigrad/transforms.py),
so nothing here is op-specific: a new op with a rule and a spec is checked automatically.
First order: J t against (f(x + eps t) - f(x - eps t)) / (2 eps) for a random tangent t.
Second order: the same for the function x -> <v, grad <u, f>(x)> (forward over reverse, which
Hessian-vector products by jvp(grad) use).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
import minigrad.nn  # noqa: F401 - registers conv2d, pools, ... so they are checked too
from minigrad.gradcheck import _verdict, compare_forward, second_order
from minigrad.testing import SPECS, HypothesisDraw

OPS = mg.rules.names()


def _check(op, data, order):
    f, xs = SPECS[op](HypothesisDraw(data))
    xs = [np.asarray(x) for x in xs]
    if order == 2:
        f, xs = second_order(f, xs)
    return _verdict(compare_forward(f, *xs), 1e-5, 1e-3, f"{op!r} {'second-order ' if order == 2 else ''}JVP", "output")


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_jvp_first_order(op, data):
    assert _check(op, data, 1)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_jvp_second_order(op, data):
    assert _check(op, data, 2)

"""Functions composed of recorded ops (no rule of their own), from every family's `CASES` in
minigrad.testing: forward equal to numpy's, gradients exact to first and second order.

The shape family's cases are checked more thoroughly (dtypes, the VJP's own derivative) by
tests/test_shape_ops.py; this covers every other family with the same data.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.testing import HypothesisDraw
from minigrad.testing.specs import CASES

NAMES = sorted(n for n, f in CASES.items() if f.__module__ != "minigrad.testing.specs_shape")


def _flat(out):
    parts = list(out) if isinstance(out, (list, tuple)) else [out]
    return parts


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_matches_numpy(name, data):
    call, arrays = CASES[name](HypothesisDraw(data))
    ours, theirs = _flat(call(mg, *[mg.tensor(a) for a in arrays])), _flat(call(np, *arrays))
    for o, t in zip(ours, theirs):
        assert isinstance(o, mg.Tensor) and o.shape == np.shape(t)
        np.testing.assert_allclose(o.data, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradients_first_and_second_order(name, data):
    call, arrays = CASES[name](HypothesisDraw(data))

    def f(*ts):
        parts = _flat(call(mg, *ts))
        return mg.concatenate([mg.ravel(p) for p in parts]) if len(parts) > 1 else parts[0]
    assert mg.gradcheck(f, *arrays)
    assert mg.gradgradcheck(f, *arrays)

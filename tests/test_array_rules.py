"""The ndarray twins of the built-in rules (the fast path of backward without create_graph).

Each twin must give exactly what its Tensor rule gives: backward with create_graph=True runs the
Tensor rules, without it the twins, so comparing the two on every op's test data checks them all.
Both are also checked against finite differences by test_rules.py (first order runs the twins).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import rules
from minigrad.testing import SPECS, HypothesisDraw

TWINS = sorted(rules._array_twins)


def test_the_common_ops_have_twins():
    for op in ("add", "sub", "mul", "div", "exp", "log", "tanh", "relu", "matmul", "sum", "mean", "reshape",
               "transpose", "getitem", "broadcast_to", "log_softmax"):
        assert op in TWINS, op


def _gradients(f, arrays, create_graph):
    xs = [mg.Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y = f(*xs)
    u = np.random.default_rng(1).standard_normal(y.shape)
    gs = mg.gradients((y * u).sum(), [x for x in xs if x.requires_grad], create_graph=create_graph)
    return [None if g is None else (g.data, g.dtype) for g in gs]


@pytest.mark.parametrize("op", TWINS)
@given(data=st.data())
def test_twin_agrees_with_tensor_rule(op, data):
    f, arrays = SPECS[op](HypothesisDraw(data))
    arrays = [np.asarray(a) for a in arrays]
    fast, tensor_rules = _gradients(f, arrays, False), _gradients(f, arrays, True)
    for a, b in zip(fast, tensor_rules):
        assert (a is None) == (b is None)
        if a is not None:
            assert a[1] == b[1]
            np.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-12)


def test_twin_keeps_float32():
    x = mg.tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
    (mg.tanh(x * 2.0) / 3.0 + mg.exp(x) ** 2).sum().backward()
    assert x.grad.dtype == np.float32


def test_override_wins_over_twin():
    x = mg.tensor([-1.0, 2.0], requires_grad=True)
    with mg.rules.override(relu=lambda g, out, x: (g * 7.0,)):
        mg.relu(x).sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]


def test_registering_another_rule_retires_the_twin_until_the_original_is_back():
    original = rules.builtin("neg")
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    try:
        rules.register("neg", lambda g, out, x: (g * 5.0,), shape_only=True, replace=True)
        (-x).sum().backward()
        assert x.grad.tolist() == [5.0, 5.0]
    finally:
        rules.register("neg", original, shape_only=True, replace=True)
    assert rules.array_rule("neg", original) is not None
    x.grad = None
    (-x).sum().backward()
    assert x.grad.tolist() == [-1.0, -1.0]


def test_twin_needs_the_rule_first():
    with pytest.raises(KeyError, match="register the op's rule first"):
        rules.register_array("no_such_op_anywhere", lambda g, out, x: (g,))

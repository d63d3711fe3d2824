"""The engine's fast paths (issue 21) give the same answers and refusals as the general ones.

- in-place detection by stamps: a node saves nothing; backward refuses exactly the nodes that
  consumed a value changed in place after them, whatever else changed before or since;
- Python-float/int operands of float tensors skip np.result_type: same dtype and values as numpy;
- the tape walk skips its sort when it comes out in tape order (a chain), sorts otherwise;
- reduction twins fill their gradient instead of broadcasting a view; sum_to's bias shortcut.
"""
import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import engine

# -- in-place detection by stamps -------------------------------------------------------------


def test_a_change_before_the_op_is_no_change_for_it():
    x = mg.tensor([1.0, 2.0])
    x += 1
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 3.0])


def test_a_change_of_another_tensor_after_the_op_refuses_nothing():
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    x, other = mg.tensor([1.0, 2.0]), mg.tensor([5.0, 6.0])
    y = (w * x).sum()
    other += 1  # newer than the node: backward looks, and finds that no input of it changed
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0])


def test_only_the_nodes_older_than_the_change_are_refused():
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    x = mg.tensor([1.0, 2.0])
    old = (w * x).sum()
    x *= 2
    new = (w * x).sum()
    new.backward()  # recorded after the change: uses the new value
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])
    with pytest.raises(RuntimeError, match=r"input 1 .*'mul'.*modified in place.*version 1 now"):
        old.backward()


def test_version_still_counts_changes_and_a_copy_starts_unchanged():
    x = mg.tensor([1.0, 2.0])
    x += 1
    x[0] = 5.0
    assert x._version == 2
    for twin in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert twin._version == 2
        w = mg.tensor([1.0, 1.0], requires_grad=True)
        (w * twin).sum().backward()  # the copy's stamp means nothing on this clock: no refusal
        np.testing.assert_array_equal(w.grad.data, [5.0, 3.0])


def test_optimizer_step_refuses_a_stale_graph_and_the_next_one_works():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    opt.zero_grad()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, 2 * np.array([0.8, 1.6]))


# -- Python scalars -----------------------------------------------------------------------------

FLOATS = [np.float16, np.float32, np.float64, np.longdouble]
SCALARS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.integers(min_value=-2**80, max_value=2**80))


@settings(max_examples=200, deadline=None)
@given(dtype=st.sampled_from(FLOATS), scalar=SCALARS, op=st.sampled_from(["add", "sub", "mul", "div"]),
       scalar_first=st.booleans())
def test_python_scalar_operands_take_numpys_dtype_and_values(dtype, scalar, op, scalar_first):
    a = np.array([0.5, -2.0, 3.0], dtype=dtype)
    fn = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide}[op]
    with np.errstate(all="ignore"):
        want = fn(scalar, a) if scalar_first else fn(a, scalar)
        t = mg.tensor(a, requires_grad=True)
        got = getattr(mg, op)(scalar, t) if scalar_first else getattr(mg, op)(t, scalar)
    assert got.dtype == want.dtype == dtype
    np.testing.assert_array_equal(got.data, want)
    const = got._node.inputs[0 if scalar_first else 1]
    assert const.dtype == dtype and not const.requires_grad


@pytest.mark.parametrize("dtype", FLOATS)
def test_scalar_chain_gradient_keeps_the_dtype(dtype):
    x = mg.tensor(np.array([0.3, -0.2], dtype=dtype), requires_grad=True)
    y = ((x * 1.5 + 2) - 0.25) / 3
    y.sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.data.astype(np.float64), [0.5, 0.5], rtol=1e-3)


def test_other_scalars_still_go_through_result_type():
    x = mg.tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert (x * np.float64(2.0)).dtype == np.float64   # a numpy scalar is not weak
    assert (x * True).dtype == np.float32
    assert (mg.tensor(np.array([1, 2])) * 1.5).dtype == np.float64  # integer tensor: numpy's promotion


# -- the tape walk ------------------------------------------------------------------------------

UNARY = ["tanh", "sin", "exp", "cos"]


@settings(max_examples=60, deadline=None)
@given(program=st.lists(st.tuples(st.sampled_from(UNARY + ["add", "mul"]), st.integers(0, 50),
                                  st.integers(0, 50)), min_size=1, max_size=12))
def test_any_graph_gets_the_central_difference_gradient(program):
    """Random programs over a growing list of values: chains (walked in order, no sort) and graphs
    with branches and reuse (sorted) alike."""
    def f(x):
        vals = [x, x * 0.5]
        for op, i, j in program:
            a, b = vals[i % len(vals)], vals[j % len(vals)]
            v = getattr(mg, op)(a) if op in UNARY else getattr(mg, op)(a, b)
            vals.append(mg.tanh(v) if op in ("mul", "exp") else v)  # keeps values moderate
        return vals[-1]
    x0 = np.array([0.3, -0.7, 0.1])
    assert mg.gradcheck(f, mg.tensor(x0, requires_grad=True))
    y = f(mg.tensor(x0, requires_grad=True))
    seqs = [seq for seq, _, _ in engine._tape([y])]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)


def test_a_chain_and_a_diamond_both_come_out_latest_first():
    x = mg.tensor([0.5], requires_grad=True)
    chain = mg.sin(mg.tanh(x * 2.0))
    a = mg.exp(x)
    diamond = mg.tanh(a) * mg.sin(a) + a
    for y in (chain, diamond):
        nodes, outs = engine._walk([y])
        seqs = [n.seq for n in nodes]
        assert seqs == sorted(seqs, reverse=True)
        assert all(t._node is n for n, t in zip(nodes, outs))
    diamond.backward()
    e = np.exp(0.5)
    want = (1 - np.tanh(e) ** 2) * e * np.sin(e) + np.tanh(e) * np.cos(e) * e + e
    np.testing.assert_allclose(x.grad.data, [want], rtol=1e-12)


# -- reduction twins and sum_to -------------------------------------------------------------------

@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "logsumexp"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_reduction_gradients_are_full_writable_arrays_of_the_input_dtype(reduce, axis, keepdims):
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = mg.tensor(data, requires_grad=True)
    out = getattr(mg, reduce)(x, axis=axis, keepdims=keepdims)
    (out * 2.0).sum().backward()
    g = x.grad.data
    assert g.shape == (2, 3) and g.dtype == np.float32 and g.flags.writeable and g.flags.owndata
    ref = mg.tensor(data.astype(np.float64), requires_grad=True)
    assert mg.gradcheck(lambda t: getattr(mg, reduce)(t, axis=axis, keepdims=keepdims), ref)


def test_mean_of_a_scalar_loss_and_of_an_empty_axis():
    x = mg.tensor(np.ones((4, 5)), requires_grad=True)
    x.mean().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((4, 5), 1 / 20))
    e = mg.tensor(np.ones((0, 3)), requires_grad=True)
    e.sum(axis=0).sum().backward()
    assert e.grad.shape == (0, 3)


def test_sum_to_bias_shortcut_and_refusal():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(engine.sum_to(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(engine.sum_to(g, (3, 4)), g.sum(axis=0))
    np.testing.assert_array_equal(engine.sum_to(g, (3, 1)), g.sum(axis=(0, 2), keepdims=True)[0])
    with pytest.raises(ValueError, match="not broadcast-compatible"):
        engine.sum_to(g, (2, 4))


"""The engine's semantics: dtypes, accumulation, freeing, tapes, higher order, overrides, primitives."""
import gc
import threading
import weakref

import numpy as np
import pytest

import minigrad as mg


def test_dtypes_follow_numpy():
    assert mg.tensor(1.5).dtype == np.float64
    assert mg.tensor([1, 2]).dtype == np.int64
    x = mg.tensor(np.ones(3, np.float32), requires_grad=True)
    y = (x * 2.0 + 1).exp() / 3
    assert y.dtype == np.float32  # Python scalars must not promote float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_leaf_gradient_has_the_leaf_dtype_even_when_mixed():
    x = mg.tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * np.arange(3.0)  # float64 array promotes the result, as numpy does
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0, 1, 2])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        mg.tensor([1, 2], requires_grad=True)


def test_reuse_accumulates_and_backward_accumulates_into_grad():
    x = mg.tensor([3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, [7.0])
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [9.0])  # PyTorch semantics: .grad accumulates


def test_broadcasting_gradients_are_summed_to_input_shapes():
    a = mg.tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = mg.tensor(np.ones(4)[:, None], requires_grad=True)  # (4, 1)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad, 4.0)
    np.testing.assert_allclose(b.grad, 6.0)


def test_non_scalar_backward_needs_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-scalar.*shape \\(2,\\).*grad"):
        (x * 2).backward()
    (x * 2).backward(grad=np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 20.0])
    with pytest.raises(ValueError, match="\\(3,\\).*\\(2,\\)"):
        (x * 2).backward(grad=np.ones(3))


def test_second_backward_through_freed_graph_mentions_retain_graph():
    x = mg.tensor(2.0, requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = mg.tensor(2.0, requires_grad=True)
    y = x * x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(24.0)


def test_backward_frees_saved_values():
    x = mg.tensor(np.ones(3), requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h)
    y = (h * 2).sum()
    del h
    assert ref() is not None  # the tape keeps it for backward
    y.backward()
    gc.collect()
    assert ref() is None  # and lets go of it after


def test_a_chain_of_100k_ops_backprops_without_recursion():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_no_grad_as_context_and_decorator():
    x = mg.tensor(1.0, requires_grad=True)
    with mg.no_grad():
        assert not (x * 2).requires_grad
        with mg.enable_grad():
            assert (x * 2).requires_grad

    @mg.no_grad
    def f(t):
        return t * 2

    @mg.no_grad()
    def g(t):
        return t * 2
    assert not f(x).requires_grad and not g(x).requires_grad
    assert (x * 2).requires_grad


def test_backward_on_untracked_tensor_is_an_error():
    x = mg.tensor(1.0, requires_grad=True)
    with mg.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad.*no_grad"):
        y.backward()


def test_tape_gradient_watch_and_persistence():
    x = mg.tensor([1.0, 2.0])
    with mg.Tape() as tape:
        tape.watch(x)
        y = (x ** 3).sum()
    (dx,) = tape.gradient(y, [x])
    np.testing.assert_allclose(dx, [3.0, 12.0])
    assert x.grad is None and not x.requires_grad  # a tape leaves .grad alone and releases watches
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, [x])

    w = mg.tensor(3.0, requires_grad=True)
    with mg.Tape(persistent=True) as tape:
        z = w * w
    assert tape.gradient(z, w).item() == 6.0
    assert tape.gradient(z, w).item() == 6.0


def test_tape_gradient_of_an_intermediate():
    w = mg.tensor(2.0, requires_grad=True)
    with mg.Tape() as tape:
        h = w * 3
        y = h * h
    dh, dw = tape.gradient(y, [h, w])
    assert dh.item() == 12.0 and dw.item() == 36.0


def test_grad_nests_for_higher_orders():
    f = lambda x: (x ** 3).sum()  # noqa: E731
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(mg.grad(f)(x), 3 * x ** 2)
    np.testing.assert_allclose(mg.grad(lambda x: mg.grad(f)(x).sum())(x), 6 * x)
    d3 = mg.grad(lambda x: mg.grad(lambda x: mg.grad(f)(x).sum())(x).sum())(x)
    np.testing.assert_allclose(d3, [6.0, 6.0])
    dx, dy = mg.grad(lambda a, b: (a * b.sin()).sum(), argnums=(0, 1))(x, x)
    np.testing.assert_allclose(dx, np.sin(x))
    np.testing.assert_allclose(dy, x * np.cos(x))


def test_create_graph_gives_differentiable_grads():
    x = mg.tensor(3.0, requires_grad=True)
    y = x ** 4
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad and gx.item() == pytest.approx(108.0)
    x.grad = None
    gx.backward()
    assert x.grad.item() == pytest.approx(108.0)  # d/dx 4x^3 = 12x^2 = 108


def test_tie_conventions():
    x = mg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    mg.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1])  # relu'(0) = 0
    x.grad = None
    mg.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [-1, 0, 1])  # |x|'(0) = 0
    t = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    t.max().backward()
    np.testing.assert_array_equal(t.grad, [0, 0.5, 0.5])  # ties share equally
    a, b = mg.tensor(1.0, requires_grad=True), mg.tensor(1.0, requires_grad=True)
    mg.maximum(a, b).backward()
    assert a.grad.item() == b.grad.item() == 0.5
    c = mg.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    c.clip(-1.0, 0.5).sum().backward()
    np.testing.assert_array_equal(c.grad, [1, 1, 0])  # bounds pass the gradient


def test_integer_index_repeats_accumulate_and_masks_work():
    x = mg.tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 0, 3, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 0, 0, 1])
    x.grad = None
    x[x > 1.5].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1, 1])
    x.grad = None
    x[None, ..., 1:].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1])


def test_logsumexp_and_softmax_are_stable():
    x = mg.tensor([1000.0, 1000.0, -1000.0], requires_grad=True)
    y = mg.logsumexp(x)
    assert y.item() == pytest.approx(1000 + np.log(2))
    y.backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.0])
    assert np.all(np.isfinite(mg.log_softmax(x).data[:2]))
    np.testing.assert_allclose(mg.softmax(x).data, [0.5, 0.5, 0.0])


def test_rule_override_is_scoped_to_with_block():
    x = mg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    g = np.array([5.0, -1.0, 2.0])
    with mg.rules.override(relu=mg.rules.guided_relu):
        mg.relu(x).backward(grad=g)
    np.testing.assert_array_equal(x.grad, [0, 0, 2])  # x > 0 and g > 0
    x.grad = None
    y = x.relu()
    with mg.rules.override(relu=mg.rules.deconv_relu):
        y.backward(grad=g, retain_graph=True)
    np.testing.assert_array_equal(x.grad, [5, 0, 2])  # g > 0, whatever x
    x.grad = None
    y.backward(grad=g)  # recorded the same way; outside the scope the built-in rule is back
    np.testing.assert_array_equal(x.grad, [0, -1, 2])


def test_override_is_undone_after_an_exception_and_invisible_to_other_threads():
    with pytest.raises(ZeroDivisionError):
        with mg.rules.override(relu=mg.rules.guided_relu):
            1 / 0
    assert mg.rules.get("relu") is mg.rules.builtin("relu")

    seen = {}
    inside, release = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen["rule"] = mg.rules.get("relu")
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with mg.rules.override(relu=mg.rules.guided_relu):
        inside.set()
        release.wait()
        assert mg.rules.get("relu") is mg.rules.guided_relu
    t.join()
    assert seen["rule"] is mg.rules.builtin("relu")


def test_override_of_unknown_op_is_an_error_naming_it():
    with pytest.raises(KeyError, match="'rleu'"):
        with mg.rules.override(rleu=mg.rules.guided_relu):
            pass
    with pytest.raises(KeyError, match="unknown rule preset 'nope'"):
        with mg.rules.override("nope"):
            pass


def test_preset_by_name():
    x = mg.tensor([-1.0, 2.0], requires_grad=True)
    with mg.rules.override("guided"):
        mg.relu(x).backward(grad=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [0, 0])


def test_primitive_and_defvjp():
    @mg.primitive
    def cube(x):
        return x ** 3

    assert cube.op.endswith("test_engine.test_primitive_and_defvjp.<locals>.cube")  # never a built-in's name
    with pytest.raises(KeyError, match="no backward rule registered for op '.*cube'"):
        cube(mg.tensor(2.0, requires_grad=True)).backward()

    @cube.defvjp
    def cube_vjp(g, out, x):
        return (g * 3 * x ** 2,)

    try:
        x = mg.tensor(2.0, requires_grad=True)
        cube(x).backward()
        assert x.grad.item() == 12.0
        assert mg.gradcheck(lambda t: cube(t), np.array([0.5, -1.5]))
        assert mg.gradgradcheck(lambda t: cube(t), np.array([0.5, -1.5]))
    finally:
        mg.rules._registry.pop(cube.op)


def test_gradcheck_catches_a_wrong_rule():
    @mg.primitive
    def square_wrong(x):
        return x * x

    @square_wrong.defvjp
    def bad(g, out, x):
        return (g * x,)  # should be 2 * g * x

    try:
        with pytest.raises(mg.GradcheckError, match="input 0.*analytic.*numeric"):
            mg.gradcheck(square_wrong, np.array([1.0, 2.0]))
        assert isinstance(mg.GradcheckError("x"), AssertionError)
    finally:
        mg.rules._registry.pop(square_wrong.op)


def test_matmul_shapes_and_errors():
    a = mg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="\\(2, 3\\).*\\(4, 5\\)"):
        a @ np.ones((4, 5))
    assert (a @ np.ones(3)).shape == (2,)
    assert (np.ones((4, 1, 2)) @ a).shape == (4, 1, 3)


def test_broadcast_error_names_both_shapes():
    with pytest.raises(ValueError, match="\\(2, 3\\) and \\(4,\\)"):
        mg.tensor(np.ones((2, 3))) + mg.tensor(np.ones(4))


def test_memory_stays_flat_over_training_steps():
    import tracemalloc
    w = mg.tensor(np.random.default_rng(0).standard_normal((20, 5)), requires_grad=True)
    x = np.random.default_rng(1).standard_normal((8, 20))

    def step():
        loss = mg.log_softmax(mg.relu(mg.tensor(x) @ w), axis=1).mean()
        loss.backward()
        w.grad = None

    for _ in range(50):
        step()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(2000):
        step()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 64 * 1024, f"memory grew by {after - before} bytes over 2000 steps"

"""Regression tests for the edge cases of issue 15: each one returned a silently wrong number before.

Every case ends as either numpy's value / PyTorch's gradient, or a clear error.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import gradcheck


# -- 1. every .grad owns writable memory ---------------------------------------------------------

def _independent(*arrays):
    for i, a in enumerate(arrays):
        assert a.flags.writeable
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)


def test_grads_passed_through_add_are_not_shared():
    a, b, c = (mg.tensor(np.full(3, v), requires_grad=True) for v in (1.0, 2.0, 3.0))
    ((a + b) * c).sum().backward()
    _independent(a.grad.data, b.grad.data, c.grad.data)
    a.grad.data *= 0.5  # gradient clipping scales in place: the other gradient must not move
    np.testing.assert_array_equal(b.grad.data, [3.0, 3.0, 3.0])


def test_grad_of_a_sum_is_writable():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad.data *= 0.5
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 0.5))


def test_seed_array_is_not_stored_as_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0])
    x.backward(seed)
    assert not np.shares_memory(x.grad.data, seed)
    x.grad.data *= 3
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_seed_passed_through_to_several_leaves_and_a_retained_root():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    y = (a + b).retain_grad()
    seed = np.array([1.0, 2.0])
    y.backward(seed)
    _independent(a.grad.data, b.grad.data, y.grad.data, seed)


def test_views_of_one_gradient_are_not_shared():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0], requires_grad=True)
    (mg.concatenate([a, b]) * 2).reshape(3, 1).sum().backward()
    _independent(a.grad.data, b.grad.data)
    a, b = mg.tensor(np.ones((2, 2)), requires_grad=True), mg.tensor(np.ones((2, 2)), requires_grad=True)
    (mg.stack([a, b]) * 1.0).sum().backward()
    _independent(a.grad.data, b.grad.data)


def test_returned_gradients_are_not_shared():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    ga, gb = mg.gradients((a + b).sum(), [a, b])
    _independent(ga.data, gb.data)
    ga, gb = mg.grad(lambda x, y: (x + y).sum(), argnums=(0, 1))(np.ones(2), np.ones(2))
    _independent(ga.data, gb.data)


def test_create_graph_gradients_are_not_shared_and_stay_differentiable():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    (a * a + b).sum().backward(create_graph=True)
    assert not np.shares_memory(a.grad.data, b.grad.data)
    ga, gb = mg.gradients((a * b + a).sum(), [a, b], create_graph=True)
    (ga * gb).sum().backward()  # d/da sum((b+1)*a) = b + 1, d/db = a
    _independent(ga.data, gb.data)


def test_a_user_rule_returning_one_array_twice():
    @mg.primitive
    def twice(x, y):
        return 2 * x + 2 * y

    @twice.defvjp
    def twice_vjp(g, out, x, y):
        shared = g * 2
        return shared, shared

    x, y = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    try:
        twice(x, y).sum().backward()
    finally:
        mg.rules._registry.pop(twice.op)
    _independent(x.grad.data, y.grad.data)


# -- 5. registering over an existing rule is refused; primitives never take a built-in's name ------

def test_register_over_an_existing_rule_is_refused():
    with pytest.raises(ValueError, match="'exp' already has a backward rule.*replace=True"):
        mg.rules.register("exp", lambda g, out, x: (g,))
    original = mg.rules.builtin("exp")
    x = mg.tensor([1.0], requires_grad=True)
    try:
        mg.rules.register("exp", lambda g, out, x: (g * 0,), replace=True)
        mg.exp(x).sum().backward()
        assert x.grad.item() == 0.0
    finally:
        mg.rules.register("exp", original, replace=True)
    x.grad = None
    mg.exp(x).sum().backward()
    assert x.grad.item() == pytest.approx(np.e)


def test_a_primitive_named_like_a_builtin_leaves_the_builtin_alone():
    @mg.primitive
    def exp(a):
        return np.exp(a)

    @exp.defvjp
    def wrong(g, out, a):
        return (g * 0,)

    try:
        assert exp.op != "exp"
        x = mg.tensor([1.0], requires_grad=True)
        mg.exp(x).sum().backward()
        assert x.grad.item() == pytest.approx(np.e)
        x.grad = None
        exp(x).sum().backward()
        assert x.grad.item() == 0.0
    finally:
        mg.rules._registry.pop(exp.op)


def test_an_explicit_primitive_name_that_is_taken_is_refused():
    square = mg.primitive(lambda a: a * a, name="exp")
    with pytest.raises(ValueError, match="'exp' already has a backward rule"):
        square.defvjp(lambda g, out, a: (2 * g * a,))


def test_redefining_the_same_primitive_replaces_its_rule():
    for k in (2.0, 3.0):
        @mg.primitive
        def scale(a):
            return a * k

        @scale.defvjp
        def scale_vjp(g, out, a, k=k):
            return (g * k,)

        x = mg.tensor([1.0], requires_grad=True)
        scale(x).sum().backward()
        assert x.grad.item() == k
    mg.rules._registry.pop(scale.op)


# -- 2. pow at base 0: PyTorch's zeros, first and second order, the rule and its array twin ---------

@pytest.mark.parametrize("create_graph", [False, True], ids=["array twin", "tensor rule"])
def test_pow_at_base_zero_first_order(create_graph):
    a = mg.tensor([0.0, 0.0, 0.0, 2.0], requires_grad=True)
    b = mg.tensor([0.0, 1.0, 1.5, 0.0], requires_grad=True)
    ga, gb = mg.gradients((a ** b).sum(), [a, b], create_graph=create_graph)
    np.testing.assert_array_equal(ga.data, [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(gb.data, [0.0, 0.0, 0.0, np.log(2.0)])


def test_pow_at_base_zero_second_order():
    zero = np.zeros(1)
    for k in (0, 1, 2):
        d2 = mg.grad(lambda t: mg.grad(lambda u: (u ** k).sum())(t).sum())(zero)
        assert d2.tolist() == [[0.0], [0.0], [2.0]][k]
    d2 = mg.grad(lambda t: mg.grad(lambda u: mg.power(0.0, u).sum())(t).sum())(np.array([1.5]))
    assert d2.tolist() == [0.0]


def test_pow_at_base_zero_matches_finite_differences():
    assert mg.gradcheck(lambda a: a ** np.array([0, 1, 2, 3]), np.zeros(4))
    assert mg.gradgradcheck(lambda a: a ** np.array([0, 1, 2, 3]), np.zeros(4))
    assert mg.gradcheck(lambda b: mg.power(np.zeros(3), b), np.array([0.5, 1.0, 2.0]))
    assert mg.gradgradcheck(lambda b: mg.power(np.zeros(3), b), np.array([0.5, 1.0, 2.0]))
    assert mg.gradgradcheck(lambda a, b: a ** b, np.array([0.5, 2.0]), np.array([0.0, 0.0]))


def test_gradcheck_rejects_a_nan_gradient():
    @mg.primitive
    def nan_rule(a):
        return a * 2

    nan_rule.defvjp(lambda g, out, a: (g * np.nan,))
    try:
        with pytest.raises(mg.GradcheckError, match="analytic nan"):
            mg.gradcheck(nan_rule, np.ones(2))
    finally:
        mg.rules._registry.pop(nan_rule.op)


# -- 6. arrays the forward read, changed by the caller afterwards, do not change the gradient -------

def _grad_after_mutation(f, mutate, x0):
    x = mg.tensor(x0, requires_grad=True)
    y = f(x)
    mutate()
    y.sum().backward()
    return x.grad.data


def test_mutating_a_where_mask_after_the_forward():
    cond = np.array([True, False, True])
    g = _grad_after_mutation(lambda x: mg.where(cond, x, 0.0), lambda: cond.fill(False), np.ones(3))
    np.testing.assert_array_equal(g, [1.0, 0.0, 1.0])


@pytest.mark.parametrize("wrap", [np.array, list, mg.tensor], ids=["array", "list", "tensor"])
def test_mutating_an_index_array_after_the_forward(wrap):
    idx = wrap([0, 0, 2])
    g = _grad_after_mutation(lambda x: x[idx] * mg.tensor([1.0, 2.0, 3.0]), lambda: idx.__setitem__(0, 1),
                             np.ones(3))
    np.testing.assert_array_equal(g, [3.0, 0.0, 3.0])


def test_mutating_index_arrays_of_scatter_add_and_index_update():
    idx = np.array([0, 2])
    g = _grad_after_mutation(lambda x: mg.scatter_add(x, idx, (4,)) * np.arange(4.0), lambda: idx.fill(1),
                             np.ones(2))
    np.testing.assert_array_equal(g, [0.0, 2.0])
    idx = np.array([0, 2])
    g = _grad_after_mutation(lambda x: mg.index_update(x, idx, mg.tensor([5.0, 5.0])), lambda: idx.fill(1),
                             np.ones(3))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_mutating_clip_bounds_and_labels_after_the_forward():
    lo = np.array([0.0, 0.0])
    g = _grad_after_mutation(lambda x: mg.clip(x, lo, None), lambda: lo.fill(5.0), np.ones(2))
    np.testing.assert_array_equal(g, [1.0, 1.0])
    labels = np.array([0, 1])
    g = _grad_after_mutation(lambda x: mg.nn.functional.cross_entropy(x, labels), lambda: labels.fill(2),
                             np.zeros((2, 3)))
    np.testing.assert_allclose(g, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, -1 / 3, 1 / 6]])


# -- 7. mg.Tape gives watched tensors back their requires_grad when the block ends ------------------

def test_tape_restores_requires_grad_without_a_gradient_call():
    w = mg.tensor([1.0, 2.0])
    with mg.Tape() as tape:
        tape.watch(w)
        (w * w).sum()
    assert not w.requires_grad
    assert not (w * 2).requires_grad


@pytest.mark.parametrize("persistent", [False, True])
def test_tape_gradient_after_the_block_still_works(persistent):
    w = mg.tensor([1.0, 2.0])
    with mg.Tape(persistent=persistent) as tape:
        tape.watch(w)
        loss = (w * w).sum()
    assert not w.requires_grad
    np.testing.assert_array_equal(tape.gradient(loss, [w])[0].data, [2.0, 4.0])
    assert not w.requires_grad
    if persistent:
        np.testing.assert_array_equal(tape.gradient(loss, w).data, [2.0, 4.0])


# -- 4. complex values are refused wherever a gradient would need them -----------------------------

def test_complex_tensors_cannot_require_grad():
    z = np.array([1 + 2j])
    for make in (lambda: mg.Tensor(z, requires_grad=True), lambda: mg.tensor(z, requires_grad=True),
                 lambda: mg.tensor(z).requires_grad_(), lambda: mg.Tape().watch(mg.tensor(z)),
                 lambda: mg.grad(lambda t: mg.abs(t * t).sum())(z)):
        with pytest.raises(TypeError, match="complex|real floating-point"):
            make()


def test_complex_intermediates_are_refused():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="complex gradient reached a real input"):
        mg.abs(x * (1 + 2j)).sum().backward()
    with pytest.raises(TypeError, match="complex"):
        (x * 1j).sum().backward()
    with pytest.raises(TypeError, match="real values only"):
        x.astype(np.complex128)
    with mg.no_grad():
        assert x.astype(np.complex128).dtype == np.complex128
    assert (mg.tensor([1 + 1j]) * 2).tolist() == [2 + 2j]  # complex values without gradients still work


# -- 8. smaller ones -------------------------------------------------------------------------------

def test_flatten_checks_its_dims_like_torch():
    with pytest.raises(ValueError, match="start_dim 1 is out of range for a tensor of shape \\(3,\\)"):
        mg.flatten(mg.tensor([1.0, 2.0, 3.0]), 1)
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        mg.flatten(mg.tensor(np.ones((2, 3, 4))), 2, 1)
    assert mg.flatten(mg.tensor(np.ones((2, 3, 4))), -2).shape == (2, 12)
    assert mg.flatten(mg.tensor(np.ones((0, 3, 4))), 1).shape == (0, 12)
    assert mg.flatten(mg.tensor(5.0)).shape == (1,)
    with pytest.raises(ValueError, match="out of range"):
        mg.nn.Flatten()(mg.tensor([1.0, 2.0]))


def test_tie_conventions_of_max_and_max_pool_differ_as_documented():
    x = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    mg.nn.functional.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1.0, 0.0], [0.0, 0.0]])  # the first maximum
    x.grad = None
    mg.max(x, axis=(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], np.full((2, 2), 0.25))  # shared equally


def test_a_value_error_that_is_not_about_broadcasting_keeps_numpys_message():
    with pytest.raises(ValueError, match="^pow: Integers to negative integer powers are not allowed"):
        mg.tensor([2, 3]) ** -2
    with pytest.raises(ValueError, match="add: operands of shapes \\(2,\\) and \\(3,\\) cannot be broadcast"):
        mg.tensor([1.0, 2.0]) + np.ones(3)
    with pytest.raises(ValueError, match="^where: operands of shapes \\(2,\\), \\(3,\\) and \\(\\) cannot be"):
        mg.where(np.ones(2, bool), np.ones(3), 0.0)
    with pytest.raises(ValueError, match="read-only"):
        x = mg.broadcast_to(mg.tensor([1.0]), (3,))
        x += 1


def test_numpy_floor_matches_what_the_code_uses():
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    floor = re.search(r'"numpy>=([\d.]+)"', (root / "pyproject.toml").read_text()).group(1)
    uses_exceptions = any("np.exceptions" in p.read_text() for p in (root / "minigrad").rglob("*.py"))
    if uses_exceptions:  # numpy.exceptions appeared in 1.25
        assert tuple(map(int, floor.split("."))) >= (1, 25)


# -- 3. in-place changes and views inside a graph: numpy's values, exact gradients -------------------

def test_inplace_on_a_view_writes_through_and_differentiates():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    base = mg.tensor(np.zeros(4))
    v = base[1:3]
    v += w
    np.testing.assert_array_equal(base.data, [0.0, 1.0, 2.0, 0.0])  # numpy: the base sees it
    assert base.requires_grad and v.requires_grad
    (base * mg.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [10.0, 100.0])


def test_an_earlier_view_sees_an_item_assignment_and_its_gradient():
    w = mg.tensor([5.0, 6.0], requires_grad=True)
    h = mg.tensor(np.arange(4.0))
    head = h[:2]
    h[0] = w[0]
    np.testing.assert_array_equal(head.data, [5.0, 1.0])
    (head * head).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [10.0, 0.0])


def test_views_of_views_reshapes_and_transposes_follow_the_change():
    w = mg.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    x = mg.tensor(np.zeros((3, 4)), requires_grad=True)
    h = x * 1.0
    t = h.T                    # (4, 3), a transposed view
    corner = t[1:3, ::2]       # (2, 2) view of a view: h[0, 1:3] and h[2, 1:3]
    flat = h.reshape(-1)       # a reshape view
    corner *= w[:, :2]         # zeros stay zero: the values come from the add below
    corner += w[:, 1:]
    ref = np.zeros((3, 4))
    ref.T[1:3, ::2] += w.data[:, 1:]
    np.testing.assert_array_equal(h.data, ref)
    np.testing.assert_array_equal(flat.data, ref.reshape(-1))
    u = np.random.default_rng(0).standard_normal(12)
    (flat * flat * u).sum().backward()
    g_corner = (2 * ref.reshape(-1) * u).reshape(3, 4).T[1:3, ::2]
    g = np.zeros((2, 3))
    g[:, 1:] = g_corner  # the *= contributes corner's old value, 0
    np.testing.assert_allclose(w.grad.data, g)
    np.testing.assert_allclose(x.grad.data.T[1:3, ::2], g_corner * w.data[:, :2])


def test_inplace_and_views_match_finite_differences_first_and_second_order():
    def f(w):
        h = w * 1.5
        h += w * w
        h[1:3] = h[0:2] - 2.0   # reads a view of h, then writes over part of it
        tail = h[2:]
        tail *= mg.tanh(w[:2])  # through a view
        h.reshape(2, 2)[:, 0] -= w[3] * w[1]
        return h * h[::-1]
    w0 = np.array([0.3, -0.7, 1.1, 0.4])
    ref = w0 * 1.5 + w0 * w0
    ref[1:3] = ref[0:2] - 2.0
    ref[2:] *= np.tanh(w0[:2])
    ref.reshape(2, 2)[:, 0] -= w0[3] * w0[1]
    np.testing.assert_allclose(f(mg.tensor(w0)).data, ref * ref[::-1])
    assert mg.gradcheck(f, w0) and mg.gradgradcheck(f, w0)


def test_in_place_refusals_that_remain():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    leaf = mg.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        leaf[0:1] += w[:1]
    d = (w * 1.0).detach()
    with pytest.raises(RuntimeError, match="detached tensor"):
        d += w
    b = mg.broadcast_to(w * 1.0, (3, 2))
    with pytest.raises(ValueError, match="read-only"):
        b += w
    h = w * 1.0
    view = h[:1]
    y = (view * view).sum()   # mul saved the view's value ...
    h[0] = w[1]               # ... which this changes
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_a_tensor_with_views_pickles_and_deepcopies():
    import copy
    import pickle
    lin = mg.nn.Linear(3, 2)
    view = lin.weight.T  # the weight now knows its view
    for clone in (pickle.loads(pickle.dumps(lin)), copy.deepcopy(lin)):
        np.testing.assert_array_equal(clone.weight.data, lin.weight.data)
        assert clone.weight._views is None
    assert view._base is lin.weight


def test_writes_through_reversed_fancy_and_zero_dimensional_views():
    def program(lib_index, w, h):
        r = h[::-1]                                  # negative strides
        r[lib_index] = w[:2] * 3.0                   # a fancy key through a view
        e = h.reshape(2, 2)[1][::-1][0, ...]         # a 0-d view of a view of a view
        e += w[0]
        q = h.reshape(2, 2).T
        q[:, 1] *= w[2]
        return h * h

    w0 = np.array([0.3, -0.8, 1.2, 0.5])
    ref = program([0, 2], w0, w0 * 1.0)
    f = lambda w: program(np.array([0, 2]), w, w * 1.0)  # noqa: E731
    np.testing.assert_allclose(f(mg.tensor(w0)).data, ref)
    assert mg.gradcheck(f, w0) and mg.gradgradcheck(f, w0)


@pytest.mark.parametrize("key", [np.array([True, True, False]), np.array([0, 1])])
def test_an_assigned_value_overlapping_its_target_is_read_before_writing(key):
    # a[:, 1][key] = a[0]: the value shares memory with the elements written. numpy's index-array
    # assignment through that strided view writes element by element and reads a[0, 1] after
    # overwriting it; minigrad reads the whole value first, with or without a graph (found by the
    # view fuzzer: grad mode gave the copy-first values, no_grad numpy's)
    x0 = np.arange(6.0).reshape(3, 2) + 0.5
    want = x0.copy()
    want[[0, 1], 1] = x0[0]

    def f(x):
        a = x * 1.0
        col = a[..., -1]
        col[key] = a[0]
        return a

    for requires_grad in (False, True):
        np.testing.assert_array_equal(f(mg.tensor(x0, requires_grad=requires_grad)).data, want)
    with mg.no_grad():
        np.testing.assert_array_equal(f(mg.tensor(x0, requires_grad=True)).data, want)
    assert mg.gradcheck(f, x0) and mg.gradgradcheck(f, x0)


def test_changing_a_factor_that_no_gradient_needs_is_not_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    h = mg.stack([w * 1.0, w * 3.0])
    h[0] = w * 0.5 + h[0] * 0.5   # mul(h[0], 0.5): its rule never reads h[0], which then changes
    (h * h).sum().backward()
    ref = mg.grad(lambda u: ((mg.stack([u * 0.5 + u * 0.5, u * 3.0])) ** 2).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(w.grad.data, ref.data)
    x = mg.tensor([3.0, 4.0])
    y = (w * x).sum()
    x[0] = 10.0                  # but a factor another gradient needs still is
    with pytest.raises(RuntimeError, match="input 1 .*'mul'.*modified in place"):
        y.backward()


def test_an_output_changed_in_place_under_no_grad_is_refused_when_its_rule_reads_it():
    # tanh's rule reads its output: the changed values would give a silently wrong gradient
    x = mg.tensor([0.5], requires_grad=True)
    y = x.tanh()
    z = y.sum()
    with mg.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="the output .* of 'tanh' was modified in place"):
        z.backward()
    # mul's rule reads only its inputs: changing its output does not change the gradient
    a = mg.tensor([2.0], requires_grad=True)
    h = a * 3.0
    s = h.sum()
    with mg.no_grad():
        h += 1
    s.backward()
    assert a.grad.tolist() == [3.0]
    # in grad mode the change is recorded, and the tanh rule sees the value tanh produced
    x = mg.tensor([0.5], requires_grad=True)
    y = x.tanh()
    z = y.sum()
    y += 1
    z.backward()
    np.testing.assert_allclose(x.grad.data, 1 - np.tanh(0.5) ** 2)


def test_reads_out_looks_at_the_rule_that_runs():
    assert mg.rules.reads_out(lambda g, out, x: (g * out,))
    assert not mg.rules.reads_out(lambda g, out, x: (g * x,))
    assert mg.rules.reads_out(lambda g, out, x: [g * o for o in (out,)])  # through a closure
    assert mg.rules.reads_out(print)  # no code to read: assumed to


# -- found by the program fuzzer (views=True): in place on a view of a 0-d tensor inside a graph ----------

@pytest.mark.parametrize("write, want_base, want_grad", [
    (lambda v, w: v.__iadd__(w), 4.0, 8.0),                 # base = 2w, loss 3*base + v.sum() = 8w
    (lambda v, w: v.__setitem__(0, w * 5.0), 10.0, 20.0),   # base = 5w
    (lambda v, w: v.__setitem__((0, slice(1, None)), w * 5.0), 2.0, 4.0),  # writes nothing
])
def test_in_place_through_a_view_of_a_0d_tensor(write, want_base, want_grad):
    w = mg.tensor(2.0, requires_grad=True)
    base = w * 1.0
    v = base[None, None]  # numpy: a (1, 1) view of the 0-d array's one element
    write(v, w)
    assert base.item() == want_base and v.data.tolist() == [[want_base]]
    (g,) = mg.gradients(base * 3.0 + v.sum(), [w])
    assert g.item() == want_grad
    assert gradcheck(lambda t: _0d_view_loss(t, write), mg.tensor(2.0, requires_grad=True))


def _0d_view_loss(w, write):
    base = w * 1.0
    v = base[None, None]
    write(v, w)
    return base * 3.0 + v.sum()


# -- found by the program fuzzer (views=True): a tracked in-place op changed the tensor's memory layout ----

@pytest.mark.parametrize("grad", [False, True])
def test_in_place_keeps_the_layout_so_a_later_reshape_is_a_copy_as_in_numpy(grad):
    a = np.arange(6.0).reshape(2, 3)
    ref = a.T * 1.0                      # numpy: Fortran-ordered
    ref -= np.ones((3, 2))               # in place: still Fortran-ordered
    flat_ref = ref.reshape(-1)           # so a copy
    ref[0, 0] = 100.0
    w = mg.tensor(a, requires_grad=grad)
    x = w.T * 1.0
    x -= mg.tensor(np.ones((3, 2)))      # with grad the result is a new (C-ordered) array: its layout must not leak
    flat = x.reshape(-1)
    x[0, 0] = mg.tensor(100.0)
    np.testing.assert_array_equal(x.data, ref)
    np.testing.assert_array_equal(flat.data, flat_ref)

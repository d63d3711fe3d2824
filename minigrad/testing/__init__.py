"""Tools for testing backward rules, yours included.

    from hypothesis import given, strategies as st
    from minigrad.testing import check_rule

    @given(st.data())
    def test_my_op(data):
        check_rule("my_op", data)          # uses the spec registered with @spec("my_op")

`spec` registers how to draw inputs for an op; `arrays` and `broadcastable_shapes` are plain
hypothesis strategies (float64, values kept off kinks) for writing your own properties.
"""
from __future__ import annotations

import numpy as np

from ..engine import _tape
from ..gradcheck import compare, second_order
from ..tensor import Tensor
from .draw import MARGIN, Draw, HypothesisDraw, NumpyDraw, push_away
from .specs import CASES, SPECS, case, spec

__all__ = ["Draw", "HypothesisDraw", "NumpyDraw", "SPECS", "spec", "CASES", "case", "check_rule", "measure_rule",
           "measure_case",
           "arrays", "broadcastable_shapes", "push_away", "MARGIN"]


def arrays(shape=None, lo=-3.0, hi=3.0, away=(), max_dims=4, max_side=3):
    """float64 arrays (random shape unless given), values in [lo, hi], kept MARGIN off `away`.

    A hypothesis strategy for your own properties; `away` keeps central differences off kinks.

        >>> from hypothesis import given, settings
        >>> from minigrad.testing import arrays, MARGIN
        >>> @settings(max_examples=10, database=None)
        ... @given(arrays(shape=(3,), away=[0.0]))
        ... def test_abs_gradient_is_sign(x):
        ...     t = mg.tensor(x, requires_grad=True)
        ...     mg.abs(t).sum().backward()
        ...     assert abs(x).min() >= MARGIN and (t.grad.data == np.sign(x)).all()
        >>> test_abs_gradient_is_sign()
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    shapes = st.just(shape) if shape is not None else hnp.array_shapes(min_dims=0, max_dims=max_dims, max_side=max_side)
    elems = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return hnp.arrays(np.float64, shapes, elements=elems).map(lambda x: push_away(x, away))


def broadcastable_shapes(n, max_dims=4, max_side=3):
    """n shapes that broadcast together (numpy rules, size-1 dims included).

    For properties of broadcasting ops: the gradient must come back in each input's own shape.

        >>> from hypothesis import given, settings
        >>> from minigrad.testing import broadcastable_shapes
        >>> @settings(max_examples=10, database=None)
        ... @given(broadcastable_shapes(2))
        ... def test_add_gradient_shapes(shapes):
        ...     a, b = (mg.tensor(np.ones(s), requires_grad=True) for s in shapes)
        ...     (a + b).sum().backward()
        ...     assert a.grad.shape == a.shape and b.grad.shape == b.shape
        >>> test_add_gradient_shapes()
    """
    from hypothesis.extra import numpy as hnp
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=max_dims,
                                             max_side=max_side).map(lambda s: s.input_shapes)


def _records(op, f, arrays_):
    out = f(*[Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays_])
    ops = {node.op for _, node, _ in _tape([out])} if isinstance(out, Tensor) else set()
    if op not in ops:
        raise AssertionError(f"the test data for {op!r} does not record {op!r} (recorded: {sorted(ops)})")


def measure_rule(op, draw, order=1, seed=0):
    """(max abs error, max rel error, worst case) of the rule of `op` on one draw of its spec.

    The numbers behind the report's gradient-check table (`check_rule` only says pass or fail).

        >>> from minigrad.testing import measure_rule, NumpyDraw
        >>> abs_err, rel_err, _ = measure_rule("exp", NumpyDraw(0))
        >>> abs_err < 1e-6, rel_err < 1e-6
        (True, True)
    """
    if op not in SPECS:
        raise LookupError(f"no test data for op {op!r}: register a spec with @minigrad.testing.spec({op!r})")
    if not isinstance(draw, Draw):
        draw = HypothesisDraw(draw)
    f, xs = SPECS[op](draw)
    xs = [np.asarray(x) for x in xs]
    _records(op, f, xs)
    return _measure(f, xs, order, seed)


def _joined(call):
    """minigrad's run of a case as one tensor (functions that return several are raveled and joined)."""
    import minigrad as mg

    def f(*ts):
        out = call(mg, *ts)
        parts = list(out) if isinstance(out, (list, tuple)) else [out]
        return mg.concatenate([mg.ravel(p) for p in parts]) if len(parts) > 1 else parts[0]
    return f


def measure_case(name, draw, order=1, seed=0):
    """(max abs error, max rel error, worst case) of the composed function `name` on one draw of its
    case (see `specs.case`); raises AssertionError if its forward differs from numpy's.

        >>> from minigrad.testing import measure_case, NumpyDraw
        >>> abs_err, rel_err, _ = measure_case("kron", NumpyDraw(0))     # composed of recorded ops
        >>> abs_err < 1e-6, rel_err < 1e-6
        (True, True)
    """
    if not isinstance(draw, Draw):
        draw = HypothesisDraw(draw)
    call, xs = CASES[name](draw)
    xs = [np.asarray(x) for x in xs]
    ours = _joined(call)(*[Tensor(x) for x in xs]).data
    out = call(np, *xs)
    parts = list(out) if isinstance(out, (list, tuple)) else [out]
    theirs = np.concatenate([np.ravel(p) for p in parts]) if len(parts) > 1 else np.asarray(parts[0])
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-10, atol=1e-12):
        raise AssertionError(f"{name}: the forward differs from numpy's")
    return _measure(_joined(call), xs, order, seed)


def _measure(f, xs, order, seed):
    if order == 2:
        f, ts = second_order(f, xs, seed)
        xs = [t for t in ts]
    results = compare(f, *xs, seed=seed)
    abs_err = max((float(np.max(np.abs(a - n), initial=0)) for _, a, n in results), default=0.0)
    rel_err = max((float(np.max(np.abs(a - n) / (np.abs(n) + 1e-8), initial=0)) for _, a, n in results), default=0.0)
    return abs_err, rel_err, results


def check_rule(op, draw, order=1, atol=1e-5, rtol=1e-3, seed=0):
    """Assert that the rule of `op` matches central differences on one draw of its spec.

    Checks the rule in force, so it catches a wrong override as well as a wrong built-in rule.

        >>> from minigrad.testing import check_rule, NumpyDraw
        >>> check_rule("exp", NumpyDraw(0)), check_rule("exp", NumpyDraw(0), order=2)
        (True, True)
        >>> with mg.rules.override(exp=lambda g, out, x: (g * x,)):        # wrong: should be g * out
        ...     check_rule("exp", NumpyDraw(0))
        Traceback (most recent call last):
        minigrad.gradcheck.GradcheckError: 'exp' gradient mismatch for input 0 at index ...
    """
    from ..gradcheck import _verdict
    *_, results = measure_rule(op, draw, order, seed)
    return _verdict(results, atol, rtol, f"{op!r} {'second-order ' if order == 2 else ''}gradient")

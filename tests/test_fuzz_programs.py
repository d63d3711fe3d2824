"""Random programs over every registered op (minigrad/testing/programs.py), checked against float64
central differences (first and second order), numpy, and PyTorch when it is installed.

Ops enter through their specs: an op added later with a spec is fuzzed without touching this file.
An op whose spec cannot be composed must be listed in UNCOMPOSABLE with the reason.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import minigrad as mg
from minigrad.testing import HypothesisDraw, mirrors
from minigrad.testing import fuzz as F
from minigrad.testing import programs as P

try:  # PyTorch is optional (the `compare` extra); minigrad itself never imports it
    import torch
except ImportError:
    torch = None



# registered ops programs cannot call, and why (a new entry needs a reason a reviewer accepts)
UNCOMPOSABLE = {
    "cast": "its spec casts to longdouble, which neither numpy-on-every-platform nor torch mirrors",
}


def test_every_op_is_composed_or_listed_with_a_reason():
    P._composable = None  # again: other test modules register ops of their own while being collected
    ok, skipped = P.composable()
    unlisted = {op: why for op, why in skipped.items() if op not in UNCOMPOSABLE}
    assert not unlisted, f"ops the program fuzzer cannot call (fix their spec or list them): {unlisted}"
    assert set(ok) | set(skipped) == set(mg.rules.names())


NOT_DERIVED = P.prepare(torch)  # mirrors of ops added later, named like numpy ufuncs (mirrors.derive)


def test_ops_without_mirrors_are_listed():
    """Not a failure: the fuzzer still checks these by finite differences; listed so it shows (-ra)."""
    ops = mg.rules.names()
    lines = [f"{name}: {', '.join(mirrors.missing(table, ops))}"
             for name, table in (("no numpy mirror", mirrors.NUMPY), ("no torch mirror", mirrors.TORCH))
             if mirrors.missing(table, ops)]
    lines += [f"{op}: {why}" for op, why in sorted(NOT_DERIVED.items())]
    if lines:
        pytest.skip("; ".join(lines))


def test_mirrors_reproduce_their_ops():
    """The references themselves: every mirror recomputes its op's nodes on the op's spec draws."""
    assert mirrors.disagreements(mg.rules.names(), torch) == {}


def _run(data, views):
    try:
        prog = P.draw_program(HypothesisDraw(data), views=views)
    except P.Reject:
        assume(False)
    try:
        F.check_program(prog, torch)
    except F.Mismatch as e:
        known = F.known_bug(e)
        assume(known is None)  # a known bug still present: its reproducer is in test_fuzz_known_bugs below
        raise


@settings(max_examples=F.examples(300))
@given(st.data())
def test_random_programs(data):
    _run(data, views=False)


@settings(max_examples=F.examples(150))
@given(st.data())
def test_random_programs_with_writes_through_views(data):
    _run(data, views=True)


# -- what the fuzzers found in the engine's in-place area (regression tests) ----------------------------

def test_inplace_op_that_changes_dtype_inside_a_graph():
    """Was refused by backward ('modified in place'): inplace._rebase rewired the inputs of the cast it
    appends (numpy and PyTorch keep the target's dtype), not of the op that read the target."""
    w = mg.tensor([1.5], requires_grad=True)
    y = mg.tensor([2.0], requires_grad=True)
    h = w.astype(np.float32) * 1
    h *= y                                   # numpy: stays float32 (same_kind cast), as in PyTorch
    assert h.dtype == np.float32
    gw, gy = mg.gradients(h.sum(), [w, y])
    np.testing.assert_allclose(gw.data, [2.0])
    np.testing.assert_allclose(gy.data, [1.5])
    assert gw.dtype == w.dtype and gy.dtype == y.dtype

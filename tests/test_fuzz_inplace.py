"""Random sequences of views and in-place edits (+=, -=, *=, x[k] = v through basic, integer-array and
boolean keys; on the base and on views of views), run with minigrad, numpy and PyTorch.

Outside a graph minigrad must do exactly what numpy does. Inside a graph (a value requiring grad
is written, or the base is computed from one) each sequence must end one of two ways: minigrad
refuses with a clear RuntimeError/ValueError, or every array (base and views) equals numpy's and the
gradient equals PyTorch's (and float64 central differences). A silent divergence fails.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad.gradcheck import gradcheck
from minigrad.testing import HypothesisDraw
from minigrad.testing import fuzz as F
from minigrad.testing.mirrors import torch_key

try:  # optional (the `compare` extra); minigrad itself never imports torch
    import torch
except ImportError:
    torch = None

N = 24          # size of the leaf w that tracked operands are cut from
SHAPES = [(6,), (4, 3), (2, 3, 2), (3, 4)]
CLEAR = ("in place", "in-place", "view", "repeated", "leaf")  # what a refusal must talk about


def _basic_key(d, shape):
    options = [(slice(1, None),), (slice(None, None, 2),), (slice(0, 2),), (Ellipsis, slice(1, None)),
               (None, Ellipsis)]
    if len(shape) >= 2:
        options += [(1,), (slice(None), 0), (Ellipsis, -1)]
    return d.choice(_fitting(options, shape))


def _fitting(keys, shape):
    """The keys that index an array of `shape` (no index out of bounds)."""
    out = []
    for k in keys:
        try:
            np.zeros(shape)[k]
        except IndexError:
            continue
        out.append(k)
    return out


def _any_key(d, shape):
    kind = d.integers(0, 2)
    if kind == 0:
        return d.choice(_fitting([(0,), (-1,), (slice(None, None, 2),), (Ellipsis, 0), (slice(None), 1)], shape))
    if kind == 1:  # integer array, repeats allowed (numpy: last write wins; minigrad may refuse)
        return (np.array([d.integers(0, shape[0] - 1) for _ in range(d.integers(1, 3))]),)
    return d.array(shape, -1, 1) > 0


def _operand(d, slot, tracked):
    kind = d.integers(0, 2 if tracked else 1)
    shape = slot[d.integers(0, len(slot)):] if d.integers(0, 1) else slot  # may broadcast
    if kind == 0:
        return ("scalar", d.choice([2, -0.5, 1.5]))
    n = int(np.prod(shape))
    if kind == 1 or n > N:  # (repeated indices can select more elements than w has)
        return ("const", d.array(shape, -2, 2))
    return ("w", d.integers(0, N - n), shape, d.choice([1.0, -2.0]))


def draw_sequence(d, tracked):
    shape = d.choice(SHAPES)
    shapes, ops = [shape], []
    for _ in range(d.integers(1, 6)):
        kind = d.integers(0, 2)
        src = d.integers(0, len(shapes) - 1)
        s = shapes[src]
        if kind == 0 and len(ops) < 5:
            key = _basic_key(d, s)
            new = np.zeros(s)[key].shape
            if new and 0 not in new:
                ops.append(("view", src, key))
                shapes.append(new)
                continue
        if kind == 2 or len(s) == 0:
            ops.append(("iop", src, d.choice(["+=", "-=", "*="]), _operand(d, s, tracked)))
        else:
            key = _any_key(d, s)
            slot = np.zeros(s)[key].shape
            ops.append(("set", src, key, _operand(d, slot, tracked)))
    start = d.integers(0, 1) if tracked else 0  # 1: the base itself is computed from w
    return shape, start, d.array(shape, -2, 2), ops, [d.array(s, -1, 1) for s in shapes]


class _Backend:
    def __init__(self, lib):
        self.lib = lib

    def operand(self, spec, w):
        if spec[0] == "scalar":
            return spec[1]
        if spec[0] == "const":
            return self.array(spec[1])
        _, start, shape, coef = spec
        return w[start:start + int(np.prod(shape))].reshape(shape) * coef

    def array(self, a):
        if self.lib == "torch":
            return torch.tensor(a)
        return mg.tensor(a) if self.lib == "mg" else np.array(a)

    def key(self, k):
        return torch_key(torch, k) if self.lib == "torch" else k


def leaf(lib, w0, requires_grad):
    if lib == "torch":
        return torch.tensor(w0, requires_grad=requires_grad)
    return mg.tensor(w0, requires_grad=requires_grad) if lib == "mg" else np.array(w0)


def run(lib, seq, w):
    """Apply the sequence, with w the array tracked operands are cut from; every array it made,
    base first then the views in order."""
    shape, start, b0, ops, _ = seq
    B = _Backend(lib)
    arrays = [w[:int(np.prod(shape))].reshape(shape) * 1.0 if start else B.array(b0)]
    for op in ops:
        if op[0] == "view":
            arrays.append(arrays[op[1]][B.key(op[2])])
        elif op[0] == "iop":
            x, v = arrays[op[1]], B.operand(op[3], w)
            getattr(x, {"+=": "__iadd__", "-=": "__isub__", "*=": "__imul__"}[op[2]])(v)
        else:
            x, v = arrays[op[1]], B.operand(op[3], w)
            if lib == "torch" and not isinstance(v, (int, float)):
                v = v.to(x.dtype)
            x[B.key(op[2])] = v
    return arrays


def _value(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(getattr(x, "data", x))


def _repeated(seq):
    return any(op[0] == "set" and isinstance(op[2], tuple) and isinstance(op[2][0], np.ndarray)
               and len(np.unique(op[2][0])) < len(op[2][0]) for op in seq[3])


def _loss(arrays, us, lib):
    total = 0.0
    for a, u in zip(arrays, us):
        uu = torch.tensor(u) if lib == "torch" else (mg.tensor(u) if lib == "mg" else u)
        total = (a * uu).sum() + total
    return total


def _clear(e):
    msg = str(e)
    assert any(word in msg for word in CLEAR), f"refusal without a clear message: {type(e).__name__}: {msg}"


@settings(max_examples=F.examples(150))
@given(st.data())
def test_outside_a_graph_minigrad_is_numpy(data):
    seq = draw_sequence(HypothesisDraw(data), tracked=False)
    w0 = np.linspace(-1, 1, N)
    ref = run("np", seq, leaf("np", w0, False))
    got = run("mg", seq, leaf("mg", w0, False))
    for j, (a, b) in enumerate(zip(got, ref)):
        np.testing.assert_array_equal(_value(a), b, err_msg=f"array {j} after {seq[3]}")


@settings(max_examples=F.examples(300))
@given(st.data())
def test_inside_a_graph_minigrad_is_numpy_and_torch_or_refuses(data):
    d = HypothesisDraw(data)
    seq = draw_sequence(d, tracked=True)
    us = seq[4]
    w0 = d.array((N,), -2, 2)
    try:
        w = leaf("mg", w0, True)
        got = run("mg", seq, w)
        loss = _loss(got, us, "mg")
        grad = mg.gradients(loss, [w])[0] if loss.requires_grad else None
    except (RuntimeError, ValueError) as e:
        _clear(e)
        return
    ref = run("np", seq, leaf("np", w0, False))
    for j, (a, b) in enumerate(zip(got, ref)):
        np.testing.assert_allclose(_value(a), b, rtol=1e-12, atol=1e-12, err_msg=f"array {j} after {seq[3]}")
    grad = np.zeros(N) if grad is None else grad.data

    def f(wt):
        return _loss(run("mg", seq, wt), us, "mg")
    assert gradcheck(f, mg.tensor(w0, requires_grad=True))
    if torch is not None and not _repeated(seq):  # torch's index_put leaves the winner of repeats unspecified
        try:
            tw = leaf("torch", w0, True)
            tarrays = run("torch", seq, tw)
            tl = _loss(tarrays, us, "torch")
            tg = torch.autograd.grad(tl, [tw], allow_unused=True)[0] if tl.requires_grad else None
        except RuntimeError:
            return  # torch refuses (e.g. it saved a value this sequence overwrites); minigrad is exact
        np.testing.assert_allclose(grad, np.zeros(N) if tg is None else tg.numpy(force=True), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient vs torch after {seq[3]}")


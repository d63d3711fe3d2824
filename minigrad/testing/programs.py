"""Random programs over every registered op, run three ways (minigrad, numpy, PyTorch) and compared.

A program is a list of steps over an environment of values: cast a leaf, arithmetic with Python
scalars, basic/fancy/boolean indexing (repeats included), reshape and transpose views, broadcasting
binary ops, in-place `+=`/`*=`/`x[k] = v` on intermediates (and, with `views=True`, on views and on
bases that have views), and calls of any registered op through its spec (minigrad.testing.SPECS).
A spec draws its own shapes and valid values (off kinks and poles); the program feeds it values
computed from earlier steps, moved onto those valid values by a constant ("shift"):
`input = adapt(t) + (template - adapt(t) at the base point)`. The value is the spec's, the derivative
flows through `t`: the composite is a real function of the leaves, exact to any order, and ops added
later (with a spec) take part without any change here.

Running a program with numpy or torch replays each spec call's tape with the mirrors of
minigrad/testing/mirrors.py. minigrad/testing/fuzz.py checks programs against those references.
"""
from __future__ import annotations

import collections

import numpy as np

import minigrad as mg

from ..tensor import Tensor
from . import mirrors
from .draw import HypothesisDraw, NumpyDraw
from .specs import SPECS
from .steps import (Program, _MG, _Adapt, _Binary, _Call, _Index, _InPlace, _Leaf, _Reshape, _Run, _Scalar,
                    _Transpose, _value)

STATS = collections.Counter()  # what the checks did and skipped, by reason (printed by the thorough run)
LIMIT = 1e3                    # values beyond this make finite differences imprecise: the draw is rejected


class Reject(Exception):
    """The drawn program is unusable (values too large, ...): the caller discards it (hypothesis.assume).

    >>> issubclass(Reject, Exception)
    True
    """


# -- which ops a program can call ---------------------------------------------------------------------

def _probe(op):
    """None if `op`'s spec can be composed (its f takes float arrays and returns a float Tensor), else why not."""
    try:
        f, xs = SPECS[op](NumpyDraw(0))
        xs = [np.asarray(x) for x in xs]
        if not any(x.dtype.kind == "f" for x in xs):
            return "its spec has no floating-point input to feed"
        out = f(*[Tensor(x, requires_grad=x.dtype.kind == "f") for x in xs])
    except Exception as e:  # noqa: BLE001 - any failure is a reason, reported with the op's name
        return f"its spec fails on a NumpyDraw: {type(e).__name__}: {e}"
    if not isinstance(out, Tensor) or out.dtype.kind != "f":
        return f"its spec returns {type(out).__name__} {getattr(out, 'dtype', '')}, not a float Tensor"
    if out.dtype not in (np.float32, np.float64):
        return f"its spec returns dtype {out.dtype}, which numpy and torch cannot mirror"
    return None


_composable = None
_derived = {}


def prepare(torch=None):
    """Derive numpy/torch mirrors of ops added later (mirrors.derive); call once, before fuzzing.
    Returns {op: why no mirror was derived} for the ops it tried.

    >>> isinstance(prepare(), dict)
    True
    """
    if not _derived:
        _derived.update(mirrors.derive(composable()[0], torch) or {"": ""})
    return {k: v for k, v in _derived.items() if k}


def composable():
    """({op: None} for the ops programs call, {op: reason} for the registered ops they cannot).

    >>> ok, skipped = composable()
    >>> "add" in ok, "add" in skipped
    (True, False)
    """
    global _composable
    if _composable is None:
        ok, skipped = [], {}
        for op in mg.rules.names():
            reason = "no spec (tests/test_rules.py fails for it)" if op not in SPECS else _probe(op)
            (skipped.__setitem__(op, reason) if reason else ok.append(op))
        _composable = (ok, skipped)
    return _composable


# -- drawing a program -------------------------------------------------------------------------------

class _Meta:
    """What the drawer knows of a value: a leaf? which value owns its memory (None: unknown alias)?"""

    def __init__(self, leaf, root):
        self.leaf, self.root = leaf, root


def _basic_keys(shape):
    keys = [(None, Ellipsis)]
    if 0 in shape:
        return keys
    if len(shape) >= 1:
        keys += [(slice(None, None, 2),), (slice(1, None),), (Ellipsis, slice(None, 1))]
    if len(shape) >= 2:  # integers only where the result keeps a dimension (numpy gives 0-d copies)
        keys += [(0,), (Ellipsis, -1), (slice(None), None, 0)]
    return keys


def _draw_key(d, shape, unique=False):
    """A basic, integer-array (repeats unless `unique`) or boolean key for an array of `shape`."""
    kind = d.integers(0, 2) if shape and 0 not in shape else 0
    if kind == 0:
        return d.choice(_basic_keys(shape))
    if kind == 1:
        n = shape[0]
        idx = np.array([d.integers(0, n - 1) for _ in range(d.integers(1, 4))], dtype=np.int64)
        idx = np.unique(idx) if unique else idx
        return (idx,) if d.integers(0, 1) else (idx, Ellipsis)
    return d.array(shape, -1, 1) > 0


def _partner(d, shape):
    """A shape that broadcasts with `shape` (some dims 1, some dropped)."""
    drop = d.integers(0, len(shape))
    return tuple(1 if d.integers(0, 2) == 0 else s for s in shape[drop:])


class _Drawer:
    def __init__(self, d, views, ops):
        self.d, self.views, self.ops = d, views, ops
        self.steps, self.meta = [], []
        self.leaves = []
        self.live = _Run(_MG, False)
        self.live_leaves = []

    # the live run executes every step as it is drawn: shapes and shift constants come from it
    def add(self, step, meta):
        v = step(self.live, self.live_leaves)
        v = self.live.env[step.dst] if v is None else v
        data = _value(v)
        if data.dtype.kind == "f" and data.size and not np.all(np.abs(data) <= LIMIT):
            raise Reject(f"values beyond {LIMIT} after {step!r}")
        self.steps.append(step)
        self.live.env.append(v)
        self.meta.append(meta)

    def floats(self):
        return [j for j, v in enumerate(self.live.env) if _value(v).dtype.kind == "f"]

    def value(self, j):
        return _value(self.live.env[j])

    def adapt(self, shape, target=None):
        d = self.d
        src = d.choice(self.floats())
        have = self.value(src)
        options = ["mean", "gather"] if have.size else []
        try:
            if np.broadcast_shapes(have.shape, shape) == tuple(shape):
                options.append("broadcast")
        except ValueError:
            pass
        if not options or not int(np.prod(shape)):
            return None
        how = d.choice(options)
        idx = None
        if how == "gather":
            rng = np.random.default_rng(d.integers(0, 2 ** 16))
            idx = rng.integers(0, have.size, size=int(np.prod(shape)))
        a = _Adapt(src, shape, how, idx)
        if target is not None:
            a.shift = np.asarray(target, dtype=np.float64) - _value(a(self.live, self.live.env[src]))
        return a

    def draw(self, max_steps):
        d = self.d
        for i in range(d.integers(1, 3)):
            a = d.array(d.shape(0, 3, 1, 3), -2.0, 2.0)
            self.leaves.append(a)
            self.live_leaves.append(Tensor(a, requires_grad=True))
            self.add(_Leaf(i, d.choice([np.float64, np.float64, np.float32])), _Meta(True, None))
            self.meta[-1].root = len(self.meta) - 1
        for _ in range(d.integers(1, max_steps)):
            kinds = ["call", "call", "call", "call", "scalar", "index", "index", "view", "binary",
                     "inplace", "inplace"]
            kind = d.choice(kinds + ["viewwrite"] * 4 if self.views else kinds)
            if not getattr(self, "_" + kind)():
                self._call()
        floats = self.floats()
        outs = sorted({floats[-1]} | {d.choice(floats) for _ in range(d.integers(0, 2))})
        rng = np.random.default_rng(d.integers(0, 2 ** 16))
        prog = Program(self.leaves, self.steps, [(k, rng.standard_normal(self.value(k).shape)) for k in outs])
        prog.float32_leaves = bool(d.integers(0, 1))  # the float32 run: float32 leaves, or casts of float64 ones
        return prog

    def _own(self, step):
        self.add(step, _Meta(False, len(self.meta)))
        return True

    def _call(self):
        d = self.d
        op = d.choice(self.ops)
        f, xs = SPECS[op](HypothesisDraw(d.data) if isinstance(d, HypothesisDraw) else d)
        inputs = []
        for x in map(np.asarray, xs):
            a = self.adapt(x.shape, x) if x.dtype.kind == "f" and d.integers(0, 4) else None
            inputs.append(x if a is None else a)
        step = _Call(op, f, inputs, len(self.steps))
        self.add(step, _Meta(False, None))
        out = self.live.env[-1]
        if out._base is None:  # a fresh array: the program may change it in place
            self.meta[-1].root = len(self.meta) - 1
        return True

    def _scalar(self):
        d = self.d
        return self._own(_Scalar(d.choice(self.floats()), d.choice(sorted(_Scalar.FORMS)),
                                d.choice([0.5, -1.5, 2, 3, -0.75])))

    def _index(self):
        d = self.d
        src = d.choice(self.floats())
        key = _draw_key(d, self.value(src).shape)
        self.add(_Index(src, key), _Meta(False, None))
        self._place(src)
        return True

    def _view(self):
        d = self.d
        src = d.choice(self.floats())
        shape = self.value(src).shape
        if d.integers(0, 1) and len(shape) >= 2:
            step = _Transpose(src, tuple(int(a) for a in d.permutation(len(shape))))
        else:
            step = _Reshape(src, d.choice([(-1,), tuple(reversed(shape)), (1,) + shape]))
        self.add(step, _Meta(False, None))
        if isinstance(step, _Reshape):
            step.copies = not np.may_share_memory(self.value(-1), self.value(src))
        self._place(src)
        return True

    def _place(self, src):
        """Whether the new value views src's memory (minigrad's, numpy's and torch's views agree)."""
        out = self.live.env[-1]
        shares = np.may_share_memory(_value(out), self.value(src))
        self.meta[-1].root = self.meta[src].root if shares else len(self.meta) - 1

    def _binary(self):
        d = self.d
        src = d.choice(self.floats())
        a = self.adapt(_partner(d, self.value(src).shape))
        return a is not None and self._own(_Binary(src, d.choice(sorted(_Binary.FORMS)), a))

    def _targets(self):
        out = []
        for j in self.floats():
            m, v = self.meta[j], self.value(j)
            if m.leaf or m.root is None or v.ndim == 0 or self.meta[m.root].leaf:
                continue
            aliases = [k for k, mk in enumerate(self.meta) if mk.root == m.root and k != j and
                       self.live.env[k] is not self.live.env[j]]
            if self.views or (m.root == j and not aliases):
                out.append(j)
        return out

    def _viewwrite(self):
        """A basic-index view of an intermediate, changed in place (its base must see the change)."""
        owners = [j for j in self._targets() if self.meta[j].root == j]
        if not owners:
            return False
        src = self.d.choice(owners)
        self.add(_Index(src, self.d.choice(_basic_keys(self.value(src).shape)[1:] or [(None, Ellipsis)])),
                 _Meta(False, None))
        self._place(src)
        return self._inplace(dst=len(self.steps) - 1)

    def _inplace(self, dst=None):
        d = self.d
        targets = self._targets() if dst is None else [dst]
        if not targets:
            return False
        dst = d.choice(targets)
        shape = self.value(dst).shape
        form = d.choice(["+=", "-=", "*=", "="])
        key = _draw_key(d, shape, unique=True) if form == "=" else None
        slot = shape if key is None else np.zeros(shape)[key].shape
        a = self.adapt(_partner(d, slot) if d.integers(0, 1) else slot)
        if a is None:
            return False
        self.add(_InPlace(dst, form, a, key), self.meta[dst])
        return True


def draw_program(d, views=False, max_steps=6, ops=None):
    """A random program (see the module docstring) from a `Draw`; raises Reject when unusable.

    >>> prog = draw_program(NumpyDraw(3), ops=["mul", "tanh"])
    >>> len(prog.leaves) >= 1 and len(prog.steps) > len(prog.leaves)
    True
    """
    ops = list(composable()[0] if ops is None else ops)
    return _Drawer(d, views, ops).draw(max_steps)

"""What a random program is made of: its steps, and the three backends that run them.

A step reads earlier values of the program's environment and adds one (or changes one in place).
The same steps run on minigrad tensors, numpy arrays or torch tensors: the structural ones
(casts, scalars, indexing, views, broadcasting, in-place) through the methods the three share,
spec calls with minigrad itself or by replaying the call's tape with minigrad/testing/mirrors.py.
minigrad/testing/programs.py draws programs from these; minigrad/testing/fuzz.py checks them.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

from ..tensor import Tensor, _wrap
from . import mirrors


# -- the three backends: the structural steps run on minigrad tensors, ndarrays or torch tensors ------

class _MG:
    name = "minigrad"

    @staticmethod
    def const(a):
        return Tensor(np.array(a))

    @staticmethod
    def key(k):
        return k

    @staticmethod
    def cast(x, dtype):
        return x.astype(dtype)

    @staticmethod
    def transpose(x, axes):
        return x.transpose(axes)

    @staticmethod
    def broadcast_to(x, shape):
        return mg.broadcast_to(x, shape)

    @staticmethod
    def mean(x):
        return x.mean()


class _NP(_MG):
    name = "numpy"

    @staticmethod
    def const(a):
        return np.array(a)

    @staticmethod
    def cast(x, dtype):
        return np.asarray(x).astype(dtype)

    @staticmethod
    def broadcast_to(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def mean(x):
        return np.mean(x)


def _torch_backend(torch):
    dtypes = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}

    class _Torch(_MG):
        name = "torch"

        @staticmethod
        def const(a):
            return torch.as_tensor(np.array(a))

        @staticmethod
        def key(k):
            return mirrors.torch_key(torch, k)

        @staticmethod
        def cast(x, dtype):
            return x.to(dtypes[np.dtype(dtype)])

        @staticmethod
        def transpose(x, axes):
            return x.permute(axes) if axes else x

        @staticmethod
        def broadcast_to(x, shape):
            return x.broadcast_to(shape)

        @staticmethod
        def mean(x):
            return x.mean()
    return _Torch


def _value(x):
    """The ndarray of a value from any backend."""
    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "detach"):  # torch
        return x.detach().numpy(force=True)
    return np.asarray(x)


# -- steps ----------------------------------------------------------------------------------------------

class _Run:
    """One execution of a program: its values, and the minigrad tape of each spec call (for replays)."""

    def __init__(self, backend, mixed, reference=None):
        self.B, self.mixed, self.reference = backend, mixed, reference
        self.env, self.calls = [], {}
        self.layouts = {}  # minigrad: step -> element strides of a result that owns its memory
        self.cloned = False  # torch: an in-place operand overlapping its target had to be copied


def _layout(out):
    """The element strides of minigrad's result when it owns its memory (no element twice), else None."""
    a = out.data
    if out._base is not None or any(st < 0 or (st == 0 and n > 1) for st, n in zip(a.strides, a.shape)):
        return None
    return tuple(st // a.itemsize for st in a.strides)


def _laid_out(run, value, strides):
    """A numpy or torch `value` laid out in memory as minigrad's result was (`strides`; None: as it
    is). The backends (and the mirrors of spec calls) lay out some results differently, and a later
    reshape is then a view in one and a copy in another: later in-place steps would reach it in one
    only."""
    if strides is None or run.B is _MG:
        return value
    if run.B is _NP:
        if tuple(st // value.itemsize for st in value.strides) == strides:
            return value
        size = 1 + sum((n - 1) * st for n, st in zip(value.shape, strides)) if value.size else 0
        out = np.lib.stride_tricks.as_strided(np.empty(size, value.dtype), value.shape,
                                              [st * value.itemsize for st in strides])
        out[...] = value
        return out
    if tuple(value.stride()) == strides:
        return value
    import torch
    return torch.empty_strided(tuple(value.shape), strides, dtype=value.dtype).copy_(value)


class _Leaf:
    def __init__(self, i, dtype):
        self.i, self.dtype = i, np.dtype(dtype)

    def __call__(self, run, leaves):
        x = leaves[self.i]
        return run.B.cast(x, self.dtype) if run.mixed and self.dtype != np.float64 else x

    def __repr__(self):
        return f"x{self.i}" + (f".astype({self.dtype.name})" if self.dtype != np.float64 else "")


class _Scalar:
    FORMS = {"x*c": lambda x, c: x * c, "c-x": lambda x, c: c - x, "x/c": lambda x, c: x / c,
             "c+x": lambda x, c: c + x, "x**2": lambda x, c: x ** 2, "x-c": lambda x, c: x - c}

    def __init__(self, src, form, c):
        self.src, self.form, self.c = src, form, c

    def __call__(self, run, leaves):
        return self.FORMS[self.form](run.env[self.src], self.c)

    def __repr__(self):
        return f"{self.form.replace('x', f'v{self.src}').replace('c', repr(self.c))}"


class _Index:
    def __init__(self, src, key):
        self.src, self.key = src, key

    def __call__(self, run, leaves):
        return run.env[self.src][run.B.key(self.key)]

    def __repr__(self):
        return f"v{self.src}[{_show(self.key)}]"


class _Reshape:
    def __init__(self, src, shape):
        self.src, self.shape, self.copies = src, shape, False

    def __call__(self, run, leaves):
        x = run.env[self.src].reshape(self.shape)
        # where minigrad's array had to be copied (its layout), numpy's and torch's must be copies too
        return x.copy() if self.copies and run.B is _NP else x.clone() if self.copies and run.B.name == "torch" else x

    def __repr__(self):
        return f"v{self.src}.reshape{self.shape}"


class _Transpose:
    def __init__(self, src, axes):
        self.src, self.axes = src, axes

    def __call__(self, run, leaves):
        return run.B.transpose(run.env[self.src], self.axes)

    def __repr__(self):
        return f"v{self.src}.transpose{self.axes}"


class _Adapt:
    """A value of `shape` computed from env[src]: gathered with repeats, broadcast, or a mean, then
    shifted by a constant onto `target` (the valid point of whoever consumes it), when given."""

    def __init__(self, src, shape, how, idx=None, shift=None):
        self.src, self.shape, self.how, self.idx, self.shift = src, tuple(shape), how, idx, shift

    def __call__(self, run, x):
        B = run.B
        if self.how == "gather":
            x = x.reshape(-1)[B.key(self.idx)].reshape(self.shape)
        elif self.how == "broadcast":
            x = B.broadcast_to(x, self.shape)
        else:
            x = B.broadcast_to(B.mean(x), self.shape)
        if self.shift is not None:
            x = x + B.const(self.shift.astype(_value(x).dtype))
        return x

    def __repr__(self):
        return f"{self.how}(v{self.src}->{self.shape}){'+c' if self.shift is not None else ''}"


class _Binary:
    FORMS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}

    def __init__(self, src, form, adapt):
        self.src, self.form, self.adapt = src, form, adapt

    def __call__(self, run, leaves):
        out = self.FORMS[self.form](run.env[self.src], self.adapt(run, run.env[self.adapt.src]))
        if run.B is _MG:
            run.layouts[len(run.env)] = _layout(out)
        elif run.B.name == "torch":  # numpy's operators lay out as minigrad's (the same calls)
            out = _laid_out(run, out, run.reference.layouts.get(len(run.env)))
        return out

    def __repr__(self):
        return f"v{self.src} {self.form} {self.adapt}"


class _Call:
    """A registered op's spec function, fed with adapted values (or its own template, as a constant)."""

    def __init__(self, op, f, inputs, index):
        self.op, self.f, self.inputs, self.index = op, f, inputs, index

    def __call__(self, run, leaves):
        xs = [run.B.const(a) if isinstance(a, np.ndarray) else a(run, run.env[a.src]) for a in self.inputs]
        if run.B is _MG:
            out = self.f(*xs)
            # the tape as the call left it: a later in-place step gives `out` a new node (and value)
            snapshot = _wrap(out.data.copy())  # (an untracked in-place step changes the array itself)
            snapshot._node, snapshot.requires_grad = out._node, out.requires_grad
            run.calls[self.index] = (snapshot, xs, _layout(out))  # (whether a later reshape is a view)
            return out
        out, mg_xs, layout = run.reference.calls[self.index]
        mirror = (mirrors.numpy_mirror if run.B is _NP else run.mirror)
        value = mirrors.replay([out], {id(t): x for t, x in zip(mg_xs, xs)}, mirror, run.B.const)[0]
        return _laid_out(run, value, layout)  # a mirror's result may be C-ordered where minigrad's is not

    def __repr__(self):
        return f"{self.op}({', '.join('const' if isinstance(a, np.ndarray) else repr(a) for a in self.inputs)})"


class _InPlace:
    FORMS = {"+=": "__iadd__", "-=": "__isub__", "*=": "__imul__"}

    def __init__(self, dst, form, adapt, key=None):
        self.dst, self.form, self.adapt, self.key = dst, form, adapt, key

    def __call__(self, run, leaves):
        x, v = run.env[self.dst], self.adapt(run, run.env[self.adapt.src])
        if run.B.name == "torch" and v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr():
            # numpy reads an operand that overlaps x before writing; torch may not: a copy, noted (torch
            # then saves the copy, not the memory that later steps may change, as minigrad's op does)
            v = v.clone()
            run.cloned = True
        elif run.B is _NP and self.form == "=" and np.may_share_memory(x, v):
            v = v.copy()  # minigrad reads an overlapping value before writing; numpy's index-array
            # assignment through a strided view may not (it reads values it has just written)
        if self.form == "=":
            x[run.B.key(self.key)] = v.to(x.dtype) if run.B.name == "torch" else v  # numpy casts to x's dtype
        else:
            assert getattr(x, self.FORMS[self.form])(v) is x
        return None  # no new value: the step changed env[dst] (and whatever shares its memory)

    def __repr__(self):
        target = f"v{self.dst}" + ("" if self.key is None else f"[{_show(self.key)}]")
        return f"{target} {self.form} {self.adapt}"


def _show(key):
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join("..." if k is Ellipsis else f"arr{k.tolist()}" if isinstance(k, np.ndarray)
                     else f"{k.start or ''}:{k.stop or ''}:{k.step or ''}" if isinstance(k, slice) else repr(k)
                     for k in parts)


class Program:
    """A drawn program: float64 leaves, steps, and the outputs it projects onto one scalar. Called
    with one Tensor per leaf it runs in float64 with minigrad (what the finite differences see).

    >>> from minigrad.testing import NumpyDraw
    >>> from minigrad.testing.programs import draw_program
    >>> prog = draw_program(NumpyDraw(0), ops=["add", "exp"])
    >>> prog(*[Tensor(a) for a in prog.leaves]).shape
    ()
    """

    def __init__(self, leaves, steps, outputs):
        self.leaves, self.steps, self.outputs = leaves, steps, outputs  # outputs: [(env index, u)]
        self.float32_leaves = False

    def run(self, B, leaves, mixed=False, reference=None, mirror=None):
        run = _Run(B, mixed, reference)
        run.mirror = mirror
        for step in self.steps:
            v = step(run, leaves)
            v = run.env[step.dst] if v is None else v
            run.env.append(np.asarray(v) if B is _NP else v)  # numpy scalars become 0-d arrays
        total = None
        for k, u in self.outputs:
            x = run.env[k]
            term = (x * B.const(u.astype(_value(x).dtype))).sum()
            total = term if total is None else total + term
        return total, run

    def __call__(self, *leaves):  # the float64 program as a function of its leaves (for gradcheck)
        return self.run(_MG, leaves)[0]

    def __repr__(self):
        lines = [f"x{i}: {a.dtype} {a.shape}" for i, a in enumerate(self.leaves)]
        lines += [f"v{j} = {s!r}" for j, s in enumerate(self.steps)]
        lines.append("out = " + " + ".join(f"<v{k}, u{k}>" for k, _ in self.outputs))
        return "\n".join(lines)

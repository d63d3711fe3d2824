"""The leanest tape we could write in Python on numpy: the floor for minigrad's per-op cost.

One object per op (the tensor is its own tape entry), a table of rules on bare arrays, and none of
minigrad's guarantees: no in-place detection, no rule overrides, no shape or dtype checks on
gradients, no broadcasting, no grad mode, no scopes or anomaly mode, no freeing of saved values.
It runs the `chain` and `chain_scalars` workloads with the same numpy calls as minigrad's rules,
so the gap between it and minigrad is what those guarantees and minigrad's layering cost, and the
gap between it and PyTorch is as far as any Python engine of this kind could go.
"""
from __future__ import annotations

import numpy as np


class Lean:
    __slots__ = ("data", "requires_grad", "op", "inputs", "grad")

    def __mul__(self, other):
        other = _operand(other, self)
        return _record("mul", self.data * other.data, (self, other))

    def __add__(self, other):
        other = _operand(other, self)
        return _record("add", self.data + other.data, (self, other))

    def tanh(self):
        return _record("tanh", np.tanh(self.data), (self,))

    def sin(self):
        return _record("sin", np.sin(self.data), (self,))

    def exp(self):
        return _record("exp", np.exp(self.data), (self,))

    def sum(self):
        return _record("sum", self.data.sum(), (self,))

    def backward(self):
        _backward(self)


def leaf(data, requires_grad=False):
    t = Lean.__new__(Lean)
    t.data, t.requires_grad, t.op, t.inputs, t.grad = data, requires_grad, None, (), None
    return t


def _operand(x, like):
    return x if type(x) is Lean else leaf(np.asarray(x, dtype=like.data.dtype))


def _record(op, data, inputs):
    t = Lean.__new__(Lean)
    t.data, t.grad = data, None
    for x in inputs:
        if x.requires_grad:
            t.requires_grad, t.op, t.inputs = True, op, inputs
            return t
    t.requires_grad, t.op, t.inputs = False, None, ()
    return t


RULES = {  # the formulas of minigrad's array twins
    "mul": lambda g, out, a, b: (g * b.data if a.requires_grad else None, g * a.data if b.requires_grad else None),
    "add": lambda g, out, a, b: (g, g),
    "tanh": lambda g, out, x: (g - g * out * out,),
    "sin": lambda g, out, x: (g * np.cos(x.data),),
    "exp": lambda g, out, x: (g * out,),
    "sum": lambda g, out, x: (np.full(x.data.shape, g),),
}


def _backward(root):
    order, seen, stack = [], set(), [root]
    while stack:  # depth first; a chain comes out in reverse execution order, which is all we run
        t = stack.pop()
        if t not in seen:
            seen.add(t)
            order.append(t)
            stack.extend(x for x in t.inputs if x.op is not None and x not in seen)
    grads = {root: np.ones_like(root.data)}
    for t in order:
        g = grads.pop(t)
        for x, gx in zip(t.inputs, RULES[t.op](g, t.data, *t.inputs)):
            if gx is None or not x.requires_grad:
                continue
            if x.op is None:
                x.grad = gx if x.grad is None else x.grad + gx
            else:
                prev = grads.get(x)
                grads[x] = gx if prev is None else prev + gx


class Bare:
    """The thinnest wrapper an engine can return from an op: one slot, nothing checked or recorded.
    Under no_grad this is the floor (the `nograd` workload): one Python object per op."""

    __slots__ = ("data",)

    def __mul__(self, other):
        return bare(self.data * other.data)

    def __add__(self, other):
        return bare(self.data + other.data)

    def tanh(self):
        return bare(np.tanh(self.data))

    def sin(self):
        return bare(np.sin(self.data))


def bare(data):
    t = Bare.__new__(Bare)
    t.data = data
    return t

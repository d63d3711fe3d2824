"""Extending minigrad: turn a numpy function into a recorded op and give it a backward rule.

    @mg.primitive
    def cube(x):                 # arrays in, array out
        return x ** 3

    @cube.defvjp
    def cube_vjp(g, out, x):     # minigrad tensors in, one gradient per input out
        return (g * 3 * x ** 2,)
"""
from __future__ import annotations

import functools

from . import rules
from .tensor import as_tensor, record


def primitive(fn=None, *, name=None):
    """Make `fn(*arrays, **attrs) -> array` an op; positional args are inputs, keywords attributes."""
    if fn is None:
        return lambda f: primitive(f, name=name)
    op = name or fn.__name__

    @functools.wraps(fn)
    def op_fn(*args, **attrs):
        inputs = tuple(as_tensor(a) for a in args)
        return record(op, fn(*[t.data for t in inputs], **attrs), inputs, **attrs)

    def defvjp(rule):
        rules.register(op, rule)
        return rule

    op_fn.op = op
    op_fn.defvjp = defvjp
    return op_fn

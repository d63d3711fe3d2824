"""Extending minigrad: turn a numpy function into a recorded op and give it a backward rule.

    @mg.primitive
    def cube(x):                 # arrays in, array out
        return x ** 3

    @cube.defvjp
    def cube_vjp(g, out, x):     # minigrad tensors in, one gradient per input out
        return (g * 3 * x ** 2,)

A primitive's op is named after where its function is defined (`module.qualname`), so a primitive
called `exp` never touches the built-in `exp`. Defining the same function again (re-running a
cell or a test) replaces its rule; an explicit `name=` that already has a rule is refused unless
`defvjp(rule, replace=True)`.
"""
from __future__ import annotations

import functools

from . import rules
from .tensor import as_tensor, record

_own_names: set = set()  # op names derived from a function's module.qualname: a redefinition replaces


def primitive(fn=None, *, name=None):
    """Make `fn(*arrays, **attrs) -> array` an op; positional args are inputs, keywords attributes.

    >>> import numpy as np, minigrad as mg
    >>> @mg.primitive
    ... def exp(a):                      # not minigrad's exp: this op is named after its module
    ...     return np.exp(a)
    >>> exp.op
    'minigrad.primitive.exp'
    >>> @exp.defvjp
    ... def exp_vjp(g, out, a):
    ...     return (g * out,)
    >>> x = mg.tensor([0.0, 1.0], requires_grad=True)
    >>> exp(x).sum().backward(); np.round(x.grad.data, 3)
    array([1.   , 2.718])
    """
    if fn is None:
        return lambda f: primitive(f, name=name)
    op = name or f"{fn.__module__}.{fn.__qualname__}"
    if name is None:
        _own_names.add(op)

    @functools.wraps(fn)
    def op_fn(*args, **attrs):
        inputs = tuple(as_tensor(a) for a in args)
        return record(op, fn(*[t.data for t in inputs], **attrs), inputs, **attrs)

    def defvjp(rule=None, *, replace=False):
        if rule is None:
            return lambda r: defvjp(r, replace=replace)
        rules.register(op, rule, replace=replace or op in _own_names)
        return rule

    op_fn.op = op
    op_fn.defvjp = defvjp
    return op_fn

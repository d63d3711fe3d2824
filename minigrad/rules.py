"""The rule registry: op name -> vector-Jacobian product, swappable inside a scope.

A rule is `rule(g, out, *inputs, **attrs)` and returns one gradient per input (None where there is
none). Rules are written with minigrad ops, so a rule's own computation can be differentiated again.
Rules are looked up when backward runs, not when the op is recorded, so
`with mg.rules.override(relu=mg.rules.guided_relu):` reaches every relu backpropagated in the scope,
whether it came from `mg.relu`, `x.relu()` or `nn.ReLU`. Overrides live in a ContextVar: another
thread, or code after the scope (even one left by an exception), sees the built-in rules.
"""
from __future__ import annotations

import contextlib
import contextvars

_registry: dict = {}
_for_others: set = set()  # ops whose built-in rule reads an input's value only for the others' gradients
_reads: dict = {}         # op -> positions of the only inputs whose values its built-in rule reads
                          # (empty: shapes only, `shape_only=True`); absent: any input
_array_twins: dict = {}   # op -> (the rule it twins, the same VJP on ndarrays); see register_array
_overrides = contextvars.ContextVar("minigrad_rule_overrides", default=None)
presets: dict = {}


def register(op, rule=None, *, shape_only=False, replace=False, for_others=False, reads=None):
    """Register `rule` as the VJP of `op` (usable as a decorator: `@rules.register("relu")`).

    `shape_only=True` says the rule never reads its inputs' values (add, reshape, indexing...):
    changing such an input in place after the op ran cannot corrupt the gradient, so backward
    does not refuse it. `for_others=True` says the rule reads an input's value only to compute the
    other inputs' gradients (mul, matmul: d(a*b)/db = a), so a change of that input matters only when
    another input requires grad. `reads=(i, ...)` says the rule reads the values of those inputs only
    (div: g / b and -g / b * out never read a), so a change of any other input never matters;
    `shape_only=True` is `reads=()`. An op that already has a rule keeps it unless `replace=True`
    (replacing changes the gradient for everyone; `override` swaps a rule inside a scope only).

    >>> from minigrad import rules
    >>> rules.register("exp", lambda g, out, x: (g,))
    Traceback (most recent call last):
    ...
    ValueError: op 'exp' already has a backward rule (minigrad.ops.elementwise.exp_vjp); pass replace=True to replace it for everyone, or use mg.rules.override(exp=...) inside a with block
    """
    if rule is None:
        return lambda fn: register(op, fn, shape_only=shape_only, replace=replace, for_others=for_others,
                                   reads=reads)
    if not callable(rule):
        raise TypeError(f"the rule for {op!r} must be callable, got {type(rule).__name__}")
    if op in _registry and not replace and _registry[op] is not rule:
        old = _registry[op]
        raise ValueError(f"op {op!r} already has a backward rule ({getattr(old, '__module__', '?')}."
                         f"{getattr(old, '__qualname__', type(old).__name__)}); pass replace=True to replace "
                         f"it for everyone, or use mg.rules.override({op}=...) inside a with block")
    _registry[op] = rule
    (_for_others.add if for_others else _for_others.discard)(op)
    if shape_only:
        reads = ()
    if reads is None:
        _reads.pop(op, None)
    else:
        _reads[op] = frozenset(reads)
    return rule


def register_array(op, array_rule=None):
    """Register the ndarray twin of `op`'s rule (a decorator placed right below that rule).

    `array_rule(g, out, *inputs, **attrs)` computes the same gradients with numpy: `g` and `out`
    are ndarrays, the inputs stay Tensors (read `.data`, and `.requires_grad` to skip work), and it
    returns ndarrays (None where no gradient). Backward uses it when it records nothing (no
    create_graph) and the rule it twins is in force: it then costs a numpy call per gradient
    instead of a recorded minigrad op. An override, or registering another rule for `op`, makes
    backward use that rule instead; the twin serves again when the original is back.

    >>> @mg.primitive
    ... def double(a):
    ...     return 2 * a
    >>> @double.defvjp
    ... def double_vjp(g, out, a):
    ...     return (g * 2,)
    >>> @mg.rules.register_array(double.op)
    ... def double_vjp_array(g, out, a):
    ...     return (g * 2,)
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> double(x).sum().backward(); x.grad              # computed by the twin: no create_graph
    tensor([2., 2.])
    """
    if array_rule is None:
        return lambda fn: register_array(op, fn)
    if op not in _registry:
        raise KeyError(f"register_array({op!r}): register the op's rule first, then its array twin")
    _array_twins[op] = (_registry[op], array_rule)
    return array_rule


def array_rule(op, rule):
    """The ndarray twin of `rule` when `rule` is the one it was registered for, else None.

    What backward asks before each rule call: an override never runs the built-in's twin.

    >>> mg.rules.array_rule("relu", mg.rules.builtin("relu")).__name__
    'relu_vjp_array'
    >>> mg.rules.array_rule("relu", mg.rules.guided_relu) is None
    True
    """
    twin = _array_twins.get(op)
    return twin[1] if twin is not None and twin[0] is rule else None


def reads_values(op, rule):
    """Whether `rule`, in force for `op`, may read its inputs' values (overrides always may).

    Backward refuses a gradient whose rule reads an input that was changed in place after the op.

    >>> mg.rules.reads_values("add", mg.rules.builtin("add")), mg.rules.reads_values("exp", mg.rules.builtin("exp"))
    (False, True)
    """
    return inputs_read(op, rule) != frozenset()


def reads_for_others(op, rule):
    """Whether `rule`, in force for `op`, reads an input's value only for the other inputs' gradients.

    Then an in-place change of that input matters only when another input requires grad.

    >>> mg.rules.reads_for_others("mul", mg.rules.builtin("mul")), mg.rules.reads_for_others("exp", mg.rules.builtin("exp"))
    (True, False)
    """
    return op in _for_others and rule is _registry.get(op)


def inputs_read(op, rule=None):
    """The positions of the inputs whose values `rule` (default: the rule in force for `op`) may read,
    as a frozenset (empty: shapes only), or None for any input (always, for an override).

    >>> sorted(inputs_read("div")), inputs_read("exp"), inputs_read("add")
    ([1], None, frozenset())
    """
    if rule is None:
        rule = get(op)
    return _reads.get(op) if rule is _registry.get(op) else None


_reads_out: dict = {}  # code object -> whether the function reads its second parameter


def reads_out(rule):
    """Whether `rule(g, out, ...)` reads its `out` argument, found in its code (a callable whose code
    cannot be read is assumed to). Backward refuses such a rule when the output was changed in place
    after the op: the rule would read the new values, not the ones the op produced.

    >>> mg.rules.reads_out(mg.rules.builtin("exp")), mg.rules.reads_out(mg.rules.builtin("mul"))
    (True, False)
    """
    code = getattr(getattr(rule, "__func__", rule), "__code__", None)
    if code is None or code.co_argcount < 2:
        return True
    hit = _reads_out.get(code)
    if hit is None:
        import dis
        name = code.co_varnames[1]
        hit = _reads_out[code] = any(i.argval == name and i.opname in ("LOAD_FAST", "LOAD_CLOSURE", "LOAD_DEREF")
                                     for i in dis.get_instructions(code))
    return hit


def get(op):
    """The rule in force for `op` right now (an override in scope wins over the built-in).

    >>> mg.rules.get("relu").__name__
    'relu_vjp'
    >>> with mg.rules.override("guided"):
    ...     mg.rules.get("relu").__name__
    'guided_relu'
    """
    ov = _overrides.get()
    if ov is not None and op in ov:
        return ov[op]
    try:
        return _registry[op]
    except KeyError:
        raise KeyError(f"no backward rule registered for op {op!r}; register one with "
                       f"mg.rules.register({op!r}, rule) or @f.defvjp") from None


def builtin(op):
    """The registered rule, ignoring any override (for overrides that wrap the original).

    >>> with mg.rules.override("guided"):
    ...     mg.rules.builtin("relu").__name__
    'relu_vjp'
    """
    return _registry[op]


def names():
    """The sorted names of every op with a registered rule.

        >>> "relu" in mg.rules.names()
        True
    """
    return sorted(_registry)


def overridden():
    """{op: rule} of the overrides in force in this context (a copy: changing it changes nothing).

    >>> with mg.rules.override("deconvnet"):
    ...     mg.rules.overridden()
    {'relu': <function deconv_relu at ...>}
    >>> mg.rules.overridden()
    {}
    """
    return dict(_overrides.get() or {})


def _unknown(names_):
    unknown = sorted(set(names_) - set(_registry))
    if unknown:
        raise KeyError(f"cannot override unknown op(s) {', '.join(map(repr, unknown))}; "
                       f"known ops: {', '.join(names())}")


@contextlib.contextmanager
def override(preset=None, /, **rules):
    """Swap backward rules inside a `with` block: `override(relu=guided_relu)` or `override("guided")`.

    A preset name (see `presets`) or mapping gives several rules at once; keywords add to it.
    The forward pass is untouched: only the gradients computed inside the block change.

    >>> x = mg.tensor([-1.0, 2.0], requires_grad=True)
    >>> with mg.rules.override(relu=lambda g, out, x: (g,)):     # a straight-through relu
    ...     mg.relu(x).sum().backward()
    >>> x.grad
    tensor([1., 1.])
    """
    mapping = {}
    if preset is not None:
        if isinstance(preset, str):
            if preset not in presets:
                raise KeyError(f"unknown rule preset {preset!r}; known presets: {', '.join(sorted(presets))}")
            preset = presets[preset]
        mapping.update(preset)
    mapping.update(rules)
    _unknown(mapping)
    for op, rule in mapping.items():
        if not callable(rule):
            raise TypeError(f"override for {op!r} must be callable, got {type(rule).__name__}")
    merged = dict(_overrides.get() or {})
    merged.update(mapping)
    token = _overrides.set(merged)
    try:
        yield
    finally:
        _overrides.reset(token)


def add_preset(name, mapping):
    """Name a set of overrides so that `override(name)` applies them together.

    How an explanation method that changes several ops' rules (see `minigrad.nn.explain`)
    becomes one name for `override` and `nn.explain.saliency`.

    >>> mg.rules.add_preset("straight_through", {"relu": lambda g, out, x: (g,)})
    >>> x = mg.tensor([-1.0, 2.0], requires_grad=True)
    >>> with mg.rules.override("straight_through"):
    ...     mg.relu(x).sum().backward()
    >>> x.grad
    tensor([1., 1.])
    """
    presets[name] = dict(mapping)


# -- alternative relu rules (the positive-evidence explanations of a classifier) ------------------

def guided_relu(g, out, x):
    """Guided backpropagation (Springenberg et al. 2014): pass g only where x > 0 and g > 0.

    >>> x = mg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    >>> with mg.rules.override(relu=mg.rules.guided_relu):          # or override("guided")
    ...     (mg.relu(x) * mg.tensor([1.0, 1.0, -1.0])).sum().backward()
    >>> x.grad                                   # blocked: x < 0, and the negative gradient
    tensor([ 0.,  1., -0.])
    """
    return (g * ((x > 0) & (g > 0)),)


def deconv_relu(g, out, x):
    """The deconvnet rule (Zeiler & Fergus 2014): pass g where g > 0, whatever the forward input.

    >>> x = mg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    >>> with mg.rules.override("deconvnet"):
    ...     (mg.relu(x) * mg.tensor([1.0, 1.0, -1.0])).sum().backward()
    >>> x.grad                                   # passed at x < 0 too; blocked: the negative gradient
    tensor([ 1.,  1., -0.])
    """
    return (g * (g > 0),)


add_preset("guided", {"relu": guided_relu})
add_preset("deconvnet", {"relu": deconv_relu})

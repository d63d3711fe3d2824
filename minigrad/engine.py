"""Reverse mode: walk the tape backwards, calling each op's rule; `grad`, `Tape`.

Every piece of gradient bookkeeping that is the same for all ops lives here, once: summing a
gradient down to its input's broadcast shape, casting it to the input's dtype, checking its shape,
accumulating where a value is used twice, freeing saved values, detecting in-place edits.
"""
from __future__ import annotations

import numpy as np

from . import rules
from .tensor import (Tensor, _anomaly, _GradMode, _last_change, _owner, _Setting, _wrap, as_tensor,
                     is_grad_enabled, record)

_FREED = ("Trying to backward through the graph a second time: its saved values were freed by the "
          "first backward. Pass retain_graph=True to the first .backward() (or use a persistent "
          "mg.Tape) if you need to backward through it again.")


def _as_of(x, seq):
    """`x` as it was when the op numbered `seq` ran: an in-place change since then gave x a newer
    node, and the value that op consumed lives on in that node's `prev`."""
    while x._node is not None and x._node.seq > seq:
        x = x._node.prev
    return x


def _walk(roots):
    """The recorded nodes reachable from `roots` and their outputs, as two lists, latest first
    (iterative: no recursion limit). A chain comes out of the walk in that order already; only a
    graph with branches needs the sort."""
    seen, nodes, outs, stack = set(), [], [], [r for r in roots if r._node is not None]
    last = None  # seq of the node appended last: the walk is in tape order while each is smaller
    in_order = True
    while stack:
        t = stack.pop()
        node = t._node
        if node in seen:
            continue
        seen.add(node)
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError(_FREED)
        seq = node.seq
        if last is not None and seq > last:
            in_order = False
        last = seq
        nodes.append(node)
        outs.append(t)
        for x in inputs:
            xn = x._node
            if xn is not None and xn.seq > seq:
                x = _as_of(x, seq)
                xn = x._node
            if xn is not None and xn not in seen:
                stack.append(x)
    if not in_order:  # by seq alone: sequence numbers are unique
        order = sorted(range(len(nodes)), key=[n.seq for n in nodes].__getitem__, reverse=True)
        nodes, outs = [nodes[i] for i in order], [outs[i] for i in order]
    return nodes, outs


def _tape(roots):
    """The recorded nodes reachable from `roots` as (seq, node, output), latest first."""
    nodes, outs = _walk(roots)
    return [(node.seq, node, t) for node, t in zip(nodes, outs)]


def sum_to(g, shape, op="?"):
    """Undo broadcasting: sum `g` down to `shape` (raises if g cannot have come from `shape`)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead > 0 and g.shape[lead:] == shape:  # the common case (a bias): only leading axes were added
        return g.sum(axis=tuple(range(lead)))
    if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, g.shape[lead:])):
        raise ValueError(f"backward rule of {op!r} returned a gradient of shape {g.shape} for an input "
                         f"of shape {shape}: not broadcast-compatible")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def _check_versions(node, out, read, for_others, reads_out):
    """Raise, naming it, if a value the rule reads changed in place since the op ran: an input in
    `read` (None: any; `for_others`: the rule reads an input only for the other inputs' gradients)
    or the output."""
    for i, t in enumerate(node.inputs):
        if read is not None and i not in read:
            continue
        owner = _owner(t)
        if owner._changed > node.seq and not (
                for_others and not any(u.requires_grad for j, u in enumerate(node.inputs) if j != i)):
            raise RuntimeError(_changed_message(node, f"input {i} (shape {t.shape})", owner))
    if reads_out and _owner(out)._changed > node.seq:
        raise RuntimeError(_changed_message(node, f"the output (shape {out.shape})", _owner(out)))


def _changed_message(node, what, owner):
    where = f" (created at {node.where})" if node.where else ""
    return (f"{what} of {node.op!r}{where} was modified in place after the op used it (it is at version "
            f"{owner._count} now): its gradient would be wrong. Use an out-of-place op (x = x + 1 instead "
            f"of x += 1) or copy the value before changing it.")


def _anomaly_check(node, grads):
    for i, gi in enumerate(grads):
        if gi is not None and not np.all(np.isfinite(np.asarray(gi.data if isinstance(gi, Tensor) else gi))):
            where = f", created at {node.where}" if node.where else ""
            raise FloatingPointError(f"backward rule of {node.op!r}{where} returned non-finite values "
                                     f"(nan or inf) in the gradient of input {i}")


class _RulesInForce(dict):
    """op -> (rule, its array twin or None, the inputs whose values it reads (None: any), whether only
    for the other inputs' gradients, whether it reads the output), looked up once per op per backward
    pass: the overrides in force cannot change while the pass runs."""

    def __init__(self, plain):
        super().__init__()
        self.plain = plain

    def __missing__(self, op):
        rule = rules.get(op)
        twin = rules.array_rule(op, rule) if self.plain else None
        entry = self[op] = (rule, twin, rules.inputs_read(op, rule), rules.reads_for_others(op, rule),
                            rules.reads_out(twin if twin is not None else rule))
        return entry


def _call_rule(rule, node, out, g, plain):
    """Run `rule` (a Tensor rule: no array twin serves here); returns a tuple of gradients, one per
    input (None where none): ndarrays when `plain` (g is an ndarray then), else Tensors recorded so
    they can be differentiated again."""
    grads = _checked(rule(_wrap(g) if plain else g, out, *node.inputs, **node.attrs), node)
    convert = _as_array if plain else as_tensor
    return tuple(None if gi is None else convert(gi) for gi in grads)


def _checked(grads, node):
    """A rule's answer, if it is one gradient (or None) per input."""
    if not isinstance(grads, (tuple, list)) or len(grads) != len(node.inputs):
        raise TypeError(f"backward rule of {node.op!r} must return a tuple of {len(node.inputs)} "
                        f"gradients (None where none), got {type(grads).__name__}")
    return grads


def _as_array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _propagate(roots, root_grads, keep, plain, retain_graph):
    """The core of reverse mode: walk the tape from `roots` back to the leaves, give each node's rule
    its output's complete gradient, and add up what the rules return per input.

    Returns {tensor: its complete gradient} for the leaves reached, the tensors in `keep` and the
    ones marked with `retain_grad()`: every gradient a caller can ask for. Gradients are ndarrays
    when `plain` (nothing records the backward pass), else Tensors.
    """
    grads = {}  # tensor -> gradient so far; a tensor's is complete when its node comes up
    for r, g in zip(roots, root_grads):
        grads[r] = grads[r] + g if r in grads else g
    kept = {}
    anomaly = _anomaly.get()
    in_force = _RulesInForce(plain)
    for node, out in zip(*_walk(roots)):
        g = grads.pop(out, None)
        if g is not None:
            if out._retain or out in keep:
                kept[out] = g
            inputs = node.inputs
            rule, twin, read, for_others, reads_out = in_force[node.op]
            seq = node.seq
            if _last_change[0] > seq:  # something changed in place since the op ran
                _check_versions(node, out, read, for_others, reads_out)  # raises if the rule reads it
            if twin is not None:  # no create_graph, the built-in rule in force: it costs numpy calls only
                in_grads = twin(g, out.data, *inputs, **node.attrs)
                if type(in_grads) is not tuple or len(in_grads) != len(inputs):
                    in_grads = _checked(in_grads, node)
            else:
                in_grads = _call_rule(rule, node, out, g, plain)
            if anomaly:
                _anomaly_check(node, in_grads)
            for x, gx in zip(inputs, in_grads):
                if gx is None or not x.requires_grad:
                    continue
                xn = x._node
                if xn is not None and xn.seq > seq:
                    x = _as_of(x, seq)  # changed in place since: the op read an older value
                    if not x.requires_grad:
                        continue
                xd = x.data
                # dtype identity first: numpy's built-in dtypes are singletons, so this rarely compares
                if gx.shape != xd.shape or (gx.dtype is not xd.dtype and gx.dtype != xd.dtype):
                    gx = _fit(gx, x, node.op)
                prev = grads.get(x)
                grads[x] = gx if prev is None else prev + gx
        if not retain_graph:
            node.inputs = node.attrs = None
    kept.update(grads)  # every non-leaf was popped above: what is left are the leaves
    return kept


def _fit(gx, x, op):
    """A rule's gradient for `x` summed down to x's shape (undoing broadcasting) and cast to its dtype."""
    if gx.shape != x.data.shape:
        gx = sum_to(gx, x.data.shape, op)
    if gx.dtype != x.data.dtype:
        gx = _cast(gx, x, op)
    return gx


def _cast(gx, x, op):
    if gx.dtype.kind == "c" and x.data.dtype.kind != "c":
        raise TypeError(f"backward of {op!r}: a complex gradient reached a real input (shape {x.shape}); "
                        f"minigrad differentiates real values only and refuses complex intermediates")
    return gx.astype(x.data.dtype)


def _owned(g, plain, handed_out):
    """`g` as a gradient its receiver may keep and change in place: copied when it is read-only (a
    broadcast view) or shares memory with a gradient already handed out (rules pass `g` through:
    `add` gives both inputs the same array). `handed_out` holds the ids of their memory owners."""
    data = g if plain else g.data
    owner = data
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if not data.flags.writeable or id(owner) in handed_out:
        owner = data = data.copy()
        g = data if plain else record("cast", data, (g,))  # a recorded copy: differentiable again
    handed_out.add(id(owner))
    return _wrap(g) if plain else g


def _into_grad(grads, plain):
    """Deliver gradients PyTorch's way: accumulate each into its tensor's `.grad`."""
    handed_out = set()
    for t, g in grads.items():
        if t.grad is None:
            t.grad = _owned(g, plain, handed_out)
        else:  # out of place: a fresh array that nobody else holds
            t.grad = _wrap(t.grad.data + g) if plain else t.grad + g


def _returned(grads, sources, plain):
    """Deliver gradients as a list, one per source (None where none reached it); `.grad` untouched."""
    handed_out = set()
    return [_owned(grads[s], plain, handed_out) if s in grads else None for s in sources]


def run_backward(roots, root_grads, sources=None, retain_graph=False, create_graph=False):
    """Propagate `root_grads` (Tensors) from `roots` to the leaves.

    With `sources` (a list of tensors) return their gradients and leave every `.grad` untouched;
    without, accumulate into `.grad` of the leaves and of retained tensors (PyTorch semantics).
    Without create_graph nothing records the backward pass: gradients travel as bare ndarrays and
    are wrapped into Tensors only where they are delivered.
    """
    plain = not create_graph
    seeds = [g.data for g in root_grads] if plain else root_grads
    keep = _NOTHING if sources is None else set(sources)
    with _GradMode(create_graph):
        grads = _propagate(roots, seeds, keep, plain, retain_graph)
        if sources is None:
            return _into_grad(grads, plain)
        return _returned(grads, sources, plain)


_NOTHING = frozenset()


def _seed(t, grad):
    if not isinstance(t, Tensor):
        raise TypeError(f"backward needs a Tensor, got {type(t).__name__}")
    if not t.requires_grad:
        raise RuntimeError(f"backward on a tensor (shape {t.shape}) that does not require grad: no input "
                           f"of its computation had requires_grad=True, or it was computed under no_grad")
    if t.data.dtype.kind == "c":
        raise TypeError(f"backward on a complex tensor (shape {t.shape}, dtype {t.dtype}): minigrad "
                        f"differentiates real values only; reduce to a real value (abs, a real part) first")
    if grad is None:
        if t.data.size != 1:
            raise RuntimeError(f"backward on a non-scalar tensor of shape {t.shape} needs `grad` (the "
                               f"upstream gradient, same shape), or reduce it to a scalar first (.sum())")
        return _wrap(np.ones_like(t.data))
    grad = as_tensor(grad)
    if grad.shape != t.shape:
        raise ValueError(f"backward: grad of shape {grad.shape} does not match the tensor's shape {t.shape}")
    if grad.requires_grad:  # part of a graph (create_graph): a recorded copy keeps it differentiable
        return record("cast", grad.data.astype(t.dtype), (grad,))
    return _wrap(np.array(grad.data, dtype=t.dtype))  # a copy: the caller's array never becomes a .grad


def backward(t, grad=None, retain_graph=False, create_graph=False):
    run_backward([t], [_seed(t, grad)], retain_graph=retain_graph or create_graph, create_graph=create_graph)


def gradients(target, sources, grad=None, retain_graph=False, create_graph=False):
    """Gradients of `target` with respect to each of `sources`, without touching any `.grad`.

    For code inside a training step (a gradient penalty, an inner optimisation loop): `backward`
    would add into the `.grad` fields the outer step is accumulating.

        >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
        >>> mg.gradients((x ** 3).sum(), [x]), x.grad
        ([tensor([ 3., 12.])], None)
    """
    for s in sources:
        if not isinstance(s, Tensor):
            raise TypeError(f"gradient sources must be Tensors, got {type(s).__name__}")
    return run_backward([target], [_seed(target, grad)], sources=list(sources),
                        retain_graph=retain_graph or create_graph, create_graph=create_graph)


class Tape:
    """TensorFlow-style explicit tape over the same recording machinery.

        >>> x = mg.tensor(3.0)
        >>> with mg.Tape() as tape:
        ...     tape.watch(x)          # x need not require grad
        ...     y = x * x
        >>> dx, = tape.gradient(y, [x]); dx
        tensor(6.)
        >>> x.requires_grad
        False

    A non-persistent tape can answer one `gradient` call; a persistent one keeps its graph.
    Watching makes a tensor require grad only inside the `with` block (and while `gradient` runs):
    leaving the block gives every watched tensor back its `requires_grad=False`.
    """

    def __init__(self, persistent=False):
        self.persistent = persistent
        self._watched = []
        self._used = False
        self._inside = False
        self._mode = _GradMode(True)

    def __enter__(self):
        self._mode.__enter__()
        self._inside = True
        return self

    def __exit__(self, *exc):
        self._mode.__exit__(*exc)
        self._inside = False
        self._set_watched(False)
        return False

    def watch(self, *tensors):
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"Tape.watch needs Tensors, got {type(t).__name__}")
            if t.data.dtype.kind != "f":
                raise TypeError(f"Tape.watch: only real floating-point tensors can be differentiated, "
                                f"got {t.dtype}")
            if not t.requires_grad:
                t.requires_grad = True
                self._watched.append(t)

    def _set_watched(self, flag):
        for t in self._watched:
            t.requires_grad = flag

    def gradient(self, target, sources, output_gradients=None):
        if self._used and not self.persistent:
            raise RuntimeError("a non-persistent Tape can compute gradients only once; "
                               "use mg.Tape(persistent=True) to call gradient() again")
        self._used = True
        single = isinstance(sources, Tensor)
        srcs = [sources] if single else list(sources)
        if not target.requires_grad:
            gs = [None] * len(srcs)
        else:
            self._set_watched(True)  # after the block the watched tensors are plain again
            try:
                gs = gradients(target, srcs, grad=output_gradients, retain_graph=self.persistent)
            finally:
                self._set_watched(self._inside)
        if not self.persistent:
            self.release()
        return gs[0] if single else gs

    def release(self):
        """Stop treating the watched tensors as requiring grad."""
        self._set_watched(False)
        self._watched.clear()


class detect_anomaly(_Setting):
    """`with mg.detect_anomaly():` check every rule's output for nan/inf during backward.

    The first bad gradient raises FloatingPointError naming the op and the file:line of the
    forward call that recorded it. Off by default: recording where each op was made costs a
    stack walk per op.

        >>> x = mg.tensor([-1.0, 4.0], requires_grad=True)
        >>> with mg.detect_anomaly(), np.errstate(invalid="ignore"):
        ...     mg.sqrt(x).sum().backward()
        Traceback (most recent call last):
        FloatingPointError: backward rule of 'sqrt', created at ... returned non-finite values ...
    """

    def __init__(self, enabled=True):
        super().__init__(_anomaly, enabled)

"""The tape as the lecture's table: each value's forward result and its adjoint, in tape order.

Backprop is dynamic programming over the tape: the forward pass fills in every node's value, the
backward pass every node's adjoint d(output)/d(node), last node first. `tape_table` shows both
columns for a small computation, the table a course draws by hand:

    >>> import minigrad as mg
    >>> x = mg.tensor(2.0, requires_grad=True); x.name = "x"
    >>> y = mg.tensor(-3.0, requires_grad=True); y.name = "y"
    >>> print(mg.tape_table((x * y + x).tanh()))
    name   op      inputs   value     adjoint
    x      input            2         -0.002682
    y      input            -3        0.002682
    v1     mul     x, y     -6        0.001341
    v2     add     v1, x    -4        0.001341
    v3     tanh    v2       -0.9993   1
"""
from __future__ import annotations

import html

import numpy as np

from .. import engine
from ..tensor import Tensor, _wrap

__all__ = ["tape_table", "TapeTable"]


def _fmt(a, precision):
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.{precision}g}"
    if a.size <= 4:
        return np.array2string(a.ravel(), precision=precision, separator=", ")
    return f"{a.shape} mean {a.mean():.{precision}g}"


class TapeTable:
    """Rows of (name, op, inputs, value, adjoint); prints as text, shows as HTML in Jupyter."""

    COLUMNS = ("name", "op", "inputs", "value", "adjoint")

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __str__(self):
        cells = [self.COLUMNS] + [tuple(r[c] for c in self.COLUMNS) for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.COLUMNS))]
        return "\n".join("   ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)

    __repr__ = __str__

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in self.COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(r[c])}</td>" for c in self.COLUMNS) + "</tr>"
                       for r in self.rows)
        return f"<table><tr>{head}</tr>{body}</table>"


def tape_table(*outputs, precision=4):
    """Every leaf that requires grad, then every recorded op in the order it ran, with its value
    and its adjoint: the gradient of the sum of `outputs` with respect to that value. Leaves are
    named by their `.name` (or x0, x1...), op results v1, v2... No `.grad` is touched and the
    graph stays usable: the backprop table of a lecture, for any small computation.

        >>> x = mg.tensor([1.0, 2.0], requires_grad=True); x.name = "x"
        >>> print(mg.tape_table((x * x).sum()))
        name   op      inputs   value      adjoint
        x      input            [1., 2.]   [2., 4.]
        v1     mul     x, x     [1., 4.]   [1., 1.]
        v2     sum     v1       5          1
    """
    roots = [o for o in outputs if isinstance(o, Tensor)]
    if len(roots) != len(outputs) or not roots:
        raise TypeError("tape_table: give one or more Tensors, e.g. mg.tape_table(loss)")
    if not any(r.requires_grad for r in roots):
        raise ValueError("tape_table: nothing was recorded (no input requires grad, or it ran under no_grad)")
    entries = engine._tape(roots)[::-1]  # (seq, node, output), latest first: reversed, the order they ran
    leaves, seen = [], set()
    for _, node, _ in entries:
        for t in node.inputs:
            if t._node is None and t.requires_grad and id(t) not in seen:
                seen.add(id(t))
                leaves.append(t)
    tensors = leaves + [out for _, _, out in entries]
    seeds = [_wrap(np.ones_like(r.data)) for r in roots]
    grads = engine.run_backward(roots, seeds, sources=tensors, retain_graph=True)
    names = {}
    for i, t in enumerate(leaves):
        names[id(t)] = t.name or f"x{i}"
    for i, (_, _, out) in enumerate(entries, 1):
        names[id(out)] = out.name or f"v{i}"
    rows = []
    for t, g in zip(tensors, grads):
        node = t._node
        inputs = "" if node is None else ", ".join(names.get(id(x), _fmt(x.data, precision)) for x in node.inputs)
        rows.append({"name": names[id(t)], "op": "input" if node is None else node.op, "inputs": inputs,
                     "value": _fmt(t.data, precision), "adjoint": "0" if g is None else _fmt(g.data, precision)})
    return TapeTable(rows)

"""Draw what the tape recorded, with graphviz.

    g = mg.draw(loss)                      # a graphviz.Digraph: shows inline in Jupyter
    print(g.source)                        # the DOT text (needs no Graphviz install)
    save(g, "graph.svg")                   # .svg / .png / .pdf render with `dot`; .dot writes the text

One box per recorded op (name, output shape and dtype, small attributes such as axes), one per
leaf: parameters (blue boxes, named by their module path like `fc1.weight`), inputs that require
grad (yellow ellipses), constants (dashed grey; scalars show their value). Arrows follow the data,
from an op's inputs to the op. Ops are clustered by the nn.Module call that produced them.

Command line: `python -m minigrad.draw MODULE:CALLABLE --input-shape 1,1,64,64 -o graph.svg`
(see minigrad/draw/__main__.py).
"""
from __future__ import annotations

from ..tensor import Tensor
from .layout import Layout
from .render import DotNotFoundError, Renderer, gradient_norms, module_buffers, save
from .table import TapeTable, tape_table

__all__ = ["draw", "save", "DotNotFoundError", "tape_table", "TapeTable"]


def draw(*outputs, grads=False, values=False, collapse=False, model=None, rankdir="TB", max_nodes=300,
         title=None):
    """The recorded graph that computed `outputs`, as a graphviz.Digraph.

    grads:     False; True draws |grad|, the L2 norm of d(sum of outputs)/d(tensor), on every op,
               leaf and module box. It is computed afresh by a backward pass under the rules in
               force here (an override scope shows the overridden gradients); no `.grad` is
               touched and the graph stays alive. "stored" shows the `.grad` fields instead: what
               the last backward left on leaves, and on intermediates only where `retain_grad()`
               was called ("grad: none" elsewhere).
    values:    draw min / mean / max of every tensor (the value itself when it has one element).
    collapse:  False draws every op. True draws each call of a child of the outermost module as
               one box ("fc1: Linear  (64, 4096) -> (64, 300)", with its op and parameter counts),
               looking through containers that run no op themselves (a Sequential shows its
               layers); an outermost module with no children collapses itself. An int n folds
               the module calls at nesting depth n exactly (1: the whole model is one box).
    model:     the nn.Module that ran, used to name clusters by class ("fc1 (Linear)") and to
               recognise its buffers (grey boxes named like "norm.mean", kept inside the module).
               Without it buffers are drawn as anonymous constants.
    rankdir:   "TB" (top to bottom, default) or "LR", "BT", "RL".
    max_nodes: refuse (ValueError) to draw more boxes than this; None for no cap.
    title:     text in front of the node counts, on the title line above the legend.

    Ops whose backward rule is overridden in the current scope (mg.rules.override) are orange and
    labelled "relu -> guided_relu". Draw before backward, or after `backward(retain_graph=True)`:
    a plain backward frees the graph and drawing it raises a RuntimeError saying so.

        >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
        >>> g = mg.draw((x * x).sum(), values=True)   # shows inline in Jupyter; g.render() writes a file
        >>> import graphviz
        >>> isinstance(g, graphviz.Digraph), g.source.count("->")     # x -> mul (twice), mul -> sum
        (True, 3)
    """
    outputs = _flatten(outputs)
    depth = _collapse_depth(collapse)
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw: rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    if grads not in (False, True, None, "stored"):
        raise ValueError(f"draw: grads must be False, True or 'stored', got {grads!r}")
    layout = Layout(outputs, depth, buffers=module_buffers(model))
    n = len(layout.boxes)
    if max_nodes is not None and n > max_nodes:
        hint = ("collapse=1 to fold whole modules, or a higher max_nodes" if depth else
                "collapse=True to draw each module call as one node, or a higher max_nodes")
        raise ValueError(f"draw: the graph has {n} nodes, more than max_nodes={max_nodes}; pass {hint} "
                         f"(e.g. max_nodes={n})")
    gmap = gradient_norms(layout, grads) if grads else None
    return Renderer(layout, gmap, values, model, rankdir, title).graph()


def _flatten(outputs):
    flat = []
    for o in outputs:
        items = o if isinstance(o, (list, tuple)) else [o]
        for t in items:
            if not isinstance(t, Tensor):
                raise TypeError(f"draw: outputs must be Tensors, got {type(t).__name__}")
            flat.append(t)
    if not flat:
        raise TypeError("draw: give at least one output tensor, e.g. mg.draw(loss)")
    return flat


def _collapse_depth(collapse):
    if collapse is True:
        return "auto"
    if collapse is False or collapse is None:
        return 0
    if isinstance(collapse, int) and collapse >= 1:
        return collapse
    raise ValueError(f"draw: collapse must be True, False or a nesting depth >= 1, got {collapse!r}")

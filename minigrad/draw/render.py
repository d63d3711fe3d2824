"""Turn a Layout into a styled graphviz.Digraph, and write it to a file.

Colours carry meaning and the graph's title doubles as the legend: blue boxes are parameters,
grey boxes module buffers, yellow ellipses inputs that require grad, dashed grey boxes constants,
white rounded boxes ops, green the outputs, orange an op whose backward rule is overridden in the
current scope, violet a collapsed module call. Clusters are module calls, tinted darker the deeper
they nest. The legend lists only the kinds that appear.
"""
from __future__ import annotations

import functools
import html
import os
import shutil

import numpy as np

from .. import engine, rules
from ..tensor import Tensor, _wrap
from .layout import leaf_kind

STYLE = {  # kind -> (fill, border, legend text)
    "param": ("#d0ebff", "#1971c2", "parameter"),
    "input": ("#fff3bf", "#e67700", "input (requires grad)"),
    "buffer": ("#e9ecef", "#868e96", "buffer"),
    "const": ("#f8f9fa", "#adb5bd", "constant"),
    "op": ("#ffffff", "#495057", "op"),
    "output": ("#d3f9d8", "#2b8a3e", "output"),
    "override": ("#ffc078", "#d9480f", "overridden rule"),
    "module": ("#e5dbff", "#5f3dc4", "module call"),
}
SHAPE = {"param": "box", "buffer": "box", "input": "ellipse", "const": "box", "op": "box", "module": "box"}
CLUSTER_FILL = ["#f8f9fa", "#edf2f7", "#e2e8f0", "#d7dee8"]
MUTED = "#495057"
INSTALL = ("rendering needs Graphviz's `dot` program, which is not on PATH. Install it with "
           "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
           "`conda install graphviz`. The DOT text is still available as graph.source, or "
           "save(graph, 'graph.dot').")


class DotNotFoundError(RuntimeError):
    """Graphviz's `dot` executable is missing: the graph can be built but not rendered."""


def require_dot():
    if shutil.which("dot") is None:
        raise DotNotFoundError(INSTALL)


@functools.lru_cache(maxsize=None)
def digraph_class():
    """graphviz.Digraph whose rendering entry points check for `dot` first (made lazily)."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("mg.draw needs the graphviz Python package: pip install graphviz "
                          "(and `apt-get install graphviz` for the `dot` renderer)") from None

    class Graph(graphviz.Digraph):
        __doc__ = graphviz.Digraph.__doc__

        def pipe(self, *args, **kwargs):
            require_dot()
            return super().pipe(*args, **kwargs)

        def render(self, *args, **kwargs):
            require_dot()
            return super().render(*args, **kwargs)

    return Graph


def save(graph, path):
    """Write `graph` to `path`: .dot/.gv as DOT text (no Graphviz needed), else render by extension."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(graph.source)
        return path
    if fmt not in ("svg", "png", "pdf", "jpg", "jpeg"):
        raise ValueError(f"save: cannot tell the format from {path!r}; use a .svg, .png, .pdf or .dot name")
    require_dot()
    data = graph.pipe(format=fmt)
    with open(path, "wb") as f:
        f.write(data)
    return path


# -- text of the labels ---------------------------------------------------------------------------

def fmt_shape(shape):
    return "scalar" if shape == () else str(tuple(shape))


def fmt_num(v):
    return f"{v:.3g}"


def value_summary(t):
    d = t.data
    if d.size == 0 or d.dtype.kind not in "fiub":
        return None
    if d.size == 1:
        return f"= {fmt_num(d.item())}"
    d = d.astype(np.float64)
    return f"min {fmt_num(d.min())}  mean {fmt_num(d.mean())}  max {fmt_num(d.max())}"


def attrs_summary(node):
    """The small, readable attributes of an op (axes, stride, ...), skipping saved arrays."""
    parts = []
    for k, v in (node.attrs or {}).items():
        if v is None or v is False:
            continue
        simple = isinstance(v, (bool, int, float, str)) or (
            isinstance(v, tuple) and all(isinstance(e, (int, np.integer)) for e in v))
        text = repr(v) if not isinstance(v, tuple) else "(" + ", ".join(map(str, v)) + ("," if len(v) == 1 else "") + ")"
        if simple and len(text) <= 24:
            parts.append(f"{k}={text}")
    return " ".join(parts)


def html_label(lines):
    """lines: (text, bold, point size or None, colour or None) -> an HTML-like graphviz label."""
    out = []
    for text, bold, size, colour in lines:
        s = html.escape(text)
        if bold:
            s = f"<b>{s}</b>"
        if size or colour:
            attrs = (f' point-size="{size}"' if size else "") + (f' color="{colour}"' if colour else "")
            s = f"<font{attrs}>{s}</font>"
        out.append(s)
    return "<" + "<br/>".join(out) + ">"


def gradient_norms(layout, mode):
    """id(tensor) -> gradient (or None) for the drawn tensors; see draw(grads=...)."""
    tensors = [b.tensor for b in layout.boxes.values() if b.tensor is not None and b.tensor.requires_grad]
    for b in layout.boxes.values():
        tensors.extend(t for t in b.outputs if t.requires_grad)
    if mode == "stored":
        return {id(t): t.grad for t in tensors}
    roots = [t for t in layout.outputs if t.requires_grad]
    if not roots:
        return {}
    seeds = [_wrap(np.ones_like(t.data)) for t in roots]
    # sources= returns the gradients without touching any .grad; retain_graph keeps the tape drawable
    gs = engine.run_backward(roots, seeds, sources=tensors, retain_graph=True)
    return {id(t): g for t, g in zip(tensors, gs)}


def grad_text(t, grads):
    if grads is None or t is None or not t.requires_grad:
        return None
    g = grads.get(id(t))
    if g is None:
        return "grad: none"
    norm = float(np.sqrt(np.sum(np.square(np.asarray(g.data, dtype=np.float64)))))
    return f"|grad| {fmt_num(norm)}"


def module_classes(model):
    """Dotted module path (without the outermost class name) -> class name, when a model is given."""
    if model is None or not hasattr(model, "named_modules"):
        return {}
    return {name: type(m).__name__ for name, m in model.named_modules()}


def module_buffers(model):
    """id(array) -> dotted name of each buffer: a buffer enters the tape as a constant around it."""
    if model is None or not hasattr(model, "named_buffers"):
        return {}
    return {id(b.data if isinstance(b, Tensor) else b): name for name, b in model.named_buffers()}


def call_title(call, classes):
    """'fc1 (Linear)' for a child call, 'MLP' for an outermost one (its scope is the class name)."""
    if call.depth == 1:
        return call.name
    inner = call.path.split(".", 1)[1]
    cls = classes.get(inner)
    return f"{call.name} ({cls})" if cls and cls != call.name else call.name


# -- graph ------------------------------------------------------------------------------------------

class Renderer:
    def __init__(self, layout, grads, values, model, rankdir, title):
        self.layout = layout
        self.grads = grads
        self.values = values
        self.classes = module_classes(model)
        self.overridden = rules.overridden()
        self.out_ids = {id(t) for t in layout.outputs}
        self.used = set()        # legend entries that appear
        self.rankdir = rankdir
        self.title = title

    def graph(self):
        Graph = digraph_class()
        g = Graph("minigrad", graph_attr=dict(rankdir=self.rankdir, nodesep="0.18", ranksep="0.28",
                                              fontname="Helvetica", fontsize="11", labelloc="t",
                                              labeljust="l", newrank="true"),
                  node_attr=dict(fontname="Helvetica", fontsize="10", height="0.3", margin="0.08,0.03",
                                 penwidth="1.2"),
                  edge_attr=dict(color="#868e96", arrowsize="0.6", penwidth="1.0"))
        self._fill(g, self.layout.root)
        for src, dst in self.layout.edges:
            kind = self.layout.boxes[src].kind
            style = {"style": "dashed"} if kind == "const" else {}
            if kind == "param":
                style["color"] = "#74c0fc"
            g.edge(src, dst, **style)
        g.attr(label=self.legend())
        return g

    def _fill(self, g, call):
        for bid in sorted(call.boxes, key=lambda b: self.layout.boxes[b].order):
            self.box(g, self.layout.boxes[bid])
        for child in call.children:
            with g.subgraph(name=child.id) as sub:
                fill = CLUSTER_FILL[min(child.depth - 1, len(CLUSTER_FILL) - 1)]
                sub.attr(label=call_title(child, self.classes), style="rounded,filled", fillcolor=fill,
                         color="#adb5bd", fontcolor=MUTED, fontsize="10", labeljust="l", margin="8")
                self._fill(sub, child)

    def box(self, g, box):
        if box.kind == "module":
            return self.module_box(g, box)
        t = box.tensor
        lines, style = [], ["filled"]
        kind = box.kind
        if kind == "op":
            op = box.node.op
            head = op
            if op in self.overridden:
                rule = self.overridden[op]
                head = f"{op} \u2192 {getattr(rule, '__name__', type(rule).__name__)}"
                kind = "override"
            if t.name:
                head = f"{t.name}: {head}"
            extra = attrs_summary(box.node)
            lines.append((head, True, None, None))
            if extra:
                lines.append((extra, False, "8", MUTED))
            style.append("rounded")
        elif kind in ("param", "buffer", "input"):
            lines.append((box.name or {"param": "parameter"}.get(kind, kind), True, None, None))
        else:
            style.append("dashed")
            if t.size == 1 and t.dtype.kind in "fiub":
                lines.append((fmt_num(t.data.item()) if t.dtype.kind != "b" else str(t.data.item()),
                              False, None, "#343a40"))
            else:
                lines.append((box.name or "constant", False, None, "#343a40"))
        if not (box.kind == "const" and t.size == 1):
            lines.append((f"{fmt_shape(t.shape)} {t.dtype}", False, "8", MUTED))
        if box.kind == "buffer" and t.size == 1 and not self.values:
            lines.append((value_summary(t), False, "8", MUTED))
        self._extras(lines, t)
        if id(t) in self.out_ids and kind != "override":
            kind = "output"
        self.used.add(kind)
        fill, border, _ = STYLE[kind]
        attrs = dict(shape=SHAPE[box.kind], style=",".join(style), fillcolor=fill, color=border)
        if id(t) in self.out_ids:
            attrs["peripheries"] = "2"
        g.node(box.id, html_label(lines), **attrs)

    def module_box(self, g, box):
        call = box.call
        cls = self.classes.get(call.path.split(".", 1)[1]) if call.depth > 1 else None
        head = f"{call.name}: {cls}" if cls and cls != call.name else call.name
        ins = [t for t in box.inputs if leaf_or_op(t) != "param"]
        lines = [(head, True, None, None),
                 (f"{shapes(ins)} \u2192 {shapes(box.outputs)}", False, "9", None)]
        nparams = sum(p.size for p in box.params)
        info = plural(len(box.ops), "op") + (f" \u00b7 {nparams:,} params" if nparams else "")
        lines.append((info, False, "8", MUTED))
        kinds = sorted({n.op for n, _ in box.ops if n.op in self.overridden})
        kind = "module"
        if kinds:
            lines.append((", ".join(f"{k} \u2192 {getattr(self.overridden[k], '__name__', '?')}" for k in kinds),
                          True, "9", STYLE["override"][1]))
            kind = "override"
        if len(box.outputs) == 1:
            self._extras(lines, box.outputs[0])
        self.used.add(kind)
        fill, border, _ = STYLE[kind]
        attrs = dict(shape="box", style="filled,bold,rounded", fillcolor=fill, color=border)
        if any(id(t) in self.out_ids for t in box.outputs):
            attrs["peripheries"] = "2"
            self.used.add("output")
        g.node(box.id, html_label(lines), **attrs)

    def _extras(self, lines, t):
        if self.values:
            v = value_summary(t)
            if v:
                lines.append((v, False, "8", "#1864ab"))
        gt = grad_text(t, self.grads)
        if gt:
            lines.append((gt, False, "8", "#c92a2a"))

    def legend(self):
        nops = sum(1 for b in self.layout.boxes.values() if b.kind == "op")
        nmods = sum(1 for b in self.layout.boxes.values() if b.kind == "module")
        nleaves = len(self.layout.boxes) - nops - nmods
        parts = [plural(nops, "op")] if nops or not nmods else []
        if nmods:
            parts.append(plural(nmods, "module call"))
        parts.append(plural(nleaves, "leaf", "leaves"))
        counts = ", ".join(parts)
        head = html.escape(self.title + "  \u00b7  " if self.title else "") + counts
        chips = [(STYLE[k][2], STYLE[k][0], STYLE[k][1]) for k in STYLE if k in self.used]
        if self.grads is not None:
            chips.append(("|grad|: L2 norm", None, None))
        cells = []
        for text, fill, border in chips:
            # every size fixed: graphviz would otherwise stretch the chips to the title's width
            frame = f'bgcolor="{fill}" color="{border}" border="1"' if fill else ""
            body = html.escape(text) if fill else f'<font color="#c92a2a">{html.escape(text)}</font>'
            cells.append(f'<td {frame} fixedsize="true" width="{chip_width(text)}" height="18">{body}</td>')
        width = sum(chip_width(t) for t, _, _ in chips) + 3 * (len(chips) + 1)
        row = (f'<table border="0" cellspacing="3" cellpadding="0" fixedsize="true" width="{width}" '
               f'height="24"><tr>' + "".join(cells) + "</tr></table>")
        # title on its own row so that a narrow graph is not widened by one long line
        return (f'<<table border="0" cellspacing="0" cellpadding="1"><tr><td align="left"><b>{head}</b></td></tr>'
                f'<tr><td align="left">{row}</td></tr></table>>')


def leaf_or_op(t):
    return "op" if t._node is not None else leaf_kind(t)


def chip_width(text):
    return int(5.8 * len(text)) + 12   # points, for Helvetica at the graph's font size


def plural(n, word, many=None):
    return f"{n} {word if n == 1 else (many or word + 's')}"


def shapes(ts):
    if not ts:
        return "()"
    text = ", ".join(fmt_shape(t.shape) for t in ts[:3])
    return text + (", \u2026" if len(ts) > 3 else "")

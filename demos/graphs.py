"""Computation graphs of the two applications' networks, expanded and collapsed, as SVG and PNG."""
from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.draw import DotNotFoundError, save
from minigrad.nn import functional as F


def face_graph(model_path):
    """The face MLP's forward and loss on two faces, from the model the faces demo saved."""
    from models.faces import load_model
    model, _ = load_model(model_path)
    model.eval()
    x = mg.tensor(np.random.default_rng(0).random((2, model.n_pixels), dtype=np.float32), requires_grad=True)
    loss = model.loss(model(x), np.array([0, 1]))
    return model, loss


def orientation_graph(model_path):
    """The orientation CNN's forward and loss on one photo."""
    from models.orientation import load_model
    model, _, cfg, _ = load_model(model_path)
    model.eval()
    shape = (1, 3 if cfg.color else 1, cfg.size, cfg.size)
    x = mg.tensor(np.random.default_rng(0).random(shape, dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(model(x), np.array([0]))
    return model, loss


def make_graphs(out, face_model, orientation_model):
    """Draw both networks both ways; returns figure entries for the report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, build, path, what in [
        ("face_mlp", face_graph, face_model, "the one-hidden-layer face network"),
        ("orientation_cnn", orientation_graph, orientation_model, "the photo-orientation CNN"),
    ]:
        model, loss = build(path)
        for collapse, how in ((True, "collapsed: one box per layer"), (False, "expanded: every recorded op")):
            graph = mg.draw(loss, model=model, collapse=collapse, grads=True, rankdir="TB",
                            title=f"{what}, {how}")
            svg = out / f"{name}_{'collapsed' if collapse else 'expanded'}.svg"
            save(graph, svg.with_suffix(".dot"))
            caption = f"What the tape recorded for {what}'s loss, {how}; |grad| is the norm of each value's gradient."
            try:
                save(graph, svg)
                save(graph, svg.with_suffix(".png"))
            except DotNotFoundError as e:  # the DOT text is still worth showing; say how to get pictures
                svg = svg.with_suffix(".dot")
                caption += f" Not rendered: {e}"
            entries.append({"path": str(svg), "file": svg.name, "title": f"Graph of {what} ({how.split(':')[0]})",
                            "caption": caption})
    return entries

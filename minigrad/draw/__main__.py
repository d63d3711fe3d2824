"""Draw a model's graph from the command line.

    python -m minigrad.draw MODULE:CALLABLE --input-shape 1,1,64,64 -o graph.svg [--collapse]

MODULE is imported from the current directory (run from the checkout: `models.faces:...`).
Literal arguments may follow the callable: "models.faces:FaceMLP(4096, 6)". CALLABLE() returns either a model (an nn.Module or any callable taking one tensor) or a pair
(model, loss_fn) where loss_fn(output) returns the loss to draw. The model is fed a random
float32 input of the given shape that requires grad. Without a loss_fn, a scalar output is drawn
as it is and any other output is drawn through `output.sum()`, a stand-in loss that shows the
whole forward graph (and gives gradients to draw with --grads).
The output format follows the -o extension: .svg, .png, .pdf (need Graphviz's `dot`) or .dot.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import os
import sys

import numpy as np

from ..tensor import Tensor
from . import draw, save


def parse_shape(text):
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input-shape must be comma-separated integers like 1,1,64,64, "
                                         f"got {text!r}") from None
    if not shape or any(s <= 0 for s in shape):
        raise argparse.ArgumentTypeError(f"--input-shape needs positive sizes, got {text!r}")
    return shape


def parse_collapse(text):
    if text is None:
        return True
    try:
        depth = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--collapse takes an optional nesting depth (an integer), "
                                         f"got {text!r}") from None
    if depth < 1:
        raise argparse.ArgumentTypeError(f"--collapse depth must be >= 1, got {depth}")
    return depth


def load(spec):
    """MODULE:CALLABLE[(literal args)] -> a factory, importing MODULE from the current directory."""
    module_name, sep, attr = spec.partition(":")
    attr, paren, arg_text = attr.partition("(")
    if not sep or not module_name or not attr or (paren and not arg_text.endswith(")")):
        raise SystemExit(f"error: expected MODULE:CALLABLE or MODULE:CALLABLE(args) (like "
                         f"models.faces:build), got {spec!r}")
    args, kwargs = literal_args(arg_text[:-1], spec) if paren else ((), {})
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise SystemExit(f"error: cannot import {module_name!r} from {os.getcwd()}: {e}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SystemExit(f"error: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SystemExit(f"error: {spec} is a {type(obj).__name__}, not a callable that returns a model")
    return lambda: obj(*args, **kwargs)


def literal_args(text, spec):
    """Arguments written after the callable, Python literals only (numbers, strings, tuples...)."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        return ([ast.literal_eval(a) for a in call.args],
                {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg})
    except (SyntaxError, ValueError):
        raise SystemExit(f"error: the arguments in {spec!r} must be Python literals "
                         f"(like FaceMLP(4096, 6, hidden=300))") from None


def trace(factory, shape, seed=0):
    """Run the model once on a random input; returns (outputs to draw, the model)."""
    made = factory()
    model, loss_fn = made if isinstance(made, tuple) and len(made) == 2 else (made, None)
    if not callable(model):
        raise SystemExit(f"error: the callable returned a {type(model).__name__}, not a model")
    x = Tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), requires_grad=True,
               name="input")
    out = model(x)
    if loss_fn is not None:
        out = loss_fn(out)
    if isinstance(out, (tuple, list)):
        return list(out), model
    if not isinstance(out, Tensor):
        raise SystemExit(f"error: the model returned a {type(out).__name__}, not a Tensor")
    if out.size != 1:
        out = out.sum()
        out.name = "loss"
    return [out], model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m minigrad.draw", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("target", metavar="MODULE:CALLABLE")
    p.add_argument("--input-shape", type=parse_shape, required=True, help="like 1,1,64,64")
    p.add_argument("-o", "--output", default="graph.svg", help="file to write (.svg, .png, .pdf, .dot)")
    p.add_argument("--collapse", nargs="?", const=None, default=False, type=parse_collapse, metavar="DEPTH",
                   help="one box per child-module call (or per module call at DEPTH)")
    p.add_argument("--rankdir", default="TB", choices=["TB", "LR", "BT", "RL"])
    p.add_argument("--max-nodes", type=int, default=300, help="refuse bigger graphs (0: no cap)")
    p.add_argument("--grads", action="store_true", help="show gradient norms of the loss")
    p.add_argument("--values", action="store_true", help="show min / mean / max of every tensor")
    p.add_argument("--seed", type=int, default=0, help="seed of the random input")
    args = p.parse_args(argv)
    # argparse does not call `type` on a bare flag's const: a bare --collapse means True
    collapse = True if args.collapse is None else args.collapse

    outputs, model = trace(load(args.target), args.input_shape, args.seed)
    try:
        g = draw(*outputs, grads=args.grads, values=args.values, collapse=collapse,
                 model=model if hasattr(model, "named_modules") else None, rankdir=args.rankdir,
                 max_nodes=args.max_nodes or None, title=args.target)
        path = save(g, args.output)
    except (ValueError, RuntimeError) as e:
        raise SystemExit(f"error: {e}") from None
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Pytrees: nested dicts, lists and tuples whose leaves are arrays, Tensors or numbers.

The function transforms (`mg.grad`, `mg.jvp`, `mg.vjp`, ...) accept a pytree wherever they accept
an array, and give results back in the same structure: `mg.grad(loss)(model.state_dict())` is a
dict of gradients with the state dict's keys. A structure is flattened once into a list of leaves
and a `TreeDef` that rebuilds it.

    >>> from minigrad import pytree
    >>> leaves, tree = pytree.flatten({"w": [1.0, 2.0], "b": (3.0,)})
    >>> leaves
    [1.0, 2.0, 3.0]
    >>> pytree.unflatten(tree, [10, 20, 30])
    {'w': [10, 20], 'b': (30,)}
"""
from __future__ import annotations

from collections import OrderedDict

_LEAF = None  # the TreeDef kind of a leaf


class TreeDef:
    """How to rebuild a pytree from its leaves: a kind (dict, list, tuple or leaf), keys, children.

    >>> tree = flatten({"w": [1.0, 2.0], "b": 3.0})[1]
    >>> tree, tree.n
    ({'w': [*, *], 'b': *}, 3)
    """

    __slots__ = ("kind", "keys", "children", "n")

    def __init__(self, kind, keys=(), children=()):
        self.kind, self.keys, self.children = kind, tuple(keys), tuple(children)
        self.n = 1 if kind is _LEAF else sum(c.n for c in self.children)

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind is other.kind and self.keys == other.keys
                and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.keys, self.children))

    def __repr__(self):
        if self.kind is _LEAF:
            return "*"
        if self.kind is dict or (isinstance(self.kind, type) and issubclass(self.kind, dict)):
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children)) + "}"
        inner = ", ".join(map(repr, self.children))
        return f"[{inner}]" if self.kind is list else f"({inner}{',' if len(self.children) == 1 else ''})"

    @property
    def is_leaf(self):
        return self.kind is _LEAF


def _is_node(x):
    return isinstance(x, (dict, list, tuple))


def flatten(tree):
    """(leaves, treedef) of a pytree: leaves in dict insertion order, depth first.

    >>> flatten([1.0, {"a": 2.0}])[0]
    [1.0, 2.0]
    """
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(x, leaves):
    if isinstance(x, dict):
        keys = list(x)
        return TreeDef(type(x), keys, [_flatten(x[k], leaves) for k in keys])
    if isinstance(x, (list, tuple)):
        return TreeDef(type(x), (), [_flatten(c, leaves) for c in x])
    leaves.append(x)
    return TreeDef(_LEAF)


def unflatten(treedef, leaves):
    """The pytree of structure `treedef` holding `leaves` (in flatten's order).

    >>> unflatten(flatten((1, [2]))[1], ["a", "b"])
    ('a', ['b'])
    """
    leaves = list(leaves)
    if len(leaves) != treedef.n:
        raise ValueError(f"unflatten: the structure {treedef!r} has {treedef.n} leaves, got {len(leaves)}")
    it = iter(leaves)
    return _build(treedef, it)


def _build(td, it):
    if td.kind is _LEAF:
        return next(it)
    children = [_build(c, it) for c in td.children]
    if td.kind is list:
        return children
    if td.kind is tuple:
        return tuple(children)
    if issubclass(td.kind, tuple):  # a namedtuple
        return td.kind(*children)
    if td.kind is dict or td.kind is OrderedDict:
        return td.kind(zip(td.keys, children))
    out = td.kind()
    out.update(zip(td.keys, children))
    return out


def flatten_like(tree, treedef, name="tangents", ref="primals"):
    """The leaves of `tree`, which must have the structure `treedef`, in `treedef`'s order.

    Dicts match by key (in any order). A mismatch raises ValueError naming the path where the two
    structures part ways.

    >>> _, td = flatten({"w": 1.0, "b": 2.0})
    >>> flatten_like({"b": 20.0, "w": 10.0}, td)
    [10.0, 20.0]
    """
    leaves = []
    _match(tree, treedef, leaves, name, ref)
    return leaves


def _describe(x):
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a leaf ({type(x).__name__})"


def _match(x, td, leaves, path, ref):
    def fail(expected):
        raise ValueError(f"structure mismatch at {path}: {ref} have {expected}, got {_describe(x)}")
    if td.kind is _LEAF:
        if _is_node(x):
            fail("a leaf (array or Tensor)")
        leaves.append(x)
        return
    if isinstance(td.kind, type) and issubclass(td.kind, dict):
        if not isinstance(x, dict):
            fail(f"a dict with keys {sorted(map(str, td.keys))}")
        if set(x) != set(td.keys):
            missing, extra = sorted(map(str, set(td.keys) - set(x))), sorted(map(str, set(x) - set(td.keys)))
            raise ValueError(f"structure mismatch at {path}: keys differ from the {ref}'"
                             + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else ""))
        for k, c in zip(td.keys, td.children):
            _match(x[k], c, leaves, f"{path}[{k!r}]", ref)
        return
    if not isinstance(x, (list, tuple)) or len(x) != len(td.children):
        fail(f"a {td.kind.__name__} of length {len(td.children)}")
    for i, (xi, c) in enumerate(zip(x, td.children)):
        _match(xi, c, leaves, f"{path}[{i}]", ref)


def leaf_paths(treedef, root="x"):
    """The path of every leaf of `treedef`, as Python indexing from `root`, in flatten's order.

    >>> leaf_paths(flatten({"w": [1.0, 2.0]})[1], "params")
    ["params['w'][0]", "params['w'][1]"]
    """
    if treedef.kind is _LEAF:
        return [root]
    subs = ([f"{root}[{k!r}]" for k in treedef.keys] if treedef.keys or issubclass(treedef.kind, dict)
            else [f"{root}[{i}]" for i in range(len(treedef.children))])
    return [p for sub, c in zip(subs, treedef.children) for p in leaf_paths(c, sub)]


def tree_map(fn, tree, *rest):
    """`fn` applied leaf by leaf to `tree` (and to the matching leaves of `rest`), same structure.

    >>> tree_map(lambda a, b: a + b, {"x": 1, "y": [2]}, {"x": 10, "y": [20]})
    {'x': 11, 'y': [22]}
    """
    leaves, td = flatten(tree)
    others = [flatten_like(r, td, f"argument {i + 1}", "the first argument") for i, r in enumerate(rest)]
    return unflatten(td, [fn(*xs) for xs in zip(leaves, *others)])

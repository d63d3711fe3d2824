"""Function transforms on the tape: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

Everything here is built from one operation, reverse mode (`engine.gradients`), and the same rule
registry, so every op works with every transform (built-ins, a user's `@mg.primitive`, and the
rules of `mg.rules.override` in force).

Forward mode without a second rule table: the "transpose of the VJP". For f: R^n -> R^m at x,
backward with a symbolic cotangent u (create_graph) records g(u) = J^T u, which is linear in u.
Then J t = d/du <g(u), t>, one more (plain) backward. Cost: a forward, a recorded backward and a
plain backward over the backward's graph, about 3-4 evaluations of f whatever n and m are
(measured in benchmarks/README.md). No op needs a JVP rule, so ops added later, user primitives
and overrides get forward mode for free. This relies on rules being linear in g, as every VJP is;
a rule that is not (guided backpropagation's `g > 0` mask) has no forward mode to transpose, and
`jvp` then gives the derivative of that rule at g = 0.

Arguments may be pytrees (nested dicts, lists, tuples of arrays/Tensors, see `minigrad.pytree`);
results come back in the same structure. An argument that is a Tensor requiring grad, or any
call nested inside another transform, keeps the graph so the result can be differentiated again.
"""
from __future__ import annotations

import contextvars

import numpy as np

from . import pytree
from .engine import gradients
from .tensor import Tensor, _GradMode, _wrap, as_tensor, is_grad_enabled

_depth = contextvars.ContextVar("minigrad_transform_depth", default=0)


# -- shared plumbing -----------------------------------------------------------------------------

def _leaf(x, path):
    """A leaf of an argument as a Tensor to differentiate: (tensor, whether it came tracked)."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x, True
    if isinstance(x, Tensor):
        data = x.data
    else:
        try:
            data = np.asarray(x)
        except Exception as e:  # noqa: BLE001 - name the offending leaf instead
            raise TypeError(f"{path}: cannot differentiate a leaf of type {type(x).__name__}") from e
    if data.dtype.kind not in "fc":
        if data.dtype.kind not in "biu":
            raise TypeError(f"{path}: cannot differentiate a leaf of dtype {data.dtype} "
                            f"(type {type(x).__name__}); leaves must be numbers, arrays or Tensors")
        data = data.astype(np.float64)
    return Tensor(data, requires_grad=True), False


def _argnums(argnums, nargs, who):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{who}: argnums is empty; give an int or a non-empty tuple of ints")
    for i in nums:
        if not isinstance(i, int) or not -nargs <= i < nargs:
            raise IndexError(f"{who}: argnums={argnums} but f was called with {nargs} positional arguments")
    return single, tuple(i % nargs for i in nums)


class _Args:
    """The differentiated arguments, flattened: fresh leaf Tensors, their structure, their paths."""

    def __init__(self, args, nums, who):
        self.args, self.nums, self.trees, self.leaves = list(args), nums, [], []
        tracked = False
        for i in nums:
            flat, tree = pytree.flatten(self.args[i])
            paths = pytree.leaf_paths(tree, f"{who}: argument {i}")
            ts = []
            for x, p in zip(flat, paths):
                t, came = _leaf(x, p)
                tracked |= came
                ts.append(t)
            self.args[i] = pytree.unflatten(tree, ts)
            self.trees.append(tree)
            self.leaves.append(ts)
        # keep the graph when someone outside may differentiate the result again
        self.higher = is_grad_enabled() and (tracked or _depth.get() > 0)

    @property
    def flat(self):
        return [t for ts in self.leaves for t in ts]

    def split(self, flat, single):
        """Flat per-leaf results -> one pytree per argnum (the argnum's own when `single`)."""
        out, k = [], 0
        for tree in self.trees:
            out.append(pytree.unflatten(tree, flat[k:k + tree.n]))
            k += tree.n
        return out[0] if single else tuple(out)


def _call(f, args, kwargs, has_aux=False, who="f"):
    token = _depth.set(_depth.get() + 1)
    try:
        with _GradMode(True):
            out = f(*args, **kwargs)
    finally:
        _depth.reset(token)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{who} with has_aux=True needs f to return a pair (output, aux), got "
                            f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, tuple) else ""))
        out, aux = out
        aux = pytree.tree_map(lambda a: a.detach() if isinstance(a, Tensor) else a, aux)
    return out, aux


def _outputs(out):
    leaves, tree = pytree.flatten(out)
    return [as_tensor(o) if not isinstance(o, Tensor) else o for o in leaves], tree


def _zeros(t):
    return _wrap(np.zeros_like(t.data))


def _fill(gs, like):
    return [g if g is not None else _zeros(x) for g, x in zip(gs, like)]


def _inner(outs, cots):
    """sum_i <outs_i, cots_i> over the outputs that require grad (None if none does)."""
    total = None
    for o, c in zip(outs, cots):
        if o.requires_grad:
            term = (o * c).sum()
            total = term if total is None else total + term
    return total


def _vjp(outs, srcs, cots, create_graph=False, retain_graph=False):
    """J^T c for the flat outputs `outs` and flat sources; zeros where nothing flows."""
    live = [(o, c) for o, c in zip(outs, cots) if o.requires_grad]
    if not live:
        return [_zeros(s) for s in srcs]
    if len(live) == 1:
        (o, c), = live
        gs = gradients(o, srcs, grad=c, create_graph=create_graph, retain_graph=retain_graph)
    else:
        gs = gradients(_inner(*zip(*live)), srcs, create_graph=create_graph, retain_graph=retain_graph)
    return _fill(gs, srcs)


def _transposed(outs, srcs):
    """(us, gs): symbolic cotangents u (one per output) and g(u) = J^T u, recorded (linear in u)."""
    us = [Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs]
    gs = _vjp(outs, srcs, us, create_graph=True, retain_graph=True)
    return us, gs


def _jvp(outs, srcs, tans, higher):
    """J t by the transpose of the VJP: t_out = d/du <J^T u, t>."""
    us, gs = _transposed(outs, srcs)
    s = _inner(gs, tans)
    if s is None:
        return [_zeros(o) for o in outs]
    return _fill(gradients(s, us, create_graph=higher), outs)


def _check_tangents(tangents, primal_leaves, tree, who, name, ref):
    flat = pytree.flatten_like(tangents, tree, name, ref)
    paths = pytree.leaf_paths(tree, name)
    out = []
    for t, p, path in zip(flat, primal_leaves, paths):
        t = t if isinstance(t, Tensor) else _wrap(np.asarray(t, dtype=p.dtype if np.ndim(t) == 0 else None))
        if t.shape != p.shape:
            raise ValueError(f"{who}: {path} has shape {t.shape}, the matching leaf of the {ref} has shape {p.shape}")
        out.append(t)
    return out


def _result(ts, higher):
    return ts if higher else [t.detach() for t in ts]


# -- the public transforms -----------------------------------------------------------------------

def value_and_grad(f, argnums=0, has_aux=False):
    """`value_and_grad(f)(x) -> (f(x), grad f(x))`; with `has_aux`, f returns (value, aux) and the
    result is `((value, aux), grad)`. Arguments and gradients may be pytrees.

    >>> import numpy as np, minigrad as mg
    >>> value, g = mg.value_and_grad(lambda p: (p["w"] ** 2).sum() + p["b"])({"w": np.array([1.0, 2.0]), "b": 3.0})
    >>> float(value), g["w"].tolist(), float(g["b"])
    (8.0, [2.0, 4.0], 1.0)
    """
    def value_and_grad_f(*args, **kwargs):
        single, nums = _argnums(argnums, len(args), "value_and_grad")
        a = _Args(args, nums, "value_and_grad")
        out, aux = _call(f, a.args, kwargs, has_aux, "value_and_grad")
        if isinstance(out, (dict, list, tuple)) or as_tensor(out).data.size != 1:
            shape = "a " + type(out).__name__ if isinstance(out, (dict, list, tuple)) else f"shape {as_tensor(out).shape}"
            raise ValueError(f"grad needs f to return a scalar (one element), got {shape}"
                             + ("; with has_aux=True f returns (scalar, aux)" if has_aux else
                                "; if f also returns auxiliary data pass has_aux=True"))
        out = as_tensor(out)
        srcs = a.flat
        gs = _vjp([out], srcs, [_wrap(np.ones_like(out.data))], create_graph=a.higher)
        value = out if a.higher else out.detach()
        grads = a.split(_result(gs, a.higher), single)
        return ((value, aux), grads) if has_aux else (value, grads)

    value_and_grad_f.__name__ = f"value_and_grad_{getattr(f, '__name__', 'f')}"
    return value_and_grad_f


def grad(f, argnums=0, has_aux=False):
    """`mg.grad(f)(x)`: the gradient of scalar-valued `f` at `x` (x's structure); nests for higher orders.

    `argnums` picks the argument (a tuple gives a tuple of gradients); with `has_aux=True` f returns
    `(scalar, aux)` and the result is `(grad, aux)`. A Tensor argument that already requires grad is
    differentiated in place with the graph kept, so an outer transform can differentiate again.

    >>> import numpy as np, minigrad as mg
    >>> mg.grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    tensor([ 3., 12.])
    >>> mg.grad(mg.grad(lambda x: x ** 3))(2.0)
    tensor(12.)
    """
    vg = value_and_grad(f, argnums, has_aux)

    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    grad_f.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return grad_f


def vjp(f, *primals, has_aux=False):
    """`out, vjp_fn = mg.vjp(f, *primals)`; `vjp_fn(cotangent)` -> one gradient per primal (a tuple).

    The cotangent has the structure of `out`; each gradient that of its primal. `vjp_fn` may be
    called many times (the graph is kept while it lives). With `has_aux`: `(out, vjp_fn, aux)`.

    >>> import numpy as np, minigrad as mg
    >>> out, vjp_fn = mg.vjp(lambda x, y: x * y, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    >>> [g.tolist() for g in vjp_fn(np.array([1.0, 10.0]))]
    [[3.0, 40.0], [1.0, 20.0]]
    """
    a = _Args(primals, tuple(range(len(primals))), "vjp")
    out, aux = _call(f, a.args, {}, has_aux, "vjp")
    outs, out_tree = _outputs(out)
    srcs = a.flat

    def vjp_fn(cotangent):
        cots = _check_tangents(cotangent, outs, out_tree, "vjp_fn", "cotangent", "outputs")
        gs = _vjp(outs, srcs, cots, create_graph=a.higher, retain_graph=True)
        return a.split(_result(gs, a.higher), single=False)

    value = pytree.unflatten(out_tree, _result(outs, a.higher))
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(f, primals, tangents, has_aux=False):
    """Forward mode: `(f(*primals), J·tangents)`; `primals`, `tangents`: tuples of the same structure.

    Works for every op that has a VJP (no JVP rules needed: see the module docstring), at the
    cost of about three evaluations of f, whatever the number of inputs and outputs.

    >>> import numpy as np, minigrad as mg
    >>> out, t = mg.jvp(lambda x: mg.sin(x) * x, (np.array([0.0, 1.0]),), (np.ones(2),))
    >>> np.round(t.data, 4).tolist()           # d/dx x sin x = sin x + x cos x
    [0.0, 1.3818]
    """
    if not isinstance(primals, tuple):
        raise TypeError(f"jvp: primals must be a tuple of arguments, got {type(primals).__name__} "
                        f"(write mg.jvp(f, (x,), (t,)) for one argument)")
    a = _Args(primals, tuple(range(len(primals))), "jvp")
    tans = _check_tangents(tangents, a.flat, pytree.flatten(tuple(a.args))[1], "jvp", "tangents", "primals")
    out, aux = _call(f, a.args, {}, has_aux, "jvp")
    outs, out_tree = _outputs(out)
    touts = _jvp(outs, a.flat, tans, a.higher)
    res = (pytree.unflatten(out_tree, _result(outs, a.higher)), pytree.unflatten(out_tree, _result(touts, a.higher)))
    return res + (aux,) if has_aux else res


def jacobian(f, argnums=0, mode="rev", has_aux=False):
    """The Jacobian of `f`: for an output of shape S and an argument x, an array of shape S + x.shape.

    `mode="rev"`: one forward, then one backward per output element (cheap for few outputs).
    `mode="fwd"`: one forward and one recorded backward, then one backward of that graph per
    input element (cheap for few inputs). Pytree outputs/arguments give nested results: the
    output's structure, holding the argument's structure (a tuple of them for tuple argnums).

    >>> import numpy as np, minigrad as mg
    >>> mg.jacobian(lambda x: x ** 2, mode="fwd")(np.array([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    def jacobian_f(*args, **kwargs):
        single, nums = _argnums(argnums, len(args), "jacobian")
        a = _Args(args, nums, "jacobian")
        out, aux = _call(f, a.args, kwargs, has_aux, "jacobian")
        outs, out_tree = _outputs(out)
        srcs = a.flat
        blocks = (_jac_rev if mode == "rev" else _jac_fwd)(outs, srcs, a.higher)  # blocks[i][j]: out i, src j
        per_out = [a.split(_result(row, a.higher), single) for row in blocks]
        jac = pytree.unflatten(out_tree, per_out)
        return (jac, aux) if has_aux else jac

    jacobian_f.__name__ = f"jacobian_{getattr(f, '__name__', 'f')}"
    return jacobian_f


def _stack_rows(rows, lead_shape, src):
    """Rows (one per element of an output or input), each shaped like `src`, as lead_shape + src.shape."""
    from .ops import stack
    return stack(rows).reshape(tuple(lead_shape) + src.shape) if rows else _wrap(np.zeros(tuple(lead_shape) + src.shape, src.dtype))


def _jac_rev(outs, srcs, higher):
    blocks = []
    for o in outs:
        rows = [[] for _ in srcs]
        if o.requires_grad:
            seed = np.zeros(o.data.size, dtype=o.dtype)
            for k in range(o.data.size):
                seed[k] = 1
                gs = _vjp([o], srcs, [_wrap(seed.reshape(o.shape).copy())], create_graph=higher, retain_graph=True)
                seed[k] = 0
                for r, g in zip(rows, gs):
                    r.append(g)
        else:
            rows = [[_zeros(s)] * o.data.size for s in srcs]
        blocks.append([_stack_rows(r, o.shape, s) for r, s in zip(rows, srcs)])
    return blocks


def _jac_fwd(outs, srcs, higher):
    live = [o for o in outs if o.requires_grad]
    cols = [[[] for _ in srcs] for _ in outs]  # cols[i][j]: J_ij t for each basis t of src j
    if live:
        us, gs = _transposed(live, srcs)
    for j, (s, g) in enumerate(zip(srcs, gs if live else srcs)):
        flat = g.reshape(-1) if live and g.requires_grad else None
        for k in range(s.data.size):
            if flat is None:
                touts = [_zeros(o) for o in live]
            else:  # <g(u), e_k> = g(u)[k]
                touts = _fill(gradients(flat[k], us, retain_graph=True, create_graph=higher), live)
            it = iter(touts)
            for i, o in enumerate(outs):
                cols[i][j].append(next(it) if o.requires_grad else _zeros(o))
    blocks = []
    for i, o in enumerate(outs):
        row = []
        for j, s in enumerate(srcs):
            c = _stack_rows(cols[i][j], s.shape, o)               # s.shape + o.shape
            row.append(_move_front(c, s.ndim, o.ndim))            # o.shape + s.shape
        blocks.append(row)
    return blocks


def _move_front(t, n_lead, n_tail):
    """Swap the first n_lead axes with the last n_tail axes."""
    if n_lead == 0 or n_tail == 0:
        return t
    axes = tuple(range(n_lead, n_lead + n_tail)) + tuple(range(n_lead))
    return t.transpose(axes)


def hessian(f, argnums=0):
    """The Hessian of scalar-valued `f`: shape x.shape + x.shape (nested for pytrees).

    Computed as the reverse-mode Jacobian of the gradient (one recorded backward, then one plain
    backward of it per parameter).

    >>> import numpy as np, minigrad as mg
    >>> mg.hessian(lambda x: (x[0] ** 2) * x[1])(np.array([1.0, 3.0])).tolist()
    [[6.0, 2.0], [2.0, 0.0]]
    """
    h = jacobian(grad(f, argnums), argnums, mode="rev")
    h.__name__ = f"hessian_{getattr(f, '__name__', 'f')}"
    return h


def hvp(f, x, v):
    """H(x)·v for scalar-valued `f` of one argument `x` (a pytree), without forming H.

    Differentiates <grad f(x), v> once more (reverse over reverse): about one forward and two
    backward passes, the same H·v as forward-over-reverse `mg.jvp(mg.grad(f), (x,), (v,))[1]`
    (H is symmetric) for one pass less with this engine's transposed forward mode.

    >>> import numpy as np, minigrad as mg
    >>> mg.hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.ones(2)).tolist()   # 6 x * v
    [6.0, 12.0]
    """
    a = _Args((x,), (0,), "hvp")
    srcs = a.flat
    vs = _check_tangents(v, srcs, a.trees[0], "hvp", "v", "x")
    out, _ = _call(f, a.args, {}, who="hvp")
    if isinstance(out, (dict, list, tuple)) or as_tensor(out).data.size != 1:
        raise ValueError(f"hvp needs f to return a scalar (one element), got "
                         f"{type(out).__name__ if isinstance(out, (dict, list, tuple)) else as_tensor(out).shape}")
    out = as_tensor(out)
    if not out.requires_grad:
        return a.split([_zeros(s) for s in srcs], single=True)
    gs = gradients(out, srcs, create_graph=True)
    s = _inner([g for g in gs if g is not None], [w for g, w in zip(gs, vs) if g is not None])
    hv = _fill(gradients(s, srcs, create_graph=a.higher), srcs) if s is not None else [_zeros(t) for t in srcs]
    return a.split(_result(hv, a.higher), single=True)

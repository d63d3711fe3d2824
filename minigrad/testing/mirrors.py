"""What each recorded op computes, written again with numpy and with PyTorch: the fuzzers' references.

`NUMPY[op](xs, attrs, out)` and `TORCH[op](torch, xs, attrs, out)` recompute a tape node from its
inputs `xs` (ndarrays, or torch tensors) and its recorded attributes; `out` is minigrad's result,
used for its shape and dtype only (and for pad's constant border), never for the values checked.
A mirror raises `NoMirror` for attribute combinations its library cannot express. minigrad never
imports torch: the caller passes the module in.

`replay(roots, known, mirror)` re-runs the tape that made `roots` with one of these tables, starting
from the tensors in `known` (id -> value): it is how a program's PyTorch twin is built, whatever
ops the program used. Ops missing here make `replay` raise NoMirror naming them (see `missing`).
"""
from __future__ import annotations

import numpy as np

from ..engine import _as_of

from ._mirror_tables import NUMPY, TORCH, NoMirror, _flat_positions, _np, _th  # noqa: F401 - re-exported


def _elementwise(op, np_fn, torch_name):
    NUMPY[op] = lambda xs, attrs, out: np_fn(*xs)
    TORCH[op] = lambda torch, xs, attrs, out: getattr(torch, torch_name)(*xs)


for _op, _f, _t in [("add", np.add, "add"), ("sub", np.subtract, "sub"), ("mul", np.multiply, "mul"),
                    ("div", np.true_divide, "div"), ("pow", np.power, "pow"), ("neg", np.negative, "neg"),
                    ("exp", np.exp, "exp"), ("log", np.log, "log"), ("sqrt", np.sqrt, "sqrt"),
                    ("abs", np.abs, "abs"), ("sin", np.sin, "sin"), ("cos", np.cos, "cos"),
                    ("tanh", np.tanh, "tanh"), ("maximum", np.maximum, "maximum"),
                    ("minimum", np.minimum, "minimum"), ("matmul", np.matmul, "matmul"),
                    ("relu", lambda x: np.maximum(x, 0).astype(x.dtype), "relu"),
                    ("sigmoid", lambda x: (1 / (1 + np.exp(-x))).astype(x.dtype), "sigmoid")]:
    _elementwise(_op, _f, _t)


NUMPY["clip"] = lambda xs, a, out: np.clip(xs[0], a["lo"], a["hi"])
TORCH["clip"] = lambda torch, xs, a, out: torch.clamp(xs[0], a["lo"], a["hi"])
NUMPY["where"] = lambda xs, a, out: np.where(a["cond"], *xs)
TORCH["where"] = lambda torch, xs, a, out: torch.where(torch.as_tensor(a["cond"]), *xs)


@_np("cast")
def _cast_np(xs, a, out):
    return xs[0].astype(out.dtype)


@_th("cast")
def _cast_torch(torch, xs, a, out):
    dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
             np.dtype(np.float16): torch.float16}.get(out.dtype)
    if dtype is None:
        raise NoMirror(f"cast to {out.dtype}: no torch dtype")
    return xs[0].to(dtype)


def _dims(a):
    return tuple(a["axes"])


def _reduction(op, np_fn, torch_fn):
    NUMPY[op] = lambda xs, a, out: np.asarray(np_fn(xs[0], axis=_dims(a), keepdims=a["keepdims"]))
    TORCH[op] = lambda torch, xs, a, out: torch_fn(torch)(xs[0], dim=_dims(a), keepdim=a["keepdims"])


def _torch_reduce(name):
    def fn(torch):
        f = getattr(torch, name)
        return lambda x, dim, keepdim: f(x, dim=dim, keepdim=keepdim) if dim else (x.clone() if keepdim or x.ndim == 0 else x)
    return fn


_reduction("sum", np.sum, _torch_reduce("sum"))
_reduction("mean", np.mean, _torch_reduce("mean"))
_reduction("max", np.max, _torch_reduce("amax"))  # amax shares the gradient among ties, as max does here
_reduction("min", np.min, _torch_reduce("amin"))


@_np("logsumexp")
def _logsumexp_np(xs, a, out):
    x, axes = xs[0], _dims(a)
    m = np.max(x, axis=axes, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return r if a["keepdims"] else np.squeeze(r, axis=axes)


_th("logsumexp")(lambda torch, xs, a, out: torch.logsumexp(xs[0], dim=_dims(a), keepdim=a["keepdims"]))


def _one_axis(a, op):
    if len(a["axes"]) != 1:
        raise NoMirror(f"{op} over several axes {a['axes']}: torch takes one dim")
    return a["axes"][0]


@_np("softmax")
def _softmax_np(xs, a, out):
    e = np.exp(xs[0] - np.max(xs[0], axis=_dims(a), keepdims=True))
    return e / np.sum(e, axis=_dims(a), keepdims=True)


@_np("log_softmax")
def _log_softmax_np(xs, a, out):
    z = xs[0] - np.max(xs[0], axis=_dims(a), keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=_dims(a), keepdims=True))


_th("softmax")(lambda torch, xs, a, out: torch.softmax(xs[0], dim=_one_axis(a, "softmax")))
_th("log_softmax")(lambda torch, xs, a, out: torch.log_softmax(xs[0], dim=_one_axis(a, "log_softmax")))

# -- shape ops: the result's shape is recorded in `out` ---------------------------------------------
NUMPY["broadcast_to"] = lambda xs, a, out: np.broadcast_to(xs[0], out.shape)
TORCH["broadcast_to"] = lambda torch, xs, a, out: xs[0].broadcast_to(out.shape)
NUMPY["reshape"] = lambda xs, a, out: xs[0].reshape(out.shape)
TORCH["reshape"] = lambda torch, xs, a, out: xs[0].reshape(out.shape)
NUMPY["transpose"] = lambda xs, a, out: xs[0].transpose(a["axes"])
TORCH["transpose"] = lambda torch, xs, a, out: xs[0].permute(a["axes"]) if a["axes"] else xs[0]
NUMPY["concatenate"] = lambda xs, a, out: np.concatenate(xs, axis=a["axis"])
TORCH["concatenate"] = lambda torch, xs, a, out: torch.cat(list(xs), dim=a["axis"])
NUMPY["stack"] = lambda xs, a, out: np.stack(xs, axis=a["axis"])
TORCH["stack"] = lambda torch, xs, a, out: torch.stack(list(xs), dim=a["axis"])


def torch_key(torch, key):
    """A numpy index as torch takes it (index arrays become tensors).

    >>> torch_key(None, (slice(1, None), 0))  # no index arrays: torch not needed
    (slice(1, None, None), 0)
    """
    if isinstance(key, tuple):
        return tuple(torch_key(torch, k) for k in key)
    if isinstance(key, np.ndarray):
        return torch.as_tensor(key)
    if isinstance(key, slice) and key.step is not None and key.step < 0:
        raise NoMirror(f"slice {key} with a negative step: torch has none")
    return int(key) if isinstance(key, np.integer) else key


NUMPY["getitem"] = lambda xs, a, out: xs[0][a["key"]]
TORCH["getitem"] = lambda torch, xs, a, out: xs[0][torch_key(torch, a["key"])]


@_np("scatter_add")
def _scatter_add_np(xs, a, out):
    z = np.zeros(out.shape, dtype=out.dtype)
    np.add.at(z.reshape(-1), _flat_positions(out.shape, a["key"]).reshape(-1),
              np.broadcast_to(xs[0], _flat_positions(out.shape, a["key"]).shape).reshape(-1))
    return z


@_th("scatter_add")
def _scatter_add_torch(torch, xs, a, out):
    pos = _flat_positions(out.shape, a["key"])
    src = xs[0].broadcast_to(pos.shape).reshape(-1)
    z = torch.zeros(int(np.prod(out.shape)), dtype=xs[0].dtype)
    return z.index_add(0, torch.as_tensor(pos.reshape(-1)), src).reshape(out.shape)


@_np("index_update")
def _index_update_np(xs, a, out):
    x = xs[0].copy()
    x[a["key"]] = xs[1]
    return x


@_th("index_update")
def _index_update_torch(torch, xs, a, out):
    pos = _flat_positions(out.shape, a["key"])
    value = xs[1].broadcast_to(pos.shape).reshape(-1)
    return xs[0].reshape(-1).index_put((torch.as_tensor(pos.reshape(-1)),), value).reshape(out.shape)


def _interior(a, shape_in):
    return tuple(slice(b, b + n) for (b, _), n in zip(a["widths"], shape_in))


@_np("pad")
def _pad_np(xs, a, out):
    r = np.array(out, copy=True)  # the border is the constant (not recorded); the interior is checked
    r[_interior(a, xs[0].shape)] = xs[0]
    return r


@_th("pad")
def _pad_torch(torch, xs, a, out):
    r = torch.as_tensor(np.array(out, copy=True)).to(xs[0].dtype)
    r[_interior(a, tuple(xs[0].shape))] = xs[0]
    return r


def derive(ops, torch=None, seeds=(1, 2, 3)):
    """Mirror ops added later without writing them here: an op recorded without attributes and named
    like a numpy ufunc (arcsinh, expm1, hypot, ...) gets np.<op> (and torch.<op> when torch has it),
    but only if they reproduce minigrad's forward on its spec's draws, values and dtype. Returns
    {op: why not} for the ops it considered and left out.

    >>> derive([])
    {}
    """
    from .draw import NumpyDraw
    from .specs import SPECS
    from ..engine import _tape
    from ..tensor import Tensor
    left = {}
    for op in ops:
        fn = getattr(np, op, None)
        if op in NUMPY or op not in SPECS or not isinstance(fn, np.ufunc):
            continue
        tfn = getattr(torch, op, None) if torch is not None and op not in TORCH else None
        ok_np, ok_torch = True, tfn is not None
        try:
            for seed in seeds:
                f, xs = SPECS[op](NumpyDraw(seed))
                out = f(*[Tensor(np.asarray(x), requires_grad=np.asarray(x).dtype.kind == "f") for x in xs])
                for _, node, t in _tape([out]):
                    if node.op != op:
                        continue
                    if node.attrs:
                        raise NoMirror(f"{op} is recorded with attributes {sorted(node.attrs)}")
                    args = [x.data for x in node.inputs]
                    want = fn(*args)
                    ok_np &= want.dtype == t.dtype and np.allclose(want, t.data, rtol=1e-10, atol=1e-12, equal_nan=True)
                    if ok_torch:
                        got = tfn(*[torch.as_tensor(a) for a in args]).numpy()
                        ok_torch &= got.dtype == t.dtype and np.allclose(got, t.data, rtol=1e-10, atol=1e-12, equal_nan=True)
        except Exception as e:  # noqa: BLE001 - any failure leaves the op unmirrored, with the reason
            left[op] = f"not derived: {type(e).__name__}: {e}"
            continue
        if ok_np:
            NUMPY[op] = lambda xs, a, out, fn=fn: fn(*xs)
        else:
            left[op] = f"np.{op} differs from minigrad's {op} on its spec's draws"
        if ok_torch and ok_np:
            TORCH[op] = lambda torch, xs, a, out, name=op: getattr(torch, name)(*xs)
    return left


def disagreements(ops, torch=None, seeds=range(8)):
    """{op: what differs} for the ops among `ops` whose numpy (and torch, if given) mirror does not
    reproduce minigrad's node, values and dtype, on their spec's draws (ops without a spec or mirror
    are left out: `missing` lists those).

    >>> disagreements(["add", "exp"])
    {}
    """
    from .draw import NumpyDraw
    from .specs import SPECS
    from ..engine import _tape
    from ..tensor import Tensor
    bad = {}
    for op in ops:
        if op not in NUMPY or op not in SPECS:
            continue
        try:
            for seed in seeds:
                f, xs = SPECS[op](NumpyDraw(seed))
                out = f(*[Tensor(np.asarray(x), requires_grad=np.asarray(x).dtype.kind == "f") for x in xs])
                for _, node, t in _tape([out]) if isinstance(out, Tensor) else ():
                    if node.op != op:
                        continue
                    args = [x.data for x in node.inputs]
                    tol = 1e-5 if t.dtype == np.float32 else 1e-9
                    want = np.asarray(NUMPY[op](args, node.attrs, t.data))
                    if want.dtype != t.dtype or not np.allclose(want, t.data, rtol=tol, atol=tol, equal_nan=True):
                        raise AssertionError(f"numpy mirror differs on seed {seed}")
                    if torch is not None and op in TORCH:
                        got = TORCH[op](torch, [torch.as_tensor(x) for x in args], node.attrs, t.data)
                        got = got.detach().numpy()
                        if got.dtype != t.dtype or not np.allclose(got, t.data, rtol=tol, atol=tol, equal_nan=True):
                            raise AssertionError(f"torch mirror differs on seed {seed}")
        except NoMirror:
            continue
        except Exception as e:  # noqa: BLE001 - reported with the op's name
            bad[op] = f"{type(e).__name__}: {e}"
    return bad


def missing(table, ops):
    """The ops among `ops` that `table` cannot replay.

    >>> missing(NUMPY, ["add", "no_such_op"])
    ['no_such_op']
    """
    return sorted(set(ops) - set(table))


def replay(roots, known, mirror, constant):
    """Recompute `roots` (Tensors) from the tensors in `known` ({id(tensor): value}) with `mirror`.

    `mirror(op, xs, attrs, out)` computes one node, `constant(array)` lifts a value the tape holds
    as a constant (a leaf not in `known`). Returns the values of `roots`; raises NoMirror.

    >>> from minigrad import Tensor
    >>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> y = (x * 3.0).exp().sum()
    >>> replay([y], {id(x): np.zeros(2)}, numpy_mirror, np.asarray)
    [array(2.)]
    """
    values = dict(known)
    order, stack, outs = [], [r for r in roots if id(r) not in values], {}
    while stack:  # collect the nodes between `known` and the roots (the tape, as the engine walks it)
        t = stack.pop()
        if t._node is None or id(t._node) in outs:
            continue
        outs[id(t._node)] = t.data  # what the node produced: its shape and dtype guide the mirror
        order.append(t._node)
        for x in t._node.inputs:
            x = _as_of(x, t._node.seq) if x._node is not None and x._node.seq > t._node.seq else x
            if id(x) not in values:
                stack.append(x)
    by_node = {}
    for node in sorted(order, key=lambda n: n.seq):
        xs = []
        for x in node.inputs:
            x = _as_of(x, node.seq) if x._node is not None and x._node.seq > node.seq else x
            if id(x) in values:
                xs.append(values[id(x)])
            elif x._node is not None:
                xs.append(by_node[id(x._node)])
            else:
                xs.append(constant(x.data))
        by_node[id(node)] = mirror(node.op, xs, node.attrs, outs[id(node)])
    return [values[id(r)] if id(r) in values else
            (by_node[id(r._node)] if r._node is not None else constant(r.data)) for r in roots]


def numpy_mirror(op, xs, attrs, out):
    """Recompute one tape node with numpy (the `mirror` argument of `replay`).

    >>> numpy_mirror("exp", [np.zeros(2)], {}, np.zeros(2))
    array([1., 1.])
    """
    if op not in NUMPY:
        raise NoMirror(f"no numpy mirror for op {op!r} (add one to minigrad/testing/mirrors.py)")
    return NUMPY[op](xs, attrs, out)


def torch_mirror(torch):
    """The `mirror` argument of `replay` that recomputes tape nodes with the given torch module.

    >>> callable(torch_mirror(None))
    True
    """
    def mirror(op, xs, attrs, out):
        if op not in TORCH:
            raise NoMirror(f"no torch mirror for op {op!r} (add one to minigrad/testing/mirrors.py)")
        return TORCH[op](torch, xs, attrs, out)
    return mirror


from . import mirrors_nn  # noqa: E402,F401 - the mirrors of minigrad.nn's ops register themselves
from . import mirrors_more  # noqa: E402,F401 - and those of the ops added since (linalg, scans, ...)

__all__ = ["NUMPY", "TORCH", "NoMirror", "replay", "missing", "disagreements", "numpy_mirror", "torch_mirror", "torch_key"]

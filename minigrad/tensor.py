"""Tensor, the tape node and grad mode: the core everything else stands on.

The tape is implicit: every recorded op gets a `Node` stamped with a global sequence number, so the
nodes reachable from an output, sorted by that number, are exactly the tape in execution order.
Nothing keeps a global list of nodes: a graph lives as long as the tensors that reach it, and
reference counting frees it (no cycles: output -> node -> inputs, never back).
"""
from __future__ import annotations

import contextvars
import itertools
import os
import sys
import threading
import weakref

import numpy as np

_grad_enabled = contextvars.ContextVar("minigrad_grad_enabled", default=True)
_anomaly = contextvars.ContextVar("minigrad_anomaly", default=False)
# dotted path of the module call in progress ("MLP.fc1"); nn.Module sets it, drawings cluster by it
_scope = contextvars.ContextVar("minigrad_scope", default=None)
_seq = itertools.count()  # next() is atomic under the GIL, so threads never share a number
_last_change = [-1]  # the sequence number of the latest in-place change anywhere (see Tensor._version)
_change_lock = threading.Lock()  # so that _last_change only grows when threads change tensors at once


class Node:
    """One tape entry: which op made a tensor, from what, and what its rule needs."""

    # `prev` is set only by an in-place change: the tensor that held the value before it
    __slots__ = ("op", "inputs", "attrs", "seq", "scope", "where", "prev", "__weakref__")

    def __init__(self, op, inputs, attrs):
        self.op = op
        self.inputs = inputs      # tuple of Tensors; None once freed after backward
        self.attrs = attrs        # keyword arguments of the rule (axes, saved arrays, ...)
        self.seq = next(_seq)     # also the clock in-place changes are stamped with (Tensor._version)
        self.scope = _scope.get()
        self.where = _creation_site() if _anomaly.get() else None

    def __repr__(self):
        return f"<Node {self.op} #{self.seq}>"


def _owner(t):
    """The tensor whose version counter guards `t`'s memory: its base when `t` is a view."""
    return t if t._base is None else t._base


def _creation_site():
    """file:line of the first frame outside minigrad's own ops and engine, for error messages."""
    f = sys._getframe(2)
    while f is not None and _is_internal(f.f_code.co_filename):
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else "<unknown>"


_HERE = os.path.dirname(os.path.abspath(__file__))


def _is_internal(filename):
    return filename.startswith(_HERE)


class Tensor:
    """An n-dimensional array that remembers how it was computed (when it requires grad).

    Wraps a numpy array (`.data`) without copying it; `mg.tensor` is the copying constructor.
    Arithmetic, indexing and numpy functions on tensors are recorded, so `backward()` can fill
    the `.grad` of every leaf that requires grad.

        >>> x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
        >>> y = (x * x).sum(); y
        tensor(5., op=sum)
        >>> y.backward(); x.grad
        tensor([2., 4.])
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_count", "_changed", "_base", "_views", "_retain", "name",
                 "__weakref__")
    __array_priority__ = 100  # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        data = np.asarray(data, dtype=dtype)
        if requires_grad and data.dtype.kind != "f":
            _refuse_grad(data.dtype)
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._node = None
        self._count = 0       # in-place changes so far, and the `_seq` number of the last (see _version)
        self._changed = -1
        self._base = None     # the tensor whose memory this one views (shares its version counter)
        self._views = None    # weak references to the views of this tensor's memory (see view_of)
        self._retain = False
        self.name = name

    @property
    def _version(self):
        """How many times this tensor's memory was changed in place. Code that changes it says so with
        `t._version += 1`, which also stamps the change with the tape's clock (`_changed`, a sequence
        number): a node older than the stamp consumed a value that is gone, and backward refuses to
        use it. Nodes save nothing for this, and backward looks only when some change is newer than
        the node (`_last_change`)."""
        return self._count

    @_version.setter
    def _version(self, count):
        with _change_lock:
            self._count = count
            self._changed = _last_change[0] = next(_seq)

    # -- array protocol and conveniences -------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._node is None)

    def numpy(self):
        """The values as an ndarray (shares memory; never on the tape, even when this requires grad).

        >>> tensor([1.0, 2.0], requires_grad=True).numpy()
        array([1., 2.])
        """
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with exactly one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    __hash__ = object.__hash__  # comparisons are elementwise, but tensors still key dicts by identity

    def __getstate__(self):  # pickle and deepcopy: a copy has no views yet (weak references don't pickle)
        state = {k: getattr(self, k) for k in Tensor.__slots__ if k != "__weakref__" and hasattr(self, k)}
        state["_views"] = None
        state["_changed"] = -1  # a stamp of this process's clock: meaningless in another
        return None, state

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", threshold=60)
        extra = ""
        if self.data.dtype not in (np.float64, np.int64, np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", op={self._node.op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # -- numpy interop: numpy's functions on tensors record, or refuse (the policy: ops/interop.py) ----
    def __array__(self, dtype=None, copy=None):
        from .ops import interop
        return interop.to_array(self, dtype, copy)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .ops import interop
        return interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from .ops import interop
        return interop.array_function(func, args, kwargs)
    # -- end of numpy interop ---------------------------------------------------------------------

    def detach(self):
        """The same values, cut off from the tape (shares memory, like torch.Tensor.detach): an
        in-place change of either bumps the version both are checked against, but the detached
        tensor is not a view whose history follows the original's."""
        out = _wrap(self.data)
        out._base = _owner(self)
        return out

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind != "f":
            _refuse_grad(self.dtype)
        if not flag and self._node is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use .detach() instead")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self):
        """Keep .grad on this non-leaf tensor after backward (leaves always keep theirs)."""
        self._retain = True
        return self

    def zero_grad(self):
        self.grad = None

    def backward(self, grad=None, retain_graph=False, create_graph=False):
        from .engine import backward
        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)


def _refuse_grad(dtype):
    if dtype.kind == "c":
        raise TypeError(f"complex tensors cannot require grad (dtype {dtype}): minigrad differentiates "
                        f"real values only; treat the real and imaginary parts as two real tensors")
    raise TypeError(f"only floating-point tensors can require grad; got dtype {dtype} "
                    f"(pass dtype=np.float32 or np.float64)")


def _wrap(data):
    """A constant tensor around an existing array, with no checks (the hot path)."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = False
    t._node = None
    t._count = 0
    t._changed = -1
    t._base = None
    t._views = None
    t._retain = False
    t.name = None
    return t


def view_of(out, x):
    """Mark `out` as sharing `x`'s memory, so an in-place change of either is seen by both.

    The owner of the memory keeps weak references to its views: an in-place change recorded on the
    tape must know whether a live view would see values its history does not explain.
    """
    if np.may_share_memory(out.data, x.data):  # bounds check only: cheap, errs on the safe side
        owner = out._base = _owner(x)
        views = owner._views
        if views is None:
            owner._views = [weakref.ref(out)]
        else:
            views.append(weakref.ref(out))
            if len(views) % 64 == 0:  # drop dead ones now and then: a parameter's .T every step
                views[:] = [r for r in views if r() is not None]
    return out


def _live_views(t):
    """The views of `t`'s memory that are still alive."""
    return [v for v in map(lambda r: r(), t._views or ()) if v is not None]


def record(op, data, inputs, **attrs):
    """Wrap an op's forward result; put it on the tape when some input requires grad.

    Every op funnels through here, so this is where the per-op cost lives: keep it lean.
    """
    out = _wrap(data if type(data) is np.ndarray else np.asarray(data))
    if _grad_enabled.get():
        for t in inputs:
            if t.requires_grad:
                out.requires_grad = True
                out._node = Node(op, inputs, attrs)
                break
    return out


def as_tensor(x, like=None):
    """Lift a Python number or array to a constant tensor.

    A Python scalar takes the dtype numpy would give `like <op> x`, so float32 stays float32
    (numpy's weak scalars): a float64 0-d constant would silently double every cost downstream.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and (type(x) is float or type(x) is int) and like.data.dtype.kind == "f":
        return _wrap(np.asarray(x, dtype=like.data.dtype))  # what result_type gives here, at a third of the cost
    if like is not None and isinstance(x, (int, float, bool)) and not isinstance(x, np.generic):
        return _wrap(np.asarray(x, dtype=np.result_type(like.data, x)))
    return _wrap(np.asarray(x))


def is_grad_enabled():
    """Whether ops are recorded right now (False inside `mg.no_grad()`).

        >>> with mg.no_grad():
        ...     mg.is_grad_enabled()
        False
    """
    return _grad_enabled.get()


class _Setting:
    """Sets a ContextVar for a `with` block or a decorated function: per thread, nestable, and
    undone even when the block raises."""

    def __init__(self, var, value):
        self.var, self.value = var, value
        self._tokens = []

    def __enter__(self):
        self._tokens.append(self.var.set(self.value))
        return self

    def __exit__(self, *exc):
        self.var.reset(self._tokens.pop())
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _Setting(self.var, self.value):
                return fn(*args, **kwargs)
        return wrapper


class _GradMode(_Setting):
    """Whether ops are recorded."""

    def __init__(self, enabled):
        super().__init__(_grad_enabled, enabled)


def no_grad(fn=None):
    """`with mg.no_grad():` or `@mg.no_grad` (also `@mg.no_grad()`): record nothing.

    For evaluation and for updates to parameters, which must not become part of the graph.

        >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
        >>> with mg.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    mode = _GradMode(False)
    return mode(fn) if callable(fn) else mode


def enable_grad(fn=None):
    """Turn recording back on inside a `no_grad` region (e.g. a gradient step inside an evaluation loop).

        >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
        >>> with mg.no_grad(), mg.enable_grad():
        ...     y = x * 2
        >>> y.requires_grad
        True
    """
    mode = _GradMode(True)
    return mode(fn) if callable(fn) else mode


def tensor(data, requires_grad=False, dtype=None):
    """Make a tensor that owns a copy of `data` (numpy dtype rules: Python floats -> float64).

    The copy means later changes to `data` never reach the tensor (nor its gradients).

        >>> mg.tensor([1.0, 2.0], requires_grad=True)
        tensor([1., 2.], requires_grad=True)
        >>> mg.tensor([1, 2], dtype=np.float32)
        tensor([1., 2.], dtype=float32)
    """
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(np.array(data, dtype=dtype), requires_grad=requires_grad)

"""Module and Parameter: the containers that layers, models and optimizers agree on.

Parameters and sub-modules are registered by attribute assignment (`self.fc1 = Linear(...)`), in
assignment order, which fixes the order of `parameters()` and the keys of `state_dict()`.
They also stay in the instance `__dict__`, so reading `self.fc1` in `forward` is a plain attribute
lookup: no `__getattr__` on the hot path.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict

import numpy as np

from ..tensor import Tensor, _scope

# Bumped whenever any module gains or loses a parameter or child, so a model can cache the
# (parameter, dotted name) pairs it stamps on each call and notice when they went stale.
_structure = itertools.count()
_structure_version = [next(_structure)]


def _changed():
    _structure_version[0] = next(_structure)


def _sizes(layer, **sizes):
    """The positive integer sizes a layer is built with, or a ValueError naming the bad one."""
    for name, v in sizes.items():
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{layer}: {name} must be a positive integer, got {v!r}")
    return tuple(int(v) for v in sizes.values())


class Parameter(Tensor):
    """A tensor that a Module registers as learnable: requires grad, float32 unless told otherwise.

    Like torch.nn.Parameter it wraps the given array without copying when the dtype already matches.

        >>> w = mg.nn.Parameter([1.0, 2.0])
        >>> w.dtype, w.requires_grad
        (dtype('float32'), True)
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=np.float32):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(np.asarray(data, dtype=dtype), requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: subclass, assign layers in `__init__`, write `forward`.

    Assigning a Module or Parameter as an attribute registers it, so `parameters()`,
    `state_dict()`, `train()`/`eval()` and the optimizers find everything without a list.

        >>> class Net(mg.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = mg.nn.Linear(3, 2)
        ...     def forward(self, x):
        ...         return mg.relu(self.fc(x))
        >>> net = Net()
        >>> [name for name, _ in net.named_parameters()], net(np.ones((4, 3), np.float32)).shape
        (['fc.weight', 'fc.bias'], (4, 2))
    """

    training: bool

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["training"] = True
        d["_scope_name"] = None   # the attribute name a parent registered this module under
        d["_named_cache"] = None  # (structure version, [(parameter, dotted name)])

    # -- registration ------------------------------------------------------------------------
    def _registry(self, which, name):
        reg = self.__dict__.get(which)
        if reg is None:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() was called: call "
                                 f"super().__init__() first in {type(self).__name__}.__init__")
        return reg

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            params = self._registry("_parameters", name)
            self._forget(name)
            params[name] = value
            _changed()
        elif isinstance(value, Module):
            modules = self._registry("_modules", name)
            self._forget(name)
            modules[name] = value
            value.__dict__["_scope_name"] = name
            _changed()
        elif name in d.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} of "
                                f"{type(self).__name__}: use nn.Parameter(...) or None")
            d["_parameters"][name] = None
            _changed()
        elif name in d.get("_buffers", ()):
            d["_buffers"][name] = value
        elif name in d.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to child module {name!r} of "
                                f"{type(self).__name__}: use a Module or None")
            d["_modules"][name] = None
            _changed()
        d[name] = value

    def _forget(self, name):
        for which in ("_parameters", "_buffers", "_modules"):
            self.__dict__[which].pop(name, None)

    def __delattr__(self, name):
        if name in self.__dict__.get("_parameters", ()) or name in self.__dict__.get("_modules", ()):
            _changed()
        self._forget(name)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter or None) under `name`, like assigning `self.name = param`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, got {type(param).__name__}")
        self._registry("_parameters", name)
        self._forget(name)
        self.__dict__["_parameters"][name] = param
        self.__dict__[name] = param
        _changed()

    def register_buffer(self, name, value):
        """State that is saved in `state_dict()` but not learned (an ndarray, Tensor or None)."""
        self._registry("_buffers", name)
        self._forget(name)
        self.__dict__["_buffers"][name] = value
        self.__dict__[name] = value

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a Module, got {type(module).__name__}")
        self._registry("_modules", name)
        self._forget(name)
        self.__dict__["_modules"][name] = module
        self.__dict__[name] = module
        if module is not None:
            module.__dict__["_scope_name"] = name
        _changed()

    # -- traversal ---------------------------------------------------------------------------
    def named_modules(self, prefix="", _seen=None):
        """(dotted name, module) for this module ("") and every descendant, each once."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, parameter) pairs like ("fc1.weight", ...); a shared parameter appears once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mprefix}.{name}" if mprefix else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for mprefix, m in self.named_modules(prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mprefix}.{name}" if mprefix else name), b

    # -- modes, gradients, dtype -------------------------------------------------------------
    def train(self, mode=True):
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        """Set every parameter's .grad to None (cheaper than zeros, and unambiguous)."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, flag=True):
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    def to(self, dtype):
        """Cast every parameter in place to `dtype` (e.g. np.float64 for gradient checks)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: parameters must stay floating point, got dtype {dtype}")
        for p in self.parameters():
            if p.data.dtype != dtype:
                p.data = p.data.astype(dtype)
                p.grad = None
                p._version += 1
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def num_parameters(self):
        return int(sum(p.size for p in self.parameters()))

    # -- calling -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        parent = _scope.get()
        if parent is None:
            # the outermost call: name the scope after the class and label the parameters, so
            # drawings of the tape show `MLP.fc1` clusters and `fc1.weight` leaves
            scope = type(self).__name__
            for p, name in self._named():
                p.name = name
        else:
            scope = parent + "." + (self.__dict__["_scope_name"] or type(self).__name__)
        token = _scope.set(scope)
        try:
            return self.forward(*args, **kwargs)
        finally:
            _scope.reset(token)

    def _named(self):
        cache = self.__dict__["_named_cache"]
        if cache is None or cache[0] != _structure_version[0]:
            cache = (_structure_version[0], [(p, n) for n, p in self.named_parameters()])
            self.__dict__["_named_cache"] = cache
        return cache[1]

    # -- state -------------------------------------------------------------------------------
    def state_dict(self):
        """OrderedDict of dotted name -> numpy array (a copy), parameters then buffers per module."""
        sd = OrderedDict()
        for mprefix, m in self.named_modules():
            for table in (m._parameters, m._buffers):
                for name, v in table.items():
                    if v is None:
                        continue
                    key = f"{mprefix}.{name}" if mprefix else name
                    if key not in sd:
                        sd[key] = np.array(v.data if isinstance(v, Tensor) else v, copy=True)
        return sd

    def _slots(self):
        """dotted name -> (owning module, attribute, kind) for every parameter and buffer."""
        slots = OrderedDict()
        for mprefix, m in self.named_modules():
            for kind, table in (("parameter", m._parameters), ("buffer", m._buffers)):
                for name, v in table.items():
                    if v is not None:
                        slots.setdefault(f"{mprefix}.{name}" if mprefix else name, (m, name, kind))
        return slots

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into the parameters and buffers; returns (missing_keys, unexpected_keys).

        Shapes and dtypes must match exactly (ValueError listing every mismatch); with strict=True
        missing or unexpected keys raise KeyError naming them. Nothing is modified on error.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict expects a mapping of name -> array, got {type(state_dict).__name__}")
        slots = self._slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = [k for k in state_dict if k not in slots]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys: {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        bad, updates = [], []
        for key, (m, name, kind) in slots.items():
            if key not in state_dict:
                continue
            cur = m._parameters[name] if kind == "parameter" else m._buffers[name]
            cur_arr = cur.data if isinstance(cur, Tensor) else np.asarray(cur)
            new = state_dict[key]
            new = np.asarray(new.data if isinstance(new, Tensor) else new)
            if new.shape != cur_arr.shape:
                bad.append(f"{key}: shape {new.shape} in the state dict, {cur_arr.shape} in the model")
            elif new.dtype != cur_arr.dtype:
                bad.append(f"{key}: dtype {new.dtype} in the state dict, {cur_arr.dtype} in the model")
            else:
                updates.append((cur, cur_arr, new))
        if bad:
            raise ValueError(f"load_state_dict for {type(self).__name__}: mismatched " + "; ".join(bad))
        for cur, cur_arr, new in updates:
            np.copyto(cur_arr, new)  # in place: optimizers and views keep pointing at the same array
            if isinstance(cur, Tensor):
                cur._version += 1
        return missing, unexpected

    # -- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + _indent(repr(m)) for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _indent(text):
    return text.replace("\n", "\n  ")

"""The optimizer base class: parameter groups, scratch buffers, state dicts (PyTorch's layout).

Updates happen in place on each parameter's array through a preallocated scratch buffer: `W -= lr * g`
would allocate a weight-sized temporary every step. A gradient array may be shared with other tensors,
so it is only ever read, never modified. Parameters whose .grad is None are skipped.
Hyperparameters live in `param_groups` (a list of dicts, as in PyTorch), so `group["lr"] = ...` works.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

class Optimizer:
    """Base class: parameter groups (`param_groups`, PyTorch's layout), per-parameter `state`,
    `zero_grad`, `step` (subclasses give `_update`), and `state_dict` / `load_state_dict`.

        >>> w = mg.nn.Parameter([1.0, 2.0], dtype=np.float64)
        >>> opt = mg.optim.SGD([{"params": [w], "lr": 0.5}], lr=0.1)
        >>> opt.param_groups[0]["lr"]
        0.5
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of tensors (e.g. model.parameters()), got a single Tensor")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}      # parameter -> {"step": int, "exp_avg": array, ...} (what state_dict saves)
        self._scratch = {}   # parameter -> [buffers]: reused temporaries, never saved
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group):
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' entry, got {type(group).__name__}")
        params = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        if not params:
            raise ValueError(f"{type(self).__name__}: a parameter group has an empty parameter list")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if p.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__}: parameter {i} (shape {p.shape}) has dtype {p.dtype}; "
                                f"only floating-point tensors can be optimized")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: parameter {i} (shape {p.shape}) is not a leaf tensor")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {i} (shape {p.shape}) appears in more than one group")
            seen.add(id(p))
        full = dict(self.defaults)
        full.update({k: v for k, v in group.items() if k != "params"})
        self._validate(full)
        full["params"] = params
        self.param_groups.append(full)

    _nonnegative = ("weight_decay",)  # hyperparameters that must be >= 0 (subclasses add theirs)

    def _validate(self, group):
        if not group.get("lr", 0) >= 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate lr={group['lr']} (must be >= 0)")
        for key in self._nonnegative:
            if not group.get(key, 0) >= 0:
                raise ValueError(f"{type(self).__name__}: invalid {key}={group[key]} (must be >= 0)")

    def zero_grad(self):
        """Set every parameter's .grad to None."""
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    def step(self):
        """Update every parameter that has a gradient."""
        self._stepped = True  # lr schedulers warn when they are stepped before the optimizer
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad.data, group)
                    p._version += 1  # a graph that saved p before this step must not backprop through it

    def _update(self, p, g, group):
        raise NotImplementedError

    def _buffers(self, p, n):
        """n scratch arrays shaped like p (allocated once, reallocated if p changes shape or dtype)."""
        bufs = self._scratch.get(p)
        if bufs is None or len(bufs) < n or bufs[0].shape != p.shape or bufs[0].dtype != p.dtype:
            bufs = self._scratch[p] = [np.empty_like(p.data) for _ in range(n)]
        return bufs

    def _decayed(self, p, g, wd, buf):
        """g + wd * p (PyTorch's L2 weight decay) in `buf`, or g itself when wd is 0."""
        if not wd:
            return g
        np.multiply(p.data, wd, out=buf)
        buf += g
        return buf

    # -- checkpoints ---------------------------------------------------------------------------
    def _all_params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self):
        """{"state": {"<param index>": {...}}, "param_groups": [{hyperparameters, "params": [indices]}]}.

        Plain arrays, numbers and lists only, so `mg.save` can store it."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state = {str(index[id(p)]): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        groups = []
        for g in self.param_groups:
            d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k != "params"}
            d["params"] = [index[id(p)] for p in g["params"]]
            groups.append(d)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict.get("param_groups")
        if groups is None or "state" not in state_dict:
            raise KeyError("optimizer state dict needs 'state' and 'param_groups' entries")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"optimizer state dict has {len(groups)} parameter group(s), this optimizer "
                             f"has {len(self.param_groups)}")
        for i, (saved, mine) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(f"parameter group {i}: state dict has {len(saved['params'])} parameters, "
                                 f"this optimizer has {len(mine['params'])}")
        params = self._all_params()
        new_state = {}
        for key, s in state_dict["state"].items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ValueError(f"optimizer state dict has state for parameter {i}, but there are only {len(params)}")
            p = params[i]
            entry = {}
            for k, v in s.items():
                if isinstance(v, (np.ndarray, Tensor)):
                    v = np.array(v.data if isinstance(v, Tensor) else v, dtype=p.dtype)
                    if v.shape != p.shape:
                        raise ValueError(f"optimizer state {k!r} of parameter {i}: shape {v.shape} in the "
                                         f"state dict, parameter has shape {p.shape}")
                entry[k] = v
            new_state[p] = entry
        for saved, mine in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = tuple(v) if isinstance(v, list) else v
        self.state = new_state

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

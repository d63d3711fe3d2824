"""Workload 2: a chain of 1,000 elementwise ops on a vector of 10 float64 values, plus backward.

At this size numpy's arithmetic costs ~0.4 us a call, so the time per op is what the engine itself
costs: recording, the tape walk, the backward rules. The chain cycles through y * w, y + b,
tanh(y), sin(y) (w, b constant vectors) and ends in a sum; every library runs the same ops.
"""
from __future__ import annotations

import numpy as np

from . import lean_tape
from .harness import interleaved, timings, with_peers

N_OPS = 1000
SIZE = 10


def make_problem():
    x = np.linspace(-1.0, 1.0, SIZE)
    w = np.linspace(0.5, 1.0, SIZE)
    b = np.linspace(-0.1, 0.1, SIZE)
    return x, w, b


def numpy_chain(x, w, b, n_ops):
    """Forward keeping what backward needs, then the backward pass written by hand."""
    saved = []
    y = x
    for _ in range(n_ops // 4):
        saved.append(y)          # input of y * w
        y = y * w
        y = y + b
        y = np.tanh(y)
        saved.append(y)          # tanh's output, which its derivative uses
        saved.append(y)          # input of sin
        y = np.sin(y)
    total = y.sum()
    g = np.ones_like(y)
    for i in range(n_ops // 4 - 1, -1, -1):
        g = g * np.cos(saved[3 * i + 2])
        t = saved[3 * i + 1]
        g = g * (1 - t * t)
        g = g * w
    return total, g


def minigrad_chain(mg):
    def run(x, w, b, n_ops):
        xt = mg.tensor(x, requires_grad=True)
        wt, bt = mg.tensor(w), mg.tensor(b)
        y = xt
        for _ in range(n_ops // 4):
            y = mg.sin(mg.tanh(y * wt + bt))
        total = y.sum()
        total.backward()
        return total.item(), xt.grad.data
    return run


def torch_chain(torch):
    def run(x, w, b, n_ops):
        xt = torch.tensor(x, requires_grad=True)
        wt, bt = torch.from_numpy(w), torch.from_numpy(b)
        y = xt
        for _ in range(n_ops // 4):
            y = torch.sin(torch.tanh(y * wt + bt))
        total = y.sum()
        total.backward()
        return total.item(), xt.grad.numpy()
    return run


def autograd_chain(autograd):
    import autograd.numpy as anp

    def f(x, w, b, n_ops):
        y = x
        for _ in range(n_ops // 4):
            y = anp.sin(anp.tanh(y * w + b))
        return anp.sum(y)
    vg = autograd.value_and_grad(f)

    def run(x, w, b, n_ops):
        total, g = vg(x, w, b, n_ops)
        return float(total), g
    return run


def mygrad_chain(mygrad):
    def run(x, w, b, n_ops):
        xt = mygrad.tensor(x)
        y = xt
        for _ in range(n_ops // 4):
            y = mygrad.sin(mygrad.tanh(y * w + b))
        total = mygrad.sum(y)
        total.backward()
        return total.item(), xt.grad
    return run


def lean_chain(x, w, b, n_ops):
    """The same chain on the check-free tape of `lean_tape` (the floor for a Python engine)."""
    xt = lean_tape.leaf(x.copy(), requires_grad=True)
    wt, bt = lean_tape.leaf(w), lean_tape.leaf(b)
    y = xt
    for _ in range(n_ops // 4):
        y = (y * wt + bt).tanh().sin()
    total = y.sum()
    total.backward()
    return float(total.data), xt.grad


def contenders(peers=True):
    import minigrad as mg
    return with_peers({"minigrad": minigrad_chain(mg), "numpy": numpy_chain, "lean tape": lean_chain},
                      (("torch", torch_chain), ("autograd", autograd_chain), ("mygrad", mygrad_chain)), peers)


def agreement(impls, x, w, b, n_ops):
    """Largest difference from numpy in the sum and in the gradient: every contender computes the same."""
    ref_total, ref_g = numpy_chain(x, w, b, n_ops)
    diffs = {}
    for name, fn in impls.items():
        if name != "numpy":
            total, g = fn(x, w, b, n_ops)
            diffs[name] = max(abs(total - ref_total), float(np.max(np.abs(np.asarray(g) - ref_g))))
    return diffs


def forward_only(mg, x, w, b, n_ops):
    """minigrad's recording cost alone (the graph is built, then dropped)."""
    xt = mg.tensor(x, requires_grad=True)
    wt, bt = mg.tensor(w), mg.tensor(b)
    y = xt
    for _ in range(n_ops // 4):
        y = mg.sin(mg.tanh(y * wt + bt))
    return y.sum()


def run(quick=False, peers=True):
    import minigrad as mg
    x, w, b = make_problem()
    n_ops = 40 if quick else N_OPS
    impls = contenders(peers)
    agree = agreement(impls, x, w, b, n_ops)
    rounds = 2 if quick else 30
    calls = {name: (lambda fn=fn: fn(x, w, b, n_ops)) for name, fn in impls.items()}
    calls["minigrad forward"] = lambda: forward_only(mg, x, w, b, n_ops)
    med, samples, cpu = interleaved(calls, rounds)
    return {
        "title": f"chain of {n_ops} elementwise ops on ({SIZE},) float64 + backward",
        "unit": "us/op",
        **timings(med, samples, cpu, 1e6 / n_ops, "us", others=("minigrad forward",)),
        "target": {"peer": "torch", "ratio": 0.6, "also": "faster than autograd and mygrad"},
        "minigrad_forward_only": med["minigrad forward"] * 1e6 / n_ops,
        "max_abs_diff_vs_numpy": agree,
        "rounds": rounds, "ops": n_ops,
    }

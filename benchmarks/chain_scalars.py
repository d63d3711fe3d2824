"""Workload: the chain with Python-scalar operands, as scalar-heavy teaching code writes it.

1,000 elementwise ops on a vector of 10 float64 values, cycling through `y * 1.0001`, `y + 0.001`,
`tanh`, `sin`, `exp` (200 times), then a sum and backward. Every scalar is a Python float, so each
`*` and `+` also pays for turning that float into an operand of the tensor's dtype: the cost
`chain` (tensor operands) does not see. Reported per op, forward + backward; the target is set
against PyTorch's time for the same code (<= 0.6x).
"""
from __future__ import annotations

import numpy as np

from . import lean_tape
from .harness import interleaved, timings, with_peers

N_OPS = 1000
SIZE = 10
SCALE, SHIFT = 1.0001, 0.001
TARGET_VS_TORCH = 0.6


def make_problem():
    return np.linspace(-1.0, 1.0, SIZE)


def numpy_chain(x, n_ops):
    """Forward keeping what backward needs, then the backward pass written by hand."""
    saved = []
    y = x
    for _ in range(n_ops // 5):
        y = y * SCALE
        y = y + SHIFT
        y = np.tanh(y)
        saved.append(y)          # tanh's output (its derivative) and sin's input
        y = np.sin(y)
        y = np.exp(y)
        saved.append(y)          # exp's output, its own derivative
    total = y.sum()
    g = np.ones_like(y)
    for i in range(n_ops // 5 - 1, -1, -1):
        t, e = saved[2 * i], saved[2 * i + 1]
        g = g * e
        g = g * np.cos(t)
        g = g * (1 - t * t)
        g = g * SCALE
    return total, g


def minigrad_chain(mg):
    def run(x, n_ops):
        xt = mg.tensor(x, requires_grad=True)
        y = xt
        for _ in range(n_ops // 5):
            y = (y * SCALE + SHIFT).tanh().sin().exp()
        total = y.sum()
        total.backward()
        return total.item(), xt.grad.data
    return run


def torch_chain(torch):
    def run(x, n_ops):
        xt = torch.tensor(x, requires_grad=True)
        y = xt
        for _ in range(n_ops // 5):
            y = (y * SCALE + SHIFT).tanh().sin().exp()
        total = y.sum()
        total.backward()
        return total.item(), xt.grad.numpy()
    return run


def autograd_chain(autograd):
    import autograd.numpy as anp

    def f(x, n_ops):
        y = x
        for _ in range(n_ops // 5):
            y = anp.exp(anp.sin(anp.tanh(y * SCALE + SHIFT)))
        return anp.sum(y)
    vg = autograd.value_and_grad(f)

    def run(x, n_ops):
        total, g = vg(x, n_ops)
        return float(total), g
    return run


def lean_chain(x, n_ops):
    """The same chain on the check-free tape of `lean_tape` (the floor for a Python engine)."""
    xt = lean_tape.leaf(x.copy(), requires_grad=True)
    y = xt
    for _ in range(n_ops // 5):
        y = (y * SCALE + SHIFT).tanh().sin().exp()
    total = y.sum()
    total.backward()
    return float(total.data), xt.grad


def contenders(peers=True):
    import minigrad as mg
    return with_peers({"minigrad": minigrad_chain(mg), "numpy": numpy_chain, "lean tape": lean_chain},
                      (("torch", torch_chain), ("autograd", autograd_chain)), peers)


def agreement(impls, x, n_ops):
    """Largest difference from numpy in the sum and in the gradient: every contender computes the same."""
    ref_total, ref_g = numpy_chain(x, n_ops)
    return {name: max(abs(total - ref_total), float(np.max(np.abs(np.asarray(g) - ref_g))))
            for name, (total, g) in ((n, fn(x, n_ops)) for n, fn in impls.items() if n != "numpy")}


def run(quick=False, peers=True):
    x = make_problem()
    n_ops = 40 if quick else N_OPS
    impls = contenders(peers)
    agree = agreement(impls, x, n_ops)
    rounds = 2 if quick else 30
    med, samples, cpu = interleaved({name: (lambda fn=fn: fn(x, n_ops)) for name, fn in impls.items()}, rounds)
    return {
        "title": f"chain of {n_ops} elementwise ops with Python-scalar operands on ({SIZE},) float64 + backward",
        "unit": "us/op",
        **timings(med, samples, cpu, 1e6 / n_ops, "us"),
        "target": {"peer": "torch", "ratio": TARGET_VS_TORCH},
        "max_abs_diff_vs_numpy": agree,
        "rounds": rounds, "ops": n_ops,
    }

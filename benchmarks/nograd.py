"""Workload: forward only, under `mg.no_grad()`, against the bare numpy calls.

The `chain` forward (1,000 elementwise ops on a (10,) float64 vector: `sin(tanh(y * w + b))` 250
times) with nothing recorded: what inference code pays for minigrad's Tensor on top of numpy.
At this size a numpy call costs ~0.25 us, so this is the worst case for the wrapper; the same chain
on (10000,) vectors, measured in the same rounds, is given in the note. Target: within 1.5x of
numpy. Reported per op.
"""
from __future__ import annotations

import numpy as np

from . import lean_tape
from .chain import SIZE, make_problem
from .harness import interleaved, optional, timings

N_OPS = 1000
LARGE = 10_000  # a second size, where numpy's own work is ~20x larger per call
TARGET = 1.5


def numpy_forward(x, w, b, n_ops):
    y = x
    for _ in range(n_ops // 4):
        y = np.sin(np.tanh(y * w + b))
    return y


def minigrad_forward(mg):
    def run(x, w, b, n_ops):
        with mg.no_grad():
            y = mg.Tensor(x)
            wt, bt = mg.Tensor(w), mg.Tensor(b)
            for _ in range(n_ops // 4):
                y = mg.sin(mg.tanh(y * wt + bt))
        return y.data
    return run


def bare_forward(x, w, b, n_ops):
    """The same chain through the thinnest possible wrapper (`lean_tape.Bare`): the floor."""
    y, wt, bt = lean_tape.bare(x), lean_tape.bare(w), lean_tape.bare(b)
    for _ in range(n_ops // 4):
        y = (y * wt + bt).tanh().sin()
    return y.data


def torch_forward(torch):
    def run(x, w, b, n_ops):
        with torch.no_grad():
            y = torch.from_numpy(x)
            wt, bt = torch.from_numpy(w), torch.from_numpy(b)
            for _ in range(n_ops // 4):
                y = torch.sin(torch.tanh(y * wt + bt))
        return y.numpy()
    return run


def run(quick=False, peers=True):
    import minigrad as mg
    x, w, b = make_problem()
    n_ops = 40 if quick else N_OPS
    impls = {"minigrad": minigrad_forward(mg), "numpy": numpy_forward, "bare wrapper": bare_forward}
    torch = optional("torch") if peers else None
    if torch is not None:
        torch.set_num_threads(1)
        impls["torch"] = torch_forward(torch)
    ref = numpy_forward(x, w, b, n_ops)
    agree = {k: float(np.max(np.abs(fn(x, w, b, n_ops) - ref))) for k, fn in impls.items() if k != "numpy"}
    rounds = 2 if quick else 40
    big = [np.resize(a, LARGE) for a in (x, w, b)]  # the same chain on larger vectors, in the same rounds
    calls = {name: (lambda fn=fn: fn(x, w, b, n_ops)) for name, fn in impls.items()}
    calls.update({f"{name} {LARGE}": (lambda fn=fn: fn(*big, n_ops)) for name, fn in impls.items()})
    med, samples, cpu = interleaved(calls, rounds)
    large = {name: med.pop(f"{name} {LARGE}") * 1e6 / n_ops for name in impls}
    for name in impls:
        del cpu[f"{name} {LARGE}"]
    return {
        "title": f"forward only under no_grad: {n_ops} elementwise ops on ({SIZE},) float64",
        "unit": "us/op",
        **timings(med, samples, cpu, 1e6 / n_ops, "us"),
        "target": TARGET,
        "max_abs_diff_vs_numpy": agree,
        "rounds": rounds, "ops": n_ops,
        "at_large_size": {"size": LARGE, "us_per_op": large, "ratio": large["minigrad"] / large["numpy"]},
        "note": f"on ({LARGE},) vectors: {large['minigrad'] / large['numpy']:.2f}x numpy",
    }

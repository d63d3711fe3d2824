"""Workload: micrograd's demo, a 2-16-16-1 MLP on the two-moons data, trained 100 steps with SGD.

Small tensors (100 points, 2 -> 16 -> 16 -> 1, ReLU, float64), max-margin loss plus L2 as in
micrograd's demo notebook, plain SGD: per step a few dozen ops on tiny arrays, so what is measured is
the engine's overhead on the Python-level glue a model is made of. The two moons are drawn with
numpy (no scikit-learn). The numpy column is the same step with its backward pass written by hand;
PyTorch and HIPS autograd run the same code when installed. Reported per training step.
"""
from __future__ import annotations

import numpy as np

from .harness import interleaved, timings, with_peers

N_POINTS, SIZES = 100, (2, 16, 16, 1)
STEPS, LR, ALPHA = 100, 0.05, 1e-4


def two_moons(n=N_POINTS, noise=0.1, seed=0):
    """scikit-learn's make_moons, in numpy: two interleaved half circles, labels -1 / +1."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n - n_out)])
    return X, y


def make_problem(seed=1):
    X, y = two_moons()
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        params += [rng.uniform(-1, 1, (fan_in, fan_out)) / np.sqrt(fan_in), np.zeros(fan_out)]
    return X, y, params


def numpy_train(X, y, params, steps):
    """The same training loop, backward written by hand. Returns the last loss and the weights."""
    W1, b1, W2, b2, W3, b3 = ps = [p.copy() for p in params]
    n = len(y)
    for _ in range(steps):
        h1 = X @ W1 + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ W2 + b2
        a2 = np.maximum(h2, 0)
        s = (a2 @ W3 + b3)[:, 0]
        margin = 1 - y * s
        loss = np.maximum(margin, 0).mean() + ALPHA * sum((p * p).sum() for p in ps)
        ds = ((margin > 0) * -y / n)[:, None]
        dh2 = (ds @ W3.T) * (h2 > 0)
        dh1 = (dh2 @ W2.T) * (h1 > 0)
        grads = [X.T @ dh1, dh1.sum(0), a1.T @ dh2, dh2.sum(0), a2.T @ ds, ds.sum(0)]
        for p, g in zip(ps, grads):
            p -= LR * (g + 2 * ALPHA * p)
    return float(loss), ps


def minigrad_train(mg):
    def run(X, y, params, steps):
        ps = [mg.tensor(p, requires_grad=True) for p in params]
        W1, b1, W2, b2, W3, b3 = ps
        Xt, yt = mg.tensor(X), mg.tensor(y)
        opt = mg.optim.SGD(ps, lr=LR)
        for _ in range(steps):
            h = mg.relu(mg.relu(Xt @ W1 + b1) @ W2 + b2)
            s = (h @ W3 + b3).reshape(-1)
            loss = mg.relu(1 - yt * s).mean() + ALPHA * sum((p * p).sum() for p in ps)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item(), [p.data for p in ps]
    return run


def torch_train(torch):
    def run(X, y, params, steps):
        ps = [torch.tensor(p, requires_grad=True) for p in params]
        W1, b1, W2, b2, W3, b3 = ps
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        opt = torch.optim.SGD(ps, lr=LR)
        for _ in range(steps):
            h = torch.relu(torch.relu(Xt @ W1 + b1) @ W2 + b2)
            s = (h @ W3 + b3).reshape(-1)
            loss = torch.relu(1 - yt * s).mean() + ALPHA * sum((p * p).sum() for p in ps)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item(), [p.detach().numpy() for p in ps]
    return run


def autograd_train(autograd):
    import autograd.numpy as anp

    def loss_fn(ps, X, y):
        W1, b1, W2, b2, W3, b3 = ps
        h = anp.maximum(anp.maximum(X @ W1 + b1, 0) @ W2 + b2, 0)
        s = (h @ W3 + b3).reshape(-1)
        return anp.maximum(1 - y * s, 0).mean() + ALPHA * sum((p * p).sum() for p in ps)
    vg = autograd.value_and_grad(loss_fn)

    def run(X, y, params, steps):
        ps = [p.copy() for p in params]
        for _ in range(steps):
            loss, gs = vg(ps, X, y)
            ps = [p - LR * g for p, g in zip(ps, gs)]
        return float(loss), ps
    return run


def contenders(peers=True):
    import minigrad as mg
    return with_peers({"minigrad": minigrad_train(mg), "numpy": numpy_train},
                      (("torch", torch_train), ("autograd", autograd_train)), peers)


def agreement(impls, X, y, params, steps):
    """Largest difference from numpy in the last loss and the trained weights."""
    ref_loss, ref_ps = numpy_train(X, y, params, steps)
    diffs = {}
    for name, fn in impls.items():
        if name != "numpy":
            loss, ps = fn(X, y, params, steps)
            diffs[name] = max([abs(loss - ref_loss)] + [float(np.max(np.abs(np.asarray(p) - r)))
                                                        for p, r in zip(ps, ref_ps)])
    return diffs


def run(quick=False, peers=True):
    X, y, params = make_problem()
    steps = 3 if quick else STEPS
    impls = contenders(peers)
    agree = agreement(impls, X, y, params, steps)
    rounds = 2 if quick else 15
    med, samples, cpu = interleaved({name: (lambda fn=fn: fn(X, y, params, steps)) for name, fn in impls.items()},
                                    rounds)
    return {
        "title": f"micrograd's demo: MLP {'-'.join(map(str, SIZES))} (ReLU, max-margin + L2) on {N_POINTS} "
                 f"two-moons points, float64, {steps} SGD steps",
        "unit": "us/step",
        **timings(med, samples, cpu, 1e6 / steps, "us"),
        "target": {"peer": "torch", "ratio": 1.0},
        "max_abs_diff_vs_numpy": agree,
        "rounds": rounds, "steps": steps,
    }

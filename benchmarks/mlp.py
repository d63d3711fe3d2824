"""Workload 1: the face MLP 4096-300-6 (ReLU, softmax cross-entropy), batch 64, float32.

One training step = forward, backward, SGD update. The hand-written numpy step does the same
arithmetic with no waste: weights in the (in, out) layout numpy code usually keeps (`x @ W`), no
gradient for the input batch, and in-place updates through a scratch buffer (as minigrad's SGD
does), so the ratio measures what the engine costs, not a sloppy baseline.
"""
from __future__ import annotations

import numpy as np

from .harness import MinigradStep, interleaved, optional, timings

N, D, H, C = 64, 4096, 300, 6
LR = 0.01


def make_problem(seed=0):
    """A batch, its labels and initial parameters in PyTorch's layout: W1 (H, D), b1, W2 (C, H), b2."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D), dtype=np.float32)
    y = rng.integers(0, C, N)
    W1 = (rng.standard_normal((H, D)) / np.sqrt(D)).astype(np.float32)
    b1 = (rng.standard_normal(H) * 0.1).astype(np.float32)
    W2 = (rng.standard_normal((C, H)) / np.sqrt(H)).astype(np.float32)
    b2 = (rng.standard_normal(C) * 0.1).astype(np.float32)
    return x, y, [W1, b1, W2, b2]


class NumpyMLP:
    """The step written by hand in numpy."""

    def __init__(self, params):
        W1, b1, W2, b2 = params
        self.params = [np.ascontiguousarray(W1.T), b1.copy(), np.ascontiguousarray(W2.T), b2.copy()]
        self.scratch = [np.empty_like(p) for p in self.params]

    def step(self, x, y):
        W1, b1, W2, b2 = self.params
        rows = np.arange(len(y))
        h = x @ W1
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ W2
        z += b2
        # softmax cross-entropy, and its gradient (p - onehot) / N
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[rows, y]).mean()
        dz = p
        dz[rows, y] -= 1
        dz /= len(y)
        gW2 = h.T @ dz
        gb2 = dz.sum(axis=0)
        dh = dz @ W2.T
        dh *= h > 0
        gW1 = x.T @ dh
        gb1 = dh.sum(axis=0)
        for param, grad, buf in zip(self.params, (gW1, gb1, gW2, gb2), self.scratch):
            np.multiply(grad, LR, out=buf)
            param -= buf
        return float(loss)

    def weights(self):
        """The parameters back in PyTorch's layout, to compare with the other implementations."""
        W1, b1, W2, b2 = self.params
        return [W1.T, b1, W2.T, b2]


class MinigradMLP(MinigradStep):
    def __init__(self, params):
        from minigrad import nn
        super().__init__(nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C)), params, LR)


class TorchMLP:
    def __init__(self, params, torch):
        self.torch = torch
        self.model = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, C))
        with torch.no_grad():
            for p, v in zip(self.model.parameters(), params):
                p.copy_(torch.from_numpy(v))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loss = torch.nn.functional.cross_entropy

    def step(self, x, y):
        self.opt.zero_grad()
        loss = self.loss(self.model(self.torch.from_numpy(x)), self.torch.from_numpy(y))
        loss.backward()
        self.opt.step()
        return loss.item()

    def weights(self):
        return [p.detach().numpy() for p in self.model.parameters()]


class MyGradMLP:
    def __init__(self, params, mygrad):
        from mygrad.nnet.activations import relu
        from mygrad.nnet.losses import softmax_crossentropy
        W1, b1, W2, b2 = params
        self.relu, self.xent = relu, softmax_crossentropy
        self.params = [mygrad.tensor(np.ascontiguousarray(W1.T)), mygrad.tensor(b1),
                       mygrad.tensor(np.ascontiguousarray(W2.T)), mygrad.tensor(b2)]

    def step(self, x, y):
        W1, b1, W2, b2 = self.params
        loss = self.xent(self.relu(x @ W1 + b1) @ W2 + b2, y)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.item()

    def weights(self):
        W1, b1, W2, b2 = (p.data for p in self.params)
        return [W1.T, b1, W2.T, b2]


class AutogradMLP:
    def __init__(self, params, autograd):
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp
        W1, b1, W2, b2 = params
        self.params = [np.ascontiguousarray(W1.T), b1.copy(), np.ascontiguousarray(W2.T), b2.copy()]

        def loss(ps, x, y):
            W1, b1, W2, b2 = ps
            z = anp.maximum(anp.dot(x, W1) + b1, 0) @ W2 + b2
            logp = z - logsumexp(z, axis=1, keepdims=True)
            return -anp.mean(logp[np.arange(len(y)), y])
        self.grad = autograd.value_and_grad(loss)

    def step(self, x, y):
        loss, grads = self.grad(self.params, x, y)
        for p, g in zip(self.params, grads):
            p -= LR * g
        return float(loss)

    def weights(self):
        W1, b1, W2, b2 = self.params
        return [W1.T, b1, W2.T, b2]


def contenders(params, peers=True):
    """name -> implementation; peers only when their library is installed."""
    out = {"minigrad": MinigradMLP(params), "numpy": NumpyMLP(params)}
    if peers:
        torch = optional("torch")
        if torch is not None:
            torch.set_num_threads(1)
            out["torch"] = TorchMLP(params, torch)
        mygrad = optional("mygrad")
        if mygrad is not None:
            out["mygrad"] = MyGradMLP(params, mygrad)
        autograd = optional("autograd")
        if autograd is not None:
            out["autograd"] = AutogradMLP(params, autograd)
    return out


def agreement(impls, x, y):
    """Largest difference from numpy in loss and updated weights after one step from the same start:
    proof that every contender runs the same step."""
    results = {name: (impl.step(x, y), impl.weights()) for name, impl in impls.items()}
    ref_loss, ref_w = results["numpy"]
    return {name: max([abs(loss - ref_loss)] + [float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(w, ref_w)])
            for name, (loss, w) in results.items() if name != "numpy"}


def run(quick=False, peers=True):
    x, y, params = make_problem()
    impls = contenders(params, peers)
    agree = agreement(impls, x, y)
    rounds, number = (2, 1) if quick else (40, 3)
    med, samples, cpu = interleaved({name: (lambda impl=impl: impl.step(x, y)) for name, impl in impls.items()},
                               rounds, number)
    return {
        "title": f"face MLP {D}-{H}-{C}, batch {N}, float32: forward + backward + SGD",
        "unit": "ms/step",
        **timings(med, samples, cpu, 1e3, "ms"),
        "target": 1.05,
        "max_abs_diff_vs_numpy": agree,
        "rounds": rounds, "calls_per_round": number,
    }

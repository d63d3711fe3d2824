"""Workload 3: the orientation-style CNN, batch 32, float32, one training step.

1x64x64 -> conv 5x5, 16 -> ReLU -> max-pool 2 -> conv 5x5, 32 -> ReLU -> max-pool 2 -> linear 4
(valid convolutions: 64 -> 60 -> 30 -> 26 -> 13), softmax cross-entropy, SGD. About 1.85 GFLOP
a step, nearly all of it in the two convolutions.

The numpy baseline is the straightforward textbook step, written plainly: im2col through
`sliding_window_view` + one GEMM per layer, col2im as a loop over the 25 kernel offsets, max-pool
through a 6-D reshape and an equality mask.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .harness import MinigradStep, interleaved, optional, timings

N, SIDE, K, C1, C2, CLASSES = 32, 64, 5, 16, 32, 4
FLAT = C2 * 13 * 13
LR = 0.01


def make_problem(seed=0, batch=N):
    """A batch, labels and initial parameters in PyTorch's layout (conv weights (out, in, kh, kw))."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, SIDE, SIDE), dtype=np.float32)
    y = rng.integers(0, CLASSES, batch)

    def init(*shape):
        fan_in = int(np.prod(shape[1:]))
        return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
    params = [init(C1, 1, K, K), np.zeros(C1, np.float32), init(C2, C1, K, K), np.zeros(C2, np.float32),
              init(CLASSES, FLAT), np.zeros(CLASSES, np.float32)]
    return x, y, params


# -- the numpy baseline -------------------------------------------------------------------------

def conv_forward(x, W, b):
    n, c, h, w = x.shape
    f, _, k, _ = W.shape
    windows = sliding_window_view(x, (k, k), axis=(2, 3))            # (N, C, Ho, Wo, k, k), a view
    ho, wo = windows.shape[2:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)  # the im2col copy
    out = cols @ W.reshape(f, -1).T + b
    return out.reshape(n, ho, wo, f).transpose(0, 3, 1, 2), cols


def conv_backward(dout, x_shape, cols, W, need_dx):
    n, c, h, w = x_shape
    f, _, k, _ = W.shape
    ho, wo = dout.shape[2:]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dW = (d.T @ cols).reshape(W.shape)
    db = d.sum(axis=0)
    if not need_dx:
        return None, dW, db
    dcols = (d @ W.reshape(f, -1)).reshape(n, ho, wo, c, k, k)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for i in range(k):          # col2im: add each kernel offset's slice back where it came from
        for j in range(k):
            dx[:, :, i:i + ho, j:j + wo] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx, dW, db


def pool_forward(x):
    n, c, h, w = x.shape
    x6 = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = x6.max(axis=(3, 5))
    mask = x6 == out[:, :, :, None, :, None]
    return out, mask


def pool_backward(dout, mask):
    n, c = mask.shape[:2]
    d6 = mask * dout[:, :, :, None, :, None]
    return d6.reshape(n, c, mask.shape[2] * 2, mask.shape[4] * 2)


class NumpyCNN:
    def __init__(self, params):
        self.params = [p.copy() for p in params]

    def step(self, x, y):
        W1, b1, W2, b2, W3, b3 = self.params
        rows = np.arange(len(y))
        a1, cols1 = conv_forward(x, W1, b1)
        r1 = np.maximum(a1, 0)
        p1, m1 = pool_forward(r1)
        a2, cols2 = conv_forward(p1, W2, b2)
        r2 = np.maximum(a2, 0)
        p2, m2 = pool_forward(r2)
        flat = p2.reshape(len(y), -1)
        z = flat @ W3.T + b3
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[rows, y]).mean()
        dz = p
        dz[rows, y] -= 1
        dz /= len(y)
        dW3, db3 = dz.T @ flat, dz.sum(axis=0)
        dp2 = (dz @ W3).reshape(p2.shape)
        dr2 = pool_backward(dp2, m2) * (a2 > 0)
        dp1, dW2, db2 = conv_backward(dr2, p1.shape, cols2, W2, need_dx=True)
        dr1 = pool_backward(dp1, m1) * (a1 > 0)
        _, dW1, db1 = conv_backward(dr1, x.shape, cols1, W1, need_dx=False)
        for param, grad in zip(self.params, (dW1, db1, dW2, db2, dW3, db3)):
            param -= LR * grad
        return float(loss)

    def weights(self):
        return self.params


# -- minigrad and peers ---------------------------------------------------------------------------

def _has_conv(mg):
    return all(hasattr(mg.nn, name) for name in ("Conv2d", "MaxPool2d", "Flatten"))


class MinigradCNN(MinigradStep):
    def __init__(self, params):
        from minigrad import nn
        super().__init__(nn.Sequential(nn.Conv2d(1, C1, K), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(C1, C2, K), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Flatten(), nn.Linear(FLAT, CLASSES)), params, LR)


class TorchCNN:
    def __init__(self, params, torch):
        nn = torch.nn
        self.torch = torch
        self.model = nn.Sequential(nn.Conv2d(1, C1, K), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(C1, C2, K), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Flatten(), nn.Linear(FLAT, CLASSES))
        with torch.no_grad():
            for p, v in zip(self.model.parameters(), params):
                p.copy_(torch.from_numpy(v))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)

    def step(self, x, y):
        self.opt.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.torch.from_numpy(x)), self.torch.from_numpy(y))
        loss.backward()
        self.opt.step()
        return loss.item()

    def weights(self):
        return [p.detach().numpy() for p in self.model.parameters()]


def contenders(params, peers=True):
    import minigrad as mg
    out = {}
    if _has_conv(mg):
        out["minigrad"] = MinigradCNN(params)
    out["numpy"] = NumpyCNN(params)
    if peers:
        torch = optional("torch")
        if torch is not None:
            torch.set_num_threads(1)
            out["torch"] = TorchCNN(params, torch)
    return out


def agreement(impls, x, y):
    results = {name: (impl.step(x, y), impl.weights()) for name, impl in impls.items()}
    ref_loss, ref_w = results["numpy"]
    return {name: max([abs(loss - ref_loss)] + [float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(w, ref_w)])
            for name, (loss, w) in results.items() if name != "numpy"}


def run(quick=False, peers=True):
    x, y, params = make_problem()
    impls = contenders(params, peers)
    agree = agreement(impls, x, y)
    rounds = 1 if quick else 12
    med, samples, cpu = interleaved({name: (lambda impl=impl: impl.step(x, y)) for name, impl in impls.items()},
                               rounds, warmup=0 if quick else 1)
    result = {
        "title": f"CNN 1x{SIDE}x{SIDE} -> conv{K}x{C1} -> pool2 -> conv{K}x{C2} -> pool2 -> linear {CLASSES}, "
                 f"batch {N}, float32: training step",
        "unit": "ms/step",
        **timings(med, samples, cpu, 1e3, "ms"),
        "target": 1.0,
        "max_abs_diff_vs_numpy": agree,
        "rounds": rounds,
    }
    if result["minigrad"] is None:
        result["note"] = "skipped minigrad: mg.nn.Conv2d / MaxPool2d are not available in this checkout"
    return result

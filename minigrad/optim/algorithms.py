"""The update rules, each as PyTorch computes it: SGD, Adam, AdamW, RMSprop, Adagrad.

Every update works in place on the parameter's array through scratch buffers (see Optimizer).
"""
from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer


class SGD(Optimizer):
    """p -= lr * d, d = g + wd*p; with momentum b = m*b + (1-dampening)*d, d = b (or d + m*b: Nesterov).

        >>> p = mg.nn.Parameter([1.0, -2.0])
        >>> opt = mg.optim.SGD([p], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (p * p).sum().backward()          # gradient 2p
        ...     opt.step()
        >>> p.data.round(4)                       # 1 - 0.1*2, then - 0.1*(0.9*2 + 1.6)
        array([ 0.46, -0.92], dtype=float32)
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False, *, dampening=0.0):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    _nonnegative = ("weight_decay", "momentum")

    def _update(self, p, g, group):
        lr, m, damp = group["lr"], group["momentum"], group["dampening"]
        tmp, = self._buffers(p, 1)
        d = self._decayed(p, g, group["weight_decay"], tmp)
        if m:
            st = self.state.setdefault(p, {})
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = np.array(d, dtype=p.dtype, copy=True)
            else:
                buf *= m
                if damp:
                    np.multiply(d, 1 - damp, out=tmp)
                    buf += tmp
                else:
                    buf += d
            if group["nesterov"]:
                # p -= lr * (d + m * buf), as two scaled subtractions through the one scratch buffer
                np.multiply(d, lr, out=tmp)
                p.data -= tmp
                np.multiply(buf, lr * m, out=tmp)
                p.data -= tmp
                return
            d = buf
        np.multiply(d, lr, out=tmp)
        p.data -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba) as PyTorch computes it; weight_decay adds wd*p to the gradient (L2).

    Each step is about lr per parameter whatever the gradient's scale, so one lr suits many models.

        >>> p = mg.nn.Parameter([1.0, -2.0])
        >>> opt = mg.optim.Adam([p], lr=0.1)
        >>> (p * p).sum().backward(); opt.step()
        >>> p.data.round(4)                       # the first step is lr against the gradient's sign
        array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    _nonnegative = ("weight_decay", "eps")

    def _validate(self, group):
        super()._validate(group)
        b1, b2 = group["betas"]
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"{type(self).__name__}: invalid betas={group['betas']} (each must be in [0, 1))")

    def _decay(self, p, g, group, bufs):
        return self._decayed(p, g, group["weight_decay"], bufs[1])

    def _update(self, p, g, group):
        lr, eps = group["lr"], group["eps"]
        b1, b2 = group["betas"]
        bufs = self._buffers(p, 2)
        tmp = bufs[0]
        d = self._decay(p, g, group, bufs)
        st = self.state.get(p)
        if st is None:
            st = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)}
        st["step"] += 1
        t = st["step"]
        m, v = st["exp_avg"], st["exp_avg_sq"]
        m *= b1
        np.multiply(d, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(d, d, out=tmp)
        tmp *= 1 - b2
        v += tmp
        # p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - b2 ** t)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - b1 ** t)
        p.data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p *= 1 - lr*wd before the Adam step.

    Decoupled: the decay does not go through Adam's per-parameter scaling, so it shrinks every
    weight by the same factor (with Adam's L2 weight_decay, large-gradient weights decay less).

        >>> p = mg.nn.Parameter([1.0, -2.0])
        >>> opt = mg.optim.AdamW([p], lr=0.1, weight_decay=0.5)
        >>> (p * 0).sum().backward(); opt.step()  # a zero gradient: only the decay acts
        >>> p.data.round(4)
        array([ 0.95, -1.9 ], dtype=float32)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)

    def _decay(self, p, g, group, bufs):
        if group["weight_decay"]:
            p.data *= 1 - group["lr"] * group["weight_decay"]
        return g


class RMSprop(Optimizer):
    """RMSprop as PyTorch computes it: v = alpha*v + (1-alpha)*d^2, p -= lr * d / (sqrt(v) + eps).

    `centered` divides by the estimated standard deviation sqrt(v - mean(d)^2) instead; `momentum`
    keeps a buffer b = momentum*b + d / (...) and steps along it. d = g + weight_decay*p.

        >>> import numpy as np, minigrad as mg
        >>> w = mg.nn.Parameter([1.0, -2.0], dtype=np.float64)
        >>> opt = mg.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
        >>> np.round(w.data, 4).tolist()
        [0.9, -1.9]
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    _nonnegative = ("weight_decay", "alpha", "eps", "momentum")

    def _update(self, p, g, group):
        alpha, eps, m = group["alpha"], group["eps"], group["momentum"]
        tmp, dec = self._buffers(p, 2)
        d = self._decayed(p, g, group["weight_decay"], dec)
        st = self.state.get(p)
        if st is None:
            st = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
            if m:
                st["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                st["grad_avg"] = np.zeros_like(p.data)
        st["step"] += 1
        v = st["square_avg"]
        v *= alpha
        np.multiply(d, d, out=tmp)
        tmp *= 1 - alpha
        v += tmp
        if group["centered"]:
            mean = st["grad_avg"]
            mean *= alpha
            np.multiply(d, 1 - alpha, out=tmp)
            mean += tmp
            np.multiply(mean, mean, out=tmp)
            np.subtract(v, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(d, tmp, out=tmp)  # the step direction d / denominator
        if m:
            buf = st["momentum_buffer"]
            buf *= m
            buf += tmp
            np.multiply(buf, group["lr"], out=tmp)
        else:
            tmp *= group["lr"]
        p.data -= tmp


class Adagrad(Optimizer):
    """Adagrad as PyTorch computes it: s += d^2, p -= lr_t * d / (sqrt(s) + eps),
    lr_t = lr / (1 + (t-1) * lr_decay), d = g + weight_decay*p.

        >>> import numpy as np, minigrad as mg
        >>> w = mg.nn.Parameter([1.0, -2.0], dtype=np.float64)
        >>> opt = mg.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> np.round(w.data, 4).tolist()
        [0.9, -1.9]
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    _nonnegative = ("weight_decay", "lr_decay", "initial_accumulator_value", "eps")

    def _update(self, p, g, group):
        tmp, dec = self._buffers(p, 2)
        d = self._decayed(p, g, group["weight_decay"], dec)
        st = self.state.get(p)
        if st is None:
            st = self.state[p] = {"step": 0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}
        st["step"] += 1
        lr = group["lr"] / (1 + (st["step"] - 1) * group["lr_decay"])
        s = st["sum"]
        np.multiply(d, d, out=tmp)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += group["eps"]
        np.divide(d, tmp, out=tmp)
        tmp *= lr
        p.data -= tmp

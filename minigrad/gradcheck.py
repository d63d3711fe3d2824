"""Finite-difference checks of gradients: analytic (the tape) against central differences, float64."""
from __future__ import annotations

import numpy as np

from .engine import gradients
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its finite-difference estimate.

    An AssertionError, so a failed `mg.gradcheck` inside a test reads as a test failure.

        >>> issubclass(mg.GradcheckError, AssertionError)
        True
    """


def _leaves(inputs):
    """float64 copies of the inputs; the float ones are differentiated (all of them if none asks)."""
    out, wanted = [], []
    ask = any(isinstance(x, Tensor) and x.requires_grad for x in inputs)
    for x in inputs:
        data = np.asarray(x.data if isinstance(x, Tensor) else x)
        diff = data.dtype.kind == "f" and (not ask or (isinstance(x, Tensor) and x.requires_grad))
        # C order: the differences below perturb and fill elements through reshape(-1) views
        out.append(np.array(data, dtype=np.float64, order="C") if diff else data)
        wanted.append(diff)
    return out, wanted


def _scalarize(f, arrays, wanted, seed):
    """f projected on a fixed random direction u, so a non-scalar f is checked through one VJP."""
    probe = f(*[Tensor(a, requires_grad=w) for a, w in zip(arrays, wanted)])
    shape = np.shape(probe.data if isinstance(probe, Tensor) else probe)
    u = np.random.default_rng(seed).standard_normal(shape) if np.prod(shape) != 1 else None

    def scalar(*xs):
        y = f(*xs)
        y = y if isinstance(y, Tensor) else Tensor(np.asarray(y))
        return y.sum() if u is None else (y * u).sum()
    return scalar


def compare(f, *inputs, eps=1e-6, seed=0):
    """[(input index, analytic, numeric)] for every differentiated input of f."""
    arrays, wanted = _leaves(inputs)
    s = _scalarize(f, arrays, wanted, seed)
    xs = [Tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wanted)]
    out = s(*xs)
    srcs = [x for x, w in zip(xs, wanted) if w]
    analytic = gradients(out, srcs) if out.requires_grad else [None] * len(srcs)
    results, k = [], 0
    for i, w in enumerate(wanted):
        if not w:
            continue
        a = np.zeros_like(arrays[i]) if analytic[k] is None else np.asarray(analytic[k].data, dtype=np.float64)
        k += 1
        num = np.zeros_like(arrays[i])
        flat = num.reshape(-1)
        for j in range(arrays[i].size):
            vals = []
            for step in (eps, -eps):
                pert = [a_.copy() for a_ in arrays]
                pert[i].reshape(-1)[j] += step
                vals.append(float(np.asarray(s(*[Tensor(p, requires_grad=w_) for p, w_ in zip(pert, wanted)]).data)))
            flat[j] = (vals[0] - vals[1]) / (2 * eps)
        results.append((i, a, num))
    return results


def _verdict(results, atol, rtol, what, part="input"):
    for i, a, n in results:
        if a.shape != n.shape:
            raise GradcheckError(f"{what}: {part} {i}: gradient shape {a.shape} != {part} shape {n.shape}")
        bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))  # so that nan or inf on either side is bad too
        if bad.any():
            j = np.unravel_index(np.argmax(np.abs(a - n) - rtol * np.abs(n)), a.shape)
            raise GradcheckError(f"{what} mismatch for {part} {i} at index {tuple(map(int, j))}: analytic "
                                 f"{a[j]:.8g} vs numeric {n[j]:.8g} ({int(bad.sum())} of {a.size} elements "
                                 f"outside atol={atol}, rtol={rtol})")
    return True


def compare_forward(f, *inputs, eps=1e-6, seed=0):
    """[(0, jvp, numeric)]: forward mode (`mg.jvp`) along a random tangent of the differentiated
    inputs against the central difference (f(x + eps t) - f(x - eps t)) / (2 eps).

    >>> import numpy as np, minigrad as mg
    >>> [(i, np.allclose(jvp, numeric)) for i, jvp, numeric in compare_forward(mg.exp, np.array([0.5, 1.0]))]
    [(0, True)]
    """
    from .transforms import jvp
    arrays, wanted = _leaves(inputs)
    rng = np.random.default_rng(seed + 2)
    tans = [rng.standard_normal(a.shape) if w else None for a, w in zip(arrays, wanted)]
    idx = [i for i, w in enumerate(wanted) if w]

    def at(xs):
        full = list(arrays)
        for i, x in zip(idx, xs):
            full[i] = x
        y = f(*[x if isinstance(x, Tensor) else Tensor(x, requires_grad=w) for x, w in zip(full, wanted)])
        return y if isinstance(y, Tensor) else Tensor(np.asarray(y))

    _, t_out = jvp(lambda *xs: at(xs), tuple(Tensor(arrays[i].copy()) for i in idx), tuple(tans[i] for i in idx))
    ends = [at([arrays[i] + s * tans[i] for i in idx]).data for s in (eps, -eps)]
    numeric = (np.asarray(ends[0], dtype=np.float64) - np.asarray(ends[1], dtype=np.float64)) / (2 * eps)
    return [(0, np.asarray(t_out.data, dtype=np.float64), numeric)]


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, check_forward=False):
    """Check every differentiated input's gradient of `f` against central differences (float64).

    Inputs that are Tensors with requires_grad=True are checked (all float inputs if none is);
    a non-scalar output is checked through one fixed random projection. Returns True or raises
    GradcheckError naming the input, the worst element, analytic and numeric values.
    `check_forward=True` also checks forward mode: `mg.jvp` along a random tangent against the
    central difference of f along it.

    >>> import numpy as np, minigrad as mg
    >>> mg.gradcheck(lambda a: mg.tanh(a) * a, np.array([0.5, -1.0]), check_forward=True)
    True
    """
    return _check(f, inputs, eps, atol, rtol, seed, check_forward, "")


def _check(f, inputs, eps, atol, rtol, seed, check_forward, order):
    _verdict(compare(f, *inputs, eps=eps, seed=seed), atol, rtol, f"{order}gradient")
    if check_forward:
        _verdict(compare_forward(f, *inputs, eps=eps, seed=seed), atol, rtol, f"{order}forward-mode (JVP)", "output")
    return True


def second_order(f, inputs, seed=0):
    """x -> <v, grad f(x)> for a fixed random v: its gradient is a Hessian-vector product."""
    arrays, wanted = _leaves(inputs)
    s = _scalarize(f, arrays, wanted, seed)
    rng = np.random.default_rng(seed + 1)
    vs = [rng.standard_normal(a.shape) for a, w in zip(arrays, wanted) if w]

    def first_order(*xs):
        out = s(*xs)
        srcs = [x for x, w in zip(xs, wanted) if w]
        if not out.requires_grad:
            return Tensor(np.zeros(()))
        gs = gradients(out, srcs, create_graph=True)
        terms = [(g * v).sum() for g, v in zip(gs, vs) if g is not None]
        return sum(terms[1:], terms[0]) if terms else Tensor(np.zeros(()))
    return first_order, [Tensor(a, requires_grad=w) for a, w in zip(arrays, wanted)]


def gradgradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, check_forward=False):
    """Check second-order gradients: gradcheck of a random projection of f's first-order gradient.

    `check_forward=True` also checks forward mode over that gradient (forward-over-reverse, what
    Hessian-vector products by `mg.jvp(mg.grad(f), ...)` use) against central differences.

    >>> import numpy as np, minigrad as mg
    >>> mg.gradgradcheck(lambda a: (a ** 3).sum(), np.array([0.5, -1.0]), check_forward=True)
    True
    """
    g, xs = second_order(f, inputs, seed)
    return _check(g, xs, eps, atol, rtol, seed, check_forward, "second-order ")

"""The elementwise math, rounding, reduction and scan ops against PyTorch: values, gradients and
Hessian-vector products on the same inputs (zeros for prod and cumprod included)."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.uniform(-0.9, 0.9, (3, 4))
POS = RNG.uniform(0.2, 3.0, (3, 4))
Y = RNG.uniform(0.5, 2.0, (4,)) * np.array([1, -1, 1, -1])
ZEROS = np.where(RNG.uniform(size=(3, 4)) < 0.3, 0.0, RNG.uniform(-2, 2, (3, 4)))

# name -> (minigrad function, torch function, inputs)
CASES = {
    "log1p": (mg.log1p, torch.log1p, [X]), "expm1": (mg.expm1, torch.expm1, [X]),
    "log2": (mg.log2, torch.log2, [POS]), "log10": (mg.log10, torch.log10, [POS]),
    "exp2": (mg.exp2, torch.exp2, [X]), "square": (mg.square, torch.square, [X]),
    "reciprocal": (mg.reciprocal, torch.reciprocal, [POS]), "tan": (mg.tan, torch.tan, [X]),
    "arcsin": (mg.arcsin, torch.asin, [X]), "arccos": (mg.arccos, torch.acos, [X]),
    "arctan": (mg.arctan, torch.atan, [X]), "sinh": (mg.sinh, torch.sinh, [X]), "cosh": (mg.cosh, torch.cosh, [X]),
    "arcsinh": (mg.arcsinh, torch.asinh, [X]), "arccosh": (mg.arccosh, torch.acosh, [POS + 1]),
    "arctanh": (mg.arctanh, torch.atanh, [X]), "deg2rad": (mg.deg2rad, torch.deg2rad, [X]),
    "rad2deg": (mg.rad2deg, torch.rad2deg, [X]),
    "arctan2": (mg.arctan2, torch.atan2, [X, Y]), "hypot": (mg.hypot, torch.hypot, [X, Y]),
    "logaddexp": (mg.logaddexp, torch.logaddexp, [X, Y]), "logaddexp2": (mg.logaddexp2, torch.logaddexp2, [X, Y]),
    "mod": (mg.mod, torch.remainder, [POS * 3, Y]), "fmod": (mg.fmod, torch.fmod, [POS * 3, Y]),
    "floor": (mg.floor, torch.floor, [POS]), "round": (mg.round, torch.round, [POS]),
    "fmax": (mg.fmax, torch.fmax, [X, Y]), "fmin": (mg.fmin, torch.fmin, [X, Y]),
    "prod": (lambda t: mg.prod(t, axis=1), lambda t: torch.prod(t, dim=1), [ZEROS]),
    "prod_all": (mg.prod, torch.prod, [ZEROS[:2]]),
    "cumprod": (lambda t: mg.cumprod(t, axis=1), lambda t: torch.cumprod(t, dim=1), [ZEROS]),
    "cumsum": (lambda t: mg.cumsum(t, axis=0), lambda t: torch.cumsum(t, dim=0), [X]),
    "logcumsumexp": (lambda t: mg.logcumsumexp(t, axis=1), lambda t: torch.logcumsumexp(t, dim=1), [X * 5]),
    "var": (lambda t: mg.var(t, axis=0, ddof=1), lambda t: torch.var(t, dim=0, correction=1), [X]),
    "std": (lambda t: mg.std(t, axis=1), lambda t: torch.std(t, dim=1, correction=0), [X]),
}


@pytest.mark.parametrize("name", CASES)
def test_values_gradients_and_second_order_match_torch(name):
    ours, theirs, inputs = CASES[name]
    u = RNG.standard_normal(np.shape(ours(*[mg.tensor(x) for x in inputs]).data))
    ts = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = theirs(*ts)
    g_torch = torch.autograd.grad((out * torch.tensor(u)).sum(), ts, create_graph=True)
    v = [RNG.standard_normal(x.shape) for x in inputs]
    s = sum((g * torch.tensor(w)).sum() for g, w in zip(g_torch, v))
    hvp_torch = torch.autograd.grad(s, ts, allow_unused=True) if s.requires_grad else [None] * len(ts)

    ms = [mg.tensor(x, requires_grad=True) for x in inputs]
    y = ours(*ms)
    np.testing.assert_allclose(y.data, out.detach().numpy(), rtol=1e-12, atol=1e-12)
    g_ours = mg.gradients((y * u).sum(), ms, create_graph=True)
    for a, b in zip(g_ours, g_torch):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    terms = [(g * w).sum() for g, w in zip(g_ours, v)]
    hvp_ours = mg.gradients(sum(terms[1:], terms[0]), ms) if terms[0].requires_grad else [None] * len(ms)
    for a, b in zip(hvp_ours, hvp_torch):
        a = np.zeros(1) if a is None else a.data
        b = np.zeros(1) if b is None else b.numpy()
        np.testing.assert_allclose(a + np.zeros_like(b), b + np.zeros_like(a), rtol=1e-10, atol=1e-12)

"""Workload 5: the differentiation toolkit (mg.hessian, mg.hvp, mg.jacobian), float64.

- hessian of a 50-parameter loss: softmax regression, 9 features + bias -> 5 classes (a (5, 10)
  parameter matrix, flattened), mean cross-entropy over 64 samples. The numpy column is the
  closed form H = mean_n (diag(p_n) - p_n p_n^T) (x) x_n x_n^T; torch.func.hessian and HIPS
  autograd's hessian run beside it when installed.
- hvp as a multiple of one mg.grad call on the same loss (target <= 4x), reverse over reverse
  (`mg.hvp`) and forward over reverse (`mg.jvp(mg.grad(f))`); jvp as a multiple of one recorded
  evaluation of f, beside the tangent propagated by hand op by op (what JVP rules would cost).
- jacobian mode="fwd" against mode="rev" for f: R^2 -> R^400 and g: R^400 -> R^2.
All ratios come from one run of interleaved rounds.
"""
from __future__ import annotations

import numpy as np

from .harness import interleaved, optional, spread

N, D, C = 64, 9, 5          # samples, features, classes: C * (D + 1) = 50 parameters
WIDE = 400


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.standard_normal((N, D)), np.ones((N, 1))], axis=1)  # bias as a last feature
    y = rng.integers(0, C, N)
    theta = rng.standard_normal(C * (D + 1)) * 0.3
    v = rng.standard_normal(theta.size)
    A = rng.standard_normal((WIDE, 2))
    B = rng.standard_normal((2, WIDE)) / np.sqrt(WIDE)
    return X, y, theta, v, A, B


def numpy_hessian(X, y, theta):
    """The closed-form Hessian of the mean softmax cross-entropy in theta = vec(W), W (C, D+1)."""
    Z = X @ theta.reshape(C, -1).T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    S = np.einsum("nc,cd->ncd", P, np.eye(C)) - np.einsum("nc,nd->ncd", P, P)      # (N, C, C)
    H = np.einsum("ncd,ni,nj->cidj", S, X, X) / len(X)                             # (C, D+1, C, D+1)
    return H.reshape(theta.size, theta.size)


def minigrad_loss(mg, X, y):
    F = mg.nn.functional
    Xt = mg.Tensor(X)
    return lambda th: F.cross_entropy(Xt @ th.reshape(C, -1).T, y)


def torch_hessian(torch, X, y):
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    loss = lambda th: torch.nn.functional.cross_entropy(Xt @ th.reshape(C, -1).T, yt)  # noqa: E731
    hess = torch.func.hessian(loss)
    return lambda theta: hess(torch.from_numpy(theta)).numpy()


def autograd_hessian(autograd, X, y):
    import autograd.numpy as anp

    def loss(th):
        Z = anp.dot(X, anp.reshape(th, (C, -1)).T)
        logp = Z - anp.log(anp.sum(anp.exp(Z - anp.max(Z, axis=1, keepdims=True)), axis=1, keepdims=True)) \
            - anp.max(Z, axis=1, keepdims=True)
        return -anp.mean(logp[np.arange(len(y)), y])
    return autograd.hessian(loss)


def jvp_by_rules(mg, X, y):
    """f and J·v propagated op by op with the JVP each op would have (written out for this loss, run
    with the same minigrad ops, nothing recorded): what JVP rules beside the VJPs would cost."""
    F, Xt, rows = mg.nn.functional, mg.Tensor(X), np.arange(len(y))

    def run(theta, v):
        with mg.no_grad():
            W, dW = mg.Tensor(theta).reshape(C, -1), mg.Tensor(v).reshape(C, -1)
            Z, dZ = Xt @ W.T, Xt @ dW.T
            loss = F.cross_entropy(Z, y)
            dloss = ((mg.softmax(Z, axis=1) * dZ).sum(axis=1) - dZ[rows, y]).mean()
        return loss, dloss
    return run


def run(quick=False, peers=True):
    import minigrad as mg
    X, y, theta, v, A, B = make_problem()
    loss = minigrad_loss(mg, X, y)
    hess = {"minigrad": lambda: mg.hessian(loss)(theta).data, "numpy": lambda: numpy_hessian(X, y, theta)}
    if peers:
        torch = optional("torch")
        if torch is not None:
            torch.set_num_threads(1)
            th = torch_hessian(torch, X, y)
            hess["torch"] = lambda: th(theta)
        ag = optional("autograd")
        if ag is not None:
            ah = autograd_hessian(ag, X, y)
            hess["autograd"] = lambda: ah(theta)
    ref = hess["numpy"]()
    agree = {name: float(np.max(np.abs(np.asarray(fn()) - ref))) for name, fn in hess.items() if name != "numpy"}

    f_wide = lambda x: mg.sin(mg.tanh(mg.Tensor(A) @ x) * 2.0)          # noqa: E731 - R^2 -> R^400
    g_narrow = lambda x: mg.tanh(mg.Tensor(B) @ mg.sin(x))               # noqa: E731 - R^400 -> R^2
    x2, x400 = np.array([0.3, -0.8]), np.linspace(-1, 1, WIDE)
    jac = {"fwd R2->R400": lambda: mg.jacobian(f_wide, mode="fwd")(x2),
           "rev R2->R400": lambda: mg.jacobian(f_wide, mode="rev")(x2),
           "fwd R400->R2": lambda: mg.jacobian(g_narrow, mode="fwd")(x400),
           "rev R400->R2": lambda: mg.jacobian(g_narrow, mode="rev")(x400)}
    jac_agree = max(float(np.max(np.abs(jac[f"fwd {s}"]().data - jac[f"rev {s}"]().data)))
                    for s in ("R2->R400", "R400->R2"))
    second = {"f": lambda: loss(mg.Tensor(theta, requires_grad=True)), "grad": lambda: mg.grad(loss)(theta),
              "jvp": lambda: mg.jvp(loss, (theta,), (v,)), "jvp by rules": lambda: by_rules(theta, v),
              "hvp": lambda: mg.hvp(loss, theta, v),
              "jvp(grad)": lambda: mg.jvp(mg.grad(loss), (theta,), (v,))}
    hvp_agree = float(np.max(np.abs(mg.hvp(loss, theta, v).data - ref @ v)))
    by_rules = jvp_by_rules(mg, X, y)
    jvp_agree = abs(float(by_rules(theta, v)[1].data) - float(mg.jvp(loss, (theta,), (v,))[1].data))

    rounds = 2 if quick else 15
    number = 1 if quick else 20
    med, samples, cpu = interleaved({f"hessian {k}": fn for k, fn in hess.items()}, rounds, number=number)
    smed, ssamples, scpu = interleaved(second, rounds, number=5 * number)  # ~0.1 ms each: more calls a round
    jmed, jsamples, _ = interleaved(jac, 1 if quick else 5, number=1)
    ms = {k: t * 1e3 for k, t in {**med, **smed, **jmed}.items()}
    hvp_x, fwd_rev_x = smed["hvp"] / smed["grad"], smed["jvp(grad)"] / smed["grad"]
    wide = jmed["rev R2->R400"] / jmed["fwd R2->R400"]
    narrow = jmed["fwd R400->R2"] / jmed["rev R400->R2"]
    return {
        "title": f"hessian of a {theta.size}-parameter softmax-regression loss ({N} samples), float64; "
                 f"hvp and jacobian fwd/rev (R^2->R^{WIDE}, R^{WIDE}->R^2) in the same run",
        "unit": "ms",
        "minigrad": ms["hessian minigrad"],
        "numpy": ms["hessian numpy"],
        "ratio": ms["hessian minigrad"] / ms["hessian numpy"],
        "target": (f"hvp <= 4x one grad: {'met' if hvp_x <= 4 else 'NOT met'} ({hvp_x:.1f}x, CPU {scpu['hvp'] / scpu['grad']:.1f}x; jvp(grad) "
                   f"{fwd_rev_x:.1f}x); jvp {smed['jvp'] / smed['f']:.1f}x one recorded f (JVP rules would be "
                   f"{smed['jvp by rules'] / smed['f']:.1f}x); jacobian fwd {wide:.0f}x faster on R^2->R^{WIDE}, rev {narrow:.0f}x "
                   f"faster on R^{WIDE}->R^2"),
        "peers": {k.split()[1]: v for k, v in ms.items() if k.startswith("hessian ") and k.split()[1] not in ("minigrad", "numpy")},
        "hvp_over_grad": hvp_x, "jvp_grad_over_grad": fwd_rev_x,
        "jvp_over_f": smed["jvp"] / smed["f"], "jvp_over_grad": smed["jvp"] / smed["grad"],
        "jvp_by_rules_over_f": smed["jvp by rules"] / smed["f"],
        "cpu_hvp_over_grad": scpu["hvp"] / scpu["grad"], "cpu_jvp_grad_over_grad": scpu["jvp(grad)"] / scpu["grad"],
        "jacobian_fwd_speedup_R2_R400": wide, "jacobian_rev_speedup_R400_R2": narrow,
        "times_ms": ms,
        "cpu_ms": {k: t * 1e3 for k, t in {**cpu, **scpu}.items()},
        "cpu_ratio": cpu["hessian minigrad"] / cpu["hessian numpy"],
        "spread_ms": {k: [t * 1e3 for t in spread(s)] for k, s in {**samples, **ssamples, **jsamples}.items()},
        "max_abs_diff_vs_numpy": {**agree, "hvp minigrad": hvp_agree, "jvp vs by rules": jvp_agree, "jacobian fwd vs rev": jac_agree},
        "rounds": rounds,
    }

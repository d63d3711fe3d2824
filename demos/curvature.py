"""The curvature of the face networks' training loss at the trained weights, by Hessian-vector products.

`mg.hvp` gives H·v without forming H (24,582 x 24,582 for the network with no hidden layer, 123k
squared for the MLP), and a few dozen Lanczos steps on it give the top of the Hessian's spectrum
and its leading eigenvector: the weight direction along which the loss curves most, shown as one
image per person like the templates themselves.
"""
from __future__ import annotations

import time

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from demos import common


def lanczos(matvec, n, steps, seed=0):
    """(Ritz values, descending; Ritz vectors as columns) of a symmetric operator from `steps`
    Lanczos iterations with full reorthogonalisation (exact for the extreme eigenvalues once
    `steps` is a few times the number wanted).

    >>> A = np.diag(np.arange(1.0, 51.0))
    >>> vals, _ = lanczos(lambda v: A @ v, 50, 30)
    >>> np.round(vals[:3], 3).tolist()
    [50.0, 49.0, 48.0]
    """
    rng = np.random.default_rng(seed)
    Q = np.zeros((steps + 1, n))
    q = rng.standard_normal(n)
    Q[0] = q / np.linalg.norm(q)
    alpha, beta = [], []
    for j in range(steps):
        w = matvec(Q[j])
        alpha.append(float(w @ Q[j]))
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)          # full reorthogonalisation (twice is enough)
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)
        b = float(np.linalg.norm(w))
        if b < 1e-10 * max(abs(alpha[0]), 1.0) or j == steps - 1:
            break
        beta.append(b)
        Q[j + 1] = w / b
    m = len(alpha)
    T = np.diag(alpha) + np.diag(beta[:m - 1], 1) + np.diag(beta[:m - 1], -1)
    vals, S = np.linalg.eigh(T)
    order = np.argsort(-vals)
    return vals[order], Q[:m].T @ S[:, order]


def _loss(model, Z, y):
    """The training cross-entropy as a function of the model's weights (a dict), on features Z."""
    Zt = mg.Tensor(Z)
    if hasattr(model, "fc1"):
        act = mg.tanh if model.activation == "tanh" else mg.relu
        return lambda p: F.cross_entropy(
            F.linear(act(F.linear(Zt, p["fc1.weight"], p["fc1.bias"])), p["fc2.weight"], p["fc2.bias"]), y)
    return lambda p: F.cross_entropy(F.linear(Zt, p["fc.weight"], p["fc.bias"]), y)


def spectrum(model, X, y, steps):
    """Top Hessian eigenvalues of the training loss and the leading eigenvector (a weight dict)."""
    Z = model.norm.transform(X).astype(np.float64)
    params = {k: v.astype(np.float64) for k, v in model.state_dict().items() if k.startswith("fc")}
    leaves, tree = mg.pytree.flatten(params)
    sizes = [a.size for a in leaves]
    loss = _loss(model, Z, y)

    def matvec(v):
        parts = np.split(v, np.cumsum(sizes)[:-1])
        vd = mg.pytree.unflatten(tree, [p.reshape(a.shape) for p, a in zip(parts, leaves)])
        hv = mg.hvp(loss, params, vd)
        return np.concatenate([hv[k].data.ravel() for k in params])

    t0 = time.perf_counter()
    vals, vecs = lanczos(matvec, sum(sizes), steps)
    seconds = time.perf_counter() - t0
    top = np.split(vecs[:, 0], np.cumsum(sizes)[:-1])
    return vals, dict(zip(params, [p.reshape(a.shape) for p, a in zip(top, leaves)])), seconds, sum(sizes)


def figure(models, data, names, quick=False):
    """(figure, file name, title, caption) for the face demo: spectra and the top eigenvector."""
    X, y = data["train"]
    steps = 6 if quick else 20
    if quick:
        X, y = X[:128], y[:128]
    soft_vals, soft_vec, soft_s, soft_n = spectrum(models["softmax"], X, y, steps)
    mlp_vals, _, mlp_s, mlp_n = spectrum(models["mlp"], X, y, steps)
    k = steps // 2  # the top half of the Ritz values: converged, the rest not yet
    W = soft_vec["fc.weight"]
    share = (W ** 2).sum(axis=1)                                   # how much of the direction is each person's
    lead = [names[i] for i in np.argsort(-share)[:2]]

    plt = common.plt
    n_img = min(len(names), 8)
    fig = plt.figure(figsize=(4.2 + 1.6 * n_img / 2, 3.8), constrained_layout=True)
    grid = fig.add_gridspec(2, 1 + (n_img + 1) // 2, width_ratios=[2.6] + [1] * ((n_img + 1) // 2))
    ax = fig.add_subplot(grid[:, 0])
    ax.semilogy(range(1, k + 1), soft_vals[:k], "o-", ms=4, label=f"no hidden layer ({soft_n:,} weights)")
    ax.semilogy(range(1, k + 1), np.clip(mlp_vals[:k], 1e-12, None), "s-", ms=4,
                label=f"hidden layer ({mlp_n:,} weights)")
    ax.set_xlabel("rank")
    ax.xaxis.set_major_locator(common.matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel("Hessian eigenvalue")
    ax.set_title("Top of the loss Hessian's spectrum", fontsize=10)
    ax.legend(fontsize=8)
    W = W * np.sign(W[np.argmax(share)].sum() or 1.0)
    lim = np.abs(W).max()
    image_shape = models["softmax"].image_shape
    for i in range(n_img):
        a = fig.add_subplot(grid[i % 2, 1 + i // 2])
        img = W[i].reshape(image_shape)
        a.imshow(img.sum(axis=-1) if img.ndim == 3 else img, cmap="RdBu_r", vmin=-lim, vmax=lim)
        a.set_title(names[i], fontsize=8)
        a.axis("off")
    fig.suptitle("Curvature of the training loss at the trained weights (mg.hvp + Lanczos)", fontsize=11)
    caption = (f"Left: the {k} largest eigenvalues of the Hessian of the training cross-entropy (without weight "
               f"decay) at the trained weights, from {steps} Lanczos steps on Hessian-vector products "
               f"(mg.hvp, never forming the Hessian): largest {soft_vals[0]:.3g} for the network with no "
               f"hidden layer ({soft_s:.1f} s), {mlp_vals[0]:.3g} for the hidden-layer network ({mlp_s:.1f} s); the "
               f"hidden-layer network's smallest Ritz value is {mlp_vals[-1]:.2g}, so its Hessian has an eigenvalue at "
               f"least that negative: the data term's curvature is not positive in every direction. Right: the top "
               f"eigenvector of the no-hidden-layer network, one image per person (shared colour scale): the weight change along which the loss curves most. "
               f"{share.max() / share.sum():.0%} of it lies in {lead[0]}'s template and "
               f"{np.sort(share)[-2] / share.sum():.0%} in {lead[1]}'s. Its images sum to zero (largest pixel of the "
               f"sum: {np.abs(W.sum(axis=0)).max() / lim:.0e} of the largest weight), as they must for every "
               f"eigenvalue that is not 0: adding one image to every template leaves the softmax unchanged.")
    return fig, "hessian_spectrum.png", "Curvature of the loss (Hessian spectrum by Hessian-vector products)", caption

"""Figures of the orientation demo: confusion matrices, accuracy breakdown, example predictions,
training curves and the explanation maps (gradient, guided backprop, deconvnet, positive paths)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
from demos import common
from minigrad.nn.explain import saliency
from models.orientation import ANGLES

plt = common.plt
NAMES = [f"{a}°" for a in ANGLES]
METHODS = [("plain", "gradient"), ("guided", "guided backprop"), ("deconvnet", "deconvnet"),
           ("positive_paths", "positive paths")]


def _short(d):
    return Path(d).name or str(d)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- accuracy figures


def confusion_figure(test_res, extra_sets):
    mats = {"held-out photos": np.asarray(test_res["confusion"])}
    for d, (_, _, res) in extra_sets.items():
        mats[f"extra: {_short(d)}"] = np.asarray(res["confusion"])
    return common.plot_confusion(mats, NAMES, suptitle="Orientation: true rotation (rows) vs predicted (columns)")


def accuracy_figure(test_res, extra_sets):
    """Accuracy per rotation and per source folder, held-out test and each extra set."""
    sets = {"held-out": test_res, **{f"extra: {_short(d)}": r for d, (_, _, r) in extra_sets.items()}}
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    width = 0.8 / len(sets)
    for i, (name, res) in enumerate(sets.items()):
        rot = [res["per_rotation"][str(a)] for a in ANGLES]
        axes[0].bar(np.arange(4) + i * width, rot, width, label=f"{name} ({res['acc']:.1%})")
    axes[0].set_xticks(np.arange(4) + width * (len(sets) - 1) / 2, NAMES)
    axes[0].set_title("accuracy per true rotation", fontsize=10)
    srcs = sorted({s for r in sets.values() for s in r.get("per_source", {})})
    for i, (name, res) in enumerate(sets.items()):
        vals = [res.get("per_source", {}).get(s, np.nan) for s in srcs]
        axes[1].bar(np.arange(len(srcs)) + i * width, vals, width, label=name)
        for j, s in enumerate(srcs):
            n = res.get("n_per_source", {}).get(s)
            if n:
                axes[1].text(j + i * width, 0.02, str(n), ha="center", fontsize=7, color="white", rotation=90)
    axes[1].set_xticks(np.arange(len(srcs)) + width * (len(sets) - 1) / 2, srcs, fontsize=8)
    axes[1].set_title("accuracy per source folder (bar label: photos)", fontsize=10)
    for ax in axes:
        ax.axhline(0.25, color="grey", ls=":", lw=1)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower left")
    axes[0].text(3.6, 0.26, "chance", fontsize=7, color="grey", ha="right")
    fig.tight_layout()
    return fig


def examples_figure(images, logits, n=8):
    """Held-out photos in their four rotations with the network's answer (red = wrong)."""
    probs = _softmax(logits)
    pick = np.linspace(0, len(images) - 1, num=min(n, len(images))).astype(int)
    tiles, titles, colors = [], [], []
    for i in pick:
        for k in range(4):
            tiles.append(np.rot90(images[i], k))
            p = probs[i, k]
            c = int(p.argmax())
            titles.append(f"{ANGLES[k]}° → {ANGLES[c]}° ({p[c]:.0%})")
            colors.append("black" if c == k else "red")
    return common.image_grid(tiles, titles, ncols=8, cell=1.35, title_colors=colors, fontsize=7,
                             suptitle="Held-out photos turned by 0/90/180/270°: true → predicted (probability)")


def training_figure(history):
    runs = history.get("members", [history])  # an ensemble: one curve per network
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for i, h in enumerate(runs):
        ep = np.arange(1, len(h["train_loss"]) + 1)
        tag, color = (f"network {i + 1}: " if len(runs) > 1 else ""), f"C{i}"
        axes[0].plot(ep, h["train_loss"], marker=".", color=color)
        axes[1].plot(ep, h["train_acc"], marker=".", color=color, alpha=0.5, label=tag + "train (augmented batches)")
        if h.get("val_acc"):
            axes[1].plot(ep[:len(h["val_acc"])], h["val_acc"], marker=".", color=color, linestyle="--",
                         label=tag + "validation photos")
        axes[2].plot(ep, h["lr"], marker=".", color=color)
    axes[0].set_title("training loss (cross-entropy)", fontsize=10)
    axes[1].set_ylim(0, 1)
    axes[1].legend(fontsize=7 if len(runs) > 1 else 8)
    axes[1].set_title("accuracy over 4 rotations", fontsize=10)
    axes[2].set_title("learning rate at the end of the epoch", fontsize=10)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- explanations


def pick_explained(images, logits, sources, n):
    """Photos whose four rotations are all classified right, most confident first, sources taken in turn."""
    probs = _softmax(logits)
    right = (probs.argmax(axis=2) == np.arange(4)).all(axis=1)
    conf = probs[:, 0, 0]
    order = [i for i in np.argsort(-conf) if right[i]] or list(np.argsort(-conf))
    by_src = {}
    for i in order:
        by_src.setdefault(sources[i], []).append(i)
    chosen, lists = [], [v for _, v in sorted(by_src.items())]
    while len(chosen) < min(n, len(order)):
        for lst in lists:
            if lst and len(chosen) < n:
                chosen.append(lst.pop(0))
    return chosen


def explanation_maps(model, norm, photos, targets):
    """{method: (N, H, W) map} of d score[target] / d pixel, the max over colour channels of |.|."""
    x = norm(photos)
    out = {}
    for method, _ in METHODS:
        g = saliency(model, x, targets, method) / norm.std.reshape(1, -1, 1, 1)  # per pixel, not per z-score
        out[method] = np.abs(g).max(axis=1)
    return out


def explanation_figure(model, norm, images, idx, target, rotate_by=None):
    """The lecture's side-by-side view: correctly oriented photos (left) and the same photos turned
    (right), each with its four maps. `target` "zero": the 0° output; "predicted": the predicted class.
    Each map pair (upright, turned) of one method shares one colour scale, so weaker evidence
    looks weaker."""
    upright = images[idx]
    ks = rotate_by if rotate_by is not None else [1 + i % 3 for i in range(len(idx))]
    turned = np.stack([np.rot90(u, k) for u, k in zip(upright, ks)])
    both = np.concatenate([upright, turned])
    with mg.no_grad():
        probs = _softmax(model(mg.tensor(norm(both))).data)
    tgt = np.zeros(len(both), np.int64) if target == "zero" else probs.argmax(axis=1)
    maps = explanation_maps(model, norm, both, tgt)
    n, m = len(idx), len(METHODS)
    ncols = 2 * (m + 1)
    fig, axes = plt.subplots(n, ncols + 1, figsize=(1.32 * ncols + 0.25, 1.45 * n + 0.9), squeeze=False,
                             gridspec_kw={"width_ratios": [1] * (m + 1) + [0.18] + [1] * (m + 1)})
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for r in range(n):
        axes[r, m + 1].set_visible(False)
        for side, (row, off) in enumerate(((r, 0), (n + r, m + 2))):
            img = both[row]
            ax = axes[r, off]
            ax.imshow(img.squeeze(), cmap="gray" if img.shape[-1] == 1 else None, vmin=0, vmax=1)
            p = probs[row]
            c = int(p.argmax())
            label = f"p(0°)={p[0]:.2f}" if target == "zero" else f"pred {ANGLES[c]}° ({p[c]:.2f})"
            truth = 0 if side == 0 else ks[r]
            ax.set_xlabel(f"turned {ANGLES[truth]}°\n{label}" if side else label, fontsize=7,
                          color="black" if c == truth else "red")
            for j, (method, _) in enumerate(METHODS):
                pair = np.stack([maps[method][r], maps[method][n + r]])
                lim = float(np.percentile(pair, 99.5)) or 1.0
                axes[r, off + 1 + j].imshow(np.clip(maps[method][row] / lim, 0, 1), cmap="inferno", vmin=0, vmax=1)
    for side, off in enumerate((0, m + 2)):
        axes[0, off].set_title("photo", fontsize=8)
        for j, (_, title) in enumerate(METHODS):
            axes[0, off + 1 + j].set_title(title, fontsize=8)
    what = "the 0° output" if target == "zero" else "the predicted class"
    fig.suptitle(f"Evidence for {what}:   correctly oriented photos (left)   |   incorrectly oriented photos (right)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


# --------------------------------------------------------------------------- all of them


def make_figures(out, model, norm, images, sources, logits, test_res, extra_sets, history, n_explain=5,
                 progress=True):
    out = Path(out)
    entries = []

    def add(fig, name, title, caption):
        path = common.save_figure(fig, out / name)
        entries.append(common.figure_entry(path, title, caption))

    steps = ["confusion", "accuracy", "examples", "explain 0°", "explain predicted"] + (["training"] if history else [])
    bar = common.progress(total=len(steps), enabled=progress, desc="orientation figures", leave=False)
    add(confusion_figure(test_res, extra_sets), "confusion.png", "Orientation confusion matrices",
        "True rotation (rows) against the CNN's answer (columns) over all four rotations of every held-out "
        "photo, and of each extra test folder.")
    bar.update()
    add(accuracy_figure(test_res, extra_sets), "accuracy.png", "Orientation accuracy per rotation and source",
        "Accuracy for each true rotation (left) and for each source folder (right); the dotted line is chance "
        "(25%).")
    bar.update()
    add(examples_figure(images, logits), "examples.png", "Example predictions",
        "Held-out photos in their four rotations, with the predicted rotation and its probability; red marks "
        "a wrong answer.")
    bar.update()
    idx = pick_explained(images, logits, sources, n_explain)
    cap = ("Left: upright held-out photos; right: the same photos turned by 90, 180 or 270 degrees. For each, "
           "the input gradient of {what} under four backward rules: the plain gradient (saliency), guided "
           "backpropagation (relu passes g only where the unit was active and g > 0), the deconvnet rule "
           "(relu passes g where g > 0) and positive paths (active units along positive weights only: the "
           "mg.rules preset 'positive_paths'). Maps show max over colour channels of |d score / d pixel|; each "
           "method's upright/turned pair shares one colour scale (99.5th percentile), so where the evidence "
           "for 0° drops after turning the photo, the right-hand map is darker.")
    add(explanation_figure(model, norm, images, idx, "zero"), "explain_0deg.png",
        "Evidence for 0 degrees", cap.format(what="the 0° score"))
    bar.update()
    add(explanation_figure(model, norm, images, idx, "predicted"), "explain_predicted.png",
        "Evidence for the predicted class", cap.format(what="the score of the predicted rotation"))
    bar.update()
    if history:
        add(training_figure(history), "training.png", "Orientation training curves",
            "Training loss and accuracy (augmented batches with all four rotations of each photo), accuracy on "
            "the validation photos, and the learning rate (linear warm-up, then cosine decay) per epoch.")
        bar.update()
    bar.close()
    return entries

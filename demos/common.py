"""Helpers shared by the demos: progress bars, seeding, timing, metrics files and figures.

Figures use matplotlib's Agg backend (no display needed; set before pyplot is imported) unless a
Jupyter kernel already chose its inline backend, where figures should show in the notebook; they are
closed after saving so a long run does not pile up open figures. Plot helpers take arrays and
return a Figure; `save_figure` writes it. Images are (H, W) greyscale or (H, W, 3) colour.
"""
from __future__ import annotations

import json
import math
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - only after choosing the backend
import numpy as np  # noqa: E402

__all__ = ["progress", "seed_everything", "Timer", "write_json", "save_figure", "image_grid",
           "template_grid", "saliency_panels", "confusion_matrix", "plot_confusion", "plot_history",
           "figure_entry"]


# --------------------------------------------------------------------------- running


def progress(iterable=None, enabled=True, **kwargs):
    """A tqdm bar over `iterable`, or the iterable itself when disabled.

    tqdm's own `disable=None` turns bars off when stderr is not a terminal (CI logs, pipes).
    """
    if not enabled:
        return _NoBar(iterable)
    from tqdm.auto import tqdm
    kwargs.setdefault("disable", None)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)


class _NoBar:
    """Enough of tqdm's interface (iteration, update, set_postfix, close) to stand in for it."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def set_description(self, *args, **kwargs):
        pass

    def close(self):
        pass


def seed_everything(seed):
    """Seed minigrad's parameter-initialisation generator and numpy's legacy global one."""
    import minigrad.nn.init as init

    np.random.seed(seed)
    return init.manual_seed(seed)


class Timer:
    """Wall-clock timings by name: `with timer("softmax"): ...`, then `timer.seconds`."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, float) and not math.isfinite(x):
        return None  # JSON has no nan/inf
    return x


def write_json(path, data):
    """Write `data` (dicts/lists of numbers, numpy scalars or arrays, Paths) as indented JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(data), indent=2) + "\n")
    return path


def figure_entry(path, title, caption):
    """How a demo describes a figure it wrote, for the report: file name, title, caption."""
    return {"file": Path(path).name, "path": str(path), "title": title, "caption": caption}


# --------------------------------------------------------------------------- figures


def save_figure(fig, path, dpi=110):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return path


def _grid(n, ncols, cell=1.6, extra_w=0.0, title_h=0.5, label_h=0.3, constrained=False):
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * cell + extra_w, nrows * (cell + label_h) + title_h),
                             squeeze=False, layout="constrained" if constrained else None)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_visible(False)
    return fig, axes


def _row_labels(axes, labels, fontsize):
    for r, label in enumerate(labels or []):
        if r < axes.shape[0]:
            axes[r, 0].set_ylabel(label, fontsize=fontsize, rotation=0, ha="right", va="center", labelpad=6)


def image_grid(images, titles=None, ncols=8, suptitle=None, cell=1.6, title_colors=None, fontsize=9,
               row_labels=None):
    """Images in [0, 1] on a grid, a caption under each and optionally a label left of each row."""
    images = np.asarray(images)
    fig, axes = _grid(len(images), ncols, cell, extra_w=1.3 if row_labels else 0.0,
                      label_h=0.3 if titles is not None else 0.05, constrained=True)
    for i, ax in enumerate(axes.flat):
        if i >= len(images):
            ax.set_visible(False)
            continue
        ax.imshow(images[i], cmap="gray" if images[i].ndim == 2 else None, vmin=0, vmax=1)
        if titles is not None:
            color = title_colors[i] if title_colors is not None else "black"
            ax.set_xlabel(titles[i], fontsize=fontsize, color=color)
    _row_labels(axes, row_labels, fontsize + 1)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    return fig


def _signed_rgb(t, lim):
    """A signed colour template as an image: 0 -> mid grey, +-lim -> the channel fully on/off."""
    return np.clip(0.5 + t / (2 * lim), 0, 1)


def template_grid(templates, titles=None, ncols=6, suptitle=None, cell=1.8, shared=True,
                  cmap="RdBu_r", colorbar_label="weight", fontsize=10, row_labels=None):
    """Weight templates on a diverging colour map centred at 0 (red > 0, blue < 0, white = 0).

    shared=True uses one symmetric colour scale for all (magnitudes comparable, one colorbar);
    shared=False scales each template to its own max |w| (patterns visible even when weak).
    Colour templates (H, W, 3) are shown as 0.5 + w / (2 max|w|), i.e. grey = 0.
    """
    templates = np.asarray(templates, dtype=np.float64)
    n = len(templates)
    label_h = 0.15 + 0.17 * (max(str(t).count("\n") for t in titles) + 1) if titles is not None else 0.05
    extra_w = (0.9 if shared else 0.0) + (1.3 if row_labels else 0.0)  # room for the colorbar and row labels
    fig, axes = _grid(n, ncols, cell, extra_w=extra_w, label_h=label_h, constrained=True)
    lim_all = float(np.abs(templates).max()) or 1.0
    im = None
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        t = templates[i]
        lim = lim_all if shared else (float(np.abs(t).max()) or 1.0)
        if t.ndim == 3:
            ax.imshow(_signed_rgb(t, lim))
        else:
            im = ax.imshow(t, cmap=cmap, vmin=-lim, vmax=lim)
        if titles is not None:
            ax.set_xlabel(titles[i], fontsize=fontsize)
    if im is not None and shared:
        cb = fig.colorbar(im, ax=axes, shrink=min(1.0, 3.0 / axes.shape[0] + 0.3), aspect=25)
        cb.set_label(colorbar_label)
    _row_labels(axes, row_labels, fontsize)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    return fig


def saliency_panels(blocks, suptitle=None, cell=1.55, cmap="RdBu_r"):
    """Blocks of faces side by side; per face: the image, signed saliency maps, |saliency| on the face.

    blocks: {block title: rows}; a row is {"image": (H, W[, 3]) in [0, 1], "label": str,
    "maps": [(title, (H, W) map)], "label_color": optional}. Every signed map gets its own
    symmetric scale (gradient magnitudes differ a lot between faces; the pattern is what matters).
    The overlay shows the magnitude of the first map.
    """
    blocks = {t: rows for t, rows in blocks.items() if rows}
    widths = [2 + max(len(r["maps"]) for r in rows) for rows in blocks.values()]
    nrows = max(len(rows) for rows in blocks.values())
    fig = plt.figure(figsize=(sum(widths) * cell + 0.4 * len(widths), nrows * (cell + 0.45) + 0.8),
                     layout="constrained")
    subs = np.atleast_1d(fig.subfigures(1, len(blocks), width_ratios=widths, wspace=0.04))
    for sub, ncols, (title, rows) in zip(subs, widths, blocks.items()):
        axes = sub.subplots(nrows, ncols, squeeze=False)
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_visible(False)
        for r, row in enumerate(rows):
            img = row["image"]
            cells = [axes[r, j] for j in range(ncols)]
            for ax in cells[:2 + len(row["maps"])]:
                ax.set_visible(True)
            cells[0].imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
            cells[0].set_xlabel(row["label"], fontsize=8, color=row.get("label_color", "black"))
            for j, (mtitle, m) in enumerate(row["maps"]):
                lim = float(np.abs(m).max()) or 1.0
                cells[1 + j].imshow(m, cmap=cmap, vmin=-lim, vmax=lim)
                cells[1 + j].set_xlabel(mtitle, fontsize=8)
            mag = np.abs(row["maps"][0][1])
            grey = img if img.ndim == 2 else img.mean(axis=-1)
            over = cells[1 + len(row["maps"])]
            over.imshow(grey, cmap="gray", vmin=0, vmax=1)
            over.imshow(mag / (mag.max() or 1.0), cmap="inferno", alpha=0.6, vmin=0, vmax=1)
            over.set_xlabel("|first map|\non the face", fontsize=8)
        sub.suptitle(title, fontsize=11)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    return fig


def confusion_matrix(y_true, y_pred, n_classes):
    """counts[i, j] = how many items of true class i were predicted as class j."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion(matrices, names, suptitle=None):
    """Confusion matrices side by side: {panel title: counts}. Rows are true, columns predicted.

    Counts are written in the cells when there are few classes; with many, only colour shows.
    """
    k = len(names)
    side = min(max(3.2, 0.45 * k + 1.6), 7.0)
    fig, axes = plt.subplots(1, len(matrices), figsize=(side * len(matrices), side + 0.5), squeeze=False)
    annotate = k <= 12
    labels = names if k <= 45 else [str(i) for i in range(k)]
    fs = 9 if k <= 12 else max(4.5, 9 - k / 8)
    for ax, (title, cm) in zip(axes[0], matrices.items()):
        cm = np.asarray(cm)
        rows = cm.sum(axis=1, keepdims=True)
        frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
        ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(k), labels, rotation=90 if k > 6 else 45, ha="center" if k > 6 else "right",
                      fontsize=fs)
        ax.set_yticks(range(k), labels, fontsize=fs)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        acc = np.trace(cm) / max(cm.sum(), 1)
        ax.set_title(f"{title}  (accuracy {acc:.1%})", fontsize=10)
        if annotate:
            for i in range(k):
                for j in range(k):
                    if cm[i, j]:
                        ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=fs,
                                color="white" if frac[i, j] > 0.5 else "black")
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    fig.tight_layout()
    return fig


def plot_history(histories, suptitle=None):
    """Loss and accuracy per epoch, train (solid) and val (dashed), for {name: history} from fit().

    Losses of different models are not on one scale (cross-entropy vs squared error), so each
    model gets its own loss panel; accuracies share one. The restored best epoch is marked.
    """
    n = len(histories)
    fig, axes = plt.subplots(1, n + 1, figsize=(4.2 * (n + 1), 3.6), squeeze=False)
    axes = axes[0]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    acc_ax = axes[n]
    for i, (name, h) in enumerate(histories.items()):
        c = colors[i % len(colors)]
        ep = np.arange(1, len(h["train_loss"]) + 1)
        ax = axes[i]
        ax.plot(ep, h["train_loss"], color=c, label="train")
        ax.plot(ep, h["val_loss"], color=c, ls="--", label="val")
        ax.set_title(f"{name}: loss ({h.get('loss_name', 'loss')})", fontsize=10)
        ax.set_xlabel("epoch")
        losses = np.asarray(h["train_loss"] + h["val_loss"], dtype=float)
        losses = losses[np.isfinite(losses) & (losses > 0)]
        if losses.size and losses.max() / losses.min() > 5:
            ax.set_yscale("log")
        if h.get("best_epoch"):
            ax.axvline(h["best_epoch"], color="grey", ls=":", lw=1, label="best epoch")
        ax.legend(fontsize=8)
        acc_ax.plot(ep, h["train_acc"], color=c, label=f"{name} train")
        acc_ax.plot(ep, h["val_acc"], color=c, ls="--", label=f"{name} val")
        if h.get("best_epoch"):
            acc_ax.plot([h["best_epoch"]], [h["val_acc"][h["best_epoch"] - 1]], "o", color=c, ms=6)
    acc_ax.set_title("accuracy (dot = restored best epoch)", fontsize=10)
    acc_ax.set_xlabel("epoch")
    accs = np.asarray([a for h in histories.values() for a in h["train_acc"] + h["val_acc"]], dtype=float)
    low = np.nanmin(accs) if np.isfinite(accs).any() else 0.0
    acc_ax.set_ylim(max(0.0, np.floor(low * 10) / 10), 1.005)
    acc_ax.legend(fontsize=7, loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    fig.tight_layout()
    return fig

"""Convolutional autoencoder demo: squeeze 32x32 faces through a 4x4 code and back, with strided
Conv2d layers down and ConvTranspose2d layers up (models/autoencoder.py).

    python -m demos.autoencoder [--data DIR] [--out DIR] [--epochs N] [--code C] [--seed S] [--quick]

Trains on the training faces of the per-person split the face demo uses, and writes to
``OUT/autoencoder/``: metrics.json (squared errors per pixel, the PCA reference, timings) and the
figure listed in metrics.json["figures"]: held-out faces, their reconstructions, the reconstructions
of PCA with as many numbers as the code (the best any linear autoencoder can do), and the loss per
epoch. ``run(argv)`` does the same in-process and returns the metrics dict.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from demos import common
from models.autoencoder import ConvAutoencoder, pca_reconstruct, reconstruct, train
from models.datasets import DEFAULT_FACES, load_faces, split_by_person

DEFAULTS = dict(epochs=25, code=8, size=32, lr=5e-3, batch_size=32)
QUICK = dict(epochs=4)
SHOWN = 8  # held-out faces in the figure


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m demos.autoencoder", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_FACES, help="folder of <person>/<image> files")
    p.add_argument("--out", type=Path, default=Path("out"), help="results go to OUT/autoencoder/ (default: out)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"training epochs (default {DEFAULTS['epochs']}, {QUICK['epochs']} with --quick)")
    p.add_argument("--code", type=int, default=DEFAULTS["code"],
                   help=f"channels of the 4x4 code (default {DEFAULTS['code']})")
    p.add_argument("--seed", type=int, default=0, help="seeds the split, the initial weights and the batches")
    p.add_argument("--quick", action="store_true", help="reduced run for CI: fewer epochs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.epochs is None:
        args.epochs = QUICK["epochs"] if args.quick else DEFAULTS["epochs"]
    for k in ("epochs", "code"):
        if getattr(args, k) < 1:
            p.error(f"--{k} must be >= 1, got {getattr(args, k)}")
    return args


def make_figure(path, originals, ours, pca, history, pca_error, code_size):
    """Faces (rows: original, autoencoder, PCA) beside the loss curves."""
    plt = common.plt
    n = len(originals)
    fig = plt.figure(figsize=(1.05 * n + 4.6, 3.6))
    grid = fig.add_gridspec(3, n + 1, width_ratios=[1] * n + [4.2], wspace=0.06, hspace=0.08)
    rows = [("original", originals), ("autoencoder", ours), (f"PCA, {code_size} numbers", pca)]
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(np.clip(images[c], 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    ax = fig.add_subplot(grid[:, n])
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="train")
    ax.plot(epochs, history["val_loss"], ls="--", label="validation")
    ax.axhline(pca_error, color="grey", ls=":", label=f"PCA ({code_size} numbers), test")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title("squared error per pixel", fontsize=10)
    ax.yaxis.tick_right()
    ax.legend(fontsize=8)
    common.save_figure(fig, path)


def run(argv=None):
    """Run the demo; return the metrics dict (also written to OUT/autoencoder/metrics.json)."""
    args = parse_args(argv)
    out = Path(args.out) / "autoencoder"
    out.mkdir(parents=True, exist_ok=True)
    timer = common.Timer()
    t0 = time.perf_counter()
    with timer("load"):
        faces = load_faces(args.data, size=DEFAULTS["size"])
        tr, va, te = split_by_person(faces.labels, seed=args.seed)
        X = faces.images
    common.seed_everything(args.seed)
    model = ConvAutoencoder(code_channels=args.code)
    bar = common.progress(total=args.epochs, enabled=not args.no_progress, desc="autoencoder", unit="epoch")
    with timer("training"), bar:
        def tick(epoch, h):
            bar.update()
            bar.set_postfix(train=f"{h['train_loss'][-1]:.4f}", val=f"{h['val_loss'][-1]:.4f}")
        history = train(model, X[tr], X[va], epochs=args.epochs, batch_size=DEFAULTS["batch_size"],
                        lr=DEFAULTS["lr"], seed=args.seed, on_epoch=tick)
    side = DEFAULTS["size"] // 8
    code_size = args.code * side * side
    with timer("evaluation"):
        test_rec = reconstruct(model, X[te])
        test_error = float(np.mean((test_rec - X[te]) ** 2))
        pca_rec = pca_reconstruct(X[tr], X[te], code_size)
        pca_error = float(np.mean((pca_rec - X[te]) ** 2))
        shown = np.random.default_rng(args.seed).choice(len(te), SHOWN, replace=False)
    with timer("figure"):
        path = out / "reconstructions.png"
        make_figure(path, X[te][shown], test_rec[shown], pca_rec[shown], history, pca_error, code_size)
    params = sum(p.size for p in model.parameters())
    figures = [common.figure_entry(
        path, "Convolutional autoencoder: held-out faces and their reconstructions",
        f"Top: {SHOWN} test faces (32x32); middle: the autoencoder's reconstructions from a {args.code}x{side}x{side} "
        f"code ({code_size} numbers for 1,024 pixels), three stride-2 Conv2d layers down and three stride-2 "
        f"ConvTranspose2d layers up, {params:,} parameters, trained {args.epochs} epochs "
        f"({history['seconds']:.0f} s) on {len(tr)} faces; bottom: PCA with {code_size} components, the best "
        f"linear code of that size. Right: squared error per pixel after each epoch (log scale).")]
    metrics = {"train_mse": history["train_loss"][-1], "val_mse": history["val_loss"][-1], "test_mse": test_error,
               "pca_test_mse": pca_error, "first_train_mse": history["train_loss"][0], "history": history,
               "config": {"epochs": args.epochs, "code_channels": args.code, "code_size": code_size,
                          "size": DEFAULTS["size"], "lr": DEFAULTS["lr"], "batch_size": DEFAULTS["batch_size"],
                          "seed": args.seed, "n_train": len(tr), "n_val": len(va), "n_test": len(te),
                          "params": params},
               "figures": figures}
    metrics["timings"] = {**timer.seconds, "total": round(time.perf_counter() - t0, 3)}
    common.write_json(out / "metrics.json", metrics)
    print(f"autoencoder: test squared error per pixel {test_error:.4f} (PCA with {code_size} numbers: "
          f"{pca_error:.4f}); trained {args.epochs} epochs in {history['seconds']:.1f} s; wrote {out}")
    return metrics


if __name__ == "__main__":
    run(sys.argv[1:])

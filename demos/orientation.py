"""Photo orientation demo: is this photo turned 0, 90, 180 or 270 degrees? And what says so?

    python -m demos.orientation [--data DIR] [--out DIR] [--extra-test DIR ...] [--epochs N] [--seed S]
                                [--retrain [--extra-train DIR ...]] [--model FILE] [--quick] [--no-progress]

By default it loads the CNNs shipped in data/models/orientation.npz (trained by `--retrain
--extra-train ../shared/data/photos/tinyimagenet_val64`: the bundled photos' training split plus
7,600 more, see data/models/README.md); `--retrain` trains from scratch on DIR. Accuracy is
measured over all four rotations of every held-out photo: photos the model never saw while
training or validating (recognised by file content, so any DIR works). `--extra-test DIR`
(repeatable) scores every upright photo in DIR that is not in --data.

Writes to OUT/orientation/: metrics.json (test_acc, per_rotation, per_source, extra_test, the
confusion matrix, timings, figures), the model (orientation.npz, mg.save format, reload with
models.orientation.load_model) and the figures. `run(argv)` does the same in-process and returns
the metrics dict; metrics["figures"] lists each figure's path, title and caption.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from demos import common
from models.datasets import DEFAULT_PHOTOS, file_hashes, load_photos, split_photos
from models.orientation import (ANGLES, Config, add_training_photos, evaluate, load_model, rotation_logits,
                                save_model, train)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO_ROOT / "data" / "models" / "orientation.npz"

# the configuration of the shipped model (chosen on the validation photos; data/models/README.md)
DEFAULT_CONFIG = Config(widths=(24, 48, 96, 192), dropout=0.5, epochs=30, equivariant=True, init="kaiming",
                        mirror_test=True, ensemble=3)
# --quick --retrain: a tiny network, one epoch on a few hundred photos, to exercise the training path
QUICK_CONFIG = Config(widths=(8, 16, 16), hidden=32, epochs=1, batch_photos=16, equivariant=True, init="kaiming")
QUICK_PHOTOS = 240


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m demos.orientation", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_PHOTOS, help="folder of upright photos (recursive)")
    p.add_argument("--out", type=Path, default=Path("out"), help="results go to OUT/orientation/")
    p.add_argument("--extra-test", type=Path, action="append", default=[], metavar="DIR",
                   help="another folder of upright photos to score (repeatable); photos also in --data are dropped")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="trained model to load (unless --retrain)")
    p.add_argument("--retrain", action="store_true", help="train from scratch on --data instead of loading")
    p.add_argument("--extra-train", type=Path, action="append", default=[], metavar="DIR",
                   help="with --retrain: also train on the upright photos below DIR (repeatable); photos of "
                        "--data's validation and test split are left out")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"training epochs with --retrain (default {DEFAULT_CONFIG.epochs})")
    p.add_argument("--seed", type=int, default=0, help="seeds the photo split, the weights and the batches")
    p.add_argument("--quick", action="store_true",
                   help=f"reduced run for CI: {QUICK_PHOTOS} photos, tiny network if retraining")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        p.error(f"--epochs must be >= 1, got {args.epochs}")
    if args.extra_train and not args.retrain:
        p.error("--extra-train adds training photos: it needs --retrain")
    for d in [args.data] + args.extra_test + args.extra_train:
        if not d.is_dir():
            p.error(f"photo folder not found: {d}")
    if not args.retrain and not args.model.is_file():
        p.error(f"no trained model at {args.model}: pass --retrain to train one (or --model FILE)")
    return args


def _load(root, cfg, limit, what):
    photos = load_photos(root, size=cfg.size, color=cfg.color, limit=limit)
    for path, reason in photos.skipped:
        print(f"skipped unreadable {what} photo {path}: {reason}", file=sys.stderr)
    # photos directly in the folder get the folder's own name as their source, not "."
    name = Path(root).resolve().name
    photos.sources = [name if s == "." else s for s in photos.sources]
    return photos


def _score(model, norm, images, sources, cfg):
    logits = rotation_logits(model, norm, images, mirror=cfg.mirror_test)
    return evaluate(model, norm, images, sources, logits=logits), logits


def run(argv=None):
    """Run the demo; return the metrics dict (also written to OUT/orientation/metrics.json)."""
    from demos.orientation_figures import make_figures

    args = parse_args(argv)
    progress = not args.no_progress
    timer = common.Timer()
    t0 = time.perf_counter()
    out = Path(args.out) / "orientation"
    out.mkdir(parents=True, exist_ok=True)
    limit = QUICK_PHOTOS if args.quick else None

    if args.retrain:
        cfg = QUICK_CONFIG if args.quick else DEFAULT_CONFIG
        cfg = Config.from_dict({**cfg.to_dict(), "seed": args.seed,
                                **({"epochs": args.epochs} if args.epochs else {})})
    else:
        with timer("load model"):
            model, norm, cfg, meta = load_model(args.model)
    with timer("load photos"):
        photos = _load(args.data, cfg, limit, "--data")
        hashes = np.array(file_hashes(photos.paths))
    sources = np.asarray(photos.sources)

    if args.retrain:
        tr, va, te = split_photos(len(photos), seed=args.seed)
        print(f"training on {len(tr)} photos x 4 rotations from {args.data} ({cfg.size}x{cfg.size} "
              f"{'colour' if cfg.color else 'grey'}), validating on {len(va)}, testing on {len(te)}")
        train_images, extra_hashes = photos.images[tr], []
        if args.extra_train:
            with timer("load extra training photos"):
                train_images, extra_hashes = add_training_photos(train_images, args.extra_train, cfg,
                                                                 set(hashes.tolist()), limit)
            print(f"+ {len(extra_hashes)} training photos from {', '.join(map(str, args.extra_train))}")
        with timer("train"):
            model, norm, hist = train(cfg, train_images, photos.images[va], progress=progress,
                                      log=None if progress else print)
        trained = {"how": "retrained", "seconds": hist["seconds"], "history": hist,
                   "train_hashes": hashes[tr].tolist() + extra_hashes,
                   "val_hashes": hashes[va].tolist(),
                   "data": str(args.data), "split_seed": args.seed,
                   "extra_train": [str(d) for d in args.extra_train]}
    else:
        seen = set(meta.get("train_hashes", [])) | set(meta.get("val_hashes", []))
        te = np.flatnonzero([h not in seen for h in hashes])
        trained = {"how": f"loaded {args.model}", "seconds": meta.get("seconds"), "history": meta.get("history"),
                   "train_hashes": meta.get("train_hashes", []), "val_hashes": meta.get("val_hashes", []),
                   "data": meta.get("data"), "split_seed": meta.get("split_seed"),
                   "extra_train": meta.get("extra_train", [])}
        print(f"loaded {args.model}; {len(te)} of the {len(photos)} photos in {args.data} were not used to "
              f"train or validate it")
    if len(te) == 0:
        raise ValueError(f"{args.data}: no held-out photos to test on (every photo was used to train the model)")

    with timer("evaluate"):
        test, test_logits = _score(model, norm, photos.images[te], sources[te], cfg)
    metrics = {"test_acc": test["acc"], "test_acc_consistent": test["acc_consistent"],
               "per_rotation": test["per_rotation"], "per_source": test["per_source"],
               "n_test_photos": test["n_photos"], "n_test_per_source": test["n_per_source"],
               "confusion": test["confusion"], "extra_test": {}, "extra_test_details": {}}
    print(f"held-out accuracy over 4 rotations of {len(te)} photos: {test['acc']:.1%} "
          f"(rotation-consistent decision: {test['acc_consistent']:.1%})")
    _print_breakdown(test)

    extra_sets = {}
    known = set(hashes.tolist()) | set(trained["train_hashes"]) | set(trained["val_hashes"])
    for d in args.extra_test:
        with timer(f"extra test {d}"):
            ph = _load(d, cfg, limit, "--extra-test")
            keep = np.flatnonzero([h not in known for h in file_hashes(ph.paths)])
            if len(keep) == 0:
                print(f"--extra-test {d}: every photo is also in --data or the training set; skipped")
                continue
            res, logits = _score(model, norm, ph.images[keep], np.asarray(ph.sources)[keep], cfg)
        res["n_excluded_as_seen"] = int(len(ph) - len(keep))
        metrics["extra_test"][str(d)] = res["acc"]
        metrics["extra_test_details"][str(d)] = res
        extra_sets[str(d)] = (ph.images[keep], logits, res)
        print(f"extra test {d}: {res['acc']:.1%} over 4 rotations of {len(keep)} photos "
              f"({res['n_excluded_as_seen']} dropped as already in --data)")

    metrics["model"] = {"config": cfg.to_dict(), "how": trained["how"],
                        "params": int(sum(p.size for p in model.parameters())),
                        "training_seconds": trained["seconds"], "trained_on": trained["data"],
                        "split_seed": trained["split_seed"], "extra_train": trained["extra_train"],
                        "n_train_photos": len(trained["train_hashes"]),
                        "n_val_photos": len(trained["val_hashes"])}
    with timer("save model"):
        save_model(out / "orientation.npz", model, norm, cfg, {
            "seconds": trained["seconds"], "history": trained["history"], "train_hashes": trained["train_hashes"],
            "val_hashes": trained["val_hashes"], "data": trained["data"], "split_seed": trained["split_seed"],
            "extra_train": trained["extra_train"],
            "test": {k: test[k] for k in ("acc", "acc_consistent", "per_rotation", "per_source", "confusion")},
            "extra_test": [[d, acc] for d, acc in metrics["extra_test"].items()]})  # keys may not hold "/"
    with timer("figures"):
        metrics["figures"] = make_figures(out, model, norm, photos.images[te], sources[te], test_logits, test,
                                          extra_sets, trained["history"], n_explain=3 if args.quick else 5,
                                          progress=progress)
    with timer("sanity checks"):
        metrics["sanity"] = _sanity(out, model, norm, photos.images[te], sources[te], test_logits, args.quick)
    metrics["timings"] = {**timer.seconds, "total": round(time.perf_counter() - t0, 3)}
    metrics["config"] = {"data": str(args.data), "extra_test": [str(d) for d in args.extra_test],
                         "seed": args.seed, "quick": args.quick, "retrain": args.retrain}
    common.write_json(out / "metrics.json", metrics)
    print(f"wrote {out / 'metrics.json'}, {len(metrics['figures'])} figures and the model to {out} "
          f"in {metrics['timings']['total']:.1f} s")
    return metrics


def _sanity(out, model, norm, images, sources, logits, quick):
    """Model-randomisation sanity checks of the explanations on correctly oriented photos."""
    from demos.orientation_figures import pick_explained
    from demos.sanity import orientation_sanity

    idx = pick_explained(images, logits, sources, 2 if quick else 3)
    sanity, figures = orientation_sanity(out, model, norm, images[idx], quick=quick)
    return {**sanity, "figures": figures}


def _print_breakdown(res):
    rot = "  ".join(f"{a}°: {res['per_rotation'][str(a)]:.1%}" for a in ANGLES)
    src = "  ".join(f"{s}: {v:.1%} ({res['n_per_source'][s]})" for s, v in res["per_source"].items())
    print(f"  per rotation  {rot}\n  per source    {src}")


def main(argv=None):
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m models.orientation_experiments key=value ...`: the training runs behind data/models/README.md.

One run trains on the shipped photos' training split (split seed 0), optionally with more photos
(--extra-train), scores the validation and test photos and appends a JSON line to --log. `--combine`
makes one ensemble checkpoint of runs that differ only in their seed (trained side by side on the
two cores), exactly what a single run with ensemble=k would have trained one network after another.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields, replace

import numpy as np

from models.datasets import DEFAULT_PHOTOS, file_hashes, load_photos, split_photos
from models.orientation import (Config, Ensemble, add_training_photos, ensemble_history, evaluate, load_model,
                                save_model, train)


def _parse_value(text):
    import ast
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def combine(paths):
    """(Ensemble, normalizer, config, meta) from single-network checkpoints of runs that differ only in
    their seed, seeds consecutive and in order, trained on the same photos."""
    runs = [load_model(p) for p in paths]
    _, norm, first, meta = runs[0]
    for k, (p, (_, nm, cfg, m)) in enumerate(zip(paths, runs)):
        if cfg.ensemble != 1 or replace(cfg, seed=first.seed) != first:
            raise ValueError(f"{p}: its Config differs from {paths[0]}'s by more than the seed: {cfg} vs {first}")
        if cfg.seed != first.seed + k:
            raise ValueError(f"{p}: seed {cfg.seed}, but network {k + 1} of an ensemble starting at seed "
                             f"{first.seed} has seed {first.seed + k}")
        if m.get("train_hashes") != meta.get("train_hashes") or m.get("val_hashes") != meta.get("val_hashes") \
                or not (np.array_equal(nm.mean, norm.mean) and np.array_equal(nm.std, norm.std)):
            raise ValueError(f"{p} was trained or validated on other photos than {paths[0]}")
    hist = ensemble_history([m["history"] for *_, m in runs])
    keep = {k: meta[k] for k in ("train_hashes", "val_hashes", "data", "extra_train", "split_seed") if k in meta}
    return (Ensemble([m for m, *_ in runs]), norm, replace(first, ensemble=len(runs)),
            {**keep, "history": hist, "seconds": hist["seconds"], "combined_from": [str(p) for p in paths]})


def main(argv=None):
    """`python -m models.orientation_experiments key=value ... [--name N] [--log FILE] [--save FILE]`: one training
    run on the shipped photos (split seed 0), scored on the validation and test photos; appends a JSON
    line to FILE. `--combine A.npz B.npz ...` scores (and saves) their ensemble instead of training.
    This is how the table in data/models/README.md was made."""
    p = argparse.ArgumentParser(prog="python -m models.orientation_experiments", description=main.__doc__)
    p.add_argument("settings", nargs="*", help="Config fields, e.g. size=64 widths=(16,32,64) epochs=6")
    p.add_argument("--name", default="run")
    p.add_argument("--data", default=str(DEFAULT_PHOTOS))
    p.add_argument("--log", default=None, help="append the result as one JSON line to this file")
    p.add_argument("--save", default=None, help="mg.save the trained model here")
    p.add_argument("--train-fraction", type=float, default=1.0,
                   help="train on this fraction of the training photos (a learning curve: is data the limit?)")
    p.add_argument("--extra-train", action="append", default=[], metavar="DIR",
                   help="also train on the upright photos below DIR (repeatable); a photo whose content is in "
                        "the validation or test split, or already in training, is left out")
    p.add_argument("--combine", nargs="+", default=None, metavar="FILE",
                   help="no training: the ensemble of these checkpoints (same Config but consecutive seeds)")
    args = p.parse_intermixed_args(argv)  # settings may come after the options
    overrides = {}
    for s in args.settings:
        if "=" not in s:
            p.error(f"setting {s!r} is not key=value")
        k, v = s.split("=", 1)
        overrides[k] = _parse_value(v)
    unknown = set(overrides) - {f.name for f in fields(Config)}
    if unknown:
        p.error(f"unknown Config field(s): {', '.join(sorted(unknown))}")
    if args.combine and (overrides or args.extra_train or args.train_fraction < 1):
        p.error("--combine takes its configuration from the checkpoints: no settings, --extra-train or "
                "--train-fraction")
    say = lambda m: print(f"[{args.name}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    if args.combine:
        model, norm, cfg, meta = combine(args.combine)
    else:
        cfg = Config(**overrides)
    photos = load_photos(args.data, size=cfg.size, color=cfg.color)
    hashes = np.array(file_hashes(photos.paths))  # saved, so demos.orientation tests it on unseen photos only
    tr, va, te = split_photos(len(photos), seed=0)
    if args.combine:
        if set(hashes[va]) != set(meta.get("val_hashes", ())):
            p.error(f"the combined networks were not validated on the split of {args.data}")
        hist, n_train = meta["history"], len(meta["train_hashes"])
    else:
        model, norm, hist, meta = _train_run(args, cfg, photos, hashes, tr, va, say)
        n_train = len(meta["train_hashes"])
    src = np.asarray(photos.sources)
    val = evaluate(model, norm, photos.images[va], src[va], mirror=cfg.mirror_test)
    test = evaluate(model, norm, photos.images[te], src[te], mirror=cfg.mirror_test)
    curves = [h["val_acc"] for h in hist["members"]] if "members" in hist else hist["val_acc"]
    row = {"name": args.name, "settings": overrides or {"combine": args.combine}, "n_train_photos": n_train,
           "extra_train": meta.get("extra_train", []), "val_acc": val["acc"], "test_acc": test["acc"],
           "val_acc_consistent": val["acc_consistent"], "test_acc_consistent": test["acc_consistent"],
           "test_per_rotation": test["per_rotation"], "test_per_source": test["per_source"],
           "val_curve": curves, "train_seconds": hist["seconds"],
           "params": int(sum(q.size for q in model.parameters()))}
    say(json.dumps(row))
    if args.log:
        with open(args.log, "a") as f:
            f.write(json.dumps(row) + "\n")
    if args.save:
        save_model(args.save, model, norm, cfg, {**meta, "val": val, "test": test})
    return row


def _train_run(args, cfg, photos, hashes, tr, va, say):
    if args.train_fraction < 1:
        tr = np.sort(np.random.default_rng(1).permutation(tr)[:int(round(args.train_fraction * len(tr)))])
    say(f"{cfg.to_dict()}  train/val photos {len(tr)}/{len(va)}")
    train_photos = photos.images[tr]
    if cfg.load_size and cfg.load_size != cfg.size:
        train_photos = load_photos(args.data, size=cfg.load_size, color=cfg.color).images[tr]
    train_photos, extra_hashes = add_training_photos(train_photos, args.extra_train, cfg, set(hashes))
    if extra_hashes:
        say(f"+ {len(extra_hashes)} training photos from {', '.join(args.extra_train)}")
    model, norm, hist = train(cfg, train_photos, photos.images[va], progress=False, log=say)
    return model, norm, hist, {"history": hist, "seconds": hist["seconds"], "data": args.data, "split_seed": 0,
                               "train_hashes": hashes[tr].tolist() + extra_hashes, "val_hashes": hashes[va].tolist(),
                               "extra_train": args.extra_train}


if __name__ == "__main__":
    main()

"""`python -m demos`: every demo on the bundled data, collected in one HTML report (out/index.html).

    python -m demos            # the full run (a few minutes on 2 CPU cores)
    python -m demos --quick    # a reduced run for CI, under a minute
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

import minigrad as mg
from demos import common, report
from demos.report import esc, table

REPO = Path(__file__).resolve().parent.parent
UNSHIPPED_PHOTOS = REPO.parent / "shared" / "data" / "photos"  # the course's full photo set, when present
MORE_TRAINING_PHOTOS = UNSHIPPED_PHOTOS / "tinyimagenet_val64"  # what the shipped orientation model added to training


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m demos", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("out"), help="where index.html and every figure go")
    p.add_argument("--quick", action="store_true", help="reduced run for CI (under a minute)")
    p.add_argument("--retrain", action="store_true", help="train the orientation CNNs from scratch instead of loading them, on the same photos as the "
                        f"shipped ones (the bundled ones plus {MORE_TRAINING_PHOTOS} if present): about 3 h on 2 cores")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--extra-test", type=Path, action="append", default=None, metavar="DIR",
                   help=f"more upright photos to test orientation on (default: {UNSHIPPED_PHOTOS} if present)")
    return p.parse_args(argv)


def _flags(args):
    return (["--seed", str(args.seed), "--out", str(args.out)] + (["--quick"] if args.quick else [])
            + (["--no-progress"] if args.no_progress else []))


def run_faces(args):
    from demos import faces
    return faces.run(_flags(args))


def run_orientation(args):
    from demos import orientation
    extra = args.extra_test
    if extra is None:
        extra = [UNSHIPPED_PHOTOS] if UNSHIPPED_PHOTOS.is_dir() and not args.quick else []
    flags = _flags(args) + (["--retrain"] if args.retrain else [])
    if args.retrain and not args.quick and MORE_TRAINING_PHOTOS.is_dir():
        flags += ["--extra-train", str(MORE_TRAINING_PHOTOS)]
    for d in extra:
        flags += ["--extra-test", str(d)]
    return orientation.run(flags)


def run_autoencoder(args):
    from demos import autoencoder
    return autoencoder.run(_flags(args))


def run_checks(args):
    from minigrad.check import _load_optional_ops, check_all
    _load_optional_ops()
    return check_all(draws=3 if args.quick else 10, seed=args.seed)


# -- the report's sections -----------------------------------------------------------------------

def faces_section(m):
    rows = [(label, m[k]["train_acc"], m[k]["val_acc"], m[k]["test_acc"]) for k, label in [
        ("1nn", f"1-nearest neighbour ({m['1nn'].get('variant', '')})"),
        ("softmax", "no hidden layer: softmax + cross-entropy"),
        ("softmax_sigmoid", "no hidden layer: sigmoid outputs + squared error"),
        ("mlp", f"one hidden layer (K={m['config']['hidden']}, {m['config']['activation']})")] if k in m]
    cfg = m["config"]
    intro = (f"<p>{cfg['n_train']}/{cfg['n_val']}/{cfg['n_test']} train/val/test faces of "
             f"{len(cfg['people'])} people ({esc(', '.join(cfg['people']))}), {cfg['size']}x{cfg['size']} "
             f"{'colour' if cfg['color'] else 'greyscale'}, split per person with seed {cfg['seed']}. "
             f"Hyper-parameters were chosen on the validation split; the test split was used once.</p>")
    tour = REPO / "demos" / "tour.ipynb"
    tour_link = (f"<p>The same networks with their code, cell by cell: the tour notebook "
                 f"<a href='{tour.as_uri()}'>demos/tour.ipynb</a> (open it in Jupyter).</p>") if tour.is_file() else ""
    return tour_link + intro + table(["model", "train", "val", "test"], rows) + "".join(map(report.figure, m["figures"]))


def orientation_section(m):
    rot = table(["rotation"] + [f"{a}°" for a in m["per_rotation"]], [["accuracy"] + list(m["per_rotation"].values())])
    src = table(["source folder", "photos", "accuracy"],
                [(s, m["n_test_per_source"][s], a) for s, a in m["per_source"].items()])
    extra = ""
    if m["extra_test"]:
        extra = "<p>Upright photos from elsewhere, tested in all four rotations:</p>" + table(
            ["folder", "photos", "accuracy"],
            [(d, m["extra_test_details"][d]["n_photos"], a) for d, a in m["extra_test"].items()])
    model = m["model"]
    k = model["config"].get("ensemble", 1)
    nets, summed = ((f"{k} networks trained alike, their logits averaged", " (summed over the networks)") if k > 1
                    else ("one network", ""))
    intro = (f"<p>Held-out accuracy over all four rotations of {m['n_test_photos']} photos: "
             f"<b>{m['test_acc']:.1%}</b> (chance is 25%). Model: {nets}, {model['params']:,} parameters, "
             f"{esc(model['how'])}, trained on {model['n_train_photos']:,} photos in "
             f"{_seconds(model['training_seconds'])}{summed}.</p>")
    return intro + rot + src + extra + "".join(map(report.figure, m["figures"]))


def sanity_section(faces, orient):
    """The model- and data-randomisation checks, with sentences saying what the numbers show."""
    from demos.sanity import TITLES
    parts = []
    if orient.get("sanity"):
        sn = orient["sanity"]
        casc = sn["cascade"]
        top = {m: casc[m]["spearman_abs"]["mean"][1] for m in casc}
        every = {m: casc[m]["spearman_abs"]["mean"][-1] for m in casc}
        groups = {"barely change when the output layer is re-initialised": [m for m, v in top.items() if v >= 0.8],
                  "change in between": [m for m, v in top.items() if 0.5 <= v < 0.8],
                  "change at once": [m for m, v in top.items() if v < 0.5]}
        said = "; ".join(f"<b>{esc(', '.join(TITLES[m] for m in ms))}</b> {what} "
                         f"({', '.join(f'{top[m]:.2f}' for m in ms)})" for what, ms in groups.items() if ms)
        parts.append(
            f"<p>Model randomisation (Adebayo et al. 2018) on the orientation CNN, explaining the 0° output of "
            f"{sn['photos']} correctly oriented photos: the layers are re-initialised with their default "
            f"initialiser from the output down to the input, and each map is compared with the trained "
            f"model's (Spearman rank correlation of the absolute maps; 1 = the same ranking). A map that "
            f"explains the model must change with it. {said}. With every layer random the correlations are "
            f"{', '.join(f'{TITLES[m]} {v:.2f}' for m, v in every.items())}. Maps that survive the loss of the "
            f"layers that decide 'upright or not' mostly show the photo's own structure (its edges), which is "
            f"what Adebayo et al. found for guided backpropagation.</p>"
            + table(["method", "Spearman |map|, top layer random", "Spearman |map|, all random",
                     "Spearman signed, all random", "SSIM, all random"],
                    [(TITLES[m], _num(top[m]), _num(every[m]), _num(casc[m]["spearman_signed"]["mean"][-1]),
                      _num(casc[m]["ssim"]["mean"][-1])) for m in casc]))
        parts += [report.figure(f) for f in sn["figures"]]
    if faces.get("sanity"):
        dr = faces["sanity"]["data_randomization"]
        parts.append(
            f"<p>Data randomisation on the face networks: the same networks trained on randomly permuted "
            f"labels (training accuracy {dr['softmax']['random_label_train_acc']:.0%} without hidden layer, "
            f"{dr['mlp']['random_label_train_acc']:.0%} with one) against the ones trained on the true labels. "
            f"Rank correlation of the absolute saliency maps, true vs random labels: "
            f"{dr['softmax']['saliency']['spearman_abs']:.2f} and {dr['mlp']['saliency']['spearman_abs']:.2f}; "
            f"of the templates: {dr['softmax']['templates']['spearman_abs']:.2f}. Values near 0 mean the gradient "
            f"depends on what the labels taught the network, as an explanation should.</p>")
        parts += [report.figure(f) for f in faces["sanity"]["figures"]]
    return "".join(parts)


def _num(v):
    return "—" if v is None else f"{v:.2f}"
def autoencoder_section(m):
    c = m["config"]
    intro = (f"<p>A model from outside the course, built only from the convolution layers: 32x32 faces squeezed "
             f"into a {c['code_size']}-number code by stride-2 <code>Conv2d</code> layers and expanded back by "
             f"stride-2 <code>ConvTranspose2d</code> layers, trained on the squared error. Held-out squared error "
             f"per pixel: <b>{m['test_mse']:.4f}</b> (PCA with as many numbers: {m['pca_test_mse']:.4f}).</p>")
    return intro + "".join(map(report.figure, m["figures"]))


def checks_section(rows):
    body = [(op, order, a, r, "ok" if ok else f"FAIL {msg}") for op, order, a, r, ok, msg in rows]
    classes = [[None] * 4 + ["ok" if ok else "fail"] for *_, ok, _ in rows]
    failed = sum(not r[4] for r in rows)
    return (f"<p>Every registered backward rule against central finite differences in float64, first and "
            f"second order (<code>python -m minigrad.check</code>): {len(rows) - failed} passed, {failed} failed.</p>"
            + table(["op", "order", "max abs error", "max rel error", "ok"], body, classes))


def environment_section(timings):
    import graphviz
    rows = [("minigrad", mg.__version__), ("Python", platform.python_version()), ("numpy", np.__version__),
            ("graphviz (Python)", graphviz.__version__), ("machine", f"{platform.machine()}, {_cores()} cores"),
            ("platform", platform.platform())]
    return (table(["", "version"], rows)
            + table(["step", "seconds"], [(k, f"{v:.1f}") for k, v in timings.items()]))


def _cores():
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _seconds(s):
    return "an unknown time" if s is None else f"{s / 60:.1f} min" if s >= 120 else f"{s:.0f} s"


def main(argv=None):
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    timer = common.Timer()
    t0 = time.perf_counter()
    steps = ["faces", "orientation", "autoencoder", "graphs", "gradient checks", "report"]
    bar = common.progress(total=len(steps), enabled=not args.no_progress, desc="demos", unit="step")
    with bar:
        with timer("faces"):
            faces = run_faces(args)
        bar.update()
        with timer("orientation"):
            orient = run_orientation(args)
        bar.update()
        with timer("autoencoder"):
            autoenc = run_autoencoder(args)
        bar.update()
        with timer("graphs"):
            from demos.graphs import make_graphs
            graphs = make_graphs(args.out / "graphs", args.out / "faces" / "mlp.npz",
                                 args.out / "orientation" / "orientation.npz")
        bar.update()
        with timer("gradient checks"):
            checks = run_checks(args)
        bar.update()
        timings = {**timer.seconds, "total": time.perf_counter() - t0}
        sections = [
            ("faces", "Face recognition", faces_section(faces)),
            ("orientation", "Photo orientation", orientation_section(orient)),
            ("sanity", "Sanity checks", sanity_section(faces, orient)),
            ("autoencoder", "Convolutional autoencoder", autoencoder_section(autoenc)),
            ("graphs", "Computation graphs", "".join(map(report.figure, graphs))),
            ("checks", "Gradient checks", checks_section(checks)),
            ("environment", "Versions and timings", environment_section(timings)),
        ]
        subtitle = (f"{'Quick run' if args.quick else 'Full run'} of every demo on the bundled data, "
                    f"{time.strftime('%Y-%m-%d %H:%M')}, {timings['total']:.0f} s in all.")
        html = report.page("minigrad: backprop you can look at", subtitle, sections)
        index = args.out / "index.html"
        index.write_text(html, encoding="utf-8")
        bar.update()
    bad = report.broken_references(html, args.out)
    if bad:
        raise RuntimeError(f"{index}: broken references {bad}")
    failed = [r for r in checks if not r[4]]
    print(f"wrote {index} ({len(html) / 1e6:.1f} MB) in {timings['total']:.0f} s"
          + (f"; {len(failed)} gradient checks FAILED" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The figures of the face demo, from trained models: templates, hidden units, saliency, curves.

Each figure function returns (figure, file name, title, caption); `make_figures` saves them into
`out` and returns a list of {file, path, title, caption} entries (see demos.common.figure_entry)
that the report can show in order.
"""
from __future__ import annotations

import numpy as np

from demos import common, curvature
from models.faces import saliency

MAX_PEOPLE_ROWS = 8  # per-person figures show at most this many people (olivetti has 40)


def _signed_gray(img):
    """A colour gradient map (H, W, 3) summed over channels, so it can be shown signed."""
    return img.sum(axis=-1) if img.ndim == 3 else img


def _examples(data, names, rng, per=8):
    X, y = data["train"]
    people = range(min(len(names), MAX_PEOPLE_ROWS))
    imgs = []
    for p in people:
        idx = np.flatnonzero(y == p)
        pick = rng.choice(idx, size=min(per, len(idx)), replace=False)
        imgs += [X[pick[j]] if j < len(pick) else np.ones_like(X[0]) for j in range(per)]
    fig = common.image_grid(imgs, ncols=per, cell=1.15, row_labels=[names[p] for p in people],
                            suptitle="Training faces (random examples of each person)")
    name = "faces_examples.png"
    shown = "" if len(names) <= MAX_PEOPLE_ROWS else f" (first {MAX_PEOPLE_ROWS} of {len(names)} people)"
    return fig, name, "The data", (f"Random training faces, one row per person{shown}. These are the "
                                   f"network inputs: {X.shape[1]}x{X.shape[2]} pixels.")


def _templates(model, names, metrics, key, label):
    T = model.templates()
    fig = common.template_grid(T, names, ncols=min(len(names), 8), cell=2.3 if len(names) <= 8 else 1.5,
                               suptitle=f"Visualizing the parameters W: {label}", colorbar_label="weight W(1, pixel, k)")
    name = f"templates_{key}.png"
    acc = metrics[key]["test_acc"]
    colours = ("Red pixels raise that person's score when the (normalised) input is brighter than the average "
               "training face there, blue pixels lower it; white is 0. The colour scale is shared, so strengths "
               "compare across people." if T.ndim == 3 else
               "Colour input: each channel's weight is shown as that channel shifted from mid-grey (grey = 0).")
    return fig, name, f"Templates of the network with no hidden layer ({label})", (
        f"Row k of W, one per person, reshaped to an image (test accuracy {acc:.1%}). {colours}")


def _hidden_per_person(mlp, names, n_units=5):
    W2 = mlp.output_weights()  # (people, K)
    T = mlp.templates()
    people = range(min(len(names), MAX_PEOPLE_ROWS))
    n_units = min(n_units, W2.shape[1])
    imgs, titles = [], []
    for p in people:
        top = np.argsort(-W2[p])[:n_units]
        for j in top:
            imgs.append(T[j])
            titles.append(f"unit {j}: W2 = {W2[p, j]:+.2f}")
    fig = common.template_grid(imgs, titles, ncols=n_units, cell=1.7, fontsize=8, colorbar_label="weight W(1, pixel, j)",
                               row_labels=[names[p] for p in people],
                               suptitle="Hidden units that vote most for each person (largest W(2, j, person))")
    name = "hidden_per_person.png"
    shown = "" if len(names) <= MAX_PEOPLE_ROWS else f" First {MAX_PEOPLE_ROWS} of {len(names)} people."
    return fig, name, "Hidden-unit templates per person", (
        f"For each person (row), the {n_units} hidden units j with the largest output weight W(2, j, person), "
        f"shown as their input templates (rows of W1). A person is recognised by a vote of several templates, "
        f"and one template can vote for several people (unit numbers repeat across rows).{shown}")


def _hidden_top_faces(mlp, data, names, n_units=6, per_unit=6):
    X, y = data["test"]
    H = mlp.hidden(X, pre_activation=True)  # (N, K); tanh is mostly saturated, so rank by W1 x + b1
    W2 = mlp.output_weights()
    units = []
    for p in np.argsort(-W2.max(axis=1)):  # each person's strongest unit, most decisive people first
        j = int(np.argmax(W2[p]))
        if j not in units:
            units.append(j)
    for j in np.argsort(-np.abs(W2).max(axis=0)):  # fill up with units that matter most overall
        if len(units) >= n_units:
            break
        if int(j) not in units:
            units.append(int(j))
    units = units[:min(n_units, H.shape[1])]
    per_unit = min(per_unit, len(X))
    T = mlp.templates()
    import matplotlib.pyplot as plt

    cell = 1.45
    fig, axes = plt.subplots(len(units), per_unit + 1, figsize=((per_unit + 1) * cell + 0.3, len(units) * (cell + 0.45)),
                             squeeze=False)
    for r, j in enumerate(units):
        t = T[j] if T[j].ndim == 2 else T[j].mean(axis=-1)
        lim = float(np.abs(t).max()) or 1.0
        axes[r, 0].imshow(t, cmap="RdBu_r", vmin=-lim, vmax=lim)
        votes = np.argsort(-W2[:, j])[0]
        axes[r, 0].set_xlabel(f"unit {j}\nW2 largest for {names[votes]}", fontsize=8)
        top = np.argsort(-H[:, j])[:per_unit]
        for c, i in enumerate(top):
            ax = axes[r, c + 1]
            ax.imshow(X[i], cmap="gray" if X[i].ndim == 2 else None, vmin=0, vmax=1)
            ax.set_xlabel(f"{names[y[i]]}\nz = {H[i, j]:+.1f}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Test faces that activate each hidden unit most (left: the unit's template)", fontsize=11)
    fig.tight_layout()
    name = "hidden_top_faces.png"
    return fig, name, "What the hidden units respond to", (
        f"For {len(units)} hidden units (each person's strongest voter first), the unit's template and the "
        f"{per_unit} test faces that drive it hardest: the largest pre-activation z = W1 x + b1 (the unit "
        f"outputs {mlp.activation}(z), which is saturated for most faces, so z ranks them). Names under the faces "
        f"are the true identities; the label under the template names the person whose output weight from "
        f"this unit is largest.")


def _saliency(mlp, data, names, n_each=4):
    X, y = data["test"]
    pred = mlp.predict(X)
    right, wrong = np.flatnonzero(pred == y), np.flatnonzero(pred != y)
    rng = np.random.default_rng(0)
    pick_r = np.sort(rng.choice(right, size=min(n_each, len(right)), replace=False)) if len(right) else right
    pick_w = np.sort(rng.choice(wrong, size=min(n_each, len(wrong)), replace=False)) if len(wrong) else wrong
    g_pred = saliency(mlp, X, pred)
    g_true = saliency(mlp, X, y)
    right_rows = [{"image": X[i], "label": f"{names[y[i]]}", "label_color": "green",
                   "maps": [(f"d score({names[pred[i]]})\n/ d pixels", _signed_gray(g_pred[i]))]} for i in pick_r]
    wrong_rows = [{"image": X[i], "label": f"{names[y[i]]}\nseen as {names[pred[i]]}", "label_color": "red",
                   "maps": [(f"d score({names[pred[i]]})\n/ d pixels", _signed_gray(g_pred[i])),
                            (f"d score({names[y[i]]})\n/ d pixels", _signed_gray(g_true[i]))]} for i in pick_w]
    fig = common.saliency_panels({"recognised correctly": right_rows, "misclassified": wrong_rows},
                                 suptitle="Saliency of the hidden-layer network: gradient of a score w.r.t. the input")
    name = "saliency.png"
    return fig, name, "Saliency maps", (
        f"Gradient of a class score of the hidden-layer network with respect to the input pixels, computed by "
        f"minigrad's backward pass (red: brightening the pixel raises the score). {len(pick_r)} correctly "
        f"recognised test faces (left); {len(pick_w)} misclassified ones (right), with the gradient of the wrongly "
        f"predicted person's score and of the true person's. The last column of each block overlays the magnitude on the "
        f"face. (For the network with no hidden layer the gradient of a score is its template, the same for "
        f"every face; the hidden layer makes it depend on the face.)")


def _curves(histories):
    labels = {"softmax": "no hidden, softmax", "softmax_sigmoid": "no hidden, sigmoid", "mlp": "hidden layer"}
    fig = common.plot_history({labels.get(k, k): h for k, h in histories.items()},
                              suptitle="Training curves (train solid, validation dashed)")
    name = "training_curves.png"
    best = ", ".join(f"{labels.get(k, k)} epoch {h['best_epoch']}" for k, h in histories.items())
    return fig, name, "Training curves", (
        f"Loss (log scale when it spans a wide range) and accuracy per epoch on the training and validation splits. Early stopping watches "
        f"validation accuracy and restores the best weights ({best}).")


def _confusion(models, data, names, nn_test_pred):
    X, y = data["test"]
    k = len(names)
    mats = {"1-NN": common.confusion_matrix(y, nn_test_pred, k)}
    mats["no hidden layer"] = common.confusion_matrix(y, models["softmax"].predict(X), k)
    mats["hidden layer"] = common.confusion_matrix(y, models["mlp"].predict(X), k)
    fig = common.plot_confusion(mats, names, suptitle="Confusion matrices on the test split (rows: true person)")
    name = "confusion.png"
    return fig, name, "Confusion matrices", (
        "Test split. Cell (i, j) counts faces of person i recognised as person j; colour is the fraction of "
        "row i, so the diagonal is per-person recall.")


def make_figures(out, models, histories, data, names, metrics, nn_test_pred, progress=True, quick=False):
    """Write every figure; return their entries in report order.

    quick=True draws fewer panels at a lower resolution: matplotlib's cost is per axes, and the
    reduced run is for CI, where the figures only need to exist and be readable.
    """
    rng = np.random.default_rng(0)
    few = dict(per=4) if quick else {}
    dpi = 72 if quick else 110
    steps = [
        lambda: _examples(data, names, rng, **few),
        lambda: _templates(models["softmax"], names, metrics, "softmax", "softmax + cross-entropy"),
        lambda: _templates(models["softmax_sigmoid"], names, metrics, "softmax_sigmoid",
                           "sigmoid outputs + squared error"),
        lambda: _hidden_per_person(models["mlp"], names, **(dict(n_units=3) if quick else {})),
        lambda: _hidden_top_faces(models["mlp"], data, names, **(dict(n_units=3, per_unit=4) if quick else {})),
        lambda: _saliency(models["mlp"], data, names, **(dict(n_each=2) if quick else {})),
        lambda: _curves(histories),
        lambda: _confusion(models, data, names, nn_test_pred),
        lambda: curvature.figure(models, data, names, quick=quick),
    ]
    entries = []
    for step in common.progress(steps, progress, desc="figures", leave=False):
        fig, name, title, caption = step()
        entries.append(common.figure_entry(common.save_figure(fig, out / name, dpi=dpi), title, caption))
    return entries

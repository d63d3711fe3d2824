"""Sanity checks of the explanations (Adebayo et al. 2018) on the demo's own models.

Model randomisation on the orientation CNN (cascading and independent, every method the report
shows) and data randomisation on the face networks (the same networks trained on permuted labels).
Each function returns (metrics, figure entries); the demos put the metrics in their metrics.json
under "sanity" and the report shows the figures in its "Sanity checks" section.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from demos import common
from minigrad.nn import sanity

TITLES = {"gradient": "gradient", "gradient_x_input": "gradient × input", "guided": "guided backprop",
          "deconvnet": "deconvnet", "positive_paths": "positive paths"}
MEASURES = {"spearman_abs": "Spearman, absolute maps", "spearman_signed": "Spearman, signed maps",
            "ssim": "SSIM, absolute maps"}


# --------------------------------------------------------------------------- orientation CNN


def _layer_groups(model):
    """The layers to randomise: for an ensemble, layer L of every network is one group."""
    members = getattr(model, "members", None)
    if members is None:
        return sanity.parameter_layers(model), sanity.parameter_layers(model)
    names = sanity.parameter_layers(members[0])
    return [[f"members.{i}.{n}" for i in range(len(members))] for n in names], names


def orientation_sanity(out, model, norm, photos, quick=False):
    """Cascading and independent randomisation of the orientation model, explaining the 0° output of
    upright photos. Returns (metrics, figure entries)."""
    t0 = time.perf_counter()
    groups, names = _layer_groups(model)
    x = norm(photos)
    methods = list(sanity.METHODS)
    cascade = sanity.cascading_randomization(model, x, 0, methods=methods, layers=groups)
    cascade["steps"] = ["trained"] + names[::-1]
    independent = None
    if not quick:
        independent = sanity.independent_randomization(model, x, 0, methods=methods, layers=groups)
        independent["steps"] = ["trained"] + names[::-1]
    metrics = {"target": "0°", "photos": len(photos), "layers_top_down": names[::-1],
               "reinit": "each layer's reset_parameters() (PyTorch's default initialiser), seeded",
               "cascade": sanity.summarize(cascade),
               "independent": sanity.summarize(independent) if independent else None}
    entries = []

    def add(fig, name, title, caption):
        entries.append(common.figure_entry(common.save_figure(fig, out / name), title, caption))

    add(cascade_figure(photos, cascade, n_photos=2), "sanity_cascade.png",
        "Sanity check: cascading randomisation of the orientation CNN",
        "Evidence for the 0° output of upright photos as the CNN's layers are re-initialised one after another, "
        "from the output layer (left) down to the first convolution (right). A map that explains the model "
        "should fall apart as its weights do; one that stays the same shows the input, not the model.")
    add(similarity_figure(cascade, "number of layers re-initialised (from the output down)"),
        "sanity_cascade_similarity.png", "Similarity to the trained model's maps (cascading randomisation)",
        f"Mean over {len(photos)} photos (band: ± one standard deviation) of the similarity between each "
        f"method's map for the trained model and for the model with its top k layers re-initialised.")
    if independent:
        add(similarity_figure(independent, "layer re-initialised alone", cumulative=False),
            "sanity_independent_similarity.png", "Similarity under independent layer randomisation",
            "One layer re-initialised at a time, every other layer trained.")
    metrics["seconds"] = round(time.perf_counter() - t0, 2)
    return metrics, entries


def _show(ax, m, lim, signed):
    if signed:
        ax.imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
    else:
        ax.imshow(np.clip(m / lim, 0, 1), cmap="inferno", vmin=0, vmax=1)


def cascade_figure(photos, result, n_photos=2):
    """Rows: methods (a block per photo); columns: the photo, the trained model, then each step."""
    methods, steps = list(result["abs_maps"]), result["steps"]
    n_photos = min(n_photos, len(photos))
    rows, cols = n_photos * len(methods), len(steps) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols + 1.2, 1.2 * rows + 0.7), squeeze=False)
    fig.subplots_adjust(left=0.14, right=0.99, bottom=0.01, top=1 - 0.75 / (1.2 * rows + 0.7), wspace=0.06,
                        hspace=0.08)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for p in range(n_photos):
        img = photos[p]
        for j, method in enumerate(methods):
            r = p * len(methods) + j
            if j == 0:
                axes[r, 0].imshow(img.squeeze(), cmap="gray" if img.shape[-1] == 1 else None, vmin=0, vmax=1)
            else:
                axes[r, 0].set_visible(False)
            maps = result["abs_maps"][method][:, p]
            for k in range(len(steps)):
                # each map on its own scale: the question is whether the pattern survives, not its size
                _show(axes[r, k + 1], maps[k], float(np.percentile(maps[k], 99.5)) or 1.0, signed=False)
            box = axes[r, 1].get_position()
            fig.text(0.125, (box.y0 + box.y1) / 2, TITLES[method], fontsize=8, ha="right", va="center")
    for k, step in enumerate(steps):
        axes[0, k + 1].set_title(step if k == 0 else f"+ {step}", fontsize=8)
    axes[0, 0].set_title("photo", fontsize=8)
    fig.suptitle("Cascading randomisation: |evidence for 0°| as layers are re-initialised, output layer first",
                 fontsize=10)
    return fig


def similarity_figure(result, xlabel, cumulative=True):
    """One panel per similarity measure; one line per method with a ± std band over the examples."""
    summary = sanity.summarize(result)
    steps = result["steps"]
    fig, axes = plt.subplots(1, len(MEASURES), figsize=(4.2 * len(MEASURES), 3.4), squeeze=False)
    x = np.arange(len(steps))
    for ax, (measure, label) in zip(axes[0], MEASURES.items()):
        for method, sims in summary.items():
            mean = np.array([np.nan if v is None else v for v in sims[measure]["mean"]])
            std = np.array([np.nan if v is None else v for v in sims[measure]["std"]])
            line, = ax.plot(x, mean, marker="o", ms=3, label=TITLES[method])
            ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.15, lw=0)
        ax.axhline(0, color="#999", lw=0.8)
        ax.set_ylim(-0.3, 1.05)
        ax.set_title(label, fontsize=10)
        ax.set_xticks(x)
        ax.set_xticklabels(["trained"] + [(f"+{s}" if cumulative else s) for s in steps[1:]], rotation=45,
                           ha="right", fontsize=7)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("similarity to the trained model's map")
    axes[0, -1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- faces: data randomisation


def fit_random_labels(make_model, X, y, seed=0, max_epochs=80, lr=1e-3):
    """Train a fresh network on a fixed permutation of the labels until it fits them (training
    accuracy 100%, or max_epochs). Returns (model, permuted labels, training accuracy, epochs)."""
    from models.train import fit

    rng = np.random.default_rng(seed)
    y_perm = y[rng.permutation(len(y))]
    mg.manual_seed(seed)
    model = make_model()
    model.fit_normalization(X)
    opt = mg.optim.Adam(model.parameters(), lr=lr)
    epochs, acc = 0, 0.0
    while epochs < max_epochs and acc < 1.0:
        hist = fit(model, model.loss, X, y_perm, epochs=10, batch_size=32, optimizer=opt, seed=seed + epochs,
                   progress=False)
        epochs += hist["epochs_run"]
        acc = hist["train_acc"][-1]
    return model, y_perm, acc, epochs


def _net_maps(model, X, classes):
    from models.faces import saliency
    return saliency(model, X, classes)


def faces_data_randomization(out, models, data, names, quick=False):
    """The no-hidden-layer and hidden-layer networks trained on permuted labels, against the demo's
    true-label networks: templates and saliency maps. Returns (metrics, figure entries)."""
    from models.faces import FaceMLP, SoftmaxRegression

    t0 = time.perf_counter()
    Xtr, ytr = data["train"]
    Xte, yte = data["test"]
    shape = Xtr.shape[1:]
    n_pixels, n_people = int(np.prod(shape)), len(names)
    makers = {"softmax": lambda: SoftmaxRegression(n_pixels, n_people, image_shape=shape),
              "mlp": lambda: FaceMLP(n_pixels, n_people, hidden=models["mlp"].hidden_size,
                                     activation=models["mlp"].activation, image_shape=shape)}
    pick = np.concatenate([np.flatnonzero(yte == p)[:2 if quick else 4] for p in range(n_people)])
    metrics, shuffled, maps = {}, {}, {}
    for kind, make in makers.items():
        model, _, acc, epochs = fit_random_labels(make, Xtr, ytr, max_epochs=30 if quick else 80)
        shuffled[kind] = model
        true_map = _net_maps(models[kind], Xte[pick], yte[pick])
        rand_map = _net_maps(model, Xte[pick], yte[pick])
        maps[kind] = (true_map, rand_map)
        sal = sanity.similarity(true_map, rand_map[None])
        self_sim = sanity.similarity(true_map, true_map[None])
        entry = {"random_label_train_acc": acc, "epochs": epochs,
                 "random_label_test_acc": model.score(Xte, yte),
                 "saliency": {m: _mean(v) for m, v in sal.items()},
                 "saliency_self": {m: _mean(v) for m, v in self_sim.items()}, "n_maps": int(len(pick))}
        t_true, t_rand = models[kind].templates(), model.templates()
        if kind == "softmax":  # template k of both networks belongs to the same label k
            entry["templates"] = {m: _mean(v) for m, v in sanity.similarity(t_true, t_rand[None]).items()}
        metrics[kind] = entry
    metrics["seconds"] = round(time.perf_counter() - t0, 2)
    fig = data_randomization_figure(models, shuffled, maps, Xte[pick], names, yte[pick])
    path = common.save_figure(fig, out / "sanity_data_randomization.png")
    caption = (f"Top: the templates of the network with no hidden layer trained on the true labels and on "
               f"randomly permuted labels (it fits them: training accuracy "
               f"{metrics['softmax']['random_label_train_acc']:.0%}, test accuracy "
               f"{metrics['softmax']['random_label_test_acc']:.0%}). Bottom: the saliency maps (gradient of the "
               f"true person's score) of test faces under both networks with one hidden layer. Mean Spearman "
               f"correlation of the absolute saliency maps, true vs random labels: "
               f"{metrics['softmax']['saliency']['spearman_abs']:.2f} (no hidden layer), "
               f"{metrics['mlp']['saliency']['spearman_abs']:.2f} (hidden layer).")
    return metrics, [common.figure_entry(path, "Sanity check: data randomisation (faces)", caption)]


def _mean(values):
    values = np.asarray(values, dtype=np.float64)
    return None if np.all(np.isnan(values)) else round(float(np.nanmean(values)), 4)


def data_randomization_figure(models, shuffled, maps, X, names, y, n_faces=4):
    """Top: the no-hidden-layer templates, true vs random labels. Bottom: test faces with the hidden-layer
    networks' saliency maps, true vs random labels."""
    n_people, n_faces = len(names), min(n_faces, len(X))
    fig = plt.figure(figsize=(max(1.6 * n_people, 1.45 * 3 * n_faces), 6.4))
    top, bottom = fig.subfigures(2, 1, height_ratios=[2, 1.15])
    axes = top.subplots(2, n_people, squeeze=False)
    for r, model in enumerate((models["softmax"], shuffled["softmax"])):
        T = model.templates()
        lim = float(np.abs(T).max()) or 1.0
        for k in range(n_people):
            ax = axes[r, k]
            ax.imshow(T[k], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(names[k], fontsize=8)
        axes[r, 0].set_ylabel(["true labels", "random labels"][r], fontsize=8)
    top.suptitle("Templates of the network with no hidden layer, trained on true and on permuted labels", fontsize=9)
    true_map, rand_map = maps["mlp"]
    shown = np.linspace(0, len(X) - 1, n_faces).astype(int)
    axes = bottom.subplots(1, 3 * n_faces, squeeze=False)[0]
    for j, i in enumerate(shown):
        axes[3 * j].imshow(X[i], cmap="gray")
        axes[3 * j].set_title(names[y[i]], fontsize=7)
        for k, (label, m) in enumerate((("true labels", true_map[i]), ("random labels", rand_map[i]))):
            lim = float(np.abs(m).max()) or 1.0
            axes[3 * j + 1 + k].imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
            axes[3 * j + 1 + k].set_title(label, fontsize=7)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    bottom.suptitle("Saliency (gradient of the true person's score) of the networks with one hidden layer",
                    fontsize=9)
    return fig

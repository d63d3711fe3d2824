"""Sanity checks for explanation maps (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018).

A map that explains the *model* must change when the model's weights are destroyed. The checks
re-initialise layers and measure how similar each method's map stays to the trained model's:

  cascading_randomization    layers re-initialised one after another, from the output down to the
                             input; the maps are recomputed after every step;
  independent_randomization  one layer at a time, every other layer keeps its trained weights;
  similarity                 Spearman rank correlation of the absolute maps and of the signed maps,
                             and SSIM of the absolute maps (scipy's and scikit-image's implementations).

Works on any `Module` whose forward maps a batch to (N, classes) scores. The methods are those of
`minigrad.nn.explain` (swapped backward rules) plus gradient x input:

    >>> import numpy as np, minigrad as mg
    >>> from minigrad.nn import sanity
    >>> _ = mg.manual_seed(0)
    >>> net = mg.nn.Sequential(mg.nn.Linear(8, 6), mg.nn.ReLU(), mg.nn.Linear(6, 3))
    >>> x = np.random.default_rng(0).standard_normal((4, 8))
    >>> result = sanity.cascading_randomization(net, x, target=0, methods=["gradient"], channel_axis=None)
    >>> result["steps"]
    ['trained', '2', '0']
    >>> result["maps"]["gradient"].shape               # (steps, N, *input shape without channels)
    (3, 4, 8)
    >>> float(result["similarity"]["gradient"]["spearman_signed"][0].mean())   # trained vs itself
    1.0

A signed map sums the input gradient over colour channels; an absolute map is the largest |gradient|
over channels (what the report draws). Maps with no channel axis (`channel_axis=None`) are used as is.
"""
from __future__ import annotations

import copy
import warnings

import numpy as np

from . import init
from .explain import saliency

# numpy's seed sequences ignore trailing zeros, so [0, 0, 0] would be the stream of seed 0: the
# stream a model built after mg.manual_seed(0) was initialised from. The tag keeps them apart.
_TAG = 0x5A4E17

__all__ = ["METHODS", "explanation", "parameter_layers", "randomized", "cascading_randomization",
           "independent_randomization", "similarity", "summarize"]

# method -> what it is; every one is a gradient of the target score with respect to the input
METHODS = {
    "gradient": "the plain gradient (saliency map)",
    "gradient_x_input": "the gradient times the input",
    "guided": "guided backpropagation",
    "deconvnet": "the deconvnet rule",
    "positive_paths": "positive paths (active units, positive weights)",
}


def explanation(model, x, target, method):
    """The input-shaped map of `method` (a key of METHODS) for score `target` of each example of `x`.

        >>> from minigrad.nn.sanity import explanation
        >>> fc = mg.nn.Linear(3, 2, bias=False)
        >>> fc.weight.data[...] = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
        >>> explanation(fc, np.array([[1.0, -1.0, 2.0]], np.float32), 0, "gradient_x_input")   # W[0] * x
        array([[ 1., -2.,  6.]], dtype=float32)
    """
    if method not in METHODS:
        raise KeyError(f"unknown explanation method {method!r}; known: {', '.join(METHODS)}")
    if method == "gradient_x_input":
        return saliency(model, x, target, "plain") * np.asarray(getattr(x, "data", x))
    return saliency(model, x, target, "plain" if method == "gradient" else method)


def _signed_and_abs(g, channel_axis):
    if channel_axis is None:
        return g, np.abs(g)
    return g.sum(axis=channel_axis), np.abs(g).max(axis=channel_axis)


def parameter_layers(model):
    """Names of the modules that own parameters themselves, in the order they were registered.

        >>> import minigrad as mg
        >>> from minigrad.nn.sanity import parameter_layers
        >>> parameter_layers(mg.nn.Sequential(mg.nn.Linear(2, 3), mg.nn.Tanh(), mg.nn.Linear(3, 1)))
        ['0', '2']
    """
    return [name for name, m in model.named_modules() if any(True for _ in m.named_parameters(recurse=False))]


def _reinit(module):
    if not hasattr(module, "reset_parameters"):
        raise TypeError(f"{type(module).__name__} has no reset_parameters(): pass init=f, f(module) "
                        f"re-initialising it in place")
    module.reset_parameters()


def randomized(model, layers, seed=0, init_fn=None):
    """A deep copy of `model` whose modules named in `layers` are re-initialised; `model` is untouched.

    `layers` is a list of module names (see `parameter_layers`); an entry may also be a list of
    names re-initialised together (the same layer of every network of an ensemble). Each module is
    re-initialised by `init_fn(module)`, by default its own `reset_parameters()` (PyTorch's default
    initialiser), with the generator seeded from `seed` and its position, so runs repeat exactly.
    The global generator behind `mg.manual_seed` is restored afterwards.

        >>> from minigrad.nn.sanity import randomized
        >>> _ = mg.manual_seed(5)
        >>> net = mg.nn.Sequential(mg.nn.Linear(4, 3), mg.nn.ReLU(), mg.nn.Linear(3, 2))
        >>> a, b = randomized(net, ["2"], seed=1), randomized(net, ["2"], seed=1)
        >>> same = lambda m1, m2: bool((m1.weight.data == m2.weight.data).all())
        >>> same(a[2], b[2]), same(a[2], net[2]), same(a[0], net[0])    # repeatable; only layer "2" changed
        (True, False, True)
    """
    clone = copy.deepcopy(model)
    modules = dict(clone.named_modules())
    saved = init.generator()
    try:
        for i, group in enumerate(layers):
            for j, name in enumerate([group] if isinstance(group, str) else group):
                if name not in modules:
                    raise KeyError(f"randomized: the model has no module named {name!r}; modules with "
                                   f"parameters: {parameter_layers(model)}")
                init.manual_seed([_TAG, seed, i, j])  # never the stream of mg.manual_seed(seed) itself
                (init_fn or _reinit)(modules[name])
    finally:
        init._rng[0] = saved
    return clone


def _group_name(group):
    return group if isinstance(group, str) else f"{group[0]} (+{len(group) - 1})" if len(group) > 1 else group[0]


def _maps_for(models, x, target, methods, channel_axis):
    """{method: (len(models), N, ...) signed maps}, and the same for the absolute maps."""
    signed, absolute = {}, {}
    for method in methods:
        pairs = [_signed_and_abs(explanation(m, x, target, method), channel_axis) for m in models]
        signed[method] = np.stack([p[0] for p in pairs])
        absolute[method] = np.stack([p[1] for p in pairs])
    return signed, absolute


def _run(model, x, target, methods, layers, seed, init_fn, channel_axis, cascade):
    methods = list(METHODS) if methods is None else list(methods)
    for method in methods:
        if method not in METHODS:
            raise KeyError(f"unknown explanation method {method!r}; known: {', '.join(METHODS)}")
    layers = parameter_layers(model) if layers is None else list(layers)
    if not layers:
        raise ValueError("the model has no modules with parameters to randomise")
    top_down = layers[::-1]
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        variants = [model]
        for k, group in enumerate(top_down):
            chosen = top_down[:k + 1] if cascade else [group]
            variants.append(randomized(model, chosen, seed=seed, init_fn=init_fn))
        signed, absolute = _maps_for(variants, x, target, methods, channel_axis)
    finally:
        model.train(was_training)
    sims = {method: similarity(signed[method][0], signed[method], absolute[method][0], absolute[method])
            for method in methods}
    return {"steps": ["trained"] + [_group_name(g) for g in top_down], "maps": signed, "abs_maps": absolute,
            "similarity": sims}


def cascading_randomization(model, x, target, methods=None, layers=None, seed=0, init_fn=None, channel_axis=1):
    """Re-initialise `layers` (default: every module with parameters) cumulatively from the output down.

    Returns {"steps": ["trained", <layer randomised first>, ...], "maps": {method: (steps, N, ...)
    signed maps}, "abs_maps": {...}, "similarity": {method: {measure: (steps, N)}}}: step k has the
    top k layers re-initialised, step 0 is the trained model. `x` is the batch the maps are computed
    for, `target` the explained class (one for all, or one per example). `channel_axis` of the input
    gradient is reduced to one map per example (None: no channel axis).

        >>> from minigrad.nn.sanity import cascading_randomization
        >>> _ = mg.manual_seed(5)
        >>> net = mg.nn.Sequential(mg.nn.Linear(4, 3), mg.nn.ReLU(), mg.nn.Linear(3, 2))
        >>> x = np.random.default_rng(0).standard_normal((4, 4))
        >>> result = cascading_randomization(net, x, target=0, methods=["gradient", "guided"], channel_axis=None)
        >>> result["steps"], result["maps"]["guided"].shape          # (steps, N, 4)
        (['trained', '2', '0'], (3, 4, 4))
        >>> result["similarity"]["gradient"]["spearman_signed"][0].tolist()   # step 0: the trained model itself
        [1.0, 1.0, 1.0, 1.0]
    """
    return _run(model, x, target, methods, layers, seed, init_fn, channel_axis, cascade=True)


def independent_randomization(model, x, target, methods=None, layers=None, seed=0, init_fn=None, channel_axis=1):
    """Like `cascading_randomization`, but step k re-initialises only the k-th layer from the top.

    Tells which layer a map depends on; the cascade tells how far down the dependence reaches.

        >>> from minigrad.nn.sanity import independent_randomization
        >>> _ = mg.manual_seed(5)
        >>> net = mg.nn.Sequential(mg.nn.Linear(4, 3), mg.nn.ReLU(), mg.nn.Linear(3, 2))
        >>> x = np.random.default_rng(0).standard_normal((4, 4))
        >>> result = independent_randomization(net, x, target=0, methods=["gradient"], channel_axis=None)
        >>> result["steps"], result["similarity"]["gradient"]["spearman_signed"].shape    # (steps, N)
        (['trained', '2', '0'], (3, 4))
    """
    return _run(model, x, target, methods, layers, seed, init_fn, channel_axis, cascade=False)


def _spearman(a, b):
    from scipy.stats import spearmanr
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return np.nan  # a constant map has no ranks to correlate
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def _ssim(a, b):
    if a.ndim != 2:
        return np.nan  # SSIM compares images: defined here for 2-D maps only
    from skimage.metrics import structural_similarity
    # each absolute map scaled to [0, 1] by its own maximum, as the paper compares normalised maps
    a = a / a.max() if a.max() > 0 else a
    b = b / b.max() if b.max() > 0 else b
    side = min(a.shape)
    win = min(7, side if side % 2 else side - 1)
    return float(structural_similarity(a, b, data_range=1.0, win_size=win))


def similarity(reference, maps, reference_abs=None, maps_abs=None):
    """{"spearman_abs", "spearman_signed", "ssim"}: arrays (len(maps), N), one value per map and example.

    `reference` (N, ...) is the trained model's signed map of each example, `maps` (K, N, ...) the
    maps to compare with it; the absolute maps default to |signed|. A constant map gives nan for
    Spearman (no ranks); SSIM is computed for 2-D maps only (nan otherwise). The similarity of a map with itself is 1 by every measure:

        >>> import numpy as np
        >>> from minigrad.nn.sanity import similarity
        >>> m = np.random.default_rng(0).standard_normal((2, 9, 9))
        >>> {k: np.round(v, 6).tolist() for k, v in similarity(m, m[None]).items()}
        {'spearman_abs': [[1.0, 1.0]], 'spearman_signed': [[1.0, 1.0]], 'ssim': [[1.0, 1.0]]}
    """
    reference, maps = np.asarray(reference, dtype=np.float64), np.asarray(maps, dtype=np.float64)
    if maps.shape[1:] != reference.shape:
        raise ValueError(f"similarity: maps of shape {maps.shape} do not stack maps shaped like the reference "
                         f"{reference.shape}")
    ref_abs = np.abs(reference) if reference_abs is None else np.asarray(reference_abs, dtype=np.float64)
    abs_maps = np.abs(maps) if maps_abs is None else np.asarray(maps_abs, dtype=np.float64)
    out = {"spearman_abs": [], "spearman_signed": [], "ssim": []}
    for k in range(len(maps)):
        out["spearman_abs"].append([_spearman(ref_abs[i], abs_maps[k, i]) for i in range(len(reference))])
        out["spearman_signed"].append([_spearman(reference[i], maps[k, i]) for i in range(len(reference))])
        out["ssim"].append([_ssim(ref_abs[i], abs_maps[k, i]) for i in range(len(reference))])
    return {key: np.array(v) for key, v in out.items()}


def summarize(result):
    """{method: {measure: {"mean": [per step], "std": [per step]}}}: averages over the examples
    (nan entries, from constant maps, left out), ready for JSON.

        >>> from minigrad.nn.sanity import cascading_randomization, summarize
        >>> _ = mg.manual_seed(5)
        >>> net = mg.nn.Sequential(mg.nn.Linear(4, 3), mg.nn.ReLU(), mg.nn.Linear(3, 2))
        >>> x = np.random.default_rng(0).standard_normal((4, 4))
        >>> summary = summarize(cascading_randomization(net, x, target=0, methods=["gradient"], channel_axis=None))
        >>> summary["gradient"]["spearman_signed"]["mean"][0], summary["gradient"]["ssim"]   # no SSIM of 1-D maps
        (1.0, {'mean': [None, None, None], 'std': [None, None, None]})
    """
    out = {}
    for method, sims in result["similarity"].items():
        out[method] = {}
        for measure, values in sims.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a step whose maps are all constant: None
                mean, std = np.nanmean(values, axis=1), np.nanstd(values, axis=1)
            out[method][measure] = {"mean": [None if np.isnan(v) else round(float(v), 4) for v in mean],
                                    "std": [None if np.isnan(v) else round(float(v), 4) for v in std]}
    return out


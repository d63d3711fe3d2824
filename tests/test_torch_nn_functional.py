"""minigrad.nn's activations, normalisations, embedding, attention and losses against PyTorch:
the same inputs (and the same weights, through state_dict), outputs and every gradient compared,
the kinks included (their conventions are PyTorch's)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

R = np.random.default_rng(1)
# PyTorch warns that kl_div's 'mean' (which we match) will change meaning in a later release
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
KINKS = np.array([0.0, -0.0, 3.0, -3.0, 1.0, -1.0, 6.0, 0.5, -0.5, 20.0, 10.0, 1.5])


def _inputs(arrays):
    ours = [mg.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
              for a in arrays]
    return ours, theirs


def compare(ours, theirs, *arrays, rtol=1e-10, atol=1e-12, params=((), ())):
    """Run both on the same float64 arrays; compare outputs and the gradients of <u, output> with
    respect to every float input and to `params` (minigrad's, torch's: the same parameters)."""
    xs, ts = _inputs(arrays)
    y, t = ours(*xs), theirs(*ts)
    ys, tss = (y, t) if isinstance(y, tuple) else ((y,), (t,))
    total_t, total_y = 0, 0
    for a, b in zip(ys, tss):
        if b is None:
            assert a is None
            continue
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=rtol, atol=atol)
        u = R.standard_normal(b.shape)
        total_y = total_y + (a * mg.tensor(u)).sum()
        total_t = total_t + (b * torch.tensor(u)).sum()
    if not isinstance(total_t, int) and total_t.requires_grad:
        torch_leaves = [x for x in ts if isinstance(x, torch.Tensor) and x.requires_grad] + list(params[1])
        grads_t = torch.autograd.grad(total_t, torch_leaves, allow_unused=True)
        grads_t = [torch.zeros_like(x) if g is None else g for x, g in zip(torch_leaves, grads_t)]
        leaves = [x for x in xs if isinstance(x, mg.Tensor) and x.requires_grad] + list(params[0])
        grads = mg.gradients(total_y, leaves) if total_y.requires_grad else [None] * len(leaves)
        assert len(grads) == len(grads_t)
        for g, gt in zip(grads, grads_t):
            np.testing.assert_allclose(0 if g is None else g.data, gt.numpy(), rtol=rtol, atol=atol)


def with_kinks(*shape):
    x = R.uniform(-4, 4, size=shape)
    flat = x.reshape(-1)
    flat[:len(KINKS)] = KINKS[:flat.size]
    return x


ACTIVATIONS = [
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("leaky_relu_default", F.leaky_relu, TF.leaky_relu),
    ("elu", lambda x: F.elu(x, 1.5), lambda x: TF.elu(x, 1.5)),
    # torch's celu backward is off by ~1e-8 relative (exp(x / alpha) in lower precision); ours is
    # exact (checked by gradcheck), so the comparison allows that much
    ("celu", lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7), 3e-7),
    ("selu", F.selu, TF.selu),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("mish", F.mish, TF.mish),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_options", lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    ("softplus_neg_beta", lambda x: F.softplus(x, beta=-1.5, threshold=2.0), lambda x: TF.softplus(x, -1.5, 2.0)),
    ("softsign", F.softsign, TF.softsign),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, 3e-8),  # torch's backward multiplies by float32(1/6)
    ("hardswish", F.hardswish, TF.hardswish),
    ("hardtanh", F.hardtanh, TF.hardtanh),
    ("hardtanh_bounds", lambda x: F.hardtanh(x, -0.5, 3.0), lambda x: TF.hardtanh(x, -0.5, 3.0)),
    ("relu6", F.relu6, TF.relu6),
    ("softmin", lambda x: F.softmin(x, dim=1), lambda x: TF.softmin(x, dim=1)),
    ("glu", F.glu, TF.glu),
    ("glu_dim0", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0)),
    ("normalize", F.normalize, TF.normalize),
    ("normalize_p1", lambda x: F.normalize(x, 1.0, -1), lambda x: TF.normalize(x, 1.0, -1)),
    ("normalize_p3", lambda x: F.normalize(x, 3.0, 0, eps=0.5), lambda x: TF.normalize(x, 3.0, 0, eps=0.5)),
]


@pytest.mark.parametrize("name,ours,theirs,rtol", [a + (1e-10,) * (4 - len(a)) for a in ACTIVATIONS],
                         ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, ours, theirs, rtol):
    compare(ours, theirs, with_kinks(4, 6), rtol=rtol)
    compare(ours, theirs, R.uniform(-30, 30, size=(2, 4, 2)), rtol=rtol)  # the tails
    compare(ours, theirs, with_kinks(2, 2, 3, 2), rtol=rtol)


def test_softmin_legacy_dim_and_normalize_zero_vector():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 2)]:
        x = R.standard_normal(shape)
        with pytest.warns(UserWarning):
            expected = TF.softmin(torch.tensor(x)).numpy()
        np.testing.assert_allclose(F.softmin(mg.tensor(x)).data, expected, rtol=1e-12)
    compare(F.normalize, TF.normalize, np.zeros((2, 3)))


@pytest.mark.parametrize("k", [1, 3])
def test_prelu_function_and_module(k):
    x, w = with_kinks(2, 3, 4), R.uniform(-1, 1, size=k)
    compare(F.prelu, TF.prelu, x, w)
    t = torch.nn.PReLU(k, init=0.1).double()
    m = mg.nn.PReLU(k, init=0.3).double()
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    compare_module(m, t, x)


def load_from(m, t):
    """Load torch module t's state_dict into minigrad module m (arrays, as mg's load_state_dict takes)."""
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return m


def compare_module(m, t, *arrays, rtol=1e-10, atol=1e-12, load=True):
    """Same weights (torch's, through state_dict), same inputs: outputs, input and parameter gradients."""
    if load:
        load_from(m, t)
    names = [n for n, _ in t.named_parameters()]
    ours = dict(m.named_parameters())
    assert sorted(ours) == sorted(names)
    compare(m, t, *arrays, rtol=rtol, atol=atol,
            params=([ours[n] for n in names], [dict(t.named_parameters())[n] for n in names]))


MODULES = [("LeakyReLU", (0.3,)), ("ELU", (0.5,)), ("CELU", (2.0,)), ("SELU", ()), ("GELU", ("tanh",)),
           ("SiLU", ()), ("Mish", ()), ("Softplus", (2.0, 4.0)), ("Softsign", ()), ("LogSigmoid", ()),
           ("Hardsigmoid", ()), ("Hardswish", ()), ("Hardtanh", (-2.0, 1.0)), ("ReLU6", ()), ("Softmin", (1,)),
           ("GLU", (1,))]


@pytest.mark.parametrize("name,args", MODULES, ids=[m[0] for m in MODULES])
def test_activation_modules(name, args):
    ours, theirs = getattr(mg.nn, name)(*args), getattr(torch.nn, name)(*args)
    compare(ours, theirs, with_kinks(3, 4, 2), rtol=3e-7 if name in ("CELU", "Hardsigmoid") else 1e-10)
    assert name in repr(ours)


# -- losses ------------------------------------------------------------------------------------------

def _labels(shape, c, ignore=None, frac=0.3):
    y = R.integers(0, c, size=shape)
    if ignore is not None:
        y[R.random(shape) < frac] = ignore
        y.reshape(-1)[0] = 0  # at least one entry counts
    return y


W4 = np.array([0.5, 2.0, 1.0, 3.0])
CE_OPTIONS = [dict(), dict(weight=W4), dict(ignore_index=2), dict(ignore_index=-100), dict(label_smoothing=0.2),
              dict(weight=W4, ignore_index=1, label_smoothing=0.1), dict(weight=W4, label_smoothing=0.3)]


def _torch_options(opts):
    return {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in opts.items()}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", CE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (2, 4, 3, 2)], ids=["NC", "NCd", "NCdd"])
def test_cross_entropy_and_nll_with_class_indices(shape, opts, reduction):
    z = R.standard_normal(shape) * 2
    ignore = opts.get("ignore_index")
    y = _labels((shape[0],) + shape[2:], shape[1], ignore if ignore not in (None, -100) else None)
    compare(lambda t: F.cross_entropy(t, y, reduction, **opts),
            lambda t: TF.cross_entropy(t, torch.tensor(y), reduction=reduction, **_torch_options(opts)), z)
    nll_opts = {k: v for k, v in opts.items() if k != "label_smoothing"}
    compare(lambda t: F.nll_loss(t, y, reduction, **nll_opts),
            lambda t: TF.nll_loss(t, torch.tensor(y), reduction=reduction, **_torch_options(nll_opts)), z)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", [dict(), dict(weight=W4), dict(label_smoothing=0.25),
                                  dict(weight=W4, label_smoothing=0.1)], ids=lambda o: "-".join(o) or "plain")
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3)], ids=["NC", "NCd"])
def test_cross_entropy_with_probability_targets(shape, opts, reduction):
    z = R.standard_normal(shape)
    p = R.random(shape)
    p /= p.sum(axis=1, keepdims=True)
    # both the logits and the target probabilities are differentiated
    compare(lambda t, q: F.cross_entropy(t, q, reduction, **opts),
            lambda t, q: TF.cross_entropy(t, q, reduction=reduction, **_torch_options(opts)), z, p)


def test_cross_entropy_modules_take_weights_from_state_dicts():
    t = torch.nn.CrossEntropyLoss(weight=torch.tensor(W4), ignore_index=1, label_smoothing=0.1)
    m = load_from(mg.nn.CrossEntropyLoss(weight=np.ones(4), ignore_index=1, label_smoothing=0.1).double(), t)
    z, y = R.standard_normal((6, 4, 2)), _labels((6, 2), 4, 1)
    compare(lambda a: m(a, y), lambda a: t(a, torch.tensor(y)), z)
    t = torch.nn.NLLLoss(weight=torch.tensor(W4), reduction="sum")
    m = load_from(mg.nn.NLLLoss("sum", weight=np.ones(4)).double(), t)
    compare(lambda a: m(a, y), lambda a: t(a, torch.tensor(y)), z)


BCE_OPTIONS = [dict(), dict(weight=R.uniform(0.5, 2, size=(4,))), dict(pos_weight=R.uniform(0.5, 3, size=(4,))),
               dict(weight=R.uniform(0.5, 2, size=(3, 4)), pos_weight=np.array([2.0]))]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", BCE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
def test_binary_cross_entropy_with_logits(opts, reduction):
    z, t = R.standard_normal((3, 4)) * 3, R.random((3, 4))
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction, **opts),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction, **_torch_options(opts)), z, t)
    m = mg.nn.BCEWithLogitsLoss(reduction=reduction, **{k: np.ones_like(v) for k, v in opts.items()}).double()
    tm = torch.nn.BCEWithLogitsLoss(reduction=reduction, **_torch_options(opts))
    load_from(m, tm)
    compare(m, tm, z, t)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(weighted, reduction):
    x, t = R.uniform(0.02, 0.98, size=(3, 4)), R.random((3, 4))
    x[0, :2] = [1e-50, 1 - 1e-16]  # near the clamp of the logs at -100
    w = R.uniform(0.5, 2, size=(4,)) if weighted else None
    compare(lambda a, b: F.binary_cross_entropy(a, b, w, reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, None if w is None else torch.tensor(w), reduction=reduction),
            x, t)


POINTWISE = [
    ("l1_loss", {}, {}), ("smooth_l1_loss", {"beta": 0.5}, {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}, {"beta": 0.0}),
    ("smooth_l1_loss", {}, {}), ("huber_loss", {"delta": 0.7}, {"delta": 0.7}), ("huber_loss", {}, {}),
    ("mse_loss", {}, {}), ("soft_margin_loss", {}, {}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,ours,theirs", POINTWISE, ids=[f"{p[0]}{p[1]}" for p in POINTWISE])
def test_pointwise_losses(name, ours, theirs, reduction):
    x, t = R.standard_normal((3, 5)), R.standard_normal((3, 5))
    x[0] = t[0] + np.array([0.0, 0.5, -0.5, 0.7, 1.0])  # the kinks: d = 0, +-beta, delta
    if name == "soft_margin_loss":  # PyTorch does not differentiate its target: keep it constant
        t = np.sign(t)
        compare(lambda a: F.soft_margin_loss(a, t, reduction), lambda a: TF.soft_margin_loss(a, torch.tensor(t),
                reduction=reduction), x)
        return
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **ours),
            lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **theirs), x, t)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(R.dirichlet(np.ones(4), size=3))
    t = R.dirichlet(np.ones(4), size=3)
    if log_target:
        t = np.log(t)
    compare(lambda a, b: F.kl_div(a, b, reduction, log_target=log_target),
            lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), x, t)
    if not log_target:  # a zero probability: xlogy(0, 0) = 0 (its target slope differs: 0 here, nan in torch)
        t[0, 0] = 0.0
        compare(lambda a: F.kl_div(a, t, reduction), lambda a: TF.kl_div(a, torch.tensor(t), reduction=reduction), x)


@pytest.mark.parametrize("dim,shapes", [(1, ((4, 3), (4, 3))), (-1, ((2, 3, 5), (3, 5))), (0, ((3,), (3,))),
                                        (1, ((2, 1, 4), (2, 3, 4)))])
def test_cosine_similarity_and_pairwise_distance(dim, shapes):
    a, b = R.standard_normal(shapes[0]), R.standard_normal(shapes[1])
    compare(lambda u, v: F.cosine_similarity(u, v, dim), lambda u, v: TF.cosine_similarity(u, v, dim), a, b)
    compare(lambda u, v: F.cosine_similarity(u, v, dim, eps=10.0),  # the clamp in force
            lambda u, v: TF.cosine_similarity(u, v, dim, eps=10.0), a, b)
    small = np.zeros(shapes[0])
    small.reshape(-1)[0] = 1e-9
    compare(lambda u, v: F.cosine_similarity(u, v, dim), lambda u, v: TF.cosine_similarity(u, v, dim), small, b)
    for p in (2.0, 1.0, 3.0):
        compare(lambda u, v: F.pairwise_distance(u, v, p, keepdim=True),
                lambda u, v: TF.pairwise_distance(u, v, p, keepdim=True), a, b)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_losses(reduction):
    x1, x2, x3 = (R.standard_normal((4, 3)) for _ in range(3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    a, b = R.standard_normal(6), R.standard_normal(6)
    s = np.array([1.0, -1.0, 1.0, -1.0, 1.0, 1.0])
    b[0] = a[0] - 0.5  # -y (a - b) + margin = 0 exactly: the kink
    compare(lambda u, v: F.margin_ranking_loss(u, v, s, 0.5, reduction),
            lambda u, v: TF.margin_ranking_loss(u, v, torch.tensor(s), 0.5, reduction=reduction), a, b)
    a[1] = 2.0  # margin - x = 0 at y = -1
    compare(lambda u: F.hinge_embedding_loss(u, s, 2.0, reduction),
            lambda u: TF.hinge_embedding_loss(u, torch.tensor(s), 2.0, reduction=reduction), a)
    for margin in (0.0, 0.3):
        compare(lambda u, v: F.cosine_embedding_loss(u, v, y, margin, reduction),
                lambda u, v: TF.cosine_embedding_loss(u, v, torch.tensor(y), margin, reduction=reduction), x1, x2)
    for p, swap in ((2.0, False), (1.0, True), (3.0, False)):
        compare(lambda u, v, w: F.triplet_margin_loss(u, v, w, 1.5, p, swap=swap, reduction=reduction),
                lambda u, v, w: TF.triplet_margin_loss(u, v, w, 1.5, p, swap=swap, reduction=reduction), x1, x2, x3)
    t = (R.random((4, 3)) > 0.5).astype(float)
    w = R.uniform(0.5, 2, size=3)
    compare(lambda u: F.multilabel_soft_margin_loss(u, t, w, reduction),
            lambda u: TF.multilabel_soft_margin_loss(u, torch.tensor(t), torch.tensor(w), reduction=reduction), x1)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
def test_nll_losses_of_distributions(reduction, full):
    x, t = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    for var_shape in ((4, 3), (4,), (4, 1)):
        var = R.uniform(0.1, 2, size=var_shape)
        var.reshape(-1)[0] = 1e-8  # below eps: clamped in value only
        compare(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full, reduction=reduction),
                lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full, reduction=reduction), x, t, var)
    counts = R.integers(0, 5, size=(4, 3)).astype(float)
    compare(lambda a: F.poisson_nll_loss(a, counts, True, full, reduction=reduction),
            lambda a: TF.poisson_nll_loss(a, torch.tensor(counts), True, full, reduction=reduction), x)
    compare(lambda a: F.poisson_nll_loss(a, counts, False, full, reduction=reduction),
            lambda a: TF.poisson_nll_loss(a, torch.tensor(counts), False, full, reduction=reduction), np.abs(x) + 0.1)


LOSS_MODULES = [("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.3}), ("HuberLoss", {"delta": 0.4}),
                ("KLDivLoss", {"reduction": "batchmean"}), ("KLDivLoss", {"log_target": True}), ("SoftMarginLoss", {}),
                ("BCELoss", {}), ("MultiLabelSoftMarginLoss", {}), ("HingeEmbeddingLoss", {"margin": 0.5}),
                ("PoissonNLLLoss", {"full": True}), ("MarginRankingLoss", {"margin": 0.2}),
                ("CosineEmbeddingLoss", {"margin": 0.1}), ("TripletMarginLoss", {"margin": 0.5, "swap": True}),
                ("GaussianNLLLoss", {"full": True}), ("CosineSimilarity", {"dim": 0}), ("PairwiseDistance", {"p": 1.0})]


@pytest.mark.parametrize("name,kwargs", LOSS_MODULES, ids=[f"{m[0]}{m[1]}" for m in LOSS_MODULES])
def test_loss_modules(name, kwargs):
    ours, theirs = getattr(mg.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    x, t = R.uniform(0.05, 0.95, size=(4, 3)), R.uniform(0.05, 0.95, size=(4, 3))
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss"):
        y = np.array([1.0, -1.0, 1.0, -1.0]) if name == "CosineEmbeddingLoss" else np.ones((4, 3))
        compare(lambda a, b: ours(a, b, y), lambda a, b: theirs(a, b, torch.tensor(y)), x, t)
    elif name == "SoftMarginLoss":  # PyTorch does not differentiate its target
        compare(lambda a: ours(a, np.sign(t - 0.5)), lambda a: theirs(a, torch.tensor(np.sign(t - 0.5))), x)
    elif name in ("TripletMarginLoss", "GaussianNLLLoss"):
        compare(ours, theirs, x, t, R.uniform(0.05, 0.95, size=(4, 3)))
    else:
        compare(ours, theirs, np.log(x) if name == "KLDivLoss" else x, t)
    assert name in repr(ours)


# -- normalisation and embedding --------------------------------------------------------------------

@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4), (3, 4)), ((2, 2, 3, 4), (4,))])
def test_layer_norm(shape, normalized, affine):
    x = R.standard_normal(shape) * 3 + 1
    t = torch.nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine).double()
    if affine:
        with torch.no_grad():
            t.weight.normal_()
            t.bias.normal_()
    m = mg.nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine).double()
    compare_module(m, t, x)
    if affine:
        w, b = t.weight.detach().numpy(), t.bias.detach().numpy()
        compare(lambda a, u, v: F.layer_norm(a, normalized, u, v), lambda a, u, v: TF.layer_norm(
            a, (normalized,) if isinstance(normalized, int) else normalized, u, v), x, w, b)
    t = torch.nn.LayerNorm(normalized, bias=False).double()
    compare_module(mg.nn.LayerNorm(normalized, bias=False).double(), t, x)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("groups,shape", [(2, (3, 4, 5)), (1, (2, 6)), (3, (2, 6, 2, 3)), (6, (2, 6, 4))])
def test_group_norm(groups, shape, affine):
    x = R.standard_normal(shape) * 2
    t = torch.nn.GroupNorm(groups, shape[1], affine=affine).double()
    if affine:
        with torch.no_grad():
            t.weight.normal_()
            t.bias.normal_()
    compare_module(mg.nn.GroupNorm(groups, shape[1], affine=affine).double(), t, x)


@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("dims", [1, 2])
def test_instance_norm(dims, affine, track):
    shape = (3, 4, 5) if dims == 1 else (2, 4, 3, 5)
    t = getattr(torch.nn, f"InstanceNorm{dims}d")(4, affine=affine, track_running_stats=track, momentum=0.3).double()
    m = getattr(mg.nn, f"InstanceNorm{dims}d")(4, affine=affine, track_running_stats=track, momentum=0.3).double()
    if affine:
        with torch.no_grad():
            t.weight.normal_()
            t.bias.normal_()
    if track:  # the buffers are float32 here until loaded: load torch's (float64) ones in their place
        for k in ("running_mean", "running_var"):
            m.register_buffer(k, np.zeros(4))
    load_from(m, t)
    for step in range(2):
        x = R.standard_normal(shape) * 2 + step
        compare_module(m, t, x, load=False)
        if track:
            np.testing.assert_allclose(m.running_mean, t.running_mean.numpy(), rtol=1e-12)
            np.testing.assert_allclose(m.running_var, t.running_var.numpy(), rtol=1e-12)
    m.eval()
    t.eval()
    compare_module(m, t, R.standard_normal(shape), load=False)
    compare_module(m, t, R.standard_normal(shape[1:]), load=False)  # unbatched


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(padding_idx):
    t = torch.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    m = mg.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    idx = np.array([[0, 2, 5, 2], [1, 5, 5, 3]])
    load_from(m, t)
    ours, theirs = m(idx), t(torch.tensor(idx))
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    u = R.standard_normal(ours.shape)
    (ours * mg.tensor(u)).sum().backward()
    (theirs * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(m.weight.grad.data, t.weight.grad.numpy(), rtol=1e-12)
    compare(lambda w: F.embedding(idx, w, padding_idx), lambda w: TF.embedding(torch.tensor(idx), w, padding_idx),
            R.standard_normal((6, 3)))


# -- attention ----------------------------------------------------------------------------------------

SDPA = [
    ("plain", {}), ("scale", {"scale": 0.7}), ("causal", {"is_causal": True}),
    ("bool_mask", {"attn_mask": np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1], [1, 1, 0, 0, 1]], dtype=bool)}),
    ("float_mask", {"attn_mask": R.standard_normal((3, 5))}),
    ("batched_mask", {"attn_mask": R.random((2, 1, 3, 5)) > 0.3}),
]


@pytest.mark.parametrize("name,opts", SDPA, ids=[s[0] for s in SDPA])
def test_scaled_dot_product_attention(name, opts):
    q, k, v = R.standard_normal((2, 2, 3, 4)), R.standard_normal((2, 2, 5, 4)), R.standard_normal((2, 2, 5, 6))
    if name == "causal":
        k, v = k[:, :, :3], v[:, :, :3]
    if name == "batched_mask":
        opts["attn_mask"][..., 0] = True  # every query attends to something
    theirs = {k_: torch.tensor(v_) if isinstance(v_, np.ndarray) else v_ for k_, v_ in opts.items()}
    compare(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **opts),
            lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, **theirs), q, k, v)


def test_scaled_dot_product_attention_gqa():
    q, k, v = R.standard_normal((1, 4, 3, 2)), R.standard_normal((1, 2, 5, 2)), R.standard_normal((1, 2, 5, 3))
    compare(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, enable_gqa=True),
            lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, enable_gqa=True), q, k, v)


MHA = [
    ("plain", {}, {}),
    ("batch_first", {"batch_first": True}, {}),
    ("no_bias", {"bias": False}, {"need_weights": False}),
    ("per_head_weights", {}, {"average_attn_weights": False}),
    ("bias_kv_zero_attn", {"add_bias_kv": True, "add_zero_attn": True}, {"masks": True}),
    ("kdim_vdim", {"kdim": 3, "vdim": 5}, {"masks": True}),
    ("masks", {"batch_first": True}, {"masks": True}),
    ("float_masks", {}, {"float_masks": True}),
    ("per_head_mask", {}, {"head_mask": True}),
    ("causal", {"batch_first": True}, {"causal": True}),
]


@pytest.mark.parametrize("name,ctor,call", MHA, ids=[m[0] for m in MHA])
def test_multihead_attention(name, ctor, call):
    E, H, L, S, N = 6, 3, 4, 5, 2
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, H, **ctor).double()
    m = mg.nn.MultiheadAttention(E, H, **ctor).double()
    with torch.no_grad():  # make the zero-initialised biases non-trivial
        for p in t.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    kd, vd = ctor.get("kdim", E), ctor.get("vdim", E)
    shape = (lambda n, d: (N, n, d)) if ctor.get("batch_first") else (lambda n, d: (n, N, d))
    if name == "causal":
        S = L
    q, k, v = R.standard_normal(shape(L, E)), R.standard_normal(shape(S, kd)), R.standard_normal(shape(S, vd))
    kwargs, theirs = {k_: v_ for k_, v_ in call.items() if k_ in ("need_weights", "average_attn_weights")}, {}
    if call.get("masks"):
        kwargs["attn_mask"] = R.random((L, S)) < 0.3
        kwargs["key_padding_mask"] = R.random((N, S)) < 0.3
        kwargs["attn_mask"][:, 0] = kwargs["key_padding_mask"][:, 0] = False
    if call.get("float_masks"):
        kwargs["attn_mask"], kwargs["key_padding_mask"] = R.standard_normal((L, S)), R.standard_normal((N, S))
    if call.get("head_mask"):
        kwargs["attn_mask"] = R.random((N * H, L, S)) < 0.3
        kwargs["attn_mask"][..., 1] = False
    if call.get("causal"):
        kwargs["attn_mask"] = ~np.tril(np.ones((L, S), bool))
        kwargs["is_causal"] = True
    theirs = {k_: torch.tensor(v_) if isinstance(v_, np.ndarray) else v_ for k_, v_ in kwargs.items()}
    compare_module(lambda_module(m, kwargs), lambda_module(t, theirs), q, k, v)
    if not ctor.get("batch_first") and name == "plain":  # unbatched input
        compare_module(lambda_module(m, {}), lambda_module(t, {}), q[:, 0], k[:, 0], v[:, 0], load=False)


class lambda_module:
    """A module called with fixed keyword arguments, for compare_module (which loads state_dicts)."""

    def __init__(self, module, kwargs):
        self.module, self.kwargs = module, kwargs

    def __getattr__(self, name):
        return getattr(self.__dict__["module"], name)

    def __call__(self, *args):
        return self.module(*args, **self.kwargs)


PORTED = [("PReLU", (3,), {}), ("LayerNorm", ((2, 3),), {}), ("LayerNorm", (4,), {"bias": False}),
          ("GroupNorm", (2, 4), {}), ("InstanceNorm1d", (4,), {"affine": True, "track_running_stats": True}),
          ("InstanceNorm2d", (4,), {}), ("Embedding", (7, 3), {"padding_idx": 0}),
          ("MultiheadAttention", (6, 2), {}), ("MultiheadAttention", (6, 3), {"kdim": 4, "vdim": 5, "bias": False}),
          ("MultiheadAttention", (6, 2), {"add_bias_kv": True, "batch_first": True}),
          ("CrossEntropyLoss", (), {"weight": torch.ones(3)}), ("BCEWithLogitsLoss", (), {"pos_weight": torch.ones(3)})]


@pytest.mark.parametrize("name,args,kwargs", PORTED, ids=[f"{p[0]}{p[2]}" for p in PORTED])
def test_default_float32_state_dicts_load_as_they_are(name, args, kwargs):
    """The port promised in the README: same constructor arguments, torch's state_dict as arrays."""
    t = getattr(torch.nn, name)(*args, **kwargs)
    ours_kwargs = {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
    m = getattr(mg.nn, name)(*args, **ours_kwargs)
    state = {k: v.detach().numpy() for k, v in t.state_dict().items()}
    assert sorted(m.state_dict()) == sorted(state)
    m.load_state_dict(state)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v.data if isinstance(v, mg.Tensor) else v), state[k])

"""Photo orientation: a small CNN that tells whether a photo is turned 0, 90, 180 or 270 degrees.

Labels come for free: every upright photo gives four examples, ``np.rot90(photo, k)`` with label k
(k quarter turns counter-clockwise, as in :func:`models.datasets.rotations`).

Training (see data/models/README.md for what each choice was worth, measured):
  * every batch holds all four rotations of each of its photos, so the network always sees the
    same content in every orientation and can only learn from what differs between them;
  * augmentation of the *upright* photo before it is rotated (horizontal flip, a small random
    crop resized back, mild brightness/contrast jitter). The order matters: flipping an image that
    is already turned by 90 degrees gives the flipped photo turned by 270, so a flip after
    rotating would silently swap the labels 90 <-> 270;
  * Adam with a short linear warm-up and a cosine learning-rate decay;
  * optionally (``equivariant=True``, the shipped model) one "uprightness" score s applied to the
    input turned back by 0/90/180/270 degrees: turning the photo turns the answer by
    construction, and every photo trains s once upright and three times not;
  * optionally (``mirror_test=True``) each test input is scored together with its mirror image,
    which has the same "up";
  * optionally (``ensemble=k``) k networks trained alike from seeds seed..seed+k-1, their logits
    averaged.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

import minigrad as mg
from minigrad import nn

ANGLES = (0, 90, 180, 270)

__all__ = ["ANGLES", "Config", "OrientationNet", "Ensemble", "build_model", "augment", "crop_resize", "rotation_batch",
           "Normalizer", "train", "add_training_photos", "ensemble_history", "rotation_logits", "evaluate", "save_model", "load_model", "lr_at"]


@dataclass
class Config:
    """Everything that defines a model and its training run (stored in the checkpoint)."""

    size: int = 48                       # input side S (photos are centre-cropped to S x S)
    color: bool = True
    widths: tuple = (32, 64, 128)        # conv channels per block (3x3 conv, ReLU, 2x2 max-pool)
    hidden: int = 128                    # the hidden linear layer
    dropout: float = 0.3
    epochs: int = 12
    batch_photos: int = 32               # photos per step; each brings `rotations_per_photo` examples
    rotations_per_photo: int = 4         # 4: all four rotations in each batch; 1: one random rotation
    lr: float = 2e-3
    schedule: str = "cosine"             # "cosine" | "step" | "constant"
    warmup_epochs: float = 0.5
    weight_decay: float = 0.0
    flip: bool = True
    crop: float = 0.15                   # random crop keeps a square of side in [(1 - crop), 1] x the photo's
    load_size: int = 0                   # train on photos stored at this side (crops resized to S); 0: S
    equivariant: bool = False            # one "uprightness" score, applied to the input turned back 0..3 times
    init: str = "default"                # "default" (PyTorch's layer init) | "kaiming" (He normal, zero bias)
    jitter: float = 0.1                  # brightness and contrast scaled by U[1 - jitter, 1 + jitter]
    mirror_test: bool = False            # score each test input together with its mirror image
    batch_norm: bool = False             # BatchNorm2d between each conv and its ReLU
    ensemble: int = 1                    # networks trained alike (seeds seed, seed + 1, ...), logits averaged
    seed: int = 0

    def __post_init__(self):
        self.widths = tuple(int(w) for w in self.widths)
        if self.size % (2 ** len(self.widths)):
            raise ValueError(f"size {self.size} must be divisible by 2**{len(self.widths)} (one 2x2 pool per "
                             f"conv block, widths={self.widths})")
        if self.rotations_per_photo not in (1, 4):
            raise ValueError(f"rotations_per_photo must be 1 or 4, got {self.rotations_per_photo}")
        if self.equivariant and self.rotations_per_photo != 4:
            raise ValueError("equivariant training compares the four rotations of each photo: "
                             "it needs rotations_per_photo=4")
        if self.schedule not in ("cosine", "step", "constant"):
            raise ValueError(f"schedule must be 'cosine', 'step' or 'constant', got {self.schedule!r}")
        if not 0 <= self.crop < 1:
            raise ValueError(f"crop must be in [0, 1), got {self.crop}")
        if not (isinstance(self.ensemble, int) and self.ensemble >= 1):
            raise ValueError(f"ensemble must be an int >= 1 (networks to train), got {self.ensemble!r}")

    def member(self, i):
        """The configuration of the i-th network of an ensemble: a single network with its own seed."""
        return replace(self, ensemble=1, seed=self.seed + i)

    def to_dict(self):
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# --------------------------------------------------------------------------- the network


def rot90(x, k=1):
    """Turn NCHW tensors k quarter turns counter-clockwise (np.rot90 on axes (2, 3)) with recorded ops."""
    for _ in range(k % 4):
        x = x.swapaxes(2, 3)[:, :, ::-1]
    return x


class OrientationNet(nn.Module):
    """(conv3x3 -> ReLU -> maxpool2) per width, then Linear -> ReLU -> Dropout -> Linear.

    Plain (equivariant=False): the last layer has 4 outputs, the scores of 0/90/180/270 degrees.
    Equivariant: the last layer has 1 output, an "uprightness" score s; the score of "x is turned
    by c" is s(x turned back by c), so turning the input turns the answer by construction and
    every photo of a batch trains the same s four times (once upright, three times not).
    """

    def __init__(self, cfg: Config):
        super().__init__()
        self.equivariant = bool(cfg.equivariant)
        chans = 3 if cfg.color else 1
        blocks = []
        for w in cfg.widths:
            norm = [nn.BatchNorm2d(w)] if cfg.batch_norm else []
            blocks += [nn.Conv2d(chans, w, 3, padding=1), *norm, nn.ReLU(), nn.MaxPool2d(2)]
            chans = w
        self.features = nn.Sequential(*blocks)
        side = cfg.size // 2 ** len(cfg.widths)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(chans * side * side, cfg.hidden), nn.ReLU(),
                                        nn.Dropout(cfg.dropout),
                                        nn.Linear(cfg.hidden, 1 if cfg.equivariant else len(ANGLES)))

    def score(self, x):
        """The raw last-layer output: (N, 4) class scores, or (N,) uprightness scores if equivariant."""
        out = self.classifier(self.features(x))
        return out.reshape(-1) if self.equivariant else out

    def forward(self, x):
        """(N, 4) logits of 0/90/180/270 degrees."""
        if not self.equivariant:
            return self.score(x)
        n = x.shape[0]
        s = self.score(mg.concatenate([rot90(x, -c) for c in range(4)], axis=0))  # (4N,), c-major
        return s.reshape(4, n).T


class Ensemble(nn.Module):
    """Networks trained alike from different seeds; the logits are the mean of theirs.

    Averaging logits decides exactly as averaging log-probabilities would (log_softmax only
    subtracts a per-input constant), and keeps every explanation the mean of the members' ones."""

    equivariant = False  # rotation_logits asks each member instead

    def __init__(self, members):
        super().__init__()
        if not members:
            raise ValueError("Ensemble needs at least one network")
        self.members = nn.ModuleList(members)

    def forward(self, x):
        outs = [m(x) for m in self.members]
        return sum(outs[1:], outs[0]) / len(outs)


def ensemble_history(histories):
    """The training history of an ensemble from its networks' histories."""
    return {"members": list(histories), "seconds": round(sum(h["seconds"] for h in histories), 2)}


def build_model(cfg: Config, seed: int | None = None) -> OrientationNet | Ensemble:
    if cfg.ensemble > 1:
        return Ensemble([build_model(cfg.member(i)) for i in range(cfg.ensemble)])
    mg.nn.manual_seed(cfg.seed if seed is None else seed)
    model = OrientationNet(cfg)
    if cfg.init == "kaiming":
        # PyTorch's default (kaiming_uniform with a=sqrt(5)) shrinks relu activations layer by layer;
        # without batch norm, He init keeps their scale and the network trains faster
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
    elif cfg.init != "default":
        raise ValueError(f"init must be 'default' or 'kaiming', got {cfg.init!r}")
    return model


# --------------------------------------------------------------------------- data pipeline


def crop_resize(images, tops, lefts, sides, size):
    """Crop image i to the square at (tops[i], lefts[i]) of side sides[i] and resize it to size x size
    with bilinear interpolation (pixel centres aligned, as PIL does). (N, H, W[, C]) in and out."""
    images = np.asarray(images)
    x = images if images.ndim == 4 else images[..., None]
    tops, lefts, sides = (np.asarray(a, dtype=np.float64) for a in (tops, lefts, sides))
    grid = (np.arange(size) + 0.5)[None, :] * (sides / size)[:, None] - 0.5   # (N, size) in crop pixels

    def taps(start):
        c = np.clip(grid, 0, (sides - 1)[:, None]) + start[:, None]
        c0 = np.floor(c).astype(np.intp)
        c1 = np.minimum(c0 + 1, (start + sides - 1)[:, None].astype(np.intp))
        return c0, c1, (c - c0).astype(np.float32)

    y0, y1, wy = taps(tops)
    x0, x1, wx = taps(lefts)
    b = np.arange(len(x))[:, None, None]
    y0, y1, wy = y0[:, :, None], y1[:, :, None], wy[:, :, None, None]
    x0, x1, wx = x0[:, None, :], x1[:, None, :], wx[:, None, :, None]
    top = x[b, y0, x0] * (1 - wx) + x[b, y0, x1] * wx
    bottom = x[b, y1, x0] * (1 - wx) + x[b, y1, x1] * wx
    out = (top * (1 - wy) + bottom * wy).astype(images.dtype)
    return out if images.ndim == 4 else out[..., 0]


def augment(images, rng, flip=True, crop=0.0, jitter=0.0, size=None):
    """Label-preserving augmentation of UPRIGHT photos (N, L, L[, C]) in [0, 1]; rotate afterwards.

    Returns (N, size, size[, C]): a random square crop of side in [(1 - crop) L, L] (anywhere in the
    photo) resized to `size` (default L), so photos stored larger than the network's input give
    crops with real detail rather than upsampled pixels."""
    images = np.asarray(images)
    n, s = images.shape[:2]
    size = s if size is None else int(size)
    out = images
    if flip:
        mirror = rng.random(n) < 0.5
        out = out.copy()
        out[mirror] = out[mirror][:, :, ::-1]
    if crop > 0 or size != s:
        sides = rng.integers(int(math.ceil((1 - crop) * s)), s + 1, size=n)
        tops = (rng.random(n) * (s - sides + 1)).astype(int)
        lefts = (rng.random(n) * (s - sides + 1)).astype(int)
        out = crop_resize(out, tops, lefts, sides, size)
    if jitter > 0:
        shape = (n,) + (1,) * (images.ndim - 1)
        mean = out.mean(axis=tuple(range(1, images.ndim)), keepdims=True)
        contrast = rng.uniform(1 - jitter, 1 + jitter, shape).astype(np.float32)
        bright = rng.uniform(1 - jitter, 1 + jitter, shape).astype(np.float32)
        out = np.clip((mean + (out - mean) * contrast) * bright, 0, 1).astype(images.dtype)
    return out


def rotation_batch(images, rng=None, all_four=True):
    """Rotated examples and labels from upright photos (N, S, S[, C]).

    all_four: 4N examples, photo-major (rows 4i..4i+3 = photo i turned 0/90/180/270 degrees);
    otherwise N examples, each photo turned by a random quarter turn drawn from ``rng``.
    """
    from models.datasets import rotate, rotations
    if all_four:
        return rotations(images)
    k = rng.integers(0, 4, size=len(images))
    return rotate(images, k), k.astype(np.int64)


@dataclass
class Normalizer:
    """Per-channel standardisation with constants from the training photos (saved with the model).

    A channel mean over all pixels does not change when the photo is rotated, so it gives away
    nothing about orientation."""

    mean: np.ndarray = field(default_factory=lambda: np.zeros(1, np.float32))
    std: np.ndarray = field(default_factory=lambda: np.ones(1, np.float32))

    @classmethod
    def fit(cls, images):
        axes = (0, 1, 2)
        images = np.asarray(images, dtype=np.float32)
        if images.ndim == 3:
            images = images[..., None]
        return cls(images.mean(axis=axes).astype(np.float32), (images.std(axis=axes) + 1e-6).astype(np.float32))

    def __call__(self, images):
        """NHWC (or NHW) photos in [0, 1] -> standardised NCHW float32 array for the network."""
        x = np.asarray(images, dtype=np.float32)
        if x.ndim == 3:
            x = x[..., None]
        x = (x - self.mean) / self.std
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def undo(self, x):
        """NCHW network input -> NHWC photo in [0, 1] (for figures)."""
        x = np.asarray(x).transpose(0, 2, 3, 1) * self.std + self.mean
        return np.clip(x, 0, 1)


# --------------------------------------------------------------------------- training


def lr_at(cfg: Config, step: int, total: int) -> float:
    """The learning rate at `step` of `total`: linear warm-up, then the chosen decay."""
    per_epoch = total / max(cfg.epochs, 1)
    warm = int(cfg.warmup_epochs * per_epoch)
    if step < warm:
        return cfg.lr * (step + 1) / warm
    t = (step - warm) / max(total - warm, 1)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * t))
    if cfg.schedule == "step":  # /10 at 60% and again at 85% of the run
        return cfg.lr * (0.1 ** ((t >= 0.6) + (t >= 0.85)))
    return cfg.lr


def train(cfg: Config, train_images, val_images=None, progress=True, log=None, model=None):
    """Train an OrientationNet (or cfg.ensemble of them) on upright photos; returns (model, normalizer, history).

    train_images: (N, L, L[, C]) with L = cfg.load_size or cfg.size; val_images at cfg.size."""
    from models.train import _bar  # the faces trainer's tqdm bar (hidden when not on a terminal)

    if cfg.ensemble > 1 and model is None:
        runs = []
        for i in range(cfg.ensemble):
            say = None if log is None else (lambda m, i=i: log(f"network {i + 1}/{cfg.ensemble}: {m}"))
            runs.append(train(cfg.member(i), train_images, val_images, progress, say))
        norm = runs[0][1]  # the same photos give every member the same normalizer
        return Ensemble([m for m, _, _ in runs]), norm, ensemble_history([h for _, _, h in runs])

    train_images = np.asarray(train_images, dtype=np.float32)
    if len(train_images) == 0:
        raise ValueError("train: no training photos")
    want = cfg.load_size or cfg.size
    if train_images.shape[1] != want:
        raise ValueError(f"train: photos of shape {train_images.shape[1:]} but the config stores them at "
                         f"{want}x{want} (load_size={cfg.load_size}, size={cfg.size})")
    rng = np.random.default_rng(cfg.seed)
    model = build_model(cfg) if model is None else model
    norm = Normalizer.fit(train_images)
    opt = mg.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train_images) / cfg.batch_photos)
    total = steps_per_epoch * cfg.epochs
    hist = {"train_loss": [], "train_acc": [], "val_acc": [], "lr": [], "epoch_seconds": []}
    start, step = time.perf_counter(), 0
    bar = _bar(range(cfg.epochs), progress, "orientation")
    for epoch in bar:
        model.train()
        t0 = time.perf_counter()
        order = rng.permutation(len(train_images))
        loss_sum = correct = seen = 0
        for i in range(0, len(order), cfg.batch_photos):
            photos = augment(train_images[order[i:i + cfg.batch_photos]], rng, cfg.flip, cfg.crop, cfg.jitter,
                             size=cfg.size)
            x, y = rotation_batch(photos, rng, cfg.rotations_per_photo == 4)
            lr = lr_at(cfg, step, total)
            for g in opt.param_groups:
                g["lr"] = lr
            if cfg.equivariant:  # rows of a photo are its 4 rotations: the upright one (column 0) should win
                logits = model.score(mg.tensor(norm(x))).reshape(-1, 4)
                y = np.zeros(len(logits), np.int64)
            else:
                logits = model(mg.tensor(norm(x)))
            loss = nn.functional.cross_entropy(logits, mg.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            loss_sum += float(loss.item()) * len(y)
            correct += int((logits.data.argmax(axis=1) == y).sum())
            seen += len(y)
        hist["train_loss"].append(loss_sum / seen)
        hist["train_acc"].append(correct / seen)
        hist["lr"].append(lr)
        if val_images is not None and len(val_images):
            hist["val_acc"].append(evaluate(model, norm, val_images, mirror=cfg.mirror_test)["acc"])
        hist["epoch_seconds"].append(round(time.perf_counter() - t0, 2))
        post = {"loss": f"{hist['train_loss'][-1]:.3f}", "acc": f"{hist['train_acc'][-1]:.3f}"}
        if hist["val_acc"]:
            post["val"] = f"{hist['val_acc'][-1]:.3f}"
        bar.set_postfix(**post)
        if log is not None:
            log(f"epoch {epoch + 1}/{cfg.epochs} " + " ".join(f"{k}={v}" for k, v in post.items())
                + f" lr={lr:.2e} {hist['epoch_seconds'][-1]:.0f}s")
    if hasattr(bar, "close"):
        bar.close()
    model.eval()
    hist["seconds"] = round(time.perf_counter() - start, 2)
    return model, norm, hist


def add_training_photos(images, dirs, cfg: Config, known: set, limit=None):
    """(images + the photos below `dirs` whose content hash is not in `known`, their hashes); `known`
    grows. More training data that cannot leak a held-out photo, at the size `images` are stored at."""
    from models.datasets import file_hashes, load_photos  # datasets needs Pillow; the model itself does not
    more, added = [], []
    for d in dirs:
        found = load_photos(d, size=cfg.load_size or cfg.size, color=cfg.color, limit=limit)
        for img, h in zip(found.images, file_hashes(found.paths)):
            if h not in known:
                known.add(h)
                more.append(img)
                added.append(h)
    return (np.concatenate([images, np.asarray(more, images.dtype)]) if more else images), added


# --------------------------------------------------------------------------- evaluation


def rotation_logits(model, norm, images, batch_photos=128, mirror=False):
    """Logits (N, 4, 4) of every photo in every rotation: out[i, k] = model(photo i turned k * 90).

    mirror=True averages each input's logits with those of its mirror image. Mirroring keeps
    "up" up but turns a quarter turn the other way: the mirror of "photo turned k" is "mirrored
    photo turned -k", and its class c is the input's class -c."""
    images = np.asarray(images, dtype=np.float32)
    if isinstance(model, Ensemble):  # each member's fast path; the mean is the ensemble's logits
        return np.mean([rotation_logits(m, norm, images, batch_photos, mirror) for m in model.members], axis=0)
    if mirror:
        neg = -np.arange(4) % 4
        flipped = rotation_logits(model, norm, images[:, :, ::-1], batch_photos)
        return (rotation_logits(model, norm, images, batch_photos) + flipped[:, neg][:, :, neg]) / 2
    was = model.training
    model.eval()
    outs = []
    try:
        with mg.no_grad():
            for i in range(0, len(images), batch_photos):
                x, _ = rotation_batch(images[i:i + batch_photos])
                if getattr(model, "equivariant", False):
                    # S[i, k] = s(photo i turned k); the input "photo turned k" turned back by c is turned k - c
                    S = model.score(mg.tensor(norm(x))).data.reshape(-1, 4)
                    outs.append(S[:, (np.arange(4)[:, None] - np.arange(4)[None, :]) % 4])
                else:
                    outs.append(model(mg.tensor(norm(x))).data.reshape(-1, 4, 4))
    finally:
        model.train(was)
    return np.concatenate(outs) if outs else np.zeros((0, 4, 4), np.float32)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def consistent_predictions(logits):
    """Rotation-consistent test-time decision from the four rotations of the same input (N, 4, 4).

    Given a photo z of unknown orientation, turning it by j more quarter turns must move the
    answer by j, so the score of "z is turned by c" is sum_j log p(rot(z, j))[c + j]. Turning the
    test photo yourself needs no label, so this is a fair test-time procedure; it is reported
    separately from the single-pass accuracy. Returns predictions (N, 4) for z = photo turned k.
    """
    lp = _log_softmax(logits.astype(np.float64))
    n = len(lp)
    pred = np.empty((n, 4), np.int64)
    for k in range(4):
        score = np.zeros((n, 4))
        for c in range(4):
            for j in range(4):
                score[:, c] += lp[:, (k + j) % 4, (c + j) % 4]
        pred[:, k] = score.argmax(axis=1)
    return pred


def evaluate(model, norm, images, sources=None, logits=None, mirror=False):
    """Accuracy over all four rotations of each upright photo, per rotation, per source, confusion."""
    logits = rotation_logits(model, norm, images, mirror=mirror) if logits is None else logits
    pred = logits.argmax(axis=2)                                 # (N, 4)
    truth = np.broadcast_to(np.arange(4), pred.shape)
    ok = pred == truth
    confusion = np.zeros((4, 4), np.int64)
    np.add.at(confusion, (truth.ravel(), pred.ravel()), 1)
    res = {"acc": float(ok.mean()) if ok.size else float("nan"), "n_photos": int(len(pred)),
           "per_rotation": {str(a): float(ok[:, k].mean()) for k, a in enumerate(ANGLES)},
           "confusion": confusion.tolist(),
           "acc_consistent": float((consistent_predictions(logits) == truth).mean()) if ok.size else float("nan")}
    if sources is not None:
        sources = np.asarray(sources)
        res["per_source"] = {s: float(ok[sources == s].mean()) for s in sorted(set(sources.tolist()))}
        res["n_per_source"] = {s: int((sources == s).sum()) for s in sorted(set(sources.tolist()))}
    return res


# --------------------------------------------------------------------------- checkpoints


def save_model(path, model, norm, cfg: Config, extra=None):
    """mg.save the weights with everything needed to rebuild and feed the model."""
    meta = {"config": cfg.to_dict(), "norm_mean": norm.mean.tolist(), "norm_std": norm.std.tolist(),
            "angles": list(ANGLES), "format": "orientation/1"}
    meta.update(extra or {})
    mg.save({"state": model.state_dict(), "meta": meta}, path)


def load_model(path):
    """(model, normalizer, config, meta) from a file written by :func:`save_model`."""
    ck = mg.load(path)
    if not isinstance(ck, dict) or "state" not in ck or "meta" not in ck or "config" not in ck["meta"]:
        raise ValueError(f"{path} is not an orientation checkpoint (expected 'state' and 'meta.config')")
    meta = ck["meta"]
    cfg = Config.from_dict(meta["config"])
    model = Ensemble([OrientationNet(cfg.member(i)) for i in range(cfg.ensemble)]) if cfg.ensemble > 1 \
        else OrientationNet(cfg)
    model.load_state_dict(ck["state"])
    model.eval()
    norm = Normalizer(np.asarray(meta["norm_mean"], np.float32), np.asarray(meta["norm_std"], np.float32))
    return model, norm, cfg, meta


if __name__ == "__main__":
    # the runner imports this module; running this file as __main__ as well would run its body twice
    raise SystemExit("the experiment runner is `python -m models.orientation_experiments key=value ...`")

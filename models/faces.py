"""Face recognition models: 1-nearest-neighbour and the lecture's two networks, in minigrad.

- :class:`NearestNeighbor`: 1-NN with Euclidean or cosine distance, one matrix product per query batch.
- :class:`SoftmaxRegression`: the network with no hidden layer, scores = W x + b. Row k of W is
  one template per person, the same size as an image (``templates()``). ``output="softmax"``
  trains with softmax + cross-entropy; ``output="sigmoid"`` is the lecture's variant with one
  sigmoid per output and squared error against one-hot targets.
- :class:`FaceMLP`: one hidden layer of K units (tanh or relu); row j of the first weight
  matrix is hidden template j, and ``W2[person, j]`` says how much template j votes for a person.

Every network starts with :class:`Normalize` and takes raw images in [0, 1] of shape
(B, H, W[, 3]) or flattened (B, D). Keeping the normalisation inside the model (as buffers)
means a saved model is self-contained and saliency maps are gradients with respect to the
actual pixels. Call ``model.fit_normalization(X_train)`` before training.

Why normalise: (1) subtracting the training mean image removes what every face shares, so a
template shows, with its sign, how a person differs from the average face (which is what the
diverging colour map displays); (2) zero-mean inputs of unit scale keep the initial
pre-activations O(1), tanh units unsaturated, and one learning rate right at 32x32 and 64x64;
(3) with ``per_image=True`` each image is first standardised to zero mean and unit variance,
which removes the brightness and contrast differences between web photos.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

__all__ = ["NearestNeighbor", "Normalize", "SoftmaxRegression", "FaceMLP", "saliency", "accuracy",
           "FaceAugment", "save_model", "load_model"]


def accuracy(pred, labels):
    pred, labels = np.asarray(pred), np.asarray(labels)
    if pred.shape != labels.shape:
        raise ValueError(f"predictions {pred.shape} and labels {labels.shape} differ in shape")
    return float((pred == labels).mean()) if labels.size else float("nan")


def _flat(X, what):
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"{what}: expected a batch of images (N, H, W[, C]) or vectors (N, D), got shape {X.shape}")
    return X.reshape(len(X), -1)


def _float(X):
    """Images as a float array: float32 unless already floating (float64 stays, for gradient checks)."""
    X = np.asarray(X)
    return X if X.dtype.kind == "f" else X.astype(np.float32)


# --------------------------------------------------------------------------- 1-NN


class NearestNeighbor:
    """1-nearest-neighbour classifier on flattened images.

    metric="euclidean": argmin_j |x - t_j|^2 = argmin_j (|t_j|^2 - 2 x.t_j) (|x|^2 is the same for
    every j, so it is dropped); metric="cosine": argmax_j x.t_j / (|x| |t_j|). Either way one
    (queries x training) matrix product per batch of queries, no Python loop over items.
    """

    def __init__(self, metric="euclidean"):
        if metric not in ("euclidean", "cosine"):
            raise ValueError(f'metric must be "euclidean" or "cosine", got {metric!r}')
        self.metric = metric
        self.X = self.y = None

    def _prep(self, X):
        X = _flat(X, "NearestNeighbor").astype(np.float64)
        if self.metric == "cosine":
            norms = np.linalg.norm(X, axis=1, keepdims=True)
            X = X / np.where(norms > 0, norms, 1.0)  # an all-zero vector stays zero (similarity 0)
        return X

    def fit(self, X, y):
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X) or len(y) == 0:
            raise ValueError(f"NearestNeighbor.fit: need N > 0 items and N labels, got X {np.shape(X)}, y {y.shape}")
        self.X, self.y = self._prep(X), y.copy()
        self._sq = (self.X ** 2).sum(axis=1)
        return self

    def nearest(self, X, batch_size=1024):
        """Index into the training set of each query's nearest neighbour (ties: the lowest index)."""
        if self.X is None:
            raise RuntimeError("NearestNeighbor: call fit(X, y) before predict")
        Q = self._prep(X)
        if Q.shape[1] != self.X.shape[1]:
            raise ValueError(f"NearestNeighbor: queries have {Q.shape[1]} features, training data {self.X.shape[1]}")
        out = np.empty(len(Q), dtype=np.int64)
        for i in range(0, len(Q), batch_size):  # batches bound the memory of the distance matrix
            sim = Q[i:i + batch_size] @ self.X.T
            if self.metric == "euclidean":
                out[i:i + batch_size] = np.argmin(self._sq[None, :] - 2.0 * sim, axis=1)
            else:
                out[i:i + batch_size] = np.argmax(sim, axis=1)
        return out

    def predict(self, X):
        return self.y[self.nearest(X)]

    def score(self, X, y):
        return accuracy(self.predict(X), y)


# --------------------------------------------------------------------------- networks


class Normalize(nn.Module):
    """(x [per-image standardised] - training mean image) / training scale, flattened to (B, D)."""

    def __init__(self, n_pixels, per_image=True, eps=1e-5):
        super().__init__()
        self.n_pixels, self.per_image, self.eps = int(n_pixels), bool(per_image), float(eps)
        self.register_buffer("mean", np.zeros(self.n_pixels, dtype=np.float32))
        self.register_buffer("scale", np.ones((), dtype=np.float32))

    def _standardise(self, x):
        m = x.mean(axis=1, keepdims=True)
        c = x - m
        return c / mg.sqrt((c * c).mean(axis=1, keepdims=True) + self.eps)

    def fit(self, X):
        X = _flat(X, "Normalize.fit").astype(np.float32)
        self._check(X.shape)
        with mg.no_grad():
            if self.per_image:
                X = self._standardise(mg.tensor(X)).data
        mean = X.mean(axis=0)
        scale = (X - mean).std()
        self.mean[...] = mean
        self.scale[...] = scale if scale > 0 else 1.0
        return self

    def _check(self, shape):
        if shape[1] != self.n_pixels:
            raise ValueError(f"{type(self).__name__}: expected {self.n_pixels} pixels per image, got input "
                             f"of shape {shape} ({shape[1]} values per item)")

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        self._check(x.shape)
        if self.per_image:
            x = self._standardise(x)
        return (x - self.mean) / self.scale

    def transform(self, X):
        """The normalised features of images X as a numpy array (N, D)."""
        with mg.no_grad():
            return self(mg.tensor(np.asarray(X, dtype=np.float32))).data

    def extra_repr(self):
        return f"n_pixels={self.n_pixels}, per_image={self.per_image}"


class _FaceNet(nn.Module):
    """What both networks share: normalisation, image shape, predictions, the loss."""

    output = "softmax"

    def _setup(self, n_pixels, n_people, image_shape, per_image):
        n_pixels, n_people = int(n_pixels), int(n_people)
        if n_pixels <= 0 or n_people < 2:
            raise ValueError(f"{type(self).__name__}: need n_pixels > 0 and n_people >= 2, "
                             f"got n_pixels={n_pixels}, n_people={n_people}")
        if image_shape is None:
            side = int(round(np.sqrt(n_pixels)))
            image_shape = (side, side) if side * side == n_pixels else (n_pixels,)
        image_shape = tuple(int(s) for s in image_shape)
        if int(np.prod(image_shape)) != n_pixels:
            raise ValueError(f"image_shape {image_shape} has {int(np.prod(image_shape))} pixels, not {n_pixels}")
        self.n_pixels, self.n_people, self.image_shape = n_pixels, n_people, image_shape
        self.norm = Normalize(n_pixels, per_image=per_image)

    def fit_normalization(self, X):
        self.norm.fit(X)
        return self

    def loss(self, scores, labels):
        """Softmax cross-entropy, or (output="sigmoid") squared error of sigmoid(scores) vs one-hot."""
        if self.output == "softmax":
            return F.cross_entropy(scores, labels)
        lab = labels.data if isinstance(labels, mg.Tensor) else np.asarray(labels)
        onehot = np.zeros(scores.shape, dtype=scores.dtype)
        onehot[np.arange(len(lab)), lab] = 1
        diff = mg.sigmoid(scores) - onehot
        return (diff * diff).sum(axis=1).mean()

    def scores(self, X, batch_size=512):
        """Raw output scores (N, n_people) as numpy, in eval mode, without a tape."""
        self.eval()
        X = _float(X)
        with mg.no_grad():
            return np.concatenate([self(mg.tensor(X[i:i + batch_size])).data for i in range(0, len(X), batch_size)])

    def predict_proba(self, X):
        """Softmax probabilities, or (output="sigmoid") the independent sigmoid outputs."""
        s = self.scores(X)
        with mg.no_grad():
            return (mg.softmax(mg.tensor(s), axis=1) if self.output == "softmax" else mg.sigmoid(mg.tensor(s))).data

    def predict(self, X):
        return np.argmax(self.scores(X), axis=1)

    def score(self, X, y):
        return accuracy(self.predict(X), y)

    def _as_images(self, W):
        return np.asarray(W).reshape((len(W),) + self.image_shape)


class SoftmaxRegression(_FaceNet):
    """The network with no hidden layer: scores_k = W(1,*,k) . x + b_k, one template per person."""

    def __init__(self, n_pixels, n_people, output="softmax", image_shape=None, per_image=True):
        super().__init__()
        if output not in ("softmax", "sigmoid"):
            raise ValueError(f'output must be "softmax" or "sigmoid", got {output!r}')
        self.output = output
        self._setup(n_pixels, n_people, image_shape, per_image)
        self.fc = nn.Linear(self.n_pixels, self.n_people)

    def forward(self, x):
        return self.fc(self.norm(x))

    def templates(self):
        """W reshaped to (n_people, *image_shape): template k is what output k matches."""
        return self._as_images(self.fc.weight.data)

    def extra_repr(self):
        return f"output={self.output!r}"


class FaceMLP(_FaceNet):
    """One hidden layer: scores = W2 act(W1 x + b1) + b2, with K hidden templates (rows of W1)."""

    def __init__(self, n_pixels, n_people, hidden=30, activation="tanh", image_shape=None, per_image=True):
        super().__init__()
        if activation not in ("tanh", "relu"):
            raise ValueError(f'activation must be "tanh" or "relu", got {activation!r}')
        if int(hidden) < 1:
            raise ValueError(f"hidden must be >= 1, got {hidden}")
        self.activation, self.hidden_size = activation, int(hidden)
        self._setup(n_pixels, n_people, image_shape, per_image)
        self.fc1 = nn.Linear(self.n_pixels, self.hidden_size)
        self.act = nn.Tanh() if activation == "tanh" else nn.ReLU()
        self.fc2 = nn.Linear(self.hidden_size, self.n_people)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.norm(x))))

    def hidden(self, X, pre_activation=False, batch_size=512):
        """Hidden-unit activations act(W1 x + b1), or with pre_activation=True W1 x + b1, as (N, K).

        Trained tanh units are often saturated at +-1, so ranking faces by how strongly they drive a
        unit needs the pre-activation.
        """
        self.eval()
        X, outs = _float(X), []
        with mg.no_grad():
            for i in range(0, len(X), batch_size):
                z = self.fc1(self.norm(mg.tensor(_float(X[i:i + batch_size]))))
                outs.append((z if pre_activation else self.act(z)).data)
        return np.concatenate(outs)

    def templates(self):
        """W1 reshaped to (K, *image_shape): the hidden units' templates."""
        return self._as_images(self.fc1.weight.data)

    def output_weights(self):
        """W2 as (n_people, K): W2[person, j] = how much hidden unit j votes for that person."""
        return np.array(self.fc2.weight.data)

    def extra_repr(self):
        return f"hidden={self.hidden_size}, activation={self.activation!r}"


def saliency(model, images, classes, method="plain"):
    """d score_{classes[i]} / d image_i for each image, by minigrad's backward (model in eval mode).

    images: (N, H, W[, C]) in the model's input layout (float64 stays float64); classes: int (N,)
    or one int for all. method: "plain" (the true gradient) or another of mg.nn.explain.METHODS.
    Returns a float array of the images' shape. A thin wrapper of mg.nn.explain.saliency.
    """
    from minigrad.nn import explain

    model.eval()
    return np.array(explain.saliency(model, images, classes, method=method))


# --------------------------------------------------------------------------- augmentation, files


class FaceAugment:
    """Random mirror images and small shifts of a training batch: ``augment(X, rng) -> X``.

    A face mirrored left-right is still the same person, and the FaceScrub crops are detector
    boxes, not landmark-aligned, so a face a pixel or two off is just as plausible. Shifted-in
    borders repeat the edge pixels. Images are (B, H, W[, C]); flattened batches are refused.
    """

    def __init__(self, flip=True, shift=0):
        if int(shift) < 0:
            raise ValueError(f"shift must be >= 0, got {shift}")
        self.flip, self.shift = bool(flip), int(shift)

    def __call__(self, X, rng):
        X = np.asarray(X)
        if X.ndim not in (3, 4):
            raise ValueError(f"FaceAugment needs images (B, H, W[, C]), got shape {X.shape}")
        if self.flip:
            mirror = rng.random(len(X)) < 0.5
            X = np.where(mirror.reshape((-1,) + (1,) * (X.ndim - 1)), X[:, :, ::-1], X)
        s = self.shift
        if s:
            B, H, W = X.shape[:3]
            pad = ((0, 0), (s, s), (s, s)) + ((0, 0),) * (X.ndim - 3)
            P = np.pad(X, pad, mode="edge")
            dy, dx = rng.integers(0, 2 * s + 1, size=(2, B))
            rows = (dy[:, None] + np.arange(H)[None, :])[:, :, None]  # (B, H, 1)
            cols = (dx[:, None] + np.arange(W)[None, :])[:, None, :]  # (B, 1, W)
            X = P[np.arange(B)[:, None, None], rows, cols]
        return np.ascontiguousarray(X, dtype=np.float32)

    def __repr__(self):
        return f"FaceAugment(flip={self.flip}, shift={self.shift})"


def _config(model):
    cfg = {"n_pixels": model.n_pixels, "n_people": model.n_people, "image_shape": list(model.image_shape),
           "per_image": model.norm.per_image}
    if isinstance(model, FaceMLP):
        cfg.update(kind="FaceMLP", hidden=model.hidden_size, activation=model.activation)
    else:
        cfg.update(kind="SoftmaxRegression", output=model.output)
    return cfg


def save_model(model, path, names=None, **meta):
    """Write a face network (architecture, normalisation, weights, person names) with mg.save."""
    mg.save({"config": _config(model), "names": list(names or []), "meta": meta, "state": model.state_dict()}, path)
    return path


def load_model(path):
    """Rebuild a network written by :func:`save_model`; returns (model, names)."""
    saved = mg.load(path)
    cfg = dict(saved["config"])
    kind = cfg.pop("kind")
    common = dict(n_pixels=cfg["n_pixels"], n_people=cfg["n_people"], image_shape=tuple(cfg["image_shape"]),
                  per_image=cfg["per_image"])
    if kind == "FaceMLP":
        model = FaceMLP(hidden=cfg["hidden"], activation=cfg["activation"], **common)
    elif kind == "SoftmaxRegression":
        model = SoftmaxRegression(output=cfg["output"], **common)
    else:
        raise ValueError(f"load_model: {path}: unknown model kind {kind!r}")
    model.load_state_dict(saved["state"])
    model.eval()
    return model, list(saved.get("names", []))

"""A convolutional autoencoder for the bundled faces, built only from the conv / transposed-conv layers.

    32x32x1 --Conv2d s2--> 16x16x16 --Conv2d s2--> 8x8x32 --Conv2d s2--> 4x4xC   (the code)
            --ConvTranspose2d s2--> 8x8x32 --ConvTranspose2d s2--> 16x16x16 --ConvTranspose2d s2--> 32x32x1

Each stride-2 3x3 convolution halves the side (padding 1); each stride-2 3x3 transposed convolution
(padding 1, output_padding 1) doubles it back: the decoder's layers are the adjoints of the encoder's
shapes. ReLU between layers, a sigmoid at the end (pixels in [0, 1]), trained on the squared error.

    model = ConvAutoencoder(code_channels=8)
    history = train(model, X_train, X_val, epochs=25)      # X: (N, H, W) float32 in [0, 1]
    reconstructions = reconstruct(model, X_test)
"""
from __future__ import annotations

import time

import numpy as np

import minigrad as mg
from minigrad import nn

__all__ = ["ConvAutoencoder", "train", "reconstruct", "pca_reconstruct"]


class ConvAutoencoder(nn.Module):
    """Three stride-2 Conv2d layers down to a (code_channels, H/8, W/8) code, three ConvTranspose2d up.

    >>> import minigrad as mg
    >>> ConvAutoencoder(code_channels=4)(mg.tensor(np.zeros((2, 1, 32, 32), np.float32))).shape
    (2, 1, 32, 32)
    """

    def __init__(self, code_channels=8, widths=(16, 32), in_channels=1):
        super().__init__()
        a, b = widths
        down = dict(kernel_size=3, stride=2, padding=1)
        up = dict(kernel_size=3, stride=2, padding=1, output_padding=1)
        self.encoder = nn.Sequential(nn.Conv2d(in_channels, a, **down), nn.ReLU(), nn.Conv2d(a, b, **down), nn.ReLU(),
                                     nn.Conv2d(b, code_channels, **down))
        self.decoder = nn.Sequential(nn.ConvTranspose2d(code_channels, b, **up), nn.ReLU(),
                                     nn.ConvTranspose2d(b, a, **up), nn.ReLU(),
                                     nn.ConvTranspose2d(a, in_channels, **up), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def _batch(X):
    return mg.tensor(np.asarray(X, dtype=np.float32)[:, None])


def reconstruct(model, X, batch_size=256):
    """The model's reconstructions of the (N, H, W) images X, as an (N, H, W) array."""
    model.eval()
    with mg.no_grad():
        return np.concatenate([model(_batch(X[i:i + batch_size])).data[:, 0] for i in range(0, len(X), batch_size)])


def _mse(model, X):
    return float(np.mean((reconstruct(model, X) - X) ** 2))


def train(model, X_train, X_val, epochs=25, batch_size=32, lr=5e-3, seed=0, flip=True, on_epoch=None):
    """Adam on the mean squared error, mini-batches in a seeded random order, random mirror images.

    Returns {"train_loss": [...], "val_loss": [...], "seconds": ...}: mean squared error per pixel
    after each epoch, over the whole training set (unflipped) and the validation set.
    """
    rng = np.random.default_rng(seed)
    opt = mg.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": [], "val_loss": []}
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(X_train))
        for i in range(0, len(order), batch_size):
            xb = X_train[order[i:i + batch_size]]
            if flip:
                mirror = rng.random(len(xb)) < 0.5
                xb = np.where(mirror[:, None, None], xb[:, :, ::-1], xb)
            x = _batch(xb)
            loss = nn.functional.mse_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        history["train_loss"].append(_mse(model, X_train))
        history["val_loss"].append(_mse(model, X_val))
        if on_epoch is not None:
            on_epoch(epoch, history)
    history["seconds"] = time.perf_counter() - t0
    return history


def pca_reconstruct(X_train, X, k):
    """The best rank-k linear reconstructions of the images X with a basis fitted on X_train (PCA):
    what a linear autoencoder with a k-number code reaches at best.

    >>> X = np.random.default_rng(0).random((20, 4, 4))
    >>> float(np.abs(pca_reconstruct(X, X, 16) - X).max()) < 1e-12
    True
    """
    A = X_train.reshape(len(X_train), -1).astype(np.float64)
    mean = A.mean(axis=0)
    basis = np.linalg.svd(A - mean, full_matrices=False)[2][:k]
    B = X.reshape(len(X), -1) - mean
    return (B @ basis.T @ basis + mean).reshape(X.shape)

"""A generic mini-batch trainer for classifiers built with minigrad.nn, with early stopping.

    history = fit(model, loss_fn, X, y, X_val, y_val, epochs=100, batch_size=32,
                  optimizer=mg.optim.Adam(model.parameters(), lr=1e-3), patience=15, seed=0)

`model(x)` maps a float batch (a Tensor built from `X[idx]`) to scores of shape (B, n_classes);
`loss_fn(scores, labels)` gets those scores and the int64 labels (a Tensor) and returns a scalar.
Accuracy is argmax of the scores. Early stopping watches validation accuracy (ties broken by the
lower validation loss, since a small validation set ties often) and restores the best weights.
"""
from __future__ import annotations

import time

import numpy as np

import minigrad as mg

__all__ = ["fit", "predict_scores", "evaluate"]


def _check_xy(X, y, what):
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"{what}: need X with one row per label and 1-D y, got X {X.shape} and y {y.shape}")
    if len(y) == 0:
        raise ValueError(f"{what}: empty (X has shape {X.shape})")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what}: labels must be integers, got dtype {y.dtype}")
    return X, y.astype(np.int64, copy=False)


def predict_scores(model, X, batch_size=512):
    """The model's scores for every row of X as a numpy array, in eval mode and without a tape."""
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with mg.no_grad():
            outs = [np.asarray(model(mg.tensor(X[i:i + batch_size])).data)
                    for i in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outs, axis=0)


def evaluate(model, loss_fn, X, y, batch_size=512):
    """(mean loss, accuracy) of the model on (X, y); the loss is averaged per example."""
    was_training = getattr(model, "training", False)
    model.eval()
    total, correct = 0.0, 0
    try:
        with mg.no_grad():
            for i in range(0, len(X), batch_size):
                out = model(mg.tensor(X[i:i + batch_size]))
                yb = y[i:i + batch_size]
                total += float(loss_fn(out, mg.tensor(yb)).item()) * len(yb)
                correct += int((np.argmax(out.data, axis=1) == yb).sum())
    finally:
        model.train(was_training)
    return total / len(y), correct / len(y)


def fit(model, loss_fn, X, y, X_val=None, y_val=None, epochs=100, batch_size=32, optimizer=None,
        patience=None, seed=0, progress=True, augment=None, eval_train=True, restore_best=True,
        eval_batch_size=512, desc="train"):
    """Train `model` with mini-batches; return the history dict.

    optimizer: an object with zero_grad() and step() over the model's parameters (required).
    patience: stop after this many epochs without a better validation score (None: run all epochs).
    seed: seeds the batch order (and `augment`'s generator): same seed, same run.
    augment: optional `augment(X_batch, rng) -> X_batch` applied to training batches only.
    eval_train: True re-evaluates the whole training set after each epoch (clean numbers, no
        dropout, one extra forward pass); False reports the running average over the epoch's batches.
    progress: tqdm bar over epochs (tqdm hides itself when stderr is not a terminal).

    History: train_loss, train_acc, val_loss, val_acc (one entry per epoch run; val_* are nan
    without validation data), best_epoch (1-based; 0 if no validation), best_val_acc,
    epochs_run, stopped_early, seconds.
    """
    if optimizer is None:
        raise ValueError("fit needs an optimizer, e.g. mg.optim.Adam(model.parameters(), lr=1e-3)")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got epochs={epochs}, batch_size={batch_size}")
    X, y = _check_xy(X, y, "training data")
    has_val = X_val is not None and y_val is not None
    if has_val:
        X_val, y_val = _check_xy(X_val, y_val, "validation data")
    rng = np.random.default_rng(seed)
    hist = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "best_epoch": 0,
            "best_val_acc": float("nan"), "epochs_run": 0, "stopped_early": False}
    best_key, best_state, since_best = None, None, 0
    start = time.perf_counter()
    bar = _bar(range(epochs), progress, desc)
    for epoch in bar:
        model.train()
        order = rng.permutation(len(y))
        run_loss, run_correct = 0.0, 0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            xb = X[idx] if augment is None else augment(X[idx], rng)
            out = model(mg.tensor(xb))
            loss = loss_fn(out, mg.tensor(y[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run_loss += float(loss.item()) * len(idx)
            run_correct += int((np.argmax(out.data, axis=1) == y[idx]).sum())
        if eval_train:
            tr_loss, tr_acc = evaluate(model, loss_fn, X, y, eval_batch_size)
        else:
            tr_loss, tr_acc = run_loss / len(y), run_correct / len(y)
        hist["train_loss"].append(tr_loss)
        hist["train_acc"].append(tr_acc)
        hist["epochs_run"] = epoch + 1
        if not has_val:
            hist["val_loss"].append(float("nan"))
            hist["val_acc"].append(float("nan"))
            bar.set_postfix(loss=f"{tr_loss:.3f}", acc=f"{tr_acc:.3f}")
            continue
        va_loss, va_acc = evaluate(model, loss_fn, X_val, y_val, eval_batch_size)
        hist["val_loss"].append(va_loss)
        hist["val_acc"].append(va_acc)
        key = (va_acc, -va_loss)
        if best_key is None or key > best_key:
            best_key, since_best = key, 0
            hist["best_epoch"], hist["best_val_acc"] = epoch + 1, va_acc
            if restore_best:
                best_state = model.state_dict()
        else:
            since_best += 1
        bar.set_postfix(loss=f"{tr_loss:.3f}", val_acc=f"{va_acc:.3f}", best=f"{best_key[0]:.3f}")
        if patience is not None and since_best >= patience:
            hist["stopped_early"] = True
            break
    if hasattr(bar, "close"):
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    hist["seconds"] = round(time.perf_counter() - start, 3)
    return hist


class _Quiet:
    def __init__(self, it):
        self.it = it

    def __iter__(self):
        return iter(self.it)

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def _bar(it, enabled, desc):
    if not enabled:
        return _Quiet(it)
    from tqdm.auto import tqdm
    return tqdm(it, desc=desc, unit="epoch", leave=False, disable=None, dynamic_ncols=True)

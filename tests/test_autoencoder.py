"""The convolutional autoencoder (models/autoencoder.py) and its demo (demos/autoencoder.py)."""
import json

import numpy as np

import minigrad as mg
from models.autoencoder import ConvAutoencoder, pca_reconstruct, reconstruct, train


def test_shapes_and_layers_halve_then_double():
    model = ConvAutoencoder(code_channels=3)
    x = mg.tensor(np.zeros((2, 1, 32, 32), np.float32))
    code = model.encoder(x)
    assert code.shape == (2, 3, 4, 4)
    assert model.decoder(code).shape == (2, 1, 32, 32)
    kinds = [type(m).__name__ for m in model.modules()]
    assert kinds.count("Conv2d") == 3 and kinds.count("ConvTranspose2d") == 3


def test_training_lowers_the_error_and_is_deterministic():
    rng = np.random.default_rng(0)
    X = (rng.random((24, 16, 16)) * 0.2 + np.linspace(0, 0.8, 16)[None, None, :]).astype(np.float32)
    runs = []
    for _ in range(2):
        mg.nn.manual_seed(0)
        model = ConvAutoencoder(code_channels=2, widths=(4, 8))
        h = train(model, X[:16], X[16:], epochs=20, batch_size=4, seed=0)
        runs.append(h)
        assert h["train_loss"][-1] < 0.3 * h["train_loss"][0] and h["val_loss"][-1] < 0.3 * h["val_loss"][0]
        assert reconstruct(model, X).shape == X.shape
    assert runs[0]["train_loss"] == runs[1]["train_loss"]


def test_pca_reference_is_exact_with_every_component_and_improves_with_more():
    X = np.random.default_rng(1).random((30, 5, 5))
    errors = [np.mean((pca_reconstruct(X[:20], X[20:], k) - X[20:]) ** 2) for k in (1, 5, 19)]
    assert errors[0] > errors[1] > errors[2]
    np.testing.assert_allclose(pca_reconstruct(X, X, 25), X, atol=1e-12)


def test_demo_quick_trains_and_draws_the_figure(tmp_path):
    from demos import autoencoder
    m = autoencoder.run(["--quick", "--no-progress", "--out", str(tmp_path)])
    h = m["history"]
    assert len(h["train_loss"]) == autoencoder.QUICK["epochs"]
    assert h["train_loss"][-1] < 0.6 * h["train_loss"][0] and h["val_loss"][-1] < 0.6 * h["val_loss"][0]
    assert 0 < m["test_mse"] < m["first_train_mse"] and 0 < m["pca_test_mse"]
    fig = tmp_path / "autoencoder" / "reconstructions.png"
    assert fig.stat().st_size > 20_000 and fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [f["file"] for f in m["figures"]] == ["reconstructions.png"]
    assert json.loads((tmp_path / "autoencoder" / "metrics.json").read_text())["test_mse"] == m["test_mse"]

"""The shape, indexing and joining ops against PyTorch: values and gradients (an independent
implementation of the same ops; numpy gives the forward only)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigrad as mg  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))
IDX = np.array([[[0, 3, 3, 1]]]).repeat(3, 0).repeat(4, 1)  # repeated indices along the last axis
PW = ((0, 0), (1, 2), (3, 1))                                 # numpy pad widths of X

CASES = {  # name: (minigrad, torch), each a function of one tensor
    "flip": (lambda t: mg.flip(t, (0, -1)), lambda t: torch.flip(t, (0, -1))),
    "roll": (lambda t: mg.roll(t, (2, -1), (1, 2)), lambda t: torch.roll(t, (2, -1), (1, 2))),
    "rot90": (lambda t: mg.rot90(t, 3, (1, 2)), lambda t: torch.rot90(t, 3, (1, 2))),
    "tile": (lambda t: mg.tile(t, (2, 1, 1, 3)), lambda t: torch.tile(t, (2, 1, 1, 3))),
    "repeat": (lambda t: mg.repeat(t, 2, axis=1), lambda t: torch.repeat_interleave(t, 2, dim=1)),
    "moveaxis": (lambda t: mg.moveaxis(t, 0, -1), lambda t: torch.moveaxis(t, 0, -1)),
    "diagonal": (lambda t: mg.diagonal(t, 1, 1, 2), lambda t: torch.diagonal(t, 1, 1, 2)),
    "tril": (lambda t: mg.tril(t, -1), lambda t: torch.tril(t, -1)),
    "triu": (lambda t: mg.triu(t, 1), lambda t: torch.triu(t, 1)),
    "take_along_axis": (lambda t: mg.take_along_axis(t, IDX, -1), lambda t: torch.take_along_dim(t, torch.tensor(IDX), -1)),
    "sort": (lambda t: mg.sort(t, axis=1), lambda t: torch.sort(t, dim=1).values),
    "diff": (lambda t: mg.diff(t, 2, axis=1), lambda t: torch.diff(torch.diff(t, dim=1), dim=1)),
    "gradient": (lambda t: mg.gradient(t, 0.5, axis=2, edge_order=2),
                 lambda t: torch.gradient(t, spacing=0.5, dim=2, edge_order=2)[0]),
    "pad_reflect": (lambda t: mg.pad(t, PW, mode="reflect"), lambda t: torch.nn.functional.pad(t, (3, 1, 1, 2), "reflect")),
    "pad_replicate": (lambda t: mg.pad(t, PW, mode="replicate"),
                      lambda t: torch.nn.functional.pad(t[None], (3, 1, 1, 2), "replicate")[0]),
    "pad_circular": (lambda t: mg.pad(t, PW, mode="circular"),
                     lambda t: torch.nn.functional.pad(t[None], (3, 1, 1, 2), "circular")[0]),
    "vstack": (lambda t: mg.vstack([t[0], t[1] * 2]), lambda t: torch.vstack([t[0], t[1] * 2])),
    "split": (lambda t: mg.array_split(t, 3, axis=2)[1], lambda t: torch.tensor_split(t, 3, dim=2)[1]),
    "trace": (lambda t: mg.trace(t[0]), lambda t: torch.trace(t[0])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    ours, theirs = CASES[name]
    x = mg.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    u = RNG.standard_normal(y.shape)
    (y * u).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-12)

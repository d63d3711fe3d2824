"""BatchNorm1d/2d: gradients through the batch statistics, running statistics, eval mode, errors."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

F = nn.functional


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 2, 4, 5)])
def test_training_mode_gradients_match_finite_differences(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, shape)
    w, b = rng.normal(size=shape[1]), rng.normal(size=shape[1])
    probe = rng.normal(size=shape)  # a loss that is not invariant to the normalisation
    f = lambda x, w, b: (F.batch_norm(x, weight=w, bias=b, training=True) * probe).sum()  # noqa: E731
    assert mg.gradcheck(f, x, w, b)


def test_second_order_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    x, probe = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))
    assert mg.gradgradcheck(lambda x: (F.batch_norm(x, training=True) * probe).sum(), x)


def test_running_statistics_use_momentum_and_the_unbiased_variance():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(3, momentum=0.2)
    xs = [rng.normal(1.0, 2.0, (4, 3, 5, 5)).astype(np.float32) for _ in range(3)]
    mean, var = np.zeros(3), np.ones(3)
    for x in xs:
        bn(mg.tensor(x))
        mean = 0.8 * mean + 0.2 * x.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-5)
    assert int(bn.num_batches_tracked) == 3


def test_eval_mode_uses_the_running_statistics_and_leaves_them_alone():
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(4)
    bn.running_mean[:] = rng.normal(size=4)
    bn.running_var[:] = rng.uniform(0.5, 2.0, 4)
    bn.weight.data[:] = rng.normal(size=4)
    bn.bias.data[:] = rng.normal(size=4)
    before = bn.state_dict()
    x = rng.normal(size=(2, 4)).astype(np.float32)
    y = bn.eval()(mg.tensor(x)).data
    want = (x - bn.running_mean) / np.sqrt(bn.running_var + bn.eps) * bn.weight.data + bn.bias.data
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    for k, v in bn.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_training_output_is_normalised_per_channel_and_float32_stays_float32():
    x = mg.tensor(np.random.default_rng(4).normal(5.0, 3.0, (8, 3, 4, 4)).astype(np.float32))
    y = nn.BatchNorm2d(3)(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.data.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_state_dict_has_pytorch_keys():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                      "1.running_var", "1.num_batches_tracked"]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_misuse_names_the_shape():
    with pytest.raises(ValueError, match=r"expected \(N, C, H, W\) with C=3, got \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(mg.tensor(np.zeros((2, 4, 5, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected \(N, C\) or \(N, C, L\) with C=3, got \(3,\)"):
        nn.BatchNorm1d(3)(mg.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(mg.tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match="num_features must be a positive integer"):
        nn.BatchNorm2d(0)
    x = mg.tensor(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"running_mean has shape \(4,\), expected \(3,\) .* input \(2, 3, 4, 4\)"):
        F.batch_norm(x, np.zeros(4), np.ones(4))  # numpy would broadcast or fail deep inside a reshape
    with pytest.raises(ValueError, match=r"weight has shape \(1,\), expected \(3,\)"):
        F.batch_norm(x, weight=mg.tensor(np.ones(1)), training=True)


def test_matches_pytorch_in_training_and_eval():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.normal(1.0, 2.0, (6, 3, 4, 4)).astype(np.float32)
    g = rng.normal(size=x.shape).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    theirs.weight.data.uniform_(0.5, 1.5)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(g))
    xm = mg.tensor(x, requires_grad=True)
    ym = ours(xm)
    ym.backward(g)
    np.testing.assert_allclose(ym.data, yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-3, atol=1e-4)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.eval()(mg.tensor(x)).data, theirs.eval()(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)

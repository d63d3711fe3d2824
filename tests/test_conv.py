"""conv2d and pooling: forward against naive loops, gradients by finite differences (first and second
order, random shapes, strides and padding), errors, layers, and a small CNN that learns."""
import math
import time

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn.conv import conv2d_input_grad, conv2d_weight_grad


def naive_conv(x, w, b, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((n, o, ho, wo))
    for b_ in range(n):
        for c in range(o):
            for i in range(ho):
                for j in range(wo):
                    patch = xp[b_, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[b_, c, i, j] = (patch * w[c]).sum() + (0 if b is None else b[c])
    return y


def naive_pool(x, kernel, stride, padding, reduce, pad_value):
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    ho, wo = (x.shape[2] + 2 * ph - kh) // sh + 1, (x.shape[3] + 2 * pw - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            y[:, :, i, j] = reduce(xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return y


def random_geometry(rng, pool=False):
    kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
    stride = tuple(int(s) for s in rng.integers(1, 4, 2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    hw = tuple(int(k + rng.integers(0, 5)) for k in kernel)
    if pool and rng.integers(0, 3) == 0:
        stride, padding = kernel, (0, 0)
        hw = (kernel[0] * int(rng.integers(1, 4)), kernel[1] * int(rng.integers(1, 4)))
    return kernel, stride, padding, hw


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_forward_matches_naive_loops(seed):
    rng = np.random.default_rng(seed)
    kernel, stride, padding, hw = random_geometry(rng)
    n, c, o = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    x, w, b = rng.standard_normal((n, c) + hw), rng.standard_normal((o, c) + kernel), rng.standard_normal(o)
    y = F.conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), stride, padding)
    np.testing.assert_allclose(y.data, naive_conv(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)
    y = F.conv2d(mg.tensor(x), mg.tensor(w), None, stride, padding)
    np.testing.assert_allclose(y.data, naive_conv(x, w, None, stride, padding), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_pools_forward_match_naive_loops(seed):
    rng = np.random.default_rng(100 + seed)
    kernel, stride, padding, hw = random_geometry(rng, pool=True)
    x = rng.standard_normal((2, 3) + hw)
    got = F.max_pool2d(mg.tensor(x), kernel, stride, padding).data
    np.testing.assert_array_equal(got, naive_pool(x, kernel, stride, padding, np.max, -np.inf))
    got = F.avg_pool2d(mg.tensor(x), kernel, stride, padding).data
    np.testing.assert_allclose(got, naive_pool(x, kernel, stride, padding, np.mean, 0.0), rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_conv2d_family_gradients_first_and_second_order(seed):
    rng = np.random.default_rng(200 + seed)
    kernel, stride, padding, hw = random_geometry(rng)
    n, c, o = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    x, w, b = rng.standard_normal((n, c) + hw), rng.standard_normal((o, c) + kernel), rng.standard_normal(o)

    def f(x, w, b):
        return F.conv2d(x, w, b, stride, padding)

    assert mg.gradcheck(f, x, w, b) and mg.gradgradcheck(f, x, w, b)
    g = rng.standard_normal(f(mg.tensor(x), mg.tensor(w), mg.tensor(b)).shape)
    fi = lambda g, w: conv2d_input_grad(g, w, hw, stride, padding)  # noqa: E731
    fw = lambda x, g: conv2d_weight_grad(x, g, kernel, stride, padding)  # noqa: E731
    assert mg.gradcheck(fi, g, w) and mg.gradgradcheck(fi, g, w)
    assert mg.gradcheck(fw, x, g) and mg.gradgradcheck(fw, x, g)


@pytest.mark.parametrize("seed", range(6))
def test_pool_gradients_first_and_second_order(seed):
    rng = np.random.default_rng(300 + seed)
    kernel, stride, padding, hw = random_geometry(rng, pool=True)
    x = rng.permutation(2 * 2 * hw[0] * hw[1]).reshape((2, 2) + hw) * 0.1  # distinct: no ties
    for pool in (F.max_pool2d, F.avg_pool2d):
        def f(t):
            return pool(t, kernel, stride, padding)
        assert mg.gradcheck(f, x) and mg.gradgradcheck(f, x)
    # a second derivative that is not identically zero: through a nonlinearity after the pool
    assert mg.gradgradcheck(lambda t: F.max_pool2d(t * t, kernel, stride, padding).sin(), x)
    assert mg.gradgradcheck(lambda t: F.avg_pool2d(t * t, kernel, stride, padding).sin(), x)


def test_cnn_composition_second_order():
    rng = np.random.default_rng(7)
    x, w1, w2 = rng.standard_normal((2, 1, 7, 7)), rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((3, 2, 2, 2))

    def f(x, w1, w2):
        h = F.max_pool2d(F.conv2d(x, w1, padding=1).tanh(), 2)
        return F.avg_pool2d(F.conv2d(h, w2, stride=1), 2).tanh()

    assert mg.gradcheck(f, x, w1, w2)
    assert mg.gradgradcheck(f, x, w1, w2)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1, 0], [0, 0]])


def test_overlapping_max_pool_accumulates_gradient():
    x = np.array([[[[0, 1, 0], [0, 9, 0], [0, 0, 0]]]], dtype=np.float64)
    t = mg.tensor(x, requires_grad=True)
    F.max_pool2d(t, 2, stride=1).sum().backward()  # the 9 wins all four windows
    assert t.grad.data[0, 0, 1, 1] == 4 and t.grad.data.sum() == 4


def test_bad_inputs_name_the_expected_and_actual_shapes():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"expected \(N, C, H, W\) with C=3, got \(2, 1, 8, 8\)"):
        conv(mg.tensor(np.zeros((2, 1, 8, 8), np.float32)))
    with pytest.raises(ValueError, match=r"expected \(N, C, H, W\) with C=3, got \(3, 8, 8\)"):
        conv(mg.tensor(np.zeros((3, 8, 8), np.float32)))
    with pytest.raises(ValueError, match=r"kernel \(3, 3\) is larger than the input \(2, 2\)"):
        conv(mg.tensor(np.zeros((1, 3, 2, 2), np.float32)))
    with pytest.raises(ValueError, match=r"max_pool2d: expected \(N, C, H, W\), got \(4, 4\)"):
        F.max_pool2d(mg.tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match="padding .* at most half"):
        F.avg_pool2d(mg.tensor(np.zeros((1, 1, 4, 4))), 2, padding=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.conv2d(mg.tensor(np.zeros((1, 1, 4, 4))), mg.tensor(np.zeros((1, 1, 2, 2))), stride=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(1,\)"):
        F.conv2d(mg.tensor(np.zeros((1, 1, 4, 4))), mg.tensor(np.zeros((1, 1, 2, 2))), mg.tensor(np.zeros(2)))


def test_conv2d_layer_layout_init_and_dtype():
    mg.manual_seed(0)
    conv = nn.Conv2d(3, 8, (3, 5), stride=2, padding=1)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    bound = 1 / math.sqrt(3 * 3 * 5)  # kaiming-uniform(a=sqrt(5)) reduces to 1/sqrt(fan_in)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > 0.9 * bound
    assert np.abs(conv.bias.data).max() <= bound
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 9, 11)).astype(np.float32), requires_grad=True)
    y = conv(x)
    assert y.shape == (2, 8, 5, 5) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32
    assert nn.Conv2d(1, 1, 3, bias=False).bias is None
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1))"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"


def test_results_are_right_whatever_the_memory_layout_of_inputs():
    # ops hand out NCHW views of channel-first memory; feed them, C-order and F-order arrays alike
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    ref = naive_conv(x, w, None, (1, 1), (0, 0))
    for arr in (x, np.asfortranarray(x), x.transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)):
        np.testing.assert_allclose(F.conv2d(mg.tensor(arr), mg.tensor(w)).data, ref, rtol=1e-12)
    h = F.conv2d(mg.tensor(x), mg.tensor(w))
    w2 = rng.standard_normal((1, 3, 2, 2))
    np.testing.assert_allclose(F.conv2d(h.relu(), mg.tensor(w2)).data,
                               naive_conv(np.maximum(ref, 0), w2, None, (1, 1), (0, 0)), rtol=1e-12)
    np.testing.assert_array_equal(nn.Flatten()(h).data, np.array(h.data).reshape(2, -1))


def test_input_gradient_with_frozen_weights():
    # saliency maps differentiate the input of a trained, frozen network
    conv = nn.Conv2d(1, 2, 3).requires_grad_(False)
    x = mg.tensor(np.random.default_rng(0).standard_normal((1, 1, 5, 5)).astype(np.float32), requires_grad=True)
    conv(x).sum().backward()
    assert x.grad.shape == (1, 1, 5, 5) and conv.weight.grad is None
    expected = np.zeros((5, 5), np.float32)
    for i in range(3):
        for j in range(3):
            expected[i:i + 3, j:j + 3] += conv.weight.data[:, 0].sum(0)
    np.testing.assert_allclose(x.grad.data[0, 0], expected, rtol=1e-5)


def bars(n, rng, size=12):
    """Images with one vertical (label 0) or horizontal (label 1) bar, plus noise."""
    x = rng.normal(0, 0.3, (n, 1, size, size)).astype(np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(1, size - 1, n)
    start = rng.integers(0, size // 2, n)
    for k in range(n):
        sl = slice(start[k], start[k] + size // 2)
        if y[k] == 0:
            x[k, 0, sl, pos[k]] += 1.5
        else:
            x[k, 0, pos[k], sl] += 1.5
    return x, y


def test_small_cnn_learns_bar_orientation():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x, y = bars(256, rng)
    xt, yt = bars(200, rng)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 3 * 3, 2))
    opt = mg.optim.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for epoch in range(8):
        for i in range(0, 256, 32):
            opt.zero_grad()
            loss = F.cross_entropy(model(mg.tensor(x[i:i + 32])), y[i:i + 32])
            loss.backward()
            opt.step()
    model.eval()
    with mg.no_grad():
        acc = (model(mg.tensor(xt)).data.argmax(1) == yt).mean()
    assert acc > 0.95, f"held-out accuracy {acc:.3f}"
    assert time.perf_counter() - start < 10

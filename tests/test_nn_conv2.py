"""The functionals and layers of the conv/pool/resize surface that are composed of other ops (conv1d,
the transposed convolutions, F.pad's modes, padding_mode, the 1-d pools, interpolate, adaptive pools,
max_unpool, pixel_shuffle): first and second order against float64 central differences, over every
option combination on small shapes. The recorded ops underneath (conv2d and its adjoints, the pools,
unfold/fold) are checked from their specs in minigrad/testing/specs_nn_conv.py by test_rules.py.
"""
import itertools

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn

RNG = np.random.default_rng(0)


def distinct(*shape):
    """Values at least 0.05 apart in random order: no near-ties for the max-based functions."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.05 - n * 0.025).reshape(shape) + RNG.uniform(0, 0.01, shape)


def check(f, *arrays):
    assert mg.gradcheck(f, *arrays)
    assert mg.gradgradcheck(f, *arrays)


def through(module, **kwargs):
    """module(x, **kwargs) as a function of x and the module's weight and bias (float64 tensors swapped in)."""
    def f(x, weight, bias):
        module._parameters["weight"], module._parameters["bias"] = weight, bias
        return module(x, **kwargs)
    return f


# -- convolutions ---------------------------------------------------------------------------------

CONV1D = [c for c in itertools.product((1, 2), (0, 1, "same", "valid"), (1, 2), (1, 2), (False, True))
          if not (c[1] == "same" and c[0] == 2)]


@pytest.mark.parametrize("stride,padding,dilation,groups,bias", CONV1D)
def test_conv1d(stride, padding, dilation, groups, bias):
    arrays = [RNG.standard_normal((2, 2, 6)), RNG.standard_normal((2, 2 // groups, 2))]
    arrays += [RNG.standard_normal(2)] if bias else []
    check(lambda x, w, *b: F.conv1d(x, w, b[0] if b else None, stride, padding, dilation, groups), *arrays)


TRANSPOSE = [c for c in itertools.product((1, 2), (0, 1), (0, 1), (1, 2), (1, 2), (False, True)) if c[2] < c[0]]


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation,bias", TRANSPOSE)
def test_conv_transpose2d(stride, padding, output_padding, groups, dilation, bias):
    arrays = [RNG.standard_normal((1, 2, 3, 2)), RNG.standard_normal((2, 4 // groups, 2, 3))]
    arrays += [RNG.standard_normal(4)] if bias else []
    check(lambda x, w, *b: F.conv_transpose2d(x, w, b[0] if b else None, stride, padding, output_padding, groups,
                                              dilation), *arrays)


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation,bias", TRANSPOSE)
def test_conv_transpose1d(stride, padding, output_padding, groups, dilation, bias):
    arrays = [RNG.standard_normal((2, 2, 3)), RNG.standard_normal((2, 2 // groups, 3))]
    arrays += [RNG.standard_normal(2 // groups * groups)] if bias else []
    check(lambda x, w, *b: F.conv_transpose1d(x, w, b[0] if b else None, stride, padding, output_padding, groups,
                                              dilation), *arrays)


@pytest.mark.parametrize("mode,pad", itertools.product(("constant", "reflect", "replicate", "circular"),
                                                       ((1, 2), (0, 1, 2, 0), (2, 0, 1, 1))))
def test_pad(mode, pad):
    check(lambda x: F.pad(x, pad, mode=mode, value=0.5), RNG.standard_normal((1, 2, 3, 4)))


@pytest.mark.parametrize("layer,mode,padding", itertools.product(
    (nn.Conv1d, nn.Conv2d), ("zeros", "reflect", "replicate", "circular"), (1, "same", "valid", 2)))
def test_conv_layers_padding_modes(layer, mode, padding):
    conv = layer(2, 4, 3, padding=padding, padding_mode=mode, groups=2, dilation=1 if padding == 2 else 2,
                 dtype=np.float64)
    size = (5,) if layer is nn.Conv1d else (5, 6)
    check(through(conv), RNG.standard_normal((2, 2) + size), conv.weight.data.copy(), conv.bias.data.copy())


@pytest.mark.parametrize("layer", (nn.ConvTranspose1d, nn.ConvTranspose2d))
def test_conv_transpose_layers_with_output_size(layer):
    conv = layer(2, 4, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    size = (4,) if layer is nn.ConvTranspose1d else (4, 3)
    target = tuple(2 * s for s in size)
    check(through(conv, output_size=target), RNG.standard_normal((1, 2) + size), conv.weight.data.copy(),
          conv.bias.data.copy())
    assert conv(mg.tensor(np.zeros((1, 2) + size)), output_size=target).shape[2:] == target


# -- pooling --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    c for c in itertools.product((2, 3), (None, 1, 2), (0, 1), (1, 2), (False, True))])
def test_max_pool1d(kernel, stride, padding, dilation, ceil_mode):
    check(lambda x: F.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode), distinct(2, 2, 7))


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad", [
    c for c in itertools.product((2, 3), (None, 1, 2), (0, 1), (False, True), (False, True))])
def test_avg_pool1d(kernel, stride, padding, ceil_mode, count_include_pad):
    check(lambda x: F.avg_pool1d(x, kernel, stride, padding, ceil_mode, count_include_pad),
          RNG.standard_normal((2, 2, 7)))


@pytest.mark.parametrize("dims", (1, 2))
def test_max_pool_indices_and_unpool(dims):
    x = distinct(*(2, 3) + (6, 5)[:dims])
    x -= x.min() - 1  # positive maxima: unpooling puts zeros around them, pooling again finds them
    pool, unpool = (F.max_pool1d, F.max_unpool1d) if dims == 1 else (F.max_pool2d, F.max_unpool2d)
    _, idx = pool(mg.tensor(x), 2, return_indices=True)
    assert idx.dtype == np.int64 and not idx.requires_grad
    size = x.shape[2:]
    check(lambda t: unpool(pool(t, 2), idx, 2, output_size=size), x)
    y = unpool(*pool(mg.tensor(x), 2, return_indices=True), 2, output_size=size).data
    np.testing.assert_array_equal(pool(mg.tensor(y), 2).data, pool(mg.tensor(x), 2).data)


@pytest.mark.parametrize("size", ((1, 1), (2, 3), (3, None), (4, 5), 2))
@pytest.mark.parametrize("fn", (F.adaptive_avg_pool2d, F.adaptive_max_pool2d))
def test_adaptive_pool2d(fn, size):
    check(lambda x: fn(x, size), distinct(2, 2, 4, 5))


@pytest.mark.parametrize("size", (1, 2, 3, 5))
@pytest.mark.parametrize("fn", (F.adaptive_avg_pool1d, F.adaptive_max_pool1d))
def test_adaptive_pool1d(fn, size):
    check(lambda x: fn(x, size), distinct(2, 2, 5))


# -- resizing -------------------------------------------------------------------------------------

RESIZE = [(m, ac, how) for m, ac in (("nearest", None), ("nearest-exact", None), ("bilinear", False),
                                     ("bilinear", True))
          for how in ({"size": (5, 3)}, {"size": 2}, {"scale_factor": 2}, {"scale_factor": (1.5, 0.5)})]


@pytest.mark.parametrize("mode,align_corners,how", RESIZE)
def test_interpolate_2d(mode, align_corners, how):
    check(lambda x: F.interpolate(x, mode=mode, align_corners=align_corners, **how), RNG.standard_normal((1, 2, 3, 4)))


@pytest.mark.parametrize("mode,align_corners,how", [(m.replace("bilinear", "linear"), ac, {k: v if np.isscalar(v)
                                                    else v[0] for k, v in how.items()}) for m, ac, how in RESIZE])
def test_interpolate_1d(mode, align_corners, how):
    check(lambda x: F.interpolate(x, mode=mode, align_corners=align_corners, **how), RNG.standard_normal((2, 1, 3)))


@pytest.mark.parametrize("r,lead", itertools.product((2, 3), ((), (2,), (1, 2))))
def test_pixel_shuffle_and_unshuffle(r, lead):
    check(lambda x: F.pixel_shuffle(x, r), RNG.standard_normal(lead + (r * r, 2, 1)))
    check(lambda x: F.pixel_unshuffle(x, r), RNG.standard_normal(lead + (1, r, 2 * r)))
    x = RNG.standard_normal(lead + (2 * r * r, 2, 3))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(mg.tensor(x), r), r).data, x)


# -- misuse ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,message", [
    (lambda: F.conv2d(mg.tensor(np.ones((1, 2, 5, 5))), mg.tensor(np.ones((2, 1, 3, 3))), stride=2, padding="same"),
     "padding='same' is not supported for strided"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 2, 5, 5))), mg.tensor(np.ones((3, 1, 3, 3))), groups=2),
     r"out_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 3, 5, 5))), mg.tensor(np.ones((2, 1, 3, 3))), groups=2),
     r"with C=2, got \(1, 3, 5, 5\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), mg.tensor(np.ones((1, 1, 3, 3))), padding="full"),
     "padding must be an int, a pair, 'same' or 'valid'"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 4, 4))), mg.tensor(np.ones((1, 1, 3, 3))), dilation=2),
     r"kernel \(3, 3\) dilated by \(2, 2\) is larger than the input \(4, 4\)"),
    (lambda: F.conv_transpose2d(mg.tensor(np.ones((1, 1, 3, 3))), mg.tensor(np.ones((1, 1, 3, 3))), stride=2,
                                output_padding=2), "output_padding .* must be smaller than either the stride"),
    (lambda: F.pad(mg.tensor(np.ones((1, 1, 3))), (3, 0), mode="reflect"), r"reflect padding \(3, 0\) of axis 2 must "
                                                                            r"be at most 2"),
    (lambda: F.pad(mg.tensor(np.ones((1, 1, 3))), (1,)), "even number of ints"),
    (lambda: F.pad(mg.tensor(np.ones((1, 1, 3))), (1, 1), mode="wrap"), "mode must be 'constant'"),
    (lambda: nn.Conv2d(2, 4, 3, stride=2, padding="same"), "padding='same' is not supported for strided"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"in_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: nn.Conv2d(2, 4, 3, padding_mode="wrap"), "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), "padding_mode must be one of 'zeros'"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, stride=2)(mg.tensor(np.ones((1, 2, 3, 3))), output_size=(9, 9)),
     r"output_size \(9, 9\) is outside the reachable sizes \(7, 7\) to \(8, 8\)"),
    (lambda: F.max_pool2d(mg.tensor(np.ones((1, 1, 4, 4))), 2, padding=2), "at most half the kernel size"),
    (lambda: F.avg_pool2d(mg.tensor(np.ones((1, 1, 4, 4))), 2, divisor_override=0), "divisor_override must be a "
                                                                                    "positive integer"),
    (lambda: F.max_pool1d(mg.tensor(np.ones((1, 4))), 2), r"expected \(N, C, L\), got \(1, 4\)"),
    (lambda: F.interpolate(mg.tensor(np.ones((1, 1, 4))), size=3, scale_factor=2), "exactly one of size"),
    (lambda: F.interpolate(mg.tensor(np.ones((1, 1, 4))), size=3, mode="bilinear"), "mode 'bilinear' expects a 4-d"),
    (lambda: F.interpolate(mg.tensor(np.ones((1, 1, 4))), size=3, mode="bicubic"), "mode must be one of"),
    (lambda: F.interpolate(mg.tensor(np.ones((1, 1, 4))), size=3, align_corners=True), "align_corners only"),
    (lambda: F.interpolate(mg.tensor(np.ones((1, 1, 4, 4))), size=3, mode="bilinear", antialias=True), "antialias"),
    (lambda: F.pixel_shuffle(mg.tensor(np.ones((1, 3, 2, 2))), 2), r"expected \(\*, C\*4, H, W\)"),
    (lambda: F.pixel_unshuffle(mg.tensor(np.ones((1, 1, 3, 4))), 2), "divisible by 2"),
    (lambda: F.fold(mg.tensor(np.ones((1, 4, 5))), (3, 3), 2), r"expected \(N, C\*4, 4\)"),
    (lambda: F.max_unpool2d(mg.tensor(np.ones((1, 1, 1, 1))), np.array([[[[4]]]]), 2), r"indices must lie in \[0, 4\)"),
    (lambda: F.adaptive_avg_pool2d(mg.tensor(np.ones((1, 4, 4))), 2), r"expected \(N, C, H, W\)"),
])
def test_misuse_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()

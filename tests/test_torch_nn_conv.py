"""The conv / pool / resize surface against PyTorch: same inputs, same weights (through the state
dict), outputs and gradients of the input and of every parameter, for every option combination."""
import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn  # noqa: E402

RNG = np.random.default_rng(0)
torch.set_num_threads(1)  # these are tiny: threads only contend
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.05 - n * 0.025).reshape(shape) + RNG.uniform(0, 0.01, shape)


def same(a, b):
    np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def compare(ours, theirs, *arrays, modules=None, gradients=True):
    """ours(*tensors) against theirs(*torch tensors): values, then gradients of a random projection
    for every input (and for the parameters of `modules` = (our module, torch module))."""
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, t = ours(*xs), theirs(*ts)
    y, t = (y, t) if isinstance(y, tuple) else ((y,), (t,))
    for a, b in zip(y, t):
        assert a.shape == tuple(b.shape)
        same(a.data, b)
    if not gradients:
        return
    u = RNG.standard_normal(y[0].shape)
    (y[0] * u).sum().backward()
    (t[0] * torch.tensor(u)).sum().backward()
    for x, tx in zip(xs, ts):
        same(x.grad.data, tx.grad)
    if modules:
        theirs_params = dict(modules[1].named_parameters())
        for name, p in modules[0].named_parameters():
            same(p.grad.data, theirs_params[name].grad)


def pair_of(module_cls, torch_cls, *args, **kwargs):
    """Our module and PyTorch's, both float64, ours loaded from PyTorch's state dict."""
    theirs = torch_cls(*args, **kwargs).double()
    ours = module_cls(*args, **kwargs, dtype=np.float64)
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in sd.items()}
    ours.load_state_dict(sd)
    return ours, theirs


# -- convolutions ---------------------------------------------------------------------------------

CONV = [c for c in itertools.product((1, 2), (0, 2, "same", "valid"), (1, 2), (1, 2, 4), (True, False), ("zeros",))
        if not (c[1] == "same" and c[0] != 1)]
CONV += [(s, p, d, g, True, m) for s, p, d, g, m in itertools.product(
    (1, 2), (0, 2, "same", "valid"), (1, 2), (1, 4), ("reflect", "replicate", "circular")) if not (p == "same" and s != 1)]


@pytest.mark.parametrize("stride,padding,dilation,groups,bias,padding_mode", CONV)
@pytest.mark.parametrize("dims", (1, 2))
def test_conv_layers(dims, stride, padding, dilation, groups, bias, padding_mode):
    cls, tcls = (nn.Conv1d, torch.nn.Conv1d) if dims == 1 else (nn.Conv2d, torch.nn.Conv2d)
    kernel = 3 if dims == 1 else (3, 2)
    if dims == 2 and isinstance(padding, int):
        padding = (padding, padding // 2)
    ours, theirs = pair_of(cls, tcls, 4, 8, kernel, stride=stride, padding=padding, dilation=dilation,
                           groups=groups, bias=bias, padding_mode=padding_mode)
    x = RNG.standard_normal((2, 4) + (7, 6)[:dims])
    compare(ours, theirs, x, modules=(ours, theirs))


TRANSPOSE = [c for c in itertools.product((1, 2, 3), (0, 1), (0, 1, 2), (1, 2), (1, 2), (True, False)) if c[2] < c[0]]


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation,bias", TRANSPOSE)
@pytest.mark.parametrize("dims", (1, 2))
def test_conv_transpose_layers(dims, stride, padding, output_padding, groups, dilation, bias):
    cls, tcls = (nn.ConvTranspose1d, torch.nn.ConvTranspose1d) if dims == 1 else (nn.ConvTranspose2d,
                                                                                  torch.nn.ConvTranspose2d)
    ours, theirs = pair_of(cls, tcls, 4, 6, 3, stride=stride, padding=padding, output_padding=output_padding,
                           groups=groups, bias=bias, dilation=dilation)
    compare(ours, theirs, RNG.standard_normal((2, 4) + (4, 3)[:dims]), modules=(ours, theirs))


@pytest.mark.parametrize("dims", (1, 2))
def test_conv_transpose_output_size(dims):
    cls, tcls = (nn.ConvTranspose1d, torch.nn.ConvTranspose1d) if dims == 1 else (nn.ConvTranspose2d,
                                                                                  torch.nn.ConvTranspose2d)
    ours, theirs = pair_of(cls, tcls, 2, 3, 3, stride=3, padding=1)
    x = RNG.standard_normal((1, 2) + (4, 3)[:dims])
    for size in itertools.product(*[range(3 * n - 2, 3 * n + 1) for n in x.shape[2:]]):
        compare(lambda t: ours(t, output_size=size), lambda t: theirs(t, output_size=size), x)


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), (1, "same", 2, 3), (2, (1, 0), (2, 1), 3), (1, "valid", 1, 1)])
def test_functional_conv(stride, padding, dilation, groups):
    x, w, b = RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((6, 3 // groups, 3, 2)), RNG.standard_normal(6)
    compare(lambda *t: F.conv2d(*t, stride, padding, dilation, groups),
            lambda *t: TF.conv2d(*t, stride=stride, padding=padding, dilation=dilation, groups=groups), x, w, b)
    p1 = padding if isinstance(padding, (int, str)) else padding[0]
    d1, x1, w1 = (dilation if isinstance(dilation, int) else dilation[0]), x[:, :, 0], w[:, :, 0]
    compare(lambda *t: F.conv1d(*t, stride, p1, d1, groups),
            lambda *t: TF.conv1d(*t, stride=stride, padding=p1, dilation=d1, groups=groups), x1, w1, b)
    wt = RNG.standard_normal((3, 6 // groups, 3, 2))
    compare(lambda *t: F.conv_transpose2d(*t, stride=stride, groups=groups, dilation=dilation),
            lambda *t: TF.conv_transpose2d(*t, stride=stride, groups=groups, dilation=dilation), x, wt, b)
    compare(lambda *t: F.conv_transpose1d(*t, stride=stride, groups=groups, dilation=d1),
            lambda *t: TF.conv_transpose1d(*t, stride=stride, groups=groups, dilation=d1), x1, wt[:, :, 0], b)


@pytest.mark.parametrize("mode,pad", itertools.product(("constant", "reflect", "replicate", "circular"),
                                                       ((1, 2), (0, 1, 2, 0), (2, 2, 1, 1))))
def test_pad(mode, pad):
    x = RNG.standard_normal((2, 2, 3, 4)[:2 + len(pad) // 2])  # PyTorch pads the last 1 or 2 axes of 3-d or 4-d
    compare(lambda t: F.pad(t, pad, mode=mode), lambda t: TF.pad(t, pad, mode=mode), x)


@pytest.mark.parametrize("cls,tcls,args,kwargs", [
    (nn.Conv1d, torch.nn.Conv1d, (6, 4, 5), {}), (nn.Conv2d, torch.nn.Conv2d, (6, 4, (3, 5)), {"groups": 2}),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (6, 4, 5), {}),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (6, 4, (3, 5)), {"groups": 2})])
def test_default_init_matches_pytorch(cls, tcls, args, kwargs):
    nn.manual_seed(0)
    ours, theirs = cls(*args, **kwargs), tcls(*args, **kwargs)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) and the bias both give this bound
    assert ours.weight.shape == tuple(theirs.weight.shape) and ours.bias.shape == tuple(theirs.bias.shape)
    w, b = ours.weight.data, ours.bias.data
    assert w.dtype == b.dtype == np.float32 and np.abs(b).max() <= bound
    assert 0.9 * bound < np.abs(w).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound


# -- pooling --------------------------------------------------------------------------------------

MAXPOOL = list(itertools.product((2, 3), (None, 1, 2), (0, 1), (1, 2), (False, True)))


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", MAXPOOL)
@pytest.mark.parametrize("dims", (1, 2))
def test_max_pool(dims, kernel, stride, padding, dilation, ceil_mode):
    cls, tcls = (nn.MaxPool1d, torch.nn.MaxPool1d) if dims == 1 else (nn.MaxPool2d, torch.nn.MaxPool2d)
    args = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode, return_indices=True)
    x = distinct(*(2, 2) + (7, 8)[:dims])
    compare(cls(kernel, **args), tcls(kernel, **args), x)
    ties = np.round(x * 3)  # ties: the first maximum takes the value, the index and the gradient
    compare(cls(kernel, **args), tcls(kernel, **args), ties)


AVGPOOL = list(itertools.product((2, 3), (None, 1, 2), (0, 1), (False, True), (False, True), (None, 2)))


@pytest.mark.parametrize("dims,kernel,stride,padding,ceil_mode,count_include_pad,divisor_override", [
    (dims,) + c for dims in (1, 2) for c in AVGPOOL if dims == 2 or c[-1] is None])  # AvgPool1d: no divisor_override
def test_avg_pool(dims, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    args = dict(stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    if dims == 1:
        ours, theirs = nn.AvgPool1d(kernel, **args), torch.nn.AvgPool1d(kernel, **args)
    else:
        args["divisor_override"] = divisor_override
        ours, theirs = nn.AvgPool2d(kernel, **args), torch.nn.AvgPool2d(kernel, **args)
    compare(ours, theirs, RNG.standard_normal((2, 2) + (7, 8)[:dims]))


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), (2, 3, 0), ((2, 3), (3, 2), (1, 0))])
@pytest.mark.parametrize("dims", (1, 2))
def test_max_unpool(dims, kernel, stride, padding):
    if dims == 1 and isinstance(kernel, tuple):
        kernel, stride, padding = kernel[0], stride[0], padding[0]
    pool = (nn.MaxPool1d if dims == 1 else nn.MaxPool2d)(kernel, stride, padding, return_indices=True)
    tpool = (torch.nn.MaxPool1d if dims == 1 else torch.nn.MaxPool2d)(kernel, stride, padding, return_indices=True)
    x = distinct(*(2, 2) + (7, 8)[:dims])
    _, idx = pool(mg.tensor(x))
    _, tidx = tpool(torch.tensor(x))
    same(idx.data, tidx)
    y = RNG.standard_normal(idx.shape)
    # overlapping windows can share a maximum: then one value lands there (the same in both), and our
    # gradient is that of our forward (only the value that landed), PyTorch's goes to every sharer
    unique = all(len(set(plane)) == len(plane) for plane in idx.data.reshape(-1, idx.data[0, 0].size).tolist())
    un, tun = (nn.MaxUnpool1d, torch.nn.MaxUnpool1d) if dims == 1 else (nn.MaxUnpool2d, torch.nn.MaxUnpool2d)
    try:
        tun(kernel, stride, padding)(torch.tensor(y), tidx)
    except RuntimeError:  # the default output size is too small for an index: both refuse
        with pytest.raises(ValueError, match="indices must lie in"):
            un(kernel, stride, padding)(mg.tensor(y), idx)
    else:
        compare(lambda t: un(kernel, stride, padding)(t, idx), lambda t: tun(kernel, stride, padding)(t, tidx), y,
                gradients=unique)
    size = x.shape[2:]
    compare(lambda t: un(kernel, stride, padding)(t, idx, output_size=size),
            lambda t: tun(kernel, stride, padding)(t, tidx, output_size=size), y, gradients=unique)


@pytest.mark.parametrize("size", (1, 2, 3, 5, 7, (2, None), (4, 3)))
@pytest.mark.parametrize("kind", ("avg", "max"))
@pytest.mark.parametrize("dims", (1, 2))
def test_adaptive_pools(dims, kind, size):
    if dims == 1 and isinstance(size, tuple):
        size = size[0]
    name = f"Adaptive{kind.capitalize()}Pool{dims}d"
    x = distinct(*(2, 3) + (5, 7)[:dims])
    args = {"return_indices": True} if kind == "max" else {}
    compare(getattr(nn, name)(size, **args), getattr(torch.nn, name)(size, **args), x)


# -- resizing -------------------------------------------------------------------------------------

RESIZE = list(itertools.product((("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True)),
                                ({"size": (5, 3)}, {"size": 7}, {"scale_factor": 2}, {"scale_factor": (1.5, 0.5)},
                                 {"scale_factor": 1.7, "recompute_scale_factor": True}, {"scale_factor": 0.4})))


@pytest.mark.parametrize("mode,how", RESIZE)
@pytest.mark.parametrize("dims", (1, 2))
def test_upsample(dims, mode, how):
    mode, align_corners = mode
    if dims == 1:
        mode = mode.replace("bilinear", "linear")
        how = {k: v if np.isscalar(v) or isinstance(v, bool) else v[0] for k, v in how.items()}
    args = dict(mode=mode, align_corners=align_corners, **how)
    x = RNG.standard_normal((2, 2) + (4, 6)[:dims])
    compare(nn.Upsample(**args), torch.nn.Upsample(**args), x)
    compare(lambda t: F.interpolate(t, **args), lambda t: TF.interpolate(t, **args), x)


@pytest.mark.parametrize("how", ({"size": (5, 3)}, {"scale_factor": 2}))
def test_upsampling_layers(how):
    x = RNG.standard_normal((2, 2, 4, 3))
    compare(nn.UpsamplingNearest2d(**how), torch.nn.UpsamplingNearest2d(**how), x)
    compare(nn.UpsamplingBilinear2d(**how), torch.nn.UpsamplingBilinear2d(**how), x)


@pytest.mark.parametrize("r,lead", itertools.product((2, 3), ((2,), (2, 1))))
def test_pixel_shuffle(r, lead):
    compare(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), RNG.standard_normal(lead + (2 * r * r, 2, 3)))
    compare(nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), RNG.standard_normal(lead + (2, 2 * r, 3 * r)))


FOLD = list(itertools.product((2, (2, 3)), (1, 2), (0, 1), (1, (2, 1))))


@pytest.mark.parametrize("kernel,dilation,padding,stride", FOLD)
def test_unfold_and_fold(kernel, dilation, padding, stride):
    args = dict(dilation=dilation, padding=padding, stride=stride)
    x = RNG.standard_normal((2, 3, 6, 7))
    compare(nn.Unfold(kernel, **args), torch.nn.Unfold(kernel, **args), x)
    cols = torch.nn.Unfold(kernel, **args)(torch.tensor(x)).numpy()
    compare(nn.Fold((6, 7), kernel, **args), torch.nn.Fold((6, 7), kernel, **args), RNG.standard_normal(cols.shape))

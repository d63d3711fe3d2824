"""Explaining a classifier's decision by backpropagating to its input, with swappable rules.

Four views of "which pixels speak for class c", all the gradient of the score of c with respect to
the input, differing only in the backward rules in force (forward passes are untouched):

  "plain"           the true gradient (saliency map, Simonyan et al. 2013);
  "guided"          relu passes g only where the unit was active AND g > 0 (Springenberg et al. 2014);
  "deconvnet"       relu passes g only where g > 0, whatever the forward input (Zeiler & Fergus 2014);
  "positive_paths"  only paths through active units along positive weights: relu passes g where the
                    unit was active, and linear/conv2d send g back through max(W, 0) instead of W.

`positive_paths` does NOT also require g > 0 at a relu. Starting from a one-hot (non-negative) seed,
every factor on the way back is >= 0 (clamped weights, 0/1 relu masks, max-pool routing), so g never
turns negative and such a test would change nothing; leaving it out keeps the map linear in the seed
(the map of a weighted sum of scores is the weighted sum of their maps). The result for a one-hot
seed is a non-negative map: pixels whose increase raises the score along purely excitatory paths.

The preset is registered on `import minigrad` and works on any network made of the `linear` and
`conv2d` ops (nn.Linear, nn.Conv2d, F.linear, F.conv2d, any stride/padding), because its rules call
the built-in rules with the clamped weight rather than re-implementing them:

    with mg.rules.override("positive_paths"):
        logits[0, c].backward()
"""
from __future__ import annotations

import numpy as np

from .. import ops, rules
from ..tensor import Tensor, _wrap, enable_grad, is_grad_enabled

__all__ = ["positive_relu", "positive_linear", "positive_conv2d", "saliency", "METHODS"]


def _clamped(weight):
    """max(W, 0) as a tensor that requires grad exactly when W does.

    Under create_graph the clamp is recorded (so W's dependence survives a second backward);
    otherwise it is a plain constant flagged as needing grad, so the built-in rule still computes
    the weight gradient (which depends only on x and g, not on W's values).
    """
    if is_grad_enabled():
        return ops.relu(weight)
    w = _wrap(np.maximum(weight.data, 0))
    w.requires_grad = weight.requires_grad
    return w


def positive_relu(g, out, x):
    """Pass g where the unit was active (x > 0), whatever the sign of g (see the module docstring).

        >>> from minigrad.nn.explain import positive_relu
        >>> x = mg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
        >>> with mg.rules.override(relu=positive_relu):
        ...     (mg.relu(x) * mg.tensor([1.0, 1.0, -1.0])).sum().backward()
        >>> x.grad                                   # guided_relu would also block the -1
        tensor([ 0.,  1., -1.])
    """
    return (g * (x > 0),)


def positive_linear(g, out, x, weight, *bias, **attrs):
    """The built-in linear rule, with max(W, 0) standing in for W.

        >>> from minigrad.nn.explain import positive_linear
        >>> x = mg.tensor([[1.0, 1.0]], requires_grad=True)
        >>> with mg.rules.override(linear=positive_linear):
        ...     F.linear(x, mg.tensor([[1.0, -2.0]])).sum().backward()
        >>> x.grad                                   # the true gradient is W = [[1, -2]]
        tensor([[1., 0.]])
    """
    return rules.builtin("linear")(g, out, x, _clamped(weight), *bias, **attrs)


def positive_conv2d(g, out, x, weight, *bias, **attrs):
    """The built-in conv2d rule (its input gradient is the conv2d_input_grad op), with max(W, 0).

        >>> from minigrad.nn.explain import positive_conv2d
        >>> x = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
        >>> w = mg.tensor(np.array([2.0, -1.0]).reshape(2, 1, 1, 1))     # two 1x1 filters
        >>> with mg.rules.override(conv2d=positive_conv2d):
        ...     F.conv2d(x, w).sum().backward()
        >>> x.grad[0, 0]                             # 2 + max(-1, 0); the true gradient is 2 - 1
        tensor([[2., 2.],
                [2., 2.]])
    """
    return rules.builtin("conv2d")(g, out, x, _clamped(weight), *bias, **attrs)


rules.add_preset("positive_paths", {"relu": positive_relu, "linear": positive_linear, "conv2d": positive_conv2d})

# method name -> preset passed to mg.rules.override (None: the built-in rules)
METHODS = {"plain": None, "guided": "guided", "deconvnet": "deconvnet", "positive_paths": "positive_paths"}


def saliency(model, x, target, method="plain"):
    """d score[target] / d input for every example of the batch `x`, under `method`'s rules.

    x: array or Tensor (N, ...); target: one class index for all, or one per example.
    method: a key of METHODS or any preset name known to mg.rules. Returns a numpy array shaped like x.
    The model is called as it is (put it in eval mode first so dropout is off).

        >>> from minigrad.nn.explain import saliency
        >>> net = mg.nn.Sequential(mg.nn.Linear(2, 2, bias=False), mg.nn.ReLU(), mg.nn.Linear(2, 2, bias=False))
        >>> net[0].weight.data[...] = [[1.0, -1.0], [-1.0, 2.0]]
        >>> net[2].weight.data[...] = [[1.0, -1.0], [2.0, 1.0]]
        >>> x = np.array([[2.0, 1.0]], np.float32)   # only the first hidden unit is active
        >>> saliency(net, x, target=0), saliency(net, x, target=0, method="positive_paths")
        (array([[ 1., -1.]], dtype=float32), array([[1., 0.]], dtype=float32))
    """
    preset = METHODS.get(method, method)
    if preset is not None and preset not in rules.presets:
        raise KeyError(f"saliency: unknown method {method!r}; known: {', '.join(sorted(METHODS))} "
                       f"or a preset in mg.rules.presets ({', '.join(sorted(rules.presets))})")
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind != "f":
        data = data.astype(np.float32)
    xt = Tensor(data.copy(), requires_grad=True)
    with enable_grad():
        scores = model(xt)
    if scores.ndim != 2 or scores.shape[0] != data.shape[0]:
        raise ValueError(f"saliency: the model must return scores of shape (N, classes) for a batch of "
                         f"{data.shape[0]}, got {scores.shape}")
    target = np.broadcast_to(np.asarray(target, dtype=np.int64), (data.shape[0],))
    if target.min() < 0 or target.max() >= scores.shape[1]:
        raise ValueError(f"saliency: target classes {np.unique(target).tolist()} outside 0..{scores.shape[1] - 1}")
    seed = np.zeros(scores.shape, dtype=scores.dtype)
    seed[np.arange(len(target)), target] = 1
    if preset is None:
        scores.backward(seed)
    else:
        with rules.override(preset):
            scores.backward(seed)
    return xt.grad.data

"""Test data for the ops that minigrad.nn registers (linear, cross_entropy; conv and pools: specs_nn_conv)."""
from __future__ import annotations

import numpy as np

import minigrad.nn.functional as F

from .specs import spec


@spec("linear")
def _linear(d):
    n_in, n_out = d.integers(1, 4), d.integers(1, 3)
    lead = d.choice([(), (d.integers(1, 3),), (d.integers(1, 2), d.integers(1, 3))])
    xs = [d.array(lead + (n_in,)), d.array((n_out, n_in))]
    if d.integers(0, 1):
        return F.linear, xs + [d.array((n_out,))]
    return F.linear, xs


@spec("cross_entropy")
def _cross_entropy(d):
    n, c = d.integers(1, 4), d.integers(1, 4)
    labels = np.array([d.integers(0, c - 1) for _ in range(n)])
    reduction = d.choice(["mean", "sum", "none"])
    return (lambda z: F.cross_entropy(z, labels, reduction)), [d.array((n, c)) * 3]


# conv2d and its family, the pools, unfold/fold: specs_nn_conv.py

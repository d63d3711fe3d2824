"""Test data for the ops registered by minigrad.nn's activations, normalisations, attention and losses.

Only ops with their own rule are here (nn_softplus, binary_cross_entropy); everything else in
those modules is composed from checked ops and is checked to second order by tests/test_nn_functional2.py.
"""
from __future__ import annotations

import math

from minigrad.nn.activations import softplus
from minigrad.nn.losses2 import binary_cross_entropy

from .specs import spec


@spec("nn_softplus")
def _softplus(d):
    beta = d.choice([1.0, 2.0, 0.5, -1.0])
    threshold = d.choice([20.0, 2.0, math.inf])
    x = d.array(d.shape(), -5.0, 5.0)
    if math.isfinite(threshold):  # keep off the switch to the linear branch at beta x = threshold
        x = x + (abs(x * beta - threshold) < 1e-2) * 0.05 / abs(beta)
    return (lambda t: softplus(t, beta, threshold)), [x]


@spec("binary_cross_entropy")
def _binary_cross_entropy(d):
    shape = d.shape()
    x = d.array(shape, 0.05, 0.95)
    t = d.array(shape, 0.0, 1.0)
    return (lambda a, b: binary_cross_entropy(a, b)), [x, t]

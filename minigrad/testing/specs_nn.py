"""Test data for the ops that minigrad.nn registers (linear, conv2d and its family, pools)."""
from __future__ import annotations

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

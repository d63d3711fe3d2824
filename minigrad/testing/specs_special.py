"""Test data for minigrad.ops.special (erf, erfc): broadcast-free elementwise, 0-4 dims, tails included."""
from __future__ import annotations

import minigrad as mg

from .specs import spec


@spec("erf")
def _erf(d):
    return mg.erf, [d.array(d.shape(), -4.0, 4.0)]


@spec("erfc")
def _erfc(d):
    return mg.erfc, [d.array(d.shape(), -4.0, 6.0)]

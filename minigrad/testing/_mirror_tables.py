"""The mirror tables themselves (op -> numpy / torch recomputation), filled by mirrors.py, mirrors_nn.py
and mirrors_more.py; a module of its own so that those import it, not each other."""
from __future__ import annotations

import numpy as np

NUMPY: dict = {}
TORCH: dict = {}


class NoMirror(LookupError):
    """The op (or this use of it) has no numpy / PyTorch counterpart here.

    >>> issubclass(NoMirror, LookupError)
    True
    """


def _np(op):
    return lambda fn: NUMPY.__setitem__(op, fn) or fn


def _th(op):
    return lambda fn: TORCH.__setitem__(op, fn) or fn


def _flat_positions(shape, key):
    """The flat position of every element `x[key]` selects, in the order it selects them (repeats kept)."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[key]

"""Where random test inputs come from: hypothesis (tests, with shrinking) or numpy (`minigrad.check`).

Specs of op test data are written once against `Draw`; both backends implement it, so the CLI
check needs only numpy while the test suite gets hypothesis's search and shrinking.
"""
from __future__ import annotations

import numpy as np

MARGIN = 1e-2  # distance kept from kinks and poles: far beyond eps=1e-6, so differences stay one-sided


def push_away(x, points, margin=MARGIN):
    """Move values within `margin` of any of `points` to `margin` beyond it (same side).

    Central differences straddling a kink (|x| at 0) average the two slopes: keep inputs off it.

        >>> from minigrad.testing import push_away
        >>> push_away([0.005, -0.001, 1.0], [0.0])
        array([ 0.01, -0.01,  1.  ])
    """
    x = np.array(x, dtype=np.float64)
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.where(x[near] >= p, margin, -margin)
    return x


class Draw:
    """The draws a spec may make. Subclasses supply the randomness.

    A subclass implements `integers` and `floats`; shapes, broadcastable shapes, arrays kept off
    kinks and well-separated values all derive from those two, so every spec runs on any backend.

        >>> from minigrad.testing import Draw
        >>> class Lowest(Draw):                  # always the smallest value: a deterministic backend
        ...     def integers(self, lo, hi):
        ...         return lo
        ...     def floats(self, shape, lo, hi):
        ...         return np.full(shape, lo)
        >>> d = Lowest()
        >>> d.shape(min_dims=2), d.array((2,), lo=0.0, away=[0.0])
        ((1, 1), array([0.01, 0.01]))
    """

    def integers(self, lo, hi):  # inclusive
        raise NotImplementedError

    def floats(self, shape, lo, hi):
        raise NotImplementedError

    def shape(self, min_dims=0, max_dims=4, min_side=1, max_side=3):
        return tuple(self.integers(min_side, max_side) for _ in range(self.integers(min_dims, max_dims)))

    def broadcastable(self, n, min_dims=0, max_dims=4, max_side=3):
        """n shapes that broadcast together: a base shape, each with some dims set to 1 or dropped."""
        base = self.shape(min_dims, max_dims, 1, max_side)
        shapes = []
        for _ in range(n):
            drop = self.integers(0, len(base))
            s = tuple(1 if self.integers(0, 3) == 0 else d for d in base[drop:])
            shapes.append(s)
        return shapes

    def choice(self, options):
        return options[self.integers(0, len(options) - 1)]

    def array(self, shape, lo=-3.0, hi=3.0, away=()):
        return push_away(self.floats(shape, lo, hi), away)

    def distinct(self, shape, lo=-3.0, hi=3.0):
        """Values at least (hi - lo) / (2 n) apart: for max/min, where a tie makes the gradient jump."""
        n = int(np.prod(shape))
        order = self.permutation(n)
        step = (hi - lo) / max(n, 1)
        jitter = self.floats((n,), 0.0, step / 2)
        return (lo + order * step + jitter).reshape(shape)

    def permutation(self, n):
        keys = self.floats((n,), 0.0, 1.0)
        return np.argsort(keys, kind="stable")


class NumpyDraw(Draw):
    """Backs `Draw` with a seeded numpy Generator: no hypothesis needed (`python -m minigrad.check`).

        >>> from minigrad.testing import NumpyDraw
        >>> d = NumpyDraw(seed=0)
        >>> a = d.array(d.shape(min_dims=1), away=[0.0])
        >>> a.dtype, bool((abs(a) >= 0.01).all()), NumpyDraw(0).shape() == NumpyDraw(0).shape()
        (dtype('float64'), True, True)
    """

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def integers(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    def floats(self, shape, lo, hi):
        return self.rng.uniform(lo, hi, size=shape)


class HypothesisDraw(Draw):
    """Backs `Draw` with `hypothesis.strategies.data()`, so failures shrink to small inputs.

        >>> from hypothesis import given, settings, strategies as st
        >>> from minigrad.testing import HypothesisDraw
        >>> @settings(max_examples=10, database=None)
        ... @given(st.data())
        ... def test_broadcastable(data):
        ...     a, b = HypothesisDraw(data).broadcastable(2)
        ...     assert np.broadcast_shapes(a, b) is not None
        >>> test_broadcastable()
    """

    def __init__(self, data):
        self.data = data

    def integers(self, lo, hi):
        from hypothesis import strategies as st
        return self.data.draw(st.integers(lo, hi))

    def floats(self, shape, lo, hi):
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp
        return self.data.draw(hnp.arrays(np.float64, shape, elements=st.floats(
            lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)))

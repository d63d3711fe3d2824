"""Random graphs with reuse, fan-out, broadcasting and repeated backward, against a naive reference.

The reference knows nothing of the engine: each value is also kept as a plain numpy closure of the
leaves, and its gradient is taken by central differences in float64.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import minigrad as mg

SHAPES = [(2, 3), (3,), (1, 3), (2, 1), ()]

UNARY = {
    "tanh": (mg.tanh, np.tanh),
    "sin": (mg.sin, np.sin),
    "sigmoid": (mg.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "square": (lambda t: t * t, lambda a: a * a),
    "exp_tanh": (lambda t: mg.exp(mg.tanh(t)), lambda a: np.exp(np.tanh(a))),
}
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "max": (mg.maximum, np.maximum),
}


class RandomGraphs(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.leaves = []   # (tensor, array)
        self.values = []   # (tensor, fn(list of leaf arrays) -> array)

    @rule(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
    def new_leaf(self, shape, seed):
        data = np.random.default_rng(seed).uniform(-1.5, 1.5, shape)
        t = mg.tensor(data, requires_grad=True)
        i = len(self.leaves)
        self.leaves.append((t, data))
        self.values.append((t, lambda ls, i=i: ls[i]))

    @precondition(lambda self: self.values)
    @rule(name=st.sampled_from(sorted(UNARY)), k=st.integers(0, 10**6))
    def unary(self, name, k):
        t, f = self.values[k % len(self.values)]
        op, ref = UNARY[name]
        self.values.append((op(t), lambda ls, f=f, ref=ref: ref(f(ls))))

    @precondition(lambda self: self.values)
    @rule(name=st.sampled_from(sorted(BINARY)), j=st.integers(0, 10**6), k=st.integers(0, 10**6))
    def binary(self, name, j, k):
        (a, fa), (b, fb) = self.values[j % len(self.values)], self.values[k % len(self.values)]
        if name == "max" and a is b:
            return  # max(x, x) sits exactly on a tie, where finite differences see a kink
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            return
        op, ref = BINARY[name]
        self.values.append((op(a, b), lambda ls, fa=fa, fb=fb, ref=ref: ref(fa(ls), fb(ls))))

    @precondition(lambda self: self.values)
    @rule(k=st.integers(0, 10**6), axis=st.sampled_from([None, 0, -1]))
    def reduce(self, k, axis):
        t, f = self.values[k % len(self.values)]
        if t.ndim == 0 and axis is not None:
            return
        self.values.append((t.sum(axis=axis), lambda ls, f=f, axis=axis: np.sum(f(ls), axis=axis)))

    @precondition(lambda self: self.values)
    @rule(k=st.integers(0, 10**6), seed=st.integers(0, 2**16))
    def backward_matches_reference(self, k, seed):
        t, f = self.values[k % len(self.values)]
        if not t.requires_grad:
            return
        u = np.random.default_rng(seed).standard_normal(t.shape)
        for leaf, _ in self.leaves:
            leaf.grad = None
        (t * u).sum().backward(retain_graph=True)  # graphs are reused by later rules
        arrays = [a for _, a in self.leaves]
        for i, (leaf, a) in enumerate(self.leaves):
            num = np.zeros_like(a)
            for j in range(a.size):
                vals = []
                for step in (1e-6, -1e-6):
                    pert = [x.copy() for x in arrays]
                    pert[i].reshape(-1)[j] += step
                    vals.append(float(np.sum(f(pert) * u)))
                num.reshape(-1)[j] = (vals[0] - vals[1]) / 2e-6
            got = np.zeros_like(a) if leaf.grad is None else leaf.grad.data
            assert got.shape == a.shape
            np.testing.assert_allclose(got, num, atol=1e-5, rtol=1e-3)

    @invariant()
    def leaves_are_not_mutated(self):
        for t, a in self.leaves:
            np.testing.assert_array_equal(t.data, a)


TestRandomGraphs = RandomGraphs.TestCase

"""Every misuse gets an error of a fitting type that says what was expected and what was given."""
import pickle
import re

import numpy as np
import pytest

import minigrad as mg


def leaf(*shape):
    return mg.tensor(np.ones(shape), requires_grad=True)


CASES = [
    ("matmul shapes", lambda: leaf(2, 3) @ leaf(4, 5), ValueError, r"\(2, 3\).*\(4, 5\).*3.*4"),
    ("matmul of a scalar", lambda: leaf() @ leaf(3), ValueError, r"at least 1-D.*\(\).*\(3,\)"),
    ("broadcasting", lambda: leaf(2, 3) * leaf(4), ValueError, r"mul.*\(2, 3\) and \(4,\)"),
    ("where broadcasting", lambda: mg.where(np.ones(5, bool), leaf(2), leaf(3)), ValueError, r"\(5,\).*\(2,\).*\(3,\)"),
    ("reshape size", lambda: leaf(2, 3).reshape(4, 2), ValueError, r"\(2, 3\) \(6 elements\).*\(4, 2\)"),
    ("axis out of range", lambda: leaf(2, 3).sum(axis=2), ValueError, r"axis 2 .* 2 dimension"),
    ("transpose axes", lambda: leaf(2, 3).transpose((0, 0)), ValueError, r"not a permutation.*\(2, 3\)"),
    ("index out of range", lambda: leaf(2, 3)[5], IndexError, r"index 5.*\(2, 3\)"),
    ("concatenate shapes", lambda: mg.concatenate([leaf(2, 3), leaf(2, 4)], axis=0), ValueError, r"\(2, 3\), \(2, 4\)"),
    ("int requires grad", lambda: mg.tensor([1, 2], requires_grad=True), TypeError, r"floating-point.*int64"),
    ("backward on non-scalar", lambda: (leaf(3) * 2).backward(), RuntimeError, r"non-scalar.*\(3,\).*grad"),
    ("backward grad shape", lambda: (leaf(3) * 2).backward(np.ones(4)), ValueError, r"\(4,\).*\(3,\)"),
    ("backward without grad", lambda: mg.tensor([1.0]).sum().backward(), RuntimeError, r"does not require grad"),
    ("backward under no_grad", lambda: _under_no_grad().backward(), RuntimeError, r"does not require grad.*no_grad"),
    ("second backward", lambda: _twice(), RuntimeError, r"second time.*retain_graph=True"),
    ("unknown override", lambda: _override(rleu=mg.rules.guided_relu), KeyError, r"unknown op\(s\) 'rleu'"),
    ("override not callable", lambda: _override(relu=3), TypeError, r"'relu' must be callable.*int"),
    ("grad of non-scalar f", lambda: mg.grad(lambda x: x * 2)(np.ones(3)), ValueError, r"scalar.*\(3,\)"),
    ("in-place on a leaf", lambda: _iadd_leaf(), RuntimeError, r"leaf tensor that requires grad.*no_grad"),
    ("in-place changing shape", lambda: _grow(), ValueError, r"\(2, 3\).*\(3,\)"),
    ("modified saved value", lambda: _modified(), RuntimeError, r"input 1 .*'mul'.*modified in place"),
    ("item of many", lambda: leaf(3).item(), ValueError, r"exactly one element.*\(3,\)"),
    ("rule returns wrong shape", lambda: _bad_rule(), ValueError, r"'[\w.<>]*bad_shape'.*\(5,\).*\(3,\)"),
    ("rule returns wrong arity", lambda: _bad_arity(), TypeError, r"'[\w.<>]*bad_arity'.*tuple of 1"),
    ("conv input rank", lambda: mg.nn.Conv2d(3, 4, 3)(mg.tensor(np.ones((3, 8, 8), np.float32))),
     ValueError, r"expected \(N, C, H, W\) with C=3, got \(3, 8, 8\)"),
    ("conv channels", lambda: mg.nn.Conv2d(3, 4, 3)(mg.tensor(np.ones((1, 1, 8, 8), np.float32))),
     ValueError, r"expected \(N, C, H, W\) with C=3, got \(1, 1, 8, 8\)"),
    ("linear features", lambda: mg.nn.Linear(4, 2)(mg.tensor(np.ones((3, 5), np.float32))), ValueError, r"4.*\(3, 5\)"),
    ("state dict missing key", lambda: mg.nn.Linear(2, 2).load_state_dict({"weight": np.ones((2, 2), np.float32)}),
     KeyError, r"missing.*bias"),
    ("state dict unexpected key", lambda: mg.nn.Linear(2, 2).load_state_dict(
        {**mg.nn.Linear(2, 2).state_dict(), "extra": np.ones(1)}), KeyError, r"unexpected.*extra"),
    ("state dict shape", lambda: mg.nn.Linear(2, 2).load_state_dict(mg.nn.Linear(3, 2).state_dict()),
     ValueError, r"weight.*\(2, 3\).*\(2, 2\)"),
    ("cross entropy label range", lambda: mg.nn.functional.cross_entropy(leaf(2, 3), np.array([0, 3])),
     ValueError, r"label.*3.*3 classes|classes.*3"),
    ("negative learning rate", lambda: mg.optim.SGD([mg.nn.Parameter(np.ones(2))], lr=-1.0), ValueError, r"lr.*-1"),
]


def _under_no_grad():
    x = leaf(1)
    with mg.no_grad():
        return (x * 2).sum()


def _twice():
    y = (leaf(2) * 3).sum()
    y.backward()
    y.backward()


def _override(**kw):
    with mg.rules.override(**kw):
        pass


def _iadd_leaf():
    x = leaf(2)
    x += 1


def _grow():
    x = leaf(3) * 1
    x += leaf(2, 3)


def _modified():
    w, x = leaf(2), mg.tensor(np.ones(2))
    y = (w * x).sum()
    x *= 2
    y.backward()


def _bad_rule():
    @mg.primitive
    def bad_shape(a):
        return a * 2

    bad_shape.defvjp(lambda g, out, a: (mg.tensor(np.ones(5)),))
    try:
        bad_shape(leaf(3)).sum().backward()
    finally:
        mg.rules._registry.pop(bad_shape.op)


def _bad_arity():
    @mg.primitive
    def bad_arity(a):
        return a * 2

    bad_arity.defvjp(lambda g, out, a: g)
    try:
        bad_arity(leaf(3)).sum().backward()
    finally:
        mg.rules._registry.pop(bad_arity.op)


@pytest.mark.parametrize("name,fn,exc,pattern", CASES, ids=[c[0] for c in CASES])
def test_misuse_gives_a_clear_error(name, fn, exc, pattern):
    with pytest.raises(exc) as info:
        fn()
    assert re.search(pattern, str(info.value)), f"{name}: message {str(info.value)!r} does not match {pattern!r}"


def test_there_are_at_least_20_cases():
    assert len(CASES) >= 20


def test_loading_a_corrupt_checkpoint(tmp_path):
    path = tmp_path / "m.npz"
    mg.save(mg.nn.Linear(3, 2).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=re.escape(str(path))):
        mg.load(path)


def test_loading_a_pickled_checkpoint_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([{"a": 1}], dtype=object))  # an object array is stored as a pickle
    with pytest.raises(ValueError, match=re.escape(str(path))):
        mg.load(path)
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"weight": np.ones(2)}))
    with pytest.raises(ValueError, match=re.escape(str(plain))):
        mg.load(plain)

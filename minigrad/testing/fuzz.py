"""The fuzzers' checks: a random program (minigrad/testing/programs.py) against every reference.

`check_program` verifies, for one program: first- and second-order gradients against float64
central differences; the final value of every step against numpy running the same program (views
and in-place included); every recorded node against its numpy mirror (minigrad/testing/mirrors.py);
no_grad forward equal to grad-mode forward; float32/float64 mixes against the float64 run and
numpy's dtypes; and, when `torch` is given, values, gradients and Hessian-vector products against
PyTorch running the same program (spec calls replayed from the tape with the torch mirrors).

Also here: the fuzzers' example budget (`examples`), and the known bugs they step over while a
probe shows them still present (each has a strict-xfail reproducer in the tests).
`python -m minigrad.testing.fuzz --seconds 300` fuzzes without hypothesis and prints a census.
"""
from __future__ import annotations

import collections

import numpy as np

import minigrad as mg

from ..engine import gradients
from ..gradcheck import _verdict, compare, second_order
from ..tensor import Tensor, _owner
from . import mirrors
from .draw import NumpyDraw
from .programs import STATS, Reject, draw_program, prepare
from .steps import _Leaf, _MG, _NP, _torch_backend, _value


# -- checking a program -------------------------------------------------------------------------------

class Mismatch(AssertionError):
    """minigrad disagrees with a reference on a program (the message shows the program).

    >>> issubclass(Mismatch, AssertionError)
    True
    """


def _largest(a):
    """The largest finite |element| of `a` (0 for none)."""
    return float(np.max(np.abs(a), initial=0.0, where=np.isfinite(a)))


def _close(what, got, want, rtol, atol_scale, prog, magnitude=0.0):
    """Elementwise closeness; the absolute tolerance grows with the largest |want| and with
    `magnitude`, the size of the values the result was computed from (a derivative that cancels to
    0 keeps rounding noise of that size: two exact methods then differ by noise, not by a bug)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise Mismatch(f"{what}: shape {got.shape} vs {want.shape}\n{prog!r}")
    atol = atol_scale * (1.0 + max(magnitude, _largest(want)))
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        j = np.unravel_index(np.argmax(bad), bad.shape)
        raise Mismatch(f"{what}: {int(bad.sum())} of {bad.size} elements differ, e.g. at {tuple(map(int, j))}: "
                       f"minigrad {got[j]!r} vs {want[j]!r}\n{prog!r}")


def _same_dtypes(what, run, ref, prog):
    for j, (a, b) in enumerate(zip(run.env, ref.env)):
        if _value(a).dtype != _value(b).dtype:
            raise Mismatch(f"{what}: v{j} has dtype {_value(a).dtype} in minigrad, {_value(b).dtype} in "
                           f"{ref.B.name}\n{prog!r}")


def _env_close(what, run, ref, rtol, atol, prog):
    """Every value of the program against the reference's. A value computed from larger ones keeps
    their rounding, so the absolute tolerance of v_j grows with the largest value before it (fmod
    of two values near 700 in float32 is off by their ulp, 6e-5, whatever its own size)."""
    seen = 0.0
    for j, (a, b) in enumerate(zip(run.env, ref.env)):
        b = _value(b)
        _close(f"{what}: v{j}", _value(a), b, rtol, atol, prog, seen)
        if b.dtype.kind in "fc":
            seen = max(seen, _largest(b))


def _magnitude(run):
    """The largest finite |value| the program computed (its leaves and every step)."""
    return max((_largest(a) for a in (np.asarray(_value(v)) for v in run.env) if a.dtype.kind in "fc"), default=0.0)


def _grads(out, xs, vs):
    """First-order gradients and the Hessian-vector product along `vs`, with minigrad."""
    gs = gradients(out, xs, create_graph=True) if out.requires_grad else [None] * len(xs)
    gs = [Tensor(np.zeros_like(x.data)) if g is None else g for g, x in zip(gs, xs)]
    dot = sum(((g * v).sum() for g, v in zip(gs, vs)), Tensor(np.zeros(())))
    hv = gradients(dot, xs, retain_graph=True) if dot.requires_grad else [None] * len(xs)  # replays read the tape
    return ([g.data for g in gs], [np.zeros_like(x.data) if h is None else h.data for h, x in zip(hv, xs)])


def _nodes(out):
    from ..engine import _tape
    return [(node, t) for _, node, t in _tape([out])]


def _check_nodes(out, prog):
    """Every recorded node against its numpy mirror, from the node's own inputs (values and dtype)."""
    for node, t in _nodes(out):
        if node.op not in mirrors.NUMPY:
            STATS[f"node without numpy mirror: {node.op}"] += 1
            continue
        ins = [mirrors._as_of(x, node.seq) if x._node is not None and x._node.seq > node.seq else x
               for x in node.inputs]  # as the op saw them (an in-place change since gave x a new node)
        if any(_owner(x)._changed > node.seq for x in ins):  # changed in place since (outside the graph)
            STATS["nodes not rechecked: an input changed in place after the op"] += 1
            continue
        if _owner(t)._changed > node.seq:  # the output's memory was written since (through a view, say)
            STATS["nodes not rechecked: the output changed in place after the op"] += 1
            continue
        xs = [x.data for x in ins]
        want = np.asarray(mirrors.NUMPY[node.op](xs, node.attrs, t.data))
        if want.dtype != t.dtype:
            raise Mismatch(f"op {node.op!r} made dtype {t.dtype}, numpy {want.dtype}\n{prog!r}")
        tol = 1e-5 if t.dtype == np.float32 else 1e-10
        _close(f"forward of op {node.op!r}", t.data, want, tol, tol, prog)
        STATS["nodes checked against numpy"] += 1


REFUSAL = "modified in place after the op used it"  # minigrad's documented refusal (engine._check_versions)


def check_program(prog, torch=None):
    """Run every check of the module docstring on `prog`; raises Mismatch / GradcheckError.

    minigrad may refuse a program with its documented error (an input changed in place after an op
    saved it): accepted when PyTorch refuses it too, or when torch is not there to say otherwise.

    >>> check_program(draw_program(NumpyDraw(0), ops=["add", "sin"]))  # silent when all agree
    """
    try:
        _check(prog, torch)
    except RuntimeError as e:
        if REFUSAL not in str(e):
            raise
        if torch is not None and _torch_differentiates(torch, prog):
            raise Mismatch(f"minigrad refuses a program PyTorch differentiates: {e}\n{prog!r}") from None
        STATS["programs refused (documented in-place error)"] += 1


def _torch_differentiates(torch, prog):
    """Whether torch runs and differentiates `prog` (mixed dtypes included)."""
    out, run = prog.run(_MG, [Tensor(a.copy(), requires_grad=True) for a in prog.leaves], mixed=True)
    T = _torch_backend(torch)
    ts = [torch.tensor(a, requires_grad=True) for a in prog.leaves]
    try:
        out, trun = prog.run(T, ts, mixed=True, reference=run, mirror=mirrors.torch_mirror(torch))
        if trun.cloned:  # as written (no copy) torch refuses the overlap, or saves what changes later
            return False
        if out.requires_grad:
            torch.autograd.grad(out, ts, allow_unused=True)
    except mirrors.NoMirror:
        return False
    except RuntimeError:
        return False
    return True


def _check(prog, torch):
    leaves = prog.leaves
    # 1. float64 central differences, first and second order
    _verdict(compare(prog, *leaves), 1e-5, 1e-3, f"program gradient\n{prog!r}\n")
    g2, xs2 = second_order(prog, leaves)
    _verdict(compare(g2, *xs2), 1e-5, 1e-3, f"program second-order gradient\n{prog!r}\n")
    STATS["programs checked against finite differences"] += 1
    # 2. values: grad mode vs no_grad (bit for bit), vs numpy running the program, every node vs its mirror
    xs = [Tensor(a.copy(), requires_grad=True) for a in leaves]
    out, run = prog.run(_MG, xs)
    with mg.no_grad():
        _, plain = prog.run(_MG, [Tensor(a.copy()) for a in leaves])
    # the same numpy calls, up to BLAS's summation order (which can depend on memory alignment)
    _env_close("grad mode vs no_grad", run, plain, 1e-13, 1e-13, prog)
    _same_dtypes("grad mode vs no_grad", run, plain, prog)
    _against_numpy(prog, run, leaves, mixed=False)
    _check_nodes(out, prog)
    vs = [np.random.default_rng(7 + i).standard_normal(a.shape) for i, a in enumerate(leaves)]
    grads, hvps = _grads(out, xs, vs)
    # 3. float32/float64 mixes: numpy's dtypes, and the float64 values and gradients to float32 precision
    if any(s.dtype != np.float64 for s in prog.steps if isinstance(s, _Leaf)):
        # float32 leaves themselves, or float64 leaves cast to float32 inside the program (a cast node)
        kinds = [s.dtype for s in prog.steps if isinstance(s, _Leaf)]
        mixed = [a.astype(k) if prog.float32_leaves else a.copy() for a, k in zip(leaves, kinds)]
        xs32 = [Tensor(a, requires_grad=True) for a in mixed]
        out32, run32 = prog.run(_MG, xs32, mixed=True)
        _against_numpy(prog, run32, mixed, mixed=True)
        _env_close("float32 mix vs float64", run32, run, 2e-3, 2e-3, prog)
        g32 = gradients(out32, xs32) if out32.requires_grad else [None] * len(xs32)
        for i, (a, b) in enumerate(zip(g32, grads)):
            if a is not None and a.dtype != mixed[i].dtype:
                raise Mismatch(f"the gradient of x{i} ({mixed[i].dtype}) has dtype {a.dtype}\n{prog!r}")
            _close(f"float32-mix gradient of x{i} vs float64", np.zeros_like(b) if a is None else a.data, b,
                   2e-3, 2e-3, prog)
        STATS["float32 mixes checked"] += 1
    # 4. PyTorch running the same program: values, gradients, Hessian-vector products
    if torch is not None:
        _against_torch(torch, prog, run, leaves, grads, hvps, vs)


def _against_numpy(prog, run, leaves, mixed):
    try:
        _, ref = prog.run(_NP, [a.copy() for a in leaves], mixed=mixed, reference=run)
    except mirrors.NoMirror as e:
        STATS[f"numpy run skipped: {e}"] += 1
        return
    _same_dtypes("numpy dtypes", run, ref, prog)
    tol = 1e-5 if mixed else 1e-10
    _env_close("values vs numpy", run, ref, tol, tol, prog)
    STATS["programs checked against numpy" + (" (float32 mix)" if mixed else "")] += 1


def _torch_second_order_quirk(run, torch_nan=False):
    """Why torch's second order is not a reference for this run, or None. torch's pow rule masks the
    base's gradient where the exponent is exactly 0 (torch.where(b == 0, 0, b * a**(b - 1))), which
    drops the mixed term 1/a of d2(a**b)/(da db) there: finite differences (and minigrad) keep it.
    And where the base is exactly 0 (exponent > 0) torch's d(0**b)/db = 0 differentiates again to
    nan (0 * log(0)), where finite differences (and minigrad) give 0. torch's prod and cumprod second
    order is off where the input holds an exact 0 (minigrad's matches finite differences there), and its
    logcumsumexp backward takes the log of the incoming gradient, nan to second order where that is 0
    (`torch_nan`: whether torch's Hessian-vector product has a nan)."""
    for env_value in run.env:
        if not isinstance(env_value, Tensor) or env_value._node is None:
            continue
        for node, _ in _nodes(env_value):
            if node.op == "pow" and node.inputs is not None and np.any(node.inputs[1].data == 0):
                return "pow with an exponent exactly 0 (torch masks its gradient there)"
            if node.op == "pow" and node.inputs is not None and np.any(node.inputs[0].data == 0):
                return "pow with a base exactly 0 (torch's second order in the exponent is nan there)"
            if node.op in ("prod", "cumprod") and node.inputs is not None and np.any(node.inputs[0].data == 0):
                return f"{node.op} of an input with an exact 0 (torch's second order is off there)"
            if node.op == "logcumsumexp" and torch_nan:
                return "logcumsumexp with a zero incoming gradient (torch's second order is nan there)"
    return None


def _against_torch(torch, prog, run, leaves, grads, hvps, vs):
    T = _torch_backend(torch)
    ts = [torch.tensor(a, requires_grad=True) for a in leaves]
    try:
        out, ref = prog.run(T, ts, reference=run, mirror=mirrors.torch_mirror(torch))
        gs = (torch.autograd.grad(out, ts, create_graph=True, allow_unused=True) if out.requires_grad
              else [None] * len(ts))
        gs = [torch.zeros_like(t) if g is None else g for g, t in zip(gs, ts)]
        dot = sum((g * torch.as_tensor(v)).sum() for g, v in zip(gs, vs))
        hv = torch.autograd.grad(dot, ts, allow_unused=True) if dot.requires_grad else [None] * len(ts)
    except mirrors.NoMirror as e:
        STATS[f"torch run skipped: {e}"] += 1
        return
    except RuntimeError as e:  # torch refuses some in-place programs minigrad differentiates exactly
        STATS[f"torch run skipped: torch raised {str(e).splitlines()[0][:90]}"] += 1
        return
    _env_close("values vs torch", run, ref, 1e-10, 1e-10, prog)
    quirk = _torch_second_order_quirk(run, any(h is not None and bool(torch.isnan(h).any()) for h in hv))
    size = _magnitude(run)
    for i in range(len(leaves)):
        _close(f"gradient of x{i} vs torch", grads[i], _value(gs[i]), 1e-8, 1e-10, prog, size)
        if quirk:
            STATS[f"torch Hessian not compared: {quirk}"] += 1
            continue
        want = np.zeros_like(leaves[i]) if hv[i] is None else _value(hv[i])
        _close(f"Hessian-vector product of x{i} vs torch", hvps[i], want, 1e-8, 1e-10, prog, size)
    STATS["programs checked against torch"] += 1


# -- budget, and the known bugs the fuzzers step over until they are fixed ---------------------------

def examples(n):
    """`n` examples under the `ci` profile (max_examples=25), scaled like the loaded profile's max_examples:
    the fuzzers get their own budget, the per-op property tests keep the profile's.

    >>> examples(100) >= 1
    True
    """
    from hypothesis import settings
    return max(1, round(n * settings.default.max_examples / 25))


# name -> (still there?, does a failure message look like it?); each has an xfail reproducer in the tests.
# Empty: "in-place op changing dtype refused" (float32 h *= float64 y in a graph) is fixed in ops/inplace.py.
KNOWN_BUGS = {}


def known_bug(exc):
    """The name of the known, still present bug `exc` looks like, or None.

    >>> known_bug(Mismatch("nothing known")) is None
    True
    """
    for name, (present, looks_like) in KNOWN_BUGS.items():
        if looks_like(str(exc)) and present():
            STATS[f"known bug stepped over: {name}"] += 1
            return name
    return None


def main(argv=None):
    """`python -m minigrad.testing.fuzz [--seconds S] [--views] [--seed N] [--steps K]`: fuzz for S seconds with
    numpy-seeded draws (no shrinking, but it goes on after a failure), then print what it found.

    >>> main(["--seconds", "0"])  # doctest: +ELLIPSIS
    0 programs ...0 failures in 0 groups
    """
    import argparse
    import time
    parser = argparse.ArgumentParser(description="Fuzz minigrad with random programs for a while; print what was found.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--views", action="store_true", help="also change views and bases in place")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=6, help="at most this many steps per program")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
    prepare(torch)
    found, first, seed, end = collections.Counter(), {}, args.seed, time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            prog = draw_program(NumpyDraw(seed), views=args.views, max_steps=args.steps)
            check_program(prog, torch)
            STATS["programs passed"] += 1
        except Reject:
            STATS["programs rejected"] += 1
        except Exception as e:  # noqa: BLE001 - grouped and reported
            if isinstance(e, Mismatch) and known_bug(e):
                seed += 1
                continue
            head = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            found[head] += 1
            first.setdefault(head, (seed, str(e)))
        seed += 1
    print(f"{seed - args.seed} programs (seeds {args.seed}..{seed - 1}), torch {'on' if torch else 'off'}")
    for k, n in sorted(STATS.items()):
        print(f"  {n:6d}  {k}")
    print(f"{sum(found.values())} failures in {len(found)} groups")
    for head, n in found.most_common():
        s, text = first[head]
        print(f"\n[{n}x] {head}\n  first at seed {s}:\n" + "\n".join("    " + line for line in text.splitlines()[1:40]))


if __name__ == "__main__":
    main()

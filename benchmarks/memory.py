"""Workload 4: memory. Peak RSS and RSS growth over many training steps of the MLP and the CNN.

Each measurement runs in a fresh child process (`python -m benchmarks.memory --child NAME`), so
the peak is that workload's alone and not inflated by whatever the parent imported (PyTorch alone
adds hundreds of MiB). The hand-written numpy MLP step runs the same way for reference.

No growth means: after a warm-up (the first 10% of the steps, when numpy, the allocator and the
optimizer's buffers settle), resident memory at the end exceeds resident memory after warm-up by
less than GROWTH_LIMIT_MIB, and the number of objects the garbage collector tracks does not grow.
1 MiB over 2,000 steps would catch a leak of one small tensor (64x6 float32 = 1.5 KiB) or a handful
of graph nodes per step, while staying above the allocator's jitter (measured well under 0.5 MiB).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys

GROWTH_LIMIT_MIB = 1.0
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mib():
    """Resident memory now (Linux /proc), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except OSError:
        return None


def peak_rss_mib():
    """This process's peak resident memory.

    Linux's getrusage peak survives exec, so a child started from a parent that had loaded PyTorch
    would report the parent's size; the kernel's per-address-space high-water mark (VmHWM) starts
    afresh at exec. getrusage is the fallback where /proc is missing (macOS: bytes, Linux: KiB)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _stepper(name):
    if name == "numpy-mlp":
        from .mlp import NumpyMLP, make_problem
        x, y, params = make_problem()
        impl = NumpyMLP(params)
    elif name == "mlp":
        from .mlp import MinigradMLP, make_problem
        x, y, params = make_problem()
        impl = MinigradMLP(params)
    elif name == "cnn":
        from .cnn import MinigradCNN, make_problem
        x, y, params = make_problem()
        impl = MinigradCNN(params)
    else:
        raise ValueError(f"unknown memory workload {name!r} (mlp, cnn, numpy-mlp)")
    return lambda: impl.step(x, y)


def child(name, steps, samples):
    """Run `steps` training steps, sampling RSS `samples` times; print the result as JSON."""
    step = _stepper(name)
    every = max(1, steps // samples)
    warm = max(1, steps // 10)
    # preallocated, so that sampling itself creates no objects the gc would count as growth
    at = [i for i in range(1, steps + 1) if i % every == 0 or i == warm]
    rss = [0.0] * len(at)
    k = 0
    objects_warm = None
    for i in range(1, steps + 1):
        step()
        if i == warm:
            gc.collect()
            objects_warm = len(gc.get_objects())
        if k < len(at) and i == at[k]:
            rss[k] = rss_mib()
            k += 1
    gc.collect()
    objects_end = len(gc.get_objects())
    at_warm = rss[at.index(warm)]
    print(json.dumps({"workload": name, "steps": steps, "warmup_steps": warm, "rss_mib": list(zip(at, rss)),
                      "peak_rss_mib": peak_rss_mib(), "growth_mib": rss[-1] - at_warm,
                      "gc_objects": {"after_warmup": objects_warm, "end": objects_end}}))


def measure(name, steps, samples=20):
    """Run one child process and return its JSON result."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", name, "--steps", str(steps),
                           "--samples", str(samples)], cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {name!r} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick=False, peers=True):
    from .cnn import _has_conv
    import minigrad as mg
    plan = {"mlp": 40 if quick else 2000, "numpy-mlp": 40 if quick else 2000}
    if _has_conv(mg):
        plan["cnn"] = 10 if quick else 200
    results = {name: measure(name, steps) for name, steps in plan.items()}
    for r in results.values():
        objs = r["gc_objects"]
        # a handful of steps says nothing about growth: --quick only checks that the machinery runs
        r["grows"] = None if quick else (r["growth_mib"] >= GROWTH_LIMIT_MIB or objs["end"] > objs["after_warmup"])
    mlp, ref = results["mlp"], results["numpy-mlp"]
    return {
        "title": f"peak RSS and growth over {plan['mlp']} MLP steps"
                 + (f" and {plan['cnn']} CNN steps" if "cnn" in plan else ""),
        "unit": "MiB peak RSS (MLP)",
        "minigrad": mlp["peak_rss_mib"],
        "numpy": ref["peak_rss_mib"],
        "ratio": mlp["peak_rss_mib"] / ref["peak_rss_mib"],
        "target": f"no growth (< {GROWTH_LIMIT_MIB} MiB RSS after warm-up, no new gc-tracked objects)",
        "growth_limit_mib": GROWTH_LIMIT_MIB,
        "runs": results,
        "peers": {},
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", required=True, help="mlp, cnn or numpy-mlp")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=20)
    a = ap.parse_args()
    child(a.child, a.steps, a.samples)

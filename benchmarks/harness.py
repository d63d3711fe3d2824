"""Timing and machine description shared by the workloads.

Times on shared machines swing by up to 2x from one minute to the next, so every comparison is made
in interleaved rounds (A, B, A, B, ...): a slow spell hits every contender alike, and the ratio of
the medians stays meaningful even when the absolute numbers do not.
"""
from __future__ import annotations

import datetime
import os
import platform
import statistics
import time

import numpy as np

BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pin_blas_env():
    """One BLAS thread, set in the environment: effective only before numpy is first imported."""
    for var in BLAS_ENV:
        os.environ[var] = "1"


def limit_threads():
    """One BLAS thread at run time too (numpy may already be loaded, e.g. under pytest).

    Returns the threadpoolctl limiter to keep alive, or None when threadpoolctl is not installed
    (it is optional: the environment variables then do the job)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(1)


def interleaved(contenders, rounds, number=1, warmup=1):
    """Median seconds per call of each zero-argument callable in `contenders` (name -> fn).

    Each round times `number` calls of every contender in turn, by the wall clock and by this
    process's CPU time (which leaves out the time other jobs held the core: on a busy shared
    machine it is the steadier of the two; BLAS runs one thread, so the two agree when idle).
    Returns ({name: wall median}, {name: [wall per round]}, {name: cpu median}).
    """
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    wall = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(number):
                fn()
            wall[name].append((time.perf_counter() - t0) / number)
            cpu[name].append((time.process_time() - c0) / number)
    median = statistics.median
    return ({name: median(s) for name, s in wall.items()}, wall, {name: median(s) for name, s in cpu.items()})


def spread(samples):
    """(25th, 75th) percentile of a list of timings: how noisy the median is."""
    if len(samples) < 2:
        return samples[0], samples[0]
    q = statistics.quantiles(samples, n=4)
    return q[0], q[2]


def timings(med, samples, cpu, scale, unit, others=()):
    """The timing keys every workload reports, from `interleaved`'s seconds times `scale` (1e3: ms;
    1e6 / n: us per op or step): minigrad and numpy and their ratio, the peers (every other
    contender but `others`), and each contender's CPU time and spread, as `cpu_<unit>` and
    `spread_<unit>`. A contender that did not run (minigrad without conv layers) gives None."""
    wall = {name: t * scale for name, t in med.items()}
    cpu = {name: t * scale for name, t in cpu.items()}
    mine = wall.get("minigrad")
    return {
        "minigrad": mine,
        "numpy": wall["numpy"],
        "ratio": None if mine is None else mine / wall["numpy"],
        "peers": {k: v for k, v in wall.items() if k not in ("minigrad", "numpy", *others)},
        f"cpu_{unit}": cpu,
        "cpu_ratio": cpu["minigrad"] / cpu["numpy"] if "minigrad" in cpu else None,
        f"spread_{unit}": {name: [t * scale for t in spread(s)] for name, s in samples.items()},
    }


def optional(module):
    """Import a peer library if it is installed, else None (peers are never required)."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def with_peers(out, makers, peers=True):
    """`out` plus, for each (library name, make) in `makers` whose library is installed, `make(lib)`;
    PyTorch on one thread, as numpy's BLAS is."""
    if peers:
        for name, make in makers:
            lib = optional(name)
            if lib is not None:
                if name == "torch":
                    lib.set_num_threads(1)
                out[name] = make(lib)
    return out


def blas_info():
    """What BLAS numpy runs on and with how many threads (threadpoolctl when installed)."""
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return {"library": p.get("internal_api"), "version": p.get("version"),
                    "kernel": p.get("architecture"), "threads": p.get("num_threads"), "source": "threadpoolctl"}
    except ImportError:
        pass
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return {"library": cfg.get("name"), "version": cfg.get("version"), "kernel": None,
                "threads": os.environ.get("OPENBLAS_NUM_THREADS"), "source": "numpy.show_config"}
    except Exception as e:  # an unusual numpy build: say so rather than fail the benchmark
        return {"library": None, "error": str(e)}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "env": {k: os.environ.get(k) for k in BLAS_ENV + ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def peer_versions():
    """Versions of the optional peer libraries that are installed."""
    versions = {}
    for name in ("torch", "autograd", "mygrad"):
        try:
            from importlib.metadata import version
            versions[name] = version(name)
        except Exception:  # not installed (PackageNotFoundError) or unreadable metadata
            continue
    return versions


class MinigradStep:
    """One SGD training step of a minigrad model per call, its weights set to the baseline's `params`."""

    def __init__(self, model, params, lr):
        import minigrad as mg
        self.mg, self.F, self.model = mg, mg.nn.functional, model
        model.load_state_dict(dict(zip([n for n, _ in model.named_parameters()], params)))
        self.opt = mg.optim.SGD(model.parameters(), lr=lr)

    def step(self, x, y):
        self.opt.zero_grad()
        # mg.Tensor wraps the batch without a copy (mg.tensor copies), as torch.from_numpy does
        loss = self.F.cross_entropy(self.model(self.mg.Tensor(x)), y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def weights(self):
        return [p.data for p in self.model.parameters()]

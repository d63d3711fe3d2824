"""`python -m benchmarks [--quick] [--json PATH] [--markdown PATH] [--only mlp,chain] [--no-peers] [--render JSON]`

Pins BLAS to one thread before numpy loads, runs each workload against its hand-written numpy
step (and the peer libraries that happen to be installed), prints a table and writes JSON.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported anywhere below, or it has no effect

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from . import chain, chain_scalars, cnn, harness, memory, micrograd, mlp, nograd, toolkit  # noqa: E402
from .report import markdown_table, text_table  # noqa: E402

WORKLOADS = {"mlp": mlp, "chain": chain, "chain_scalars": chain_scalars, "micrograd": micrograd, "nograd": nograd,
             "cnn": cnn, "memory": memory, "toolkit": toolkit}
DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds in all: for smoke tests, not for numbers")
    ap.add_argument("--json", default=DEFAULT_JSON, help=f"where to write the results (default {DEFAULT_JSON})")
    ap.add_argument("--markdown", help="also write the results table as a markdown snippet here")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(WORKLOADS)}")
    ap.add_argument("--no-peers", action="store_true", help="skip PyTorch, HIPS autograd and MyGrad even if installed")
    ap.add_argument("--render", metavar="JSON", help="run nothing: print (and with --markdown write) the tables of a saved run")
    args = ap.parse_args(argv)
    if args.render:
        return render(args.render, args.markdown)
    names = args.only.split(",") if args.only else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")

    limiter = harness.limit_threads()  # noqa: F841 - keeps the limit in force while we run
    machine = harness.machine_info()
    blas = machine["blas"]
    print(f"{machine['cpu']} ({machine['cores']} cores), Python {machine['python']}, numpy {machine['numpy']}, "
          f"BLAS {blas.get('library')} {blas.get('version')} kernel {blas.get('kernel')} "
          f"threads {blas.get('threads')} ({blas.get('source')})", flush=True)
    results = {}
    for name in names:
        t0 = time.perf_counter()
        print(f"running {name} ...", end=" ", flush=True)
        results[name] = WORKLOADS[name].run(quick=args.quick, peers=not args.no_peers)
        print(f"{time.perf_counter() - t0:.1f} s", flush=True)
    machine["peer_versions"] = harness.peer_versions() if not args.no_peers else {}
    out = {"machine": machine, "quick": args.quick, "workloads": results}
    print()
    print(text_table(results, args.quick))
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"\nwrote {args.json}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown_table(results, machine, args.quick) + "\n")
        print(f"wrote {args.markdown}")
    return 0


def render(path, markdown=None):
    with open(path) as f:
        saved = json.load(f)
    print(text_table(saved["workloads"], saved["quick"]))
    if markdown:
        with open(markdown, "w") as f:
            f.write(markdown_table(saved["workloads"], saved["machine"], saved["quick"]) + "\n")
        print(f"wrote {markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m minigrad.check`: every registered rule against central differences, first and second order,
then every function composed of recorded ops (marked "*": its forward is also compared with numpy's).

Prints one row per op (worst errors over the random draws) and exits non-zero if any rule fails
or has no test data.
"""
from __future__ import annotations

import argparse
import sys

from . import rules
from .gradcheck import _verdict
from .testing import CASES, SPECS, NumpyDraw, measure_case, measure_rule


def check_all(draws=10, seed=0, atol=1e-5, rtol=1e-3):
    """[(op, order, max_abs, max_rel, ok, message)] for every registered rule and composed function."""
    rows = []
    targets = [(op, op, measure_rule) for op in rules.names()] + [(f"{name}*", name, measure_case)
                                                                  for name in sorted(CASES)]
    for label, op, measure in targets:
        for order in (1, 2):
            worst_abs = worst_rel = 0.0
            ok, msg = True, ""
            if measure is measure_rule and op not in SPECS:
                rows.append((op, order, float("nan"), float("nan"), False, "no test data"))
                continue
            for k in range(draws):
                try:
                    a, r, results = measure(op, NumpyDraw(seed + k), order, seed=seed + k)
                    worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
                    _verdict(results, atol, rtol, op)
                except Exception as e:  # a failing rule is a row in the table, not a crash
                    ok, msg = False, f"{type(e).__name__}: {e}"
                    break
            rows.append((label, order, worst_abs, worst_rel, ok, msg))
    return rows


def format_table(rows):
    lines = [f"{'op':<20}{'order':>6}{'max abs err':>14}{'max rel err':>14}  ok"]
    for op, order, a, r, ok, msg in rows:
        lines.append(f"{op:<20}{order:>6}{a:>14.2e}{r:>14.2e}  {'ok' if ok else 'FAIL ' + msg}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m minigrad.check", description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=10, help="random inputs per op and order (default 10)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    _load_optional_ops()
    rows = check_all(args.draws, args.seed)
    print(format_table(rows))
    failed = [r for r in rows if not r[4]]
    print(f"{len(rows) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _load_optional_ops():
    """Import the modules that register more ops (nn's conv2d, pools), if present."""
    import importlib
    for mod in ("minigrad.nn",):
        try:
            importlib.import_module(mod)
        except ImportError as e:
            if e.name != mod:
                raise


if __name__ == "__main__":
    sys.exit(main())

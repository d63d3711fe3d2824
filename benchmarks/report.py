"""The results table, as plain text for the terminal and as markdown for the READMEs."""
from __future__ import annotations

_UNITS = {"ms/step": "ms", "us/op": "us/op"}


def _fmt(value, unit):
    if value is None:
        return "-"
    if unit.startswith("MiB"):
        return f"{value:.0f} MiB"
    return f"{value:.2f} {_UNITS.get(unit, unit)}" if value < 100 else f"{value:.0f} {_UNITS.get(unit, unit)}"


def _peers(r):
    unit = r["unit"]
    if "runs" in r:  # memory: the other minigrad runs
        return ", ".join(f"minigrad {k} peak {v['peak_rss_mib']:.0f} MiB" for k, v in r["runs"].items()
                         if not k.startswith("numpy") and k != "mlp") or "-"
    parts = [f"{name} {_fmt(v, unit)}" for name, v in r.get("peers", {}).items()]
    if "minigrad_forward_only" in r:
        parts.insert(0, f"(minigrad forward alone {r['minigrad_forward_only']:.2f} us/op)")
    return ", ".join(parts) or "-"


def _target(name, r, quick):
    if name == "memory":
        runs = {k: v for k, v in r["runs"].items() if not k.startswith("numpy")}
        growth = ", ".join(f"{k} {v['growth_mib']:+.2f} MiB/{v['steps']} steps" for k, v in runs.items())
        verdicts = [v["grows"] for v in runs.values()]
        verdict = "not judged (--quick)" if quick else ("NOT met" if any(verdicts) else "met")
        return f"no growth: {verdict} ({growth})"
    target = r["target"]
    if quick:
        return "not judged (--quick)"
    if isinstance(target, (int, float)) and r["ratio"] is not None:
        return f"<= {target:.2f}x: {'met' if r['ratio'] <= target else 'NOT met'}"
    if isinstance(target, dict):  # a ratio to a peer's time: {"peer": "torch", "ratio": 0.6}
        return _vs_peer(r, target)
    return str(target)


def _vs_peer(r, target):
    peers = r.get("peers", {})
    peer, limit = target["peer"], target["ratio"]
    if r["minigrad"] is None or peers.get(peer) is None:
        verdict = f"<= {limit:.2f}x {peer}'s time: {peer} not installed"
    else:  # judged on CPU time where measured: on a shared machine the wall clock swings 2x
        wall = r["minigrad"] / peers[peer]
        cpu = r.get("cpu_us", {})
        ratio = cpu["minigrad"] / cpu[peer] if peer in cpu and "minigrad" in cpu else wall
        verdict = (f"<= {limit:.2f}x {peer}'s time: {'met' if ratio <= limit else 'NOT met'} "
                   f"({wall:.2f}x, CPU {ratio:.2f}x)")
    others = [k for k in ("autograd", "mygrad") if k in peers]
    if target.get("also") and others:
        slower = [k for k in others if peers[k] <= r["minigrad"]]
        verdict += "; " + ("faster than " + " and ".join(others) if not slower else "NOT faster than " + ", ".join(slower))
    return verdict


def rows(results, quick=False):
    out = []
    for name, r in results.items():
        ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.2f}x"
        if r.get("cpu_ratio") is not None:
            ratio += f" (CPU {r['cpu_ratio']:.2f}x)"
        out.append((name, _fmt(r["minigrad"], r["unit"]), _fmt(r["numpy"], r["unit"]), ratio, _target(name, r, quick),
                    _peers(r)))
    return out


HEADER = ("workload", "minigrad", "numpy", "ratio", "target", "peers")


def text_table(results, quick=False):
    table = [HEADER] + rows(results, quick)
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER) - 1)]
    lines = []
    for row in table:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    lines.insert(1, "-" * len(lines[0]))
    titles = [f"  {name}: {r['title']}" + (f" [{r['note']}]" if r.get("note") else "") for name, r in results.items()]
    return "\n".join(lines + [""] + titles)


def markdown_table(results, machine, quick=False):
    blas = machine.get("blas", {})
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows(results, quick)]
    lines.append("")
    lines += [f"- **{name}**: {r['title']}" + (f" ({r['note']})" if r.get("note") else "") for name, r in results.items()]
    lines.append("")
    lines.append(f"Measured {machine.get('date', '?')[:10]} on {machine.get('cpu')} ({machine.get('cores')} cores), "
                 f"Python {machine.get('python')}, numpy {machine.get('numpy')}, BLAS {blas.get('library')} "
                 f"{blas.get('version')} ({blas.get('kernel')} kernel, {blas.get('threads')} thread); "
                 f"peers: {', '.join(f'{k} {v}' for k, v in machine.get('peer_versions', {}).items()) or 'none'}. "
                 f"Medians of interleaved rounds, wall clock (CPU time in brackets); reproduce with `python -m benchmarks`.")
    return "\n".join(lines)

"""Every module imports on its own, and no modules import each other in a cycle.

A cycle works only as long as the modules happen to be imported in a lucky order (nn/functional ->
nn/normalization -> nn/layers -> nn/functional did), and `python -m` on a module in a cycle runs its
body twice (once as __main__, once under its name): neither may come back.
"""
import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("minigrad", "models")


def _modules():
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _resolve(module, node, is_package):
    """The modules of ours that a module-level import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    target = node.module if node.level == 0 else ".".join(p for p in (base, node.module) if p)
    # `from pkg import name` loads the submodule pkg.name when there is one, else pkg itself
    return [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]


def _graph(everywhere=False):
    """module -> the modules of ours it imports: at module level, or `everywhere` (in functions too)."""
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in (ast.walk(tree) if everywhere else tree.body):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _resolve(name, node, path.name == "__init__.py") if t in MODULES)
        graph[name] = edges - {name}
    return graph


def _cycle(graph):
    """One import cycle as a list of module names, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph[m]):
            if n.startswith(m + "."):
                continue  # a package importing its own submodules is its job, not a cycle
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = "done"
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_no_import_cycles():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _runnable(path):
    return "__name__ == \"__main__\"" in path.read_text(encoding="utf-8")


def _path(graph, a, b):
    """A chain of imports from a to b, or None."""
    paths, seen = [[a]], {a}
    while paths:
        p = paths.pop()
        for n in sorted(graph[p[-1]]):
            if n == b:
                return p + [n]
            if n not in seen:
                seen.add(n)
                paths.append(p + [n])
    return None


def test_no_module_run_with_python_m_is_in_a_cycle():
    """Even through an import inside a function: `python -m` would run the module's body twice."""
    graph = _graph(everywhere=True)
    for name, path in MODULES.items():
        if "__name__ == \"__main__\"" in path.read_text(encoding="utf-8"):
            cycle = _path(graph, name, name)
            assert cycle is None, f"{name} runs under python -m but imports itself: " + " -> ".join(cycle)


def test_the_cycle_check_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"p": {"p.x"}, "p.x": {"q"}, "q": set()}) is None
    assert _path({"a": {"b"}, "b": {"a"}}, "a", "a") == ["a", "b", "a"]


def _import_alone(name):
    proc = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    return name, proc.returncode, proc.stderr[-2000:]


def test_every_module_imports_alone_in_a_fresh_interpreter():
    names = [n for n in MODULES if not n.endswith("__main__")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [(n, err) for n, rc, err in pool.map(_import_alone, names) if rc != 0]
    assert not failed, "\n\n".join(f"import {n} failed:\n{err}" for n, err in failed)

"""The reference: every public name has a docstring with an example, every docstring example runs
(doctest), and the HTML reference builds with pdoc without a warning.

Examples may use `mg` (minigrad), `np` (numpy) and `F` (minigrad.nn.functional) without importing them."""
import doctest
import importlib
import inspect
import pkgutil
import subprocess
import sys
import types

import numpy as np
import pytest

import minigrad

# the namespaces users import names from
PUBLIC = ["minigrad", "minigrad.nn", "minigrad.nn.functional", "minigrad.nn.init", "minigrad.optim", "minigrad.rules",
          "minigrad.testing"]
OPTIONAL = ["minigrad.linalg", "minigrad.nn.utils", "minigrad.optim.lr_scheduler", "minigrad.nn.sanity",
            "minigrad.nn.explain"]


def _modules():
    """Every module of the package except the command-line entry points."""
    names = ["minigrad"]
    for info in pkgutil.walk_packages(minigrad.__path__, "minigrad."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _importable(mname):
    try:
        return importlib.import_module(mname)
    except ImportError:
        return None


def _public_names():
    out = []
    for mname in PUBLIC + OPTIONAL:
        module = _importable(mname)
        if module is None:
            continue
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            out.append((f"{mname}.{name}", obj))
    return out


def test_every_public_name_has_a_docstring():
    missing = sorted(name for name, obj in _public_names() if not (inspect.getdoc(obj) or "").strip())
    assert not missing, f"{len(missing)} public names without a docstring: {missing}"


def _own_doc(obj):
    """The docstring `obj` itself has: a class does not borrow its base class's (whose example shows the base)."""
    doc = vars(obj).get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return doc if isinstance(doc, str) else ""


def test_every_public_name_has_an_example():
    """A reference entry without an example leaves readers guessing how the name is called; the examples
    run below, so they show calls that work. No exemptions: the linalg result namedtuples get docstrings
    with examples too (their generated "EighResult(eigenvalues, eigenvectors)" says nothing)."""
    missing = sorted({name for name, obj in _public_names() if ">>>" not in _own_doc(obj)})
    assert not missing, f"{len(missing)} public names whose docstring has no >>> example: {missing}"


@pytest.mark.parametrize("mname", _modules())
def test_docstring_examples_run(mname):
    module = importlib.import_module(mname)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, mname, extraglobs={"mg": minigrad, "np": np, "F": minigrad.nn.functional}):
        if test.filename and not test.filename.startswith(str(minigrad.__path__[0])):
            continue  # re-exported from elsewhere
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {mname} failed (output above)"


def test_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("pdoc")
    proc = subprocess.run([sys.executable, "-W", "error", "-m", "pdoc", "minigrad", "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "Warn" not in proc.stderr, proc.stderr[-3000:]
    assert (tmp_path / "minigrad.html").is_file() and (tmp_path / "minigrad" / "nn.html").is_file()

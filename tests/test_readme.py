"""The README's examples run as written."""
import re
from pathlib import Path

import pytest

from minigrad import rules
from minigrad.testing import SPECS

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def clean_registry():
    saved_rules, saved_specs = dict(rules._registry), dict(SPECS)
    yield
    rules._registry.clear()
    rules._registry.update(saved_rules)
    SPECS.clear()
    SPECS.update(saved_specs)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_example_runs(i, clean_registry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[i], f"README.md example {i + 1}", "exec"), {})


def test_readme_setup_commands():
    text = README.read_text(encoding="utf-8")
    assert 'pip install -e ".[demos]" && python -m demos' in text
    assert 'pip install -e ".[test,demos]" && python -m pytest' in text
    ci = (README.parent / ".ci" / "run").read_text()
    # CI installs what the README says, plus the optional PyTorch comparison of the fuzzers
    # CI installs the README's extras and the optional ones its tests use (PyTorch, the notebook, pdoc)
    assert 'pip install -q -e ".[test,demos,compare,notebook,docs]"' in ci
    assert "-m pytest" in ci

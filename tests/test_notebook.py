"""The tour notebook (demos/tour.ipynb) runs clean, top to bottom, and shows its graphs and figures.

Needs the `notebook` extra (nbclient, nbformat, ipykernel); .ci/run installs it, so CI runs this.
"""
import json
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parent.parent / "demos" / "tour.ipynb"


def test_tour_is_committed_without_outputs():
    nb = json.loads(TOUR.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"cell {i} of {TOUR.name} has outputs: clear them before committing (diffs stay readable)")


@pytest.mark.slow
def test_tour_runs_and_shows_graphs_and_figures():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(TOUR, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(TOUR.parent)}}).execute()  # raises on a cell error
    graphs = figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kinds = {k for out in cell.outputs for k in out.get("data", {})}
        assert not any(out.get("output_type") == "error" for out in cell.outputs)
        if "mg.draw(" in cell.source:
            assert "image/svg+xml" in kinds, f"graph cell shows no SVG:\n{cell.source}"
            graphs += 1
        if "plt.show()" in cell.source or "template_grid(" in cell.source:
            assert "image/png" in kinds, f"figure cell shows no image:\n{cell.source}"
            figures += 1
    assert graphs >= 2 and figures >= 3

"""The main demo's report: one self-contained HTML page with nothing broken in it."""
import base64
import re
import shutil

import pytest

from demos import report

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_broken_references_finds_missing_files_anchors_and_remote_links(tmp_path):
    (tmp_path / "here.png").write_bytes(PNG_1x1)
    page = ("<a href='#ok'>x</a><section id='ok'></section><img src='here.png'><img src='gone.png'>"
            "<a href='#nowhere'>y</a><a href='https://example.org/x'>z</a><img src='data:image/png;base64,AA'>")
    assert report.broken_references(page, tmp_path) == ["gone.png", "#nowhere", "https://example.org/x"]


def test_figures_are_embedded_and_svgs_inline(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(PNG_1x1)
    svg = tmp_path / "g.svg"
    svg.write_text("<?xml version='1.0'?>\n<!DOCTYPE svg>\n<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>")
    html = report.figure({"path": str(png), "title": "T <1>", "caption": "c & d"})
    assert "data:image/png;base64," in html and "T &lt;1&gt;" in html and "c &amp; d" in html
    inline = report.figure({"path": str(svg), "title": "G", "caption": ""})
    assert inline.count("<svg") == 1 and "<?xml" not in inline and "DOCTYPE" not in inline


@pytest.mark.slow
def test_main_demo_quick_writes_a_self_contained_report(tmp_path):
    from demos.__main__ import main
    out = tmp_path / "out"
    assert main(["--quick", "--no-progress", "--out", str(out)]) == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    assert report.broken_references(html, out) == []
    assert not re.findall(r"\bsrc=['\"](?!data:)", html), "every image is embedded"
    for section in ("faces", "orientation", "sanity", "autoencoder", "graphs", "checks", "environment"):
        assert f"id='{section}'" in html
    assert "tour.ipynb'>demos/tour.ipynb</a>" in html  # the report links to the tour notebook
    assert "Model randomisation" in html and "Data randomisation" in html  # both sanity checks ran
    assert html.count("<img") >= 10
    text = re.sub(r"data:[^'\"]*", "", html)  # base64 figures can spell anything, "FAIL" included
    assert "FAIL" not in text and "gradient checks" in text
    rendered = shutil.which("dot") is not None
    assert html.count("<svg") >= (4 if rendered else 0)
    for name in ("face_mlp_collapsed", "face_mlp_expanded", "orientation_cnn_collapsed", "orientation_cnn_expanded"):
        assert (out / "graphs" / f"{name}.dot").stat().st_size > 500
        if rendered:
            assert (out / "graphs" / f"{name}.svg").stat().st_size > 1000


@pytest.mark.parametrize("argv, expect_extra_train", [(["--retrain"], True), (["--retrain", "--quick"], False),
                                                       ([], False)])
def test_main_demo_retrains_on_the_photos_the_shipped_model_was_trained_on(tmp_path, monkeypatch, argv,
                                                                           expect_extra_train):
    from demos import __main__ as main_demo
    from demos import orientation
    more = tmp_path / "more"
    more.mkdir()
    monkeypatch.setattr(main_demo, "MORE_TRAINING_PHOTOS", more)
    monkeypatch.setattr(orientation, "run", lambda flags: flags)
    flags = main_demo.run_orientation(main_demo.parse_args(argv + ["--extra-test", str(tmp_path)]))
    if expect_extra_train:
        assert flags[flags.index("--extra-train") + 1] == str(more)
    else:
        assert "--extra-train" not in flags

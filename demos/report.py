"""The HTML report: one self-contained file (images embedded, graphs inline) a person opens first.

Everything is embedded so the file can be mailed, archived or opened from a CI artifact without
its folder; the PNG/SVG files stay next to it for anyone who wants them separately.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em 2em; color: #222; }
h1 { margin-bottom: 0; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
.sub { color: #666; margin-top: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: .25em .7em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
td.fail { background: #fdd; } td.ok { color: #1a7f37; }
figure { margin: 1.2em 0; } figure img, figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 14px; max-width: 900px; }
figcaption b { color: #000; }
nav a { margin-right: 1em; }
details { margin: .5em 0; } summary { cursor: pointer; color: #0550ae; }
.graph { overflow: auto; max-height: 900px; border: 1px solid #eee; }
"""


def esc(x):
    return html.escape(str(x))


def fmt(v):
    if isinstance(v, float):
        return f"{v:.1%}" if 0 <= v <= 1 else f"{v:.3g}"
    return esc(v)


def table(header, rows, classes=None):
    """An HTML table; `classes[i][j]` optionally styles cell (i, j)."""
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            cls = classes[i][j] if classes and classes[i][j] else ""
            cells.append(f"<td class='{cls}'>{fmt(v)}</td>" if cls else f"<td>{fmt(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out + ["</table>"])


def embed_png(path):
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def inline_svg(path):
    """The SVG's markup without its XML prolog, so it can sit inside HTML."""
    text = Path(path).read_text(encoding="utf-8")
    return re.sub(r"^.*?(<svg\b)", r"\1", text, count=1, flags=re.S)


def figure(entry):
    """<figure> for a demo's figure entry {"path", "title", "caption"}; PNGs embedded, SVGs inline."""
    path = Path(entry["path"])
    title, caption = esc(entry.get("title", path.stem)), esc(entry.get("caption", ""))
    if path.suffix.lower() == ".svg":
        body = f"<div class='graph'>{inline_svg(path)}</div>"
    elif path.suffix.lower() in (".dot", ".gv"):  # not rendered (no Graphviz): show the source
        body = f"<details><summary>DOT source</summary><pre>{esc(path.read_text(encoding='utf-8'))}</pre></details>"
    else:
        body = f"<img src='{embed_png(path)}' alt='{title}'>"
    return f"<figure>{body}<figcaption><b>{title}.</b> {caption}</figcaption></figure>"


def page(title, subtitle, sections):
    """The whole document; `sections` is a list of (anchor, heading, html)."""
    nav = " ".join(f"<a href='#{a}'>{esc(h)}</a>" for a, h, _ in sections)
    body = "\n".join(f"<section id='{a}'><h2>{esc(h)}</h2>\n{content}</section>" for a, h, content in sections)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1><p class='sub'>{esc(subtitle)}</p>"
            f"<nav>{nav}</nav>\n{body}\n</body></html>\n")


def broken_references(html_text, root):
    """Every src/href in the page that is neither embedded, an anchor present in it, nor an existing file."""
    anchors = set(re.findall(r"\bid=['\"]([^'\"]+)['\"]", html_text))
    bad = []
    for ref in re.findall(r"\b(?:src|href)=['\"]([^'\"]*)['\"]", html_text):
        if ref.startswith("data:"):
            continue
        if ref.startswith("file://"):  # a file of the repository (the tour notebook), by absolute path
            if not Path(ref[len("file://"):]).exists():
                bad.append(ref)
            continue
        if ref.startswith("#"):
            if ref[1:] not in anchors:
                bad.append(ref)
        elif re.match(r"^[a-z]+://", ref) or not (Path(root) / ref).exists():
            bad.append(ref)
    return bad

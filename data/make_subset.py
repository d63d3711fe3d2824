"""Rebuild the shipped photo subset data/photos/ from the full photo collection.

Usage (from the repository root):

    python data/make_subset.py                       # src ../shared/data/photos, dst data/photos
    python data/make_subset.py --src SRC --dst DST
    python data/make_subset.py --check               # only verify DST against the rule, copy nothing

The rule (also written down in data/photos/SUBSET.md):

* ``imagenet_sample/``: every ``*.jpg`` file.
* ``sun_scenes/``: every ``*.jpg`` file.
* ``tinyimagenet_val64/``: for each of the 200 WordNet classes in ``labels.tsv``, the
  ``PER_CLASS`` = 12 files with the smallest numeric index ``N`` in ``val_N.jpg``
  (so 200 x 12 = 2,400 files, class-balanced). Rows of ``labels.tsv`` whose file does
  not exist in the source folder are ignored. ``labels.tsv`` is rewritten with only
  the selected rows, in the original row order.
* ``PROVENANCE.md`` and ``manifest.csv`` (which describes only the two complete
  folders) are copied unchanged.

No randomness is involved, so the subset is identical on every machine.  Only the
standard library is used (csv, pathlib, shutil).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SRC = HERE.parent.parent / "shared" / "data" / "photos"
DEFAULT_DST = HERE / "photos"

WHOLE_FOLDERS = ("imagenet_sample", "sun_scenes")
TINY = "tinyimagenet_val64"
PER_CLASS = 12
TOP_LEVEL_FILES = ("PROVENANCE.md", "manifest.csv")


def _val_index(name: str) -> int:
    # "val_123.jpg" -> 123
    return int(name.split("_", 1)[1].split(".", 1)[0])


def tiny_selection(src: Path) -> tuple[list[str], str]:
    """Return (selected file names, filtered labels.tsv text) for tinyimagenet_val64."""
    with open(src / TINY / "labels.tsv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header, body = rows[0], rows[1:]
    if header[:2] != ["file", "wnid"]:
        raise SystemExit(f"unexpected header in {src / TINY / 'labels.tsv'}: {header}")
    # labels.tsv in the full collection also lists 100 files that do not exist
    # (val_10000.jpg .. val_10099.jpg); only rows whose file is present count.
    present = {p.name for p in (src / TINY).glob("*.jpg")}
    body = [row for row in body if row[0] in present]
    by_class: dict[str, list[str]] = defaultdict(list)
    for row in body:
        by_class[row[1]].append(row[0])
    chosen: set[str] = set()
    for wnid, files in by_class.items():
        if len(files) < PER_CLASS:
            raise SystemExit(f"class {wnid} has only {len(files)} files (< {PER_CLASS})")
        chosen.update(sorted(files, key=_val_index)[:PER_CLASS])
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", lineterminator="\n")
    w.writerow(header)
    for row in body:
        if row[0] in chosen:
            w.writerow(row)
    return sorted(chosen, key=_val_index), out.getvalue()


def plan(src: Path) -> dict[str, list[str]]:
    """Relative paths (per folder) that make up the subset."""
    files = {d: sorted(p.name for p in (src / d).iterdir() if p.suffix.lower() == ".jpg")
             for d in WHOLE_FOLDERS}
    files[TINY], _ = tiny_selection(src)
    return files


def check(src: Path, dst: Path) -> list[str]:
    """Differences between dst and the rule (empty list = dst is exactly the subset)."""
    problems = []
    for folder, names in plan(src).items():
        want = set(names)
        have = {p.name for p in (dst / folder).glob("*.jpg")} if (dst / folder).is_dir() else set()
        for n in sorted(want - have):
            problems.append(f"missing {folder}/{n}")
        for n in sorted(have - want):
            problems.append(f"extra {folder}/{n}")
        for n in sorted(want & have):
            if (dst / folder / n).read_bytes() != (src / folder / n).read_bytes():
                problems.append(f"differs {folder}/{n}")
    _, labels = tiny_selection(src)
    lab = dst / TINY / "labels.tsv"
    if not lab.is_file() or lab.read_text(encoding="utf-8") != labels:
        problems.append(f"labels.tsv missing or different: {lab}")
    for name in TOP_LEVEL_FILES:
        if not (dst / name).is_file() or (dst / name).read_bytes() != (src / name).read_bytes():
            problems.append(f"missing or different: {dst / name}")
    return problems


def build(src: Path, dst: Path) -> dict[str, int]:
    counts = {}
    for folder, names in plan(src).items():
        (dst / folder).mkdir(parents=True, exist_ok=True)
        for n in names:
            # copyfile, not copy2: the source tree is read-only and we want writable copies.
            shutil.copyfile(src / folder / n, dst / folder / n)
        counts[folder] = len(names)
    _, labels = tiny_selection(src)
    (dst / TINY / "labels.tsv").write_text(labels, encoding="utf-8")
    for name in TOP_LEVEL_FILES:
        shutil.copyfile(src / name, dst / name)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="full photo collection (default: %(default)s)")
    ap.add_argument("--dst", type=Path, default=DEFAULT_DST, help="where the subset goes (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="only compare dst with the rule")
    args = ap.parse_args(argv)
    if not args.src.is_dir():
        print(f"source folder not found: {args.src}", file=sys.stderr)
        return 2
    if not args.check:
        counts = build(args.src, args.dst)
        print("copied:", ", ".join(f"{k}={v}" for k, v in counts.items()), f"total={sum(counts.values())}")
    problems = check(args.src, args.dst)
    for p in problems[:50]:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): {args.dst} does not match the subset rule", file=sys.stderr)
        return 1
    print(f"OK: {args.dst} matches the subset rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())

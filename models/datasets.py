"""Dataset loading for the vision demos: faces (recognition) and upright photos (orientation).

Only numpy and Pillow are needed. The data shipped in ``data/`` is research/teaching material
with its own terms (see ``data/**/PROVENANCE.md``); it is not covered by the code licence.

Faces
    ``load_faces(root)`` reads any ``<root>/<person>/<image>`` folder into a :class:`FaceSet`;
    ``split_by_person(labels)`` makes a deterministic per-person train/val/test split.

Photos (orientation task)
    ``load_photos(root)`` reads every photo below ``root`` into a :class:`PhotoSet`
    (EXIF orientation applied, square centre crop, resized to ``size x size``);
    ``rotations(images)`` / ``rotate(images, k)`` make the 0/90/180/270 degree classes;
    ``split_photos(n)`` splits photo indices (split photos *before* rotating, so the four
    rotations of one photo always land in the same split).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageOps

__all__ = [
    "DEFAULT_FACES",
    "DEFAULT_PHOTOS",
    "IMAGE_EXTENSIONS",
    "FaceSet",
    "PhotoSet",
    "load_faces",
    "split_by_person",
    "find_photos",
    "load_photos",
    "center_crop",
    "rotations",
    "rotate",
    "split_photos",
    "file_hashes",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FACES = REPO_ROOT / "data" / "faces" / "facescrub6"
DEFAULT_PHOTOS = REPO_ROOT / "data" / "photos"

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".pgm"})


# --------------------------------------------------------------------------- helpers


def _is_image_file(p: Path) -> bool:
    return (not p.name.startswith(".")) and p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()


def _check_root(root: str | os.PathLike, what: str) -> Path:
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"{what} folder not found: {root}")
    if not root.is_dir():
        raise FileNotFoundError(f"{what} root is not a directory: {root}")
    return root


def _check_fractions(val: float, test: float) -> None:
    if not (0.0 <= val < 1.0 and 0.0 <= test < 1.0 and val + test < 1.0):
        raise ValueError(f"need 0 <= val, test and val + test < 1, got val={val}, test={test}")


def _to_array(im: Image.Image) -> np.ndarray:
    return np.asarray(im, dtype=np.float32) * np.float32(1.0 / 255.0)


# --------------------------------------------------------------------------- faces


@dataclass
class FaceSet:
    """Face images with integer person labels.

    images: float32 (N, H, W) greyscale or (N, H, W, 3) colour, values in [0, 1].
    labels: int64 (N,), index into ``names``.
    names:  person names = sorted person-folder names.
    paths:  the file each image came from.
    """

    images: np.ndarray
    labels: np.ndarray
    names: list[str]
    paths: list[Path]

    def __len__(self) -> int:
        return len(self.labels)


def load_faces(root: str | os.PathLike = DEFAULT_FACES, size: int = 64, color: bool = False) -> FaceSet:
    """Load a ``<root>/<person>/<image>`` folder.

    Images (png/jpg/jpeg/bmp/pgm, any case) are converted with Pillow to ``'L'``
    (``color=False``, ITU-R 601-2 luma) or ``'RGB'`` and resized to ``size x size`` with
    LANCZOS when they are not that size already (the FaceScrub crops are square; a
    non-square image is resized, not cropped). Files at the top level of ``root``
    (metadata.csv, PROVENANCE.md, ...) and hidden files/folders are ignored.

    Raises FileNotFoundError if ``root`` is missing or not a directory, ValueError if there
    are no person folders, if a person folder has no images, or if an image cannot be read.
    """
    root = _check_root(root, "faces")
    size = int(size)
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    people = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
                    key=lambda d: d.name)
    if not people:
        raise ValueError(f"no person folders in {root} (expected <root>/<person>/<image files>)")
    mode = "RGB" if color else "L"
    shape = (size, size, 3) if color else (size, size)

    files: list[tuple[Path, int]] = []
    for label, d in enumerate(people):
        imgs = sorted((p for p in d.iterdir() if _is_image_file(p)), key=lambda p: p.name)
        if not imgs:
            raise ValueError(f"person folder has no images ({', '.join(sorted(IMAGE_EXTENSIONS))}): {d}")
        files.extend((p, label) for p in imgs)

    images = np.empty((len(files),) + shape, dtype=np.float32)
    for i, (p, _) in enumerate(files):
        try:
            with Image.open(p) as im:
                im = ImageOps.exif_transpose(im).convert(mode)
                if im.size != (size, size):
                    im = im.resize((size, size), Image.Resampling.LANCZOS)
                images[i] = _to_array(im)
        except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, ... on bad files
            raise ValueError(f"cannot read image {p}: {type(e).__name__}: {e}") from e
    labels = np.array([lab for _, lab in files], dtype=np.int64)
    return FaceSet(images=images, labels=labels, names=[d.name for d in people],
                   paths=[p for p, _ in files])


def split_by_person(labels: Sequence[int] | np.ndarray, seed: int = 0, val: float = 0.15,
                    test: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic per-person split into (train_idx, val_idx, test_idx).

    Each person's indices are shuffled with ``np.random.default_rng(seed)`` (persons in
    increasing label order) and cut: the first ``round(n * test)`` go to test, the next
    ``round(n * val)`` to val, the rest to train. Every person keeps at least one image in
    train; a person with >= 3 images gets at least one in val (if ``val > 0``) and one in
    test (if ``test > 0``). Returned arrays are sorted int64 indices into ``labels``;
    together they cover every index exactly once.
    """
    _check_fractions(val, test)
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    rng = np.random.default_rng(seed)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for person in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == person))
        n = len(idx)
        n_test, n_val = int(round(n * test)), int(round(n * val))
        if n >= 3:
            n_test = max(n_test, 1 if test > 0 else 0)
            n_val = max(n_val, 1 if val > 0 else 0)
        while n - n_test - n_val < 1:  # keep >= 1 in train: shrink the larger held-out part
            if n_test >= n_val:
                n_test -= 1
            else:
                n_val -= 1
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) if p else np.zeros(0, np.int64)
                 for p in parts)  # type: ignore[return-value]


# --------------------------------------------------------------------------- photos


@dataclass
class PhotoSet:
    """Upright photos, square-cropped and resized.

    images:  float32 (N, S, S, 3) colour or (N, S, S) greyscale, values in [0, 1].
    paths:   file of each image.
    sources: first-level subfolder of each photo relative to the root ("." if directly in it).
    skipped: (path, reason) for every file that could not be read (on_error="skip").
    """

    images: np.ndarray
    paths: list[Path]
    sources: list[str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)


def find_photos(root: str | os.PathLike = DEFAULT_PHOTOS) -> list[Path]:
    """All image files below ``root`` (recursive), sorted; hidden files and folders are skipped.

    Raises FileNotFoundError if ``root`` is missing or not a directory.
    """
    root = _check_root(root, "photos")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if not f.startswith(".") and os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS:
                found.append(Path(dirpath) / f)
    return sorted(found)


def center_crop(img: Image.Image) -> Image.Image:
    """The largest centred square of ``img`` (for odd leftovers the extra pixel is on the right/bottom)."""
    w, h = img.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    if w == h:
        return img
    return img.crop((left, top, left + s, top + s))


def _load_photo(path: Path, size: int, mode: str) -> np.ndarray:
    with Image.open(path) as im:
        # For JPEGs, let libjpeg decode at 1/2, 1/4 or 1/8 scale while both sides stay >= size
        # (fast, and the DCT downscale is a proper low-pass filter). No-op for other formats.
        im.draft(None, (size, size))
        im = ImageOps.exif_transpose(im)
        if im.mode != mode:
            im = im.convert(mode)
        im = center_crop(im)
        if im.size != (size, size):
            im = im.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
        return _to_array(im)


def load_photos(root: str | os.PathLike = DEFAULT_PHOTOS, size: int = 48, color: bool = True,
                limit: int | None = None, on_error: str = "skip") -> PhotoSet:
    """Load every photo below ``root`` (see :func:`find_photos`) into a :class:`PhotoSet`.

    Per photo: open with Pillow, apply the EXIF orientation, convert to RGB (``color=True``)
    or L, take the largest centred square (so the aspect ratio cannot reveal a rotation) and
    resize it to ``size x size`` (LANCZOS; big JPEGs are first decoded at reduced scale via
    ``draft``).

    limit: keep at most ``limit`` photos, evenly spaced over the sorted file list (so every
        source folder is represented); deterministic.
    on_error: "skip" records unreadable files in ``PhotoSet.skipped`` and goes on; "raise"
        raises ValueError naming the file.

    Raises FileNotFoundError if ``root`` is missing, ValueError if no photos are found (or
    none could be read).
    """
    if on_error not in ("skip", "raise"):
        raise ValueError(f'on_error must be "skip" or "raise", got {on_error!r}')
    size = int(size)
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    root = _check_root(root, "photos")
    paths = find_photos(root)
    if not paths:
        raise ValueError(f"no photos ({', '.join(sorted(IMAGE_EXTENSIONS))}) found under {root}")
    if limit is not None:
        if limit <= 0:
            raise ValueError(f"limit must be positive or None, got {limit}")
        if limit < len(paths):
            pick = np.linspace(0, len(paths), num=limit, endpoint=False).astype(int)
            paths = [paths[i] for i in pick]

    mode = "RGB" if color else "L"
    shape = (size, size, 3) if color else (size, size)
    images = np.empty((len(paths),) + shape, dtype=np.float32)
    kept: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in paths:
        try:
            images[len(kept)] = _load_photo(p, size, mode)
        except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, ... on bad files
            reason = f"{type(e).__name__}: {e}"
            if on_error == "raise":
                raise ValueError(f"cannot read photo {p}: {reason}") from e
            skipped.append((p, reason))
            continue
        kept.append(p)
    if not kept:
        raise ValueError(f"none of the {len(paths)} photos under {root} could be read; "
                         f"first error: {skipped[0][0]}: {skipped[0][1]}")
    images = images[: len(kept)]
    sources = [rel.parts[0] if len(rel.parts) > 1 else "." for rel in (p.relative_to(root) for p in kept)]
    return PhotoSet(images=images, paths=kept, sources=sources, skipped=skipped)


# --------------------------------------------------------------------------- rotations


def _check_square(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim not in (3, 4) or images.shape[1] != images.shape[2]:
        raise ValueError(f"expected square images of shape (N, S, S) or (N, S, S, C), got {images.shape}")
    return images


def rotations(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All four rotations of every image.

    Returns ``x`` of shape (4N, S, S[, C]) and ``y`` int64 (4N,) with ``x[4*i + k] ==
    np.rot90(images[i], k, axes=(0, 1))``, i.e. label k = the upright photo turned k * 90
    degrees counter-clockwise (0, 90, 180, 270). Rows are photo-major, so photo i owns
    rows 4i..4i+3 and a split by photo keeps its rotations together; ``np.rot90(x, -k)``
    turns a photo back upright. Memory is 4x the input: for big sets prefer
    :func:`rotate` on each batch.
    """
    images = _check_square(images)
    n = images.shape[0]
    x = np.stack([np.rot90(images, k, axes=(1, 2)) for k in range(4)], axis=1)
    x = x.reshape((4 * n,) + images.shape[1:])
    y = np.tile(np.arange(4, dtype=np.int64), n)
    return x, y


def rotate(images: np.ndarray, k: int | Sequence[int] | np.ndarray) -> np.ndarray:
    """Rotate each image by its own ``k[i] * 90`` degrees counter-clockwise (``np.rot90`` on axes (1, 2)).

    ``k`` is a scalar or an integer array of length N (taken mod 4). Vectorised by grouping
    the images that share a k. Returns a new array of the same shape and dtype.
    """
    images = _check_square(images)
    k = np.asarray(k)
    if k.ndim == 0:
        return np.ascontiguousarray(np.rot90(images, int(k) % 4, axes=(1, 2)))
    if k.shape != (images.shape[0],):
        raise ValueError(f"k must be a scalar or have shape ({images.shape[0]},), got {k.shape}")
    if not np.issubdtype(k.dtype, np.integer):
        raise ValueError(f"k must be integers, got dtype {k.dtype}")
    k = k % 4
    out = np.empty_like(images)
    for kk in range(4):
        m = k == kk
        if m.any():
            out[m] = np.rot90(images[m], kk, axes=(1, 2))
    return out


def file_hashes(paths: Sequence[str | os.PathLike]) -> list[str]:
    """A short content hash per file: how a photo is recognised whatever folder it sits in
    (a model's training photos must not be counted as test photos when copied elsewhere)."""
    return [hashlib.sha1(Path(p).read_bytes()).hexdigest()[:16] for p in paths]


def split_photos(n: int, seed: int = 0, val: float = 0.1,
                 test: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic random split of photo indices ``0..n-1`` into (train_idx, val_idx, test_idx).

    A permutation from ``np.random.default_rng(seed)`` is cut into ``round(n * test)`` test,
    ``round(n * val)`` val and the rest train. Returned arrays are sorted int64. Split the
    photos first and call :func:`rotations` on each part, so no photo appears in two splits.
    """
    _check_fractions(val, test)
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    n_test, n_val = int(round(n * test)), int(round(n * val))
    return (np.sort(perm[n_test + n_val:]).astype(np.int64),
            np.sort(perm[n_test:n_test + n_val]).astype(np.int64),
            np.sort(perm[:n_test]).astype(np.int64))

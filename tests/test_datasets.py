"""Tests for models/datasets.py (face and photo loaders, splits, rotations)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # so plain `pytest` works as well as `python -m pytest`
    sys.path.insert(0, str(ROOT))

Image = pytest.importorskip("PIL.Image")

from models import datasets as ds  # noqa: E402


# --------------------------------------------------------------------------- fixtures


def _save(path: Path, arr: np.ndarray, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, **kw)
    return path


@pytest.fixture
def face_root(tmp_path: Path) -> Path:
    """3 persons (sorted names: alice, bob, carol), 5/4/6 images, mixed formats and sizes."""
    rng = np.random.default_rng(1)
    root = tmp_path / "faces"
    counts = {"bob": 4, "alice": 5, "carol": 6}
    for person, n in counts.items():
        for i in range(n):
            arr = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
            ext = [".png", ".jpg", ".PNG", ".bmp", ".jpeg"][i % 5]
            _save(root / person / f"{person}_{i:03d}{ext}", arr)
    # a differently sized greyscale image and a pgm: must be resized / accepted
    _save(root / "carol" / "carol_big.pgm", rng.integers(0, 256, size=(80, 80), dtype=np.uint8))
    # things to ignore
    (root / "metadata.csv").write_text("file,person\n")
    (root / "PROVENANCE.md").write_text("test data\n")
    (root / "alice" / "notes.txt").write_text("not an image\n")
    (root / "alice" / ".hidden.png").write_bytes(b"garbage")
    (root / ".git").mkdir()
    return root


@pytest.fixture
def photo_root(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    root = tmp_path / "photos"
    _save(root / "a" / "wide.jpg", rng.integers(0, 256, size=(30, 60, 3), dtype=np.uint8))
    _save(root / "a" / "tall.png", rng.integers(0, 256, size=(70, 35, 3), dtype=np.uint8))
    _save(root / "b" / "deep" / "grey.jpg", rng.integers(0, 256, size=(50, 50), dtype=np.uint8))
    _save(root / "top.bmp", rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8))
    (root / "a" / "._wide.jpg").write_bytes(b"macOS resource fork, not a jpeg")  # hidden: ignored
    (root / ".cache").mkdir()
    _save(root / ".cache" / "thumb.png", np.zeros((8, 8), dtype=np.uint8))  # hidden folder: ignored
    (root / "b" / "labels.tsv").write_text("file\tlabel\n")
    (root / "PROVENANCE.md").write_text("test\n")
    return root


# --------------------------------------------------------------------------- faces


def test_load_faces_grey(face_root: Path):
    fs = ds.load_faces(face_root)
    assert fs.names == ["alice", "bob", "carol"]
    assert fs.images.shape == (16, 64, 64) and fs.images.dtype == np.float32
    assert fs.labels.dtype == np.int64 and fs.labels.shape == (16,)
    assert np.bincount(fs.labels).tolist() == [5, 4, 7]
    assert 0.0 <= fs.images.min() and fs.images.max() <= 1.0 and fs.images.max() > 0.5
    assert len(fs.paths) == len(fs) == 16
    for p, lab in zip(fs.paths, fs.labels):
        assert Path(p).parent.name == fs.names[lab]
    assert not any(Path(p).name.startswith(".") for p in fs.paths)
    # greyscale matches PIL convert('L') exactly for a lossless file of the right size
    p0 = fs.paths[0]
    ref = np.asarray(Image.open(p0).convert("L"), dtype=np.float32) / 255
    np.testing.assert_allclose(fs.images[0], ref, atol=1e-6)


def test_load_faces_color_and_size(face_root: Path):
    fs = ds.load_faces(face_root, size=32, color=True)
    assert fs.images.shape == (16, 32, 32, 3) and fs.images.dtype == np.float32
    assert 0.0 <= fs.images.min() and fs.images.max() <= 1.0
    grey = ds.load_faces(face_root, size=32)
    assert grey.images.shape == (16, 32, 32)
    assert grey.paths == fs.paths and np.array_equal(grey.labels, fs.labels)


def test_load_faces_missing_root(tmp_path: Path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        ds.load_faces(missing)


def test_load_faces_root_is_file(tmp_path: Path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(FileNotFoundError, match=re.escape(str(f))):
        ds.load_faces(f)


def test_load_faces_no_person_folders(tmp_path: Path):
    root = tmp_path / "empty"
    root.mkdir()
    (root / "metadata.csv").write_text("x\n")
    with pytest.raises(ValueError, match=re.escape(str(root))):
        ds.load_faces(root)


def test_load_faces_empty_person(face_root: Path):
    empty = face_root / "dave"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match=re.escape(str(empty))):
        ds.load_faces(face_root)


def test_load_faces_corrupt_image(face_root: Path):
    bad = face_root / "bob" / "bob_999.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        ds.load_faces(face_root)


def test_split_by_person():
    labels = np.repeat(np.arange(5), [20, 10, 3, 2, 1])
    tr, va, te = ds.split_by_person(labels, seed=0)
    for a in (tr, va, te):
        assert a.dtype == np.int64
    all_idx = np.concatenate([tr, va, te])
    assert sorted(all_idx.tolist()) == list(range(len(labels)))  # disjoint and complete
    for person in range(5):
        n = int((labels == person).sum())
        assert (labels[tr] == person).sum() >= 1
        if n >= 3:
            assert (labels[va] == person).sum() >= 1
            assert (labels[te] == person).sum() >= 1
    assert (labels[te] == 0).sum() == 3 and (labels[va] == 0).sum() == 3  # round(20 * 0.15)
    # determinism
    again = ds.split_by_person(labels, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    other = ds.split_by_person(labels, seed=1)
    assert not all(np.array_equal(a, b) for a, b in zip((tr, va, te), other))
    with pytest.raises(ValueError):
        ds.split_by_person(labels, val=0.6, test=0.5)


# --------------------------------------------------------------------------- photos


def test_center_crop():
    arr = np.arange(20 * 40, dtype=np.uint8).reshape(20, 40)  # 40 wide, 20 high
    img = Image.fromarray(arr)
    out = ds.center_crop(img)
    assert out.size == (20, 20)
    np.testing.assert_array_equal(np.asarray(out), arr[:, 10:30])
    tall = Image.fromarray(arr.T.copy())  # 20 wide, 40 high
    np.testing.assert_array_equal(np.asarray(ds.center_crop(tall)), arr.T[10:30, :])
    sq = Image.fromarray(arr[:, :20].copy())
    assert ds.center_crop(sq).size == (20, 20)


def test_find_photos(photo_root: Path):
    found = ds.find_photos(photo_root)
    rel = [p.relative_to(photo_root).as_posix() for p in found]
    assert rel == ["a/tall.png", "a/wide.jpg", "b/deep/grey.jpg", "top.bmp"]


def test_load_photos(photo_root: Path):
    ps = ds.load_photos(photo_root, size=24)
    assert ps.images.shape == (4, 24, 24, 3) and ps.images.dtype == np.float32
    assert 0.0 <= ps.images.min() and ps.images.max() <= 1.0
    assert ps.sources == ["a", "a", "b", "."]
    assert ps.skipped == [] and len(ps) == 4
    grey = ds.load_photos(photo_root, size=16, color=False)
    assert grey.images.shape == (4, 16, 16)
    assert ds.load_photos(photo_root, size=16, limit=2).images.shape[0] == 2


def test_load_photos_centre_crop_used(tmp_path: Path):
    # left/right thirds black, middle square white: after the centre crop the photo is all white
    arr = np.zeros((30, 90, 3), dtype=np.uint8)
    arr[:, 30:60] = 255
    _save(tmp_path / "p" / "x.png", arr)
    ps = ds.load_photos(tmp_path / "p", size=10)
    assert ps.images.shape == (1, 10, 10, 3)
    assert ps.images.min() > 0.95


def test_load_photos_exif_transpose(tmp_path: Path):
    # stored 30 wide x 20 high; EXIF orientation 6 = "rotate 90 degrees clockwise to display"
    arr = np.random.default_rng(3).integers(0, 256, size=(20, 30), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    _save(tmp_path / "p" / "r.png", arr, exif=exif.tobytes())
    ps = ds.load_photos(tmp_path / "p", size=20, color=False)
    shown = np.rot90(arr, -1)  # 20 wide x 30 high, as displayed
    np.testing.assert_allclose(ps.images[0], shown[5:25, :] / 255, atol=1e-6)
    _save(tmp_path / "q" / "r.png", arr)  # same pixels, no EXIF: plain centre crop
    plain = ds.load_photos(tmp_path / "q", size=20, color=False)
    np.testing.assert_allclose(plain.images[0], arr[:, 5:25] / 255, atol=1e-6)


def test_load_photos_corrupt(photo_root: Path):
    bad = photo_root / "b" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    ps = ds.load_photos(photo_root, size=16)
    assert len(ps) == 4 and ps.images.shape[0] == 4
    assert [p for p, _ in ps.skipped] == [bad]
    assert bad not in ps.paths
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        ds.load_photos(photo_root, size=16, on_error="raise")
    with pytest.raises(ValueError):
        ds.load_photos(photo_root, on_error="ignore")


def test_load_photos_errors(tmp_path: Path):
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        ds.load_photos(missing)
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "PROVENANCE.md").write_text("x")
    with pytest.raises(ValueError, match=re.escape(str(empty))):
        ds.load_photos(empty)


# --------------------------------------------------------------------------- rotations


def _corner_image(s: int = 5, channels: int | None = None) -> np.ndarray:
    img = np.zeros((s, s) if channels is None else (s, s, channels), dtype=np.float32)
    img[0, 0] = 1.0  # top-left
    return img


@pytest.mark.parametrize("channels", [None, 3])
def test_rotation_labels(channels):
    s = 5
    imgs = np.stack([_corner_image(s, channels), 0.5 * _corner_image(s, channels)])
    x, y = ds.rotations(imgs)
    assert x.shape == (8,) + imgs.shape[1:] and y.dtype == np.int64
    assert y.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    # counter-clockwise: top-left -> bottom-left -> bottom-right -> top-right
    where = {0: (0, 0), 1: (s - 1, 0), 2: (s - 1, s - 1), 3: (0, s - 1)}
    for row in range(8):
        photo, k = divmod(row, 4)
        plane = x[row] if channels is None else x[row][..., 0]
        r, c = np.unravel_index(np.argmax(plane), plane.shape)
        assert (r, c) == where[k] and y[row] == k
        assert plane.max() == pytest.approx(1.0 if photo == 0 else 0.5)  # rows 4i..4i+3 = photo i
        np.testing.assert_array_equal(x[row], np.rot90(imgs[photo], k))


def test_rotate_per_example():
    imgs = np.stack([_corner_image(4, 3) * (i + 1) for i in range(6)])
    k = np.array([0, 1, 2, 3, 5, -1])
    out = ds.rotate(imgs, k)
    assert out.shape == imgs.shape and out.dtype == imgs.dtype
    for i in range(6):
        np.testing.assert_array_equal(out[i], np.rot90(imgs[i], k[i] % 4, axes=(0, 1)))
    np.testing.assert_array_equal(ds.rotate(imgs, 2), np.rot90(imgs, 2, axes=(1, 2)))
    x, y = ds.rotations(imgs)
    np.testing.assert_array_equal(ds.rotate(np.repeat(imgs, 4, axis=0), y), x)
    with pytest.raises(ValueError):
        ds.rotations(np.zeros((2, 4, 5)))


def test_split_photos():
    tr, va, te = ds.split_photos(100, seed=0)
    assert (len(tr), len(va), len(te)) == (75, 10, 15)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(100))
    again = ds.split_photos(100, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    assert not np.array_equal(te, ds.split_photos(100, seed=1)[2])


# --------------------------------------------------------------------------- shipped data


@pytest.mark.skipif(not ds.DEFAULT_FACES.is_dir(), reason="shipped faces not present")
def test_shipped_faces():
    assert (ds.DEFAULT_FACES / "PROVENANCE.md").is_file()
    fs = ds.load_faces(size=32)
    assert len(fs) == 790 and fs.images.shape == (790, 32, 32)
    assert fs.names == ["baldwin", "carell", "chenoweth", "drescher", "ferrera", "hader"]


@pytest.mark.skipif(not ds.DEFAULT_PHOTOS.is_dir(), reason="shipped photos not present")
def test_shipped_photos():
    assert (ds.DEFAULT_PHOTOS / "PROVENANCE.md").is_file()
    paths = ds.find_photos()
    assert len(paths) >= 3000
    ps = ds.load_photos(size=16, limit=300)
    assert ps.images.shape == (300, 16, 16, 3) and ps.skipped == []
    assert set(ps.sources) == {"imagenet_sample", "sun_scenes", "tinyimagenet_val64"}

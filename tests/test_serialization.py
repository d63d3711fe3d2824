"""mg.save / mg.load: round trips, every way a file can be wrong, and atomic replacement."""
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, serialization


def _state():
    return {
        "model": {"fc.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "fc.bias": np.zeros(2, np.float64)},
        "nested": {"deeper": {"ints": np.array([1, -2], np.int16), "flags": np.array([True, False]),
                              "empty": np.zeros((0, 3), np.float32)}, "nothing": {}},
        "tensor": mg.tensor(np.ones(2, np.float32)),
        "scalar": np.float32(2.5),
        "epoch": 7, "lr": 0.125, "name": "run-α", "done": False, "none": None,
        "history": [0.5, 0.25, None, "x", [1, 2]],
    }


def test_round_trip_nested_dtypes_and_metadata(tmp_path):
    path = tmp_path / "ck.npz"
    mg.save(_state(), path)
    out = mg.load(path)
    assert set(out) == set(_state())
    w = out["model"]["fc.weight"]
    assert w.dtype == np.float32 and w.shape == (2, 3)
    np.testing.assert_array_equal(w, np.arange(6).reshape(2, 3))
    assert out["model"]["fc.bias"].dtype == np.float64
    deep = out["nested"]["deeper"]
    assert deep["ints"].dtype == np.int16 and deep["ints"].tolist() == [1, -2]
    assert deep["flags"].dtype == np.bool_ and deep["empty"].shape == (0, 3)
    assert out["nested"]["nothing"] == {}
    np.testing.assert_array_equal(out["tensor"], np.ones(2, np.float32))
    assert out["scalar"].dtype == np.float32 and out["scalar"] == 2.5
    assert (out["epoch"], out["lr"], out["name"], out["done"], out["none"]) == (7, 0.125, "run-α", False, None)
    assert out["history"] == [0.5, 0.25, None, "x", [1, 2]]


def test_files_are_plain_npz_readable_by_numpy(tmp_path):
    mg.save({"model": {"w": np.ones(3)}}, tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert "arrays/model/w" in z.files
        np.testing.assert_array_equal(z["arrays/model/w"], np.ones(3))


def test_model_state_dict_round_trip_into_a_fresh_model(tmp_path):
    mg.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    mg.manual_seed(1)
    b = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    assert not np.allclose(a(x).data, b(x).data)
    mg.save({"model": a.state_dict(), "step": 10}, tmp_path / "m.npz")
    ck = mg.load(tmp_path / "m.npz")
    b.load_state_dict(ck["model"])
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_bad_keys_and_values_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(ValueError, match="'a/b'.*'/'"):
        mg.save({"a/b": np.ones(1)}, path)
    with pytest.raises(ValueError, match="empty"):
        mg.save({"": np.ones(1)}, path)
    with pytest.raises(TypeError, match="key 3"):
        mg.save({"m": {3: np.ones(1)}}, path)
    with pytest.raises(TypeError, match="object"):
        mg.save({"o": np.array([{}], dtype=object)}, path)
    with pytest.raises(TypeError, match="set.*'meta/s'"):
        mg.save({"meta": {"s": {1, 2}}}, path)
    with pytest.raises(TypeError, match="must be a dict"):
        mg.save([np.ones(1)], path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_missing_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        mg.load(tmp_path / "nope.npz")


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "t.npz"
    mg.save({"w": np.random.default_rng(0).standard_normal(5000)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="t.npz"):
            mg.load(path)


def test_corrupted_array_bytes_are_detected(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"w": np.zeros(4000)}, path)
    data = bytearray(path.read_bytes())
    start = data.find(b"\x00" * 64)  # inside the zero array's payload: the zip CRC must catch it
    data[start:start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="c.npz"):
        mg.load(path)


def test_random_bytes_are_a_clear_error(tmp_path):
    path = tmp_path / "r.npz"
    path.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(ValueError, match="r.npz.*not a minigrad checkpoint"):
        mg.load(path)


def test_foreign_npz_and_npy_are_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(ValueError, match="plain.npz.*marker"):
        mg.load(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="single.npy"):
        mg.load(tmp_path / "single.npy")


def test_pickled_objects_are_never_unpickled(tmp_path):
    # a file that looks like ours (marker and tree) but whose array entry is a pickled object array
    path = tmp_path / "evil.npz"
    tree = '{"w": {"a": "arrays/w"}}'
    np.savez(path, **{"__minigrad_format__": np.frombuffer(serialization.FORMAT.encode(), np.uint8),
                      "__minigrad_tree__": np.frombuffer(tree.encode(), np.uint8),
                      "arrays/w": np.array([{"boom": 1}], dtype=object)})
    with pytest.raises(ValueError, match="evil.npz.*arrays/w"):
        mg.load(path)
    np.save(tmp_path / "obj.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="obj.npy"):
        mg.load(tmp_path / "obj.npy")


def test_wrong_version_and_broken_tree_are_named(tmp_path):
    path = tmp_path / "v.npz"
    np.savez(path, **{"__minigrad_format__": np.frombuffer(b"minigrad.save/99", np.uint8),
                      "__minigrad_tree__": np.frombuffer(b"{}", np.uint8)})
    with pytest.raises(ValueError, match="v.npz.*minigrad.save/99"):
        mg.load(path)
    np.savez(path, **{"__minigrad_format__": np.frombuffer(serialization.FORMAT.encode(), np.uint8),
                      "__minigrad_tree__": np.frombuffer(b"{not json", np.uint8)})
    with pytest.raises(ValueError, match="v.npz.*corrupt checkpoint"):
        mg.load(path)
    np.savez(path, **{"__minigrad_format__": np.frombuffer(serialization.FORMAT.encode(), np.uint8),
                      "__minigrad_tree__": np.frombuffer(b'{"w": {"a": "arrays/w"}}', np.uint8)})
    with pytest.raises(ValueError, match="v.npz.*'arrays/w' is missing"):
        mg.load(path)


def test_a_failed_replace_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    path = tmp_path / "keep.npz"
    mg.save({"version": 1, "w": np.ones(3)}, path)
    old = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="simulated"):
        mg.save({"version": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["keep.npz"]
    assert mg.load(path)["version"] == 1


def test_a_crash_midway_through_writing_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.npz"
    mg.save({"version": 1}, path)
    real = np.lib.format.write_array
    calls = []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # after part of the archive is already on disk
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", dying)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"version": 2, "a": np.ones(100), "b": np.ones(100)}, path)
    monkeypatch.undo()
    assert len(calls) == 2
    assert mg.load(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["keep.npz"]


def test_save_writes_exactly_the_given_path_with_normal_permissions(tmp_path):
    path = tmp_path / "model.ckpt"  # no .npz suffix appended behind the caller's back
    mg.save({"a": 1}, str(path))
    assert os.listdir(tmp_path) == ["model.ckpt"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask

"""`mg.save(state, path)` / `mg.load(path)`: nested dicts of arrays and plain metadata in one .npz.

Layout of the zip: every array under "arrays/<key>/<key>/..." (readable with plain `np.load`), plus
  __minigrad_format__  uint8 bytes of FORMAT, the marker that tells our files from foreign ones;
  __minigrad_tree__    uint8 bytes of a JSON skeleton of the nested dicts, in which each leaf is
                       {"a": entry name} for an array or {"v": value} for metadata.
Writes are atomic: a temp file in the same directory, flushed and fsynced, then os.replace()d over
the target, so a crash leaves either the old file or the new one. A crash can leave its temp file
behind (named `<target>.<pid>.<hex>.tmp`); the next save to the same target removes the ones whose
writer process is gone, so they never pile up. Loads never unpickle.
"""
from __future__ import annotations

import json
import os
import re
import zipfile

import numpy as np

from .tensor import Tensor

FORMAT = "minigrad.save/1"
SEP = "/"
_MARK, _TREE, _PREFIX = "__minigrad_format__", "__minigrad_tree__", "arrays"
_PLAIN = (str, int, float, bool, type(None))


def _meta(value, where):
    """`value` as JSON-ready plain data (lists for tuples), or raise naming where it sits."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        return [_meta(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):  # inside a list: plain data only (e.g. an optimizer's param_groups)
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"mg.save: key {k!r} at {where} is not a string")
        return {k: _meta(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(f"mg.save: cannot store {type(value).__name__} at {where!r}: values must be arrays, "
                    f"tensors, dicts, or plain metadata (str, int, float, bool, None, lists of those)")


def _flatten(state, path, arrays):
    tree = {}
    for k, v in state.items():
        if not isinstance(k, str):
            raise TypeError(f"mg.save: key {k!r} under {SEP.join(path) or 'the top level'} is a "
                            f"{type(k).__name__}; keys must be strings")
        if not k or SEP in k:
            raise ValueError(f"mg.save: key {k!r} under {SEP.join(path) or 'the top level'} is empty or contains "
                             f"{SEP!r}, which separates nested keys in the file")
        here = path + [k]
        if isinstance(v, dict):
            tree[k] = {"d": _flatten(v, here, arrays)}
        elif isinstance(v, (np.ndarray, np.generic, Tensor)):
            arr = np.asarray(v.data if isinstance(v, Tensor) else v)
            if arr.dtype.hasobject:
                raise TypeError(f"mg.save: array at {SEP.join(here)!r} has dtype object, which would need pickle")
            name = SEP.join([_PREFIX] + here)
            arrays[name] = arr
            tree[k] = {"a": name}
        else:
            tree[k] = {"v": _meta(v, SEP.join(here))}
    return tree


def _bytes_entry(text):
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def save(state, path):
    """Write `state` (a dict; nested dicts of arrays/tensors and plain metadata) to `path` atomically.

    Atomically: a crash mid-write leaves the previous checkpoint, never half a file.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> mg.save({"weights": {"w": mg.tensor([1.0, 2.0])}, "epoch": 3}, path)
        >>> mg.load(path)["epoch"]
        3
    """
    if not isinstance(state, dict):
        raise TypeError(f"mg.save: state must be a dict (e.g. model.state_dict()), got {type(state).__name__}")
    arrays = {}
    tree = _flatten(state, [], arrays)
    arrays[_MARK] = _bytes_entry(FORMAT)
    arrays[_TREE] = _bytes_entry(json.dumps(tree))
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    _remove_stale_temps(path)
    tmp = _open_temp(path)
    try:
        with os.fdopen(tmp[0], "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp[1], path)
    except BaseException:
        try:
            os.unlink(tmp[1])
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def _open_temp(path):
    """(fd, name) of a new file next to `path`; created with mode 0o666 so the umask applies as usual."""
    for _ in range(100):
        name = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"mg.save: could not create a temporary file next to {path}")


def _remove_stale_temps(path):
    """Delete temp files of earlier saves to `path` whose writer process no longer runs (it crashed
    mid-write); a live writer's temp file (another process saving concurrently) is left alone."""
    directory = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(re.escape(os.path.basename(path)) + r"\.(\d+)\.[0-9a-f]{8}\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = pattern.fullmatch(name)
        if m is None or _alive(int(m.group(1))):
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass  # removed by another saver meanwhile, or not ours to remove: harmless


def _alive(pid):
    """Whether a process with this id runs (on this machine); our own pid counts as alive."""
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill(pid, 0) would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but belongs to someone else, or cannot tell: keep its file
    return True


def _fsync_dir(directory):
    """Make the rename itself durable (best effort: not every platform can fsync a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unflatten(tree, entries, path):
    out = {}
    for k, node in tree.items():
        if "d" in node:
            out[k] = _unflatten(node["d"], entries, path)
        elif "a" in node:
            out[k] = entries(node["a"])
        elif "v" in node:
            out[k] = node["v"]
        else:
            raise ValueError(f"mg.load: {path}: corrupt checkpoint: bad tree node at {k!r}")
    return out


def load(path):
    """Read a file written by `mg.save`. Never unpickles; any other file raises ValueError naming it.

    Not unpickling means loading a checkpoint from elsewhere cannot run code.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
        >>> mg.save({"w": np.arange(3.0)}, path)
        >>> mg.load(path)["w"]
        array([0., 1., 2.])
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"mg.load: no such file: {path}")
    try:
        npz = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise ValueError(f"mg.load: {path} is not a minigrad checkpoint (not a readable .npz: {e})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"mg.load: {path} is a single .npy array, not a minigrad checkpoint (made by mg.save)")
    with npz:
        def entry(name):
            try:
                return npz[name]
            except KeyError:
                raise ValueError(f"mg.load: {path}: corrupt checkpoint: entry {name!r} is missing") from None
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
                # object arrays need pickle and are refused; CRC or truncation errors surface here too
                raise ValueError(f"mg.load: {path}: cannot read entry {name!r}: {e}") from None

        if _MARK not in npz.files:
            raise ValueError(f"mg.load: {path} is an .npz without the minigrad format marker: not written "
                             f"by mg.save (load it with np.load instead)")
        marker = entry(_MARK)
        fmt = marker.tobytes().decode("utf-8", "replace") if marker.dtype == np.uint8 else repr(marker)
        if fmt != FORMAT:
            raise ValueError(f"mg.load: {path} has format {fmt!r}; this minigrad reads {FORMAT!r}")
        try:
            tree = json.loads(entry(_TREE).tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"mg.load: {path}: corrupt checkpoint: unreadable metadata ({e})") from None
        if not isinstance(tree, dict):
            raise ValueError(f"mg.load: {path}: corrupt checkpoint: metadata is not a mapping")
        return _unflatten(tree, entry, path)

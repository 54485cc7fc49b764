"""Atomic writes: a file or folder appears complete or not at all.

Every writer of motiongen and ``render/`` goes through here (a test keeps :func:`os.replace` out of
every other module). A file is written under a hidden temporary name in its destination's folder
(same file system), flushed to disk and renamed onto the destination with one :func:`os.replace`
(atomic on POSIX and Windows); any exception removes the temporary file and leaves the
destination as it was. A folder built aside is swapped in the same way (:func:`replace_folder`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def commit(temporary: str | Path, path: str | Path) -> Path:
    """Move a finished ``temporary`` file (in ``path``'s folder) onto ``path``: flushed to disk,
    then renamed in one step. Returns ``path``."""
    _fsync(Path(temporary))
    os.replace(temporary, path)
    return Path(path)


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary file path next to ``path`` to write (by any library); on success it
    becomes ``path`` (:func:`commit`), on error it is removed and ``path`` is untouched.

    Args:
        suffix: ending of the temporary name, for writers that choose the format by it
            (``.npz`` for :func:`numpy.savez`, which would otherwise append one; ``.mp4``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".partial{suffix}")
    os.close(handle)
    try:
        yield Path(temporary)
        commit(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, payload: Any, **dump_options: Any) -> Path:
    """Write ``payload`` as JSON (``dump_options`` as for :func:`json.dumps`) to ``path`` atomically."""
    return write_text(path, json.dumps(payload, **dump_options))


def savez(path: str | Path, arrays: Mapping[str, Any]) -> Path:
    """:func:`numpy.savez` of ``arrays`` to ``path`` (an ``.npz``) atomically."""
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)
    return Path(path)


def replace_folder(staging: str | Path, final: str | Path, aside: str | Path) -> None:
    """Rename the complete folder ``staging`` onto ``final``. An existing ``final`` is first renamed
    to ``aside`` (a new name in the same folder), deleted once the new folder is in place, and put
    back when the rename fails."""
    final = Path(final)
    if not final.exists():
        os.replace(staging, final)
        return
    os.replace(final, aside)
    try:
        os.replace(staging, final)
    except OSError:
        os.replace(aside, final)
        raise
    shutil.rmtree(aside, ignore_errors=True)

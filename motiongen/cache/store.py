"""On-disk layout of the cache and its atomic writes.

::

    <cache_dir>/
      manifest.json            whole-cache facts (settings, takes: split, frames, categories, sources, ...)
      motion_format.json       the declared motion format with its train-split statistics
                               (:class:`motiongen.core.motion_format.MotionFormat`)
      stats.npz                the same statistics as arrays (``<name>_mean`` / ``<name>_std``)
      words/                   word-vector table of the corpus vocabulary (corpora with transcripts)
      takes/<take_id>/         one complete entry per take:
        <block>.npy              (N, width) float32 per motion block and per-frame condition stream
                                 (BEAT: gesture, expression, audio, word)
        entry.json               sources (size, mtime, sha256), settings hash, warnings, ...

Every builder first calls :func:`claim_cache_folder`: a cache is written only into a new or empty
folder, or one an earlier build marked as a motiongen cache. A take entry is written into a
temporary folder ``takes/.partial-<take_id>-<random>`` and moved to ``takes/<take_id>`` with one
rename (atomic on POSIX, :func:`motiongen.core.atomic.replace_folder`), so an interrupted run leaves either the complete entry or none;
a replaced entry is first renamed aside, then deleted. Leftover ``.partial-*`` / ``.stale-*``
folders are removed at the start of the next build.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from motiongen.core.atomic import replace_folder, write_json
from motiongen.core.hashing import sha256_text
from motiongen.output_folders import owned_or_new

MANIFEST = "manifest.json"
MOTION_FORMAT = "motion_format.json"
STATS = "stats.npz"
TAKES_DIR = "takes"
WORDS_DIR = "words"
ENTRY = "entry.json"
CACHE_FORMAT = 2  # bump when the layout or the meaning of stored arrays changes
_PARTIAL, _STALE = ".partial-", ".stale-"


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON (sorted keys) to ``path`` atomically."""
    write_json(path, payload, indent=1, sort_keys=True)


def claim_cache_folder(cache_dir: str | Path) -> Path:
    """The one check every cache builder makes before it writes: ``cache_dir`` must be new, empty or a
    cache motiongen wrote (its ``.motiongen-output`` marker, :mod:`motiongen.output_folders`); it is
    then created and marked. Returns it.

    Raises:
        ConfigError: ``cache_dir`` is a file, or a non-empty folder without the marker (nothing is written).
    """
    return owned_or_new(cache_dir, "feature cache", "cache folder (data.cache_dir)")


def settings_hash(settings: Mapping[str, Any]) -> str:
    """Short stable hash of JSON-serialisable settings (sorted keys)."""
    return sha256_text(json.dumps(settings, sort_keys=True, default=str), 16)


def take_dir(cache_dir: Path, take_id: str) -> Path:
    return Path(cache_dir) / TAKES_DIR / take_id


def read_entry(cache_dir: Path, take_id: str) -> dict | None:
    """The ``entry.json`` of a complete take entry, or None when there is none (or it is unreadable)."""
    path = take_dir(cache_dir, take_id) / ENTRY
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def write_take(cache_dir: Path, take_id: str, arrays: Mapping[str, np.ndarray], entry: Mapping[str, Any]) -> None:
    """Atomically (re)place the entry of one take: one ``<name>.npy`` per array and ``entry.json``."""
    takes = Path(cache_dir) / TAKES_DIR
    takes.mkdir(parents=True, exist_ok=True)
    staging = takes / f"{_PARTIAL}{take_id}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        for block, array in arrays.items():
            np.save(staging / f"{block}.npy", np.ascontiguousarray(array, dtype=np.float32))
        (staging / ENTRY).write_text(json.dumps(entry, indent=1, sort_keys=True), encoding="utf-8")
        replace_folder(staging, takes / take_id, takes / f"{_STALE}{take_id}-{uuid.uuid4().hex[:8]}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def remove_leftovers(cache_dir: Path) -> list[str]:
    """Delete the temporary folders an interrupted run left behind; return their names."""
    takes = Path(cache_dir) / TAKES_DIR
    if not takes.is_dir():
        return []
    leftovers = [p for p in takes.iterdir() if p.name.startswith((_PARTIAL, _STALE))]
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return sorted(p.name for p in leftovers)


def open_block(cache_dir: Path, take_id: str, block: str) -> np.ndarray:
    """Memory-map one block of a take: ``(N, D)`` float32, read-only."""
    return np.load(take_dir(cache_dir, take_id) / f"{block}.npy", mmap_mode="r")

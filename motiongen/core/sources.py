"""Fingerprints of a take's source files, to decide whether its cache entry is still current.

A fingerprint is ``{"path", "size", "mtime_ns", "sha256"}``. A source is unchanged when its size and
modification time match the recorded ones, or — if only the time differs (a copy, a ``touch``) —
when its content hash still matches. Hashing streams the file in 1 MiB blocks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from motiongen.core.hashing import sha256_file


def fingerprint(path: str | Path) -> dict:
    """``{"path", "size", "mtime_ns", "sha256"}`` of a file (symlinks followed)."""
    path = Path(path)
    stat = os.stat(path)
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256_file(path)}


def unchanged(recorded: Mapping, path: str | Path) -> bool:
    """Whether ``path`` still holds what ``recorded`` (a :func:`fingerprint`) describes."""
    path = Path(path)
    try:
        stat = os.stat(path)
    except OSError:
        return False
    if str(path) != recorded.get("path") or stat.st_size != recorded.get("size"):
        return False
    if stat.st_mtime_ns == recorded.get("mtime_ns"):
        return True
    return sha256_file(path) == recorded.get("sha256")


def sources_unchanged(recorded: Mapping[str, Mapping], current: Mapping[str, str | Path]) -> bool:
    """Same set of modalities, each file :func:`unchanged`."""
    return set(recorded) == set(current) and all(unchanged(recorded[m], current[m]) for m in current)

"""Folders motiongen owns: a marker file says "a motiongen run wrote this", and only such folders
are ever replaced or cleared.

Every command that writes a folder of its own (a generation run, the quickstart, a feature cache,
a training run) puts :data:`MARKER_NAME` into it. Anything that would delete or replace files —
``motiongen generate --overwrite``, a quickstart re-run, cache rebuilds, checkpoint pruning — first
calls :func:`require_owned`, which refuses a non-empty folder without the marker (naming the
folder) before touching anything. Folders are created with :func:`make_folder`, which gives them
the permissions a plain ``mkdir`` would (the process umask decides), never owner-only ones.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from motiongen.core.errors import ConfigError

MARKER_NAME = ".motiongen-output"


def is_owned(folder: str | Path) -> bool:
    """True when ``folder`` holds the marker of a motiongen run."""
    return (Path(folder) / MARKER_NAME).is_file()


def mark(folder: str | Path, kind: str) -> Path:
    """Write the marker into the existing ``folder``; ``kind`` says what wrote it (e.g. ``"cache"``)."""
    from motiongen import __version__

    path = Path(folder) / MARKER_NAME
    if not path.is_file():
        payload = {"written_by": "motiongen", "version": __version__, "kind": kind}
        path.write_text(json.dumps(payload) + "\n", encoding="utf-8")
    return path


def require_owned(folder: str | Path, what: str = "output folder") -> Path:
    """Refuse (before anything is written or deleted) a non-empty ``folder`` motiongen did not write.

    A missing or empty folder, or one holding the marker, passes.

    Raises:
        ConfigError: ``folder`` is a file, or a non-empty folder without the marker.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{what} {folder} exists and is not a folder")
    if folder.is_dir() and not is_owned(folder) and any(folder.iterdir()):
        raise ConfigError(
            f"{what} {folder} is not empty and was not written by motiongen (it has no {MARKER_NAME} "
            "marker), so motiongen will not replace or delete anything in it; choose an empty or new folder"
        )
    return folder


def make_folder(folder: str | Path) -> Path:
    """``mkdir -p`` with the permissions a plain ``mkdir`` gives (mode 0o777 minus the umask)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_sibling(folder: Path, label: str) -> Path:
    """A new uniquely named hidden folder next to ``folder`` (same file system, so it can be renamed
    onto ``folder`` atomically), created with normal ``mkdir`` permissions."""
    sibling = folder.parent / f".{folder.name}.{label}-{uuid.uuid4().hex[:10]}"
    os.mkdir(sibling)
    return sibling


def owned_or_new(folder: str | Path, kind: str, what: str = "output folder") -> Path:
    """Check ``folder`` with :func:`require_owned`, create it and mark it; returns it."""
    folder = require_owned(folder, what)
    make_folder(folder)
    mark(folder, kind)
    return folder

"""Atomic file writes: a file is written to a temporary name in its folder and moved into place with
one ``os.replace``, so an interrupted run leaves the complete old file, the complete new one, or none."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np


def write_npz_atomic(path: Path, arrays: Mapping[str, Any]) -> None:
    """``np.savez`` of ``arrays`` to ``path`` through a temporary file in the same folder (fsynced)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".partial.npz")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""All-or-nothing output folders: build the run in a hidden sibling, then rename it into place.

A run's folder either appears complete or not at all: files are written into a temporary
directory next to the destination (same file system, so the final rename is atomic,
:func:`motiongen.core.atomic.replace_folder`);
any exception removes the temporary directory and leaves the destination untouched. The run folder
carries motiongen's marker (:mod:`motiongen.output_folders`): ``overwrite`` replaces only a folder
an earlier run wrote, never a folder of other files. Folders get the permissions of a plain ``mkdir``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from motiongen.core.atomic import replace_folder
from motiongen.core.errors import ConfigError
from motiongen.output_folders import make_folder, make_sibling, mark, require_owned


def check_destination(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Validate a run folder destination before any work starts (fail fast, write nothing).

    Raises:
        ConfigError: ``out_dir`` is a file; a non-empty folder and ``overwrite`` is False; or a
            non-empty folder without motiongen's marker (``overwrite`` never replaces those).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"output path {out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise ConfigError(f"output folder {out_dir} already exists and is not empty (choose another --out or pass --overwrite)")
        require_owned(out_dir)
    return out_dir


@contextmanager
def atomic_run_folder(out_dir: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it becomes ``out_dir``, on error it vanishes.

    With ``overwrite``, an existing ``out_dir`` written by an earlier motiongen run is moved aside
    first and deleted only after the new folder is in place (restored if the final rename fails).
    """
    out_dir = check_destination(out_dir, overwrite).resolve()
    make_folder(out_dir.parent)
    staging = make_sibling(out_dir, "partial")
    try:
        mark(staging, "generation")
        yield staging
        previous = None
        if out_dir.exists():
            check_destination(out_dir, overwrite)  # the folder may have changed while the run was computed
            previous = make_sibling(out_dir, "old")
        try:
            replace_folder(staging, out_dir, aside=previous / "run" if previous is not None else out_dir)
        finally:
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)

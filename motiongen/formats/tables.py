"""Reading comma-separated tables (Live Link Face CSV, split override CSV) with errors that name the file."""

from __future__ import annotations

import csv
from pathlib import Path

from motiongen.core.errors import InputFileError


def read_csv_rows(path: str | Path) -> list[list[str]]:
    """Return every row of a CSV file as a list of cells (a UTF-8 byte-order mark is ignored).

    Raises:
        InputFileError: the file is missing, unreadable, not UTF-8 or not parseable as CSV.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return list(csv.reader(handle))
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputFileError(path, f"cannot read as CSV: {err}") from None

"""SHA-256 digests of files and text, as hex strings (optionally cut to their first ``digits``).

Files are read in 1 MiB blocks (checkpoints and videos are not loaded whole). What is hashed where:
input files and checkpoints recorded in a run's metadata, cache sources (resume checks), evaluator
networks (12 digits, in reports), settings of a cache entry (16 digits of their sorted JSON), the
renderer's video cache names.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1 << 20


def _cut(digest: str, digits: int | None) -> str:
    return digest if digits is None else digest[:digits]


def sha256_file(path: str | Path, digits: int | None = None) -> str:
    """Hex SHA-256 of a file's bytes (the first ``digits`` hex digits; all 64 for None)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return _cut(digest.hexdigest(), digits)


def sha256_text(text: str, digits: int | None = None) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8 (the first ``digits`` hex digits; all 64 for None)."""
    return _cut(hashlib.sha256(text.encode("utf-8")).hexdigest(), digits)

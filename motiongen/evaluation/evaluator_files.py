"""Saving and loading trained evaluator networks (feature extractors, sync scorer) with a hash.

A file holds ``{"format", "kind", "config", "state_dict", "info"}`` (plain types and tensors, so it
loads with ``torch.load(weights_only=True)``). Its identity is the first 12 hex digits of the
SHA-256 of the file: every FGD/FD/sync number reports the hash of the network that produced it.
Files are written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import torch

from motiongen.core.errors import InputFileError

EVALUATOR_FORMAT = 1
EVALUATORS_DIR = "evaluators"  # inside the cache folder
KINDS = ("motion_features", "sync", "sign_classifier")


def evaluator_dir(cache_dir: str | Path) -> Path:
    """``<cache_dir>/evaluators``: where ``motiongen train-evaluator`` puts its networks."""
    return Path(cache_dir) / EVALUATORS_DIR


def file_hash(path: str | Path) -> str:
    """First 12 hex digits of the SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def save_evaluator(path: str | Path, kind: str, config: dict, module: torch.nn.Module, info: dict) -> str:
    """Write an evaluator network atomically; returns its hash."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": EVALUATOR_FORMAT, "kind": kind, "config": dict(config),
               "state_dict": {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}, "info": dict(info)}
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return file_hash(path)


def read_evaluator(path: str | Path, kind: str) -> dict:
    """The payload of an evaluator file of ``kind``, plus ``"hash"`` and ``"path"``.

    Raises:
        InputFileError: missing, unreadable, another kind, or another format version.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, f"no evaluator network here: run `motiongen train-evaluator` first")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a corrupt file
        raise InputFileError(path, f"not a readable evaluator file ({type(err).__name__}: {err})") from None
    if not isinstance(payload, dict) or payload.get("format") != EVALUATOR_FORMAT:
        raise InputFileError(path, f"not a motiongen evaluator file of format {EVALUATOR_FORMAT}")
    if payload.get("kind") != kind:
        raise InputFileError(path, f"holds a {payload.get('kind')!r} network, expected {kind!r}")
    payload["hash"] = file_hash(path)
    payload["path"] = str(path)
    return payload

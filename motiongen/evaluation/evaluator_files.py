"""Saving and loading trained evaluator networks (feature extractors, sync scorer) with a hash.

A file holds ``{"format", "kind", "config", "state_dict", "info"}`` (plain types and tensors, so it
loads with ``torch.load(weights_only=True)``). Its identity is the first 12 hex digits of the
SHA-256 of the file: every FGD/FD/sync number reports the hash of the network that produced it.
Files are written atomically (:mod:`motiongen.core.atomic`).
"""

from __future__ import annotations

from pathlib import Path

import torch

from motiongen.core.atomic import atomic_path
from motiongen.core.errors import InputFileError
from motiongen.core.hashing import sha256_file

EVALUATOR_FORMAT = 1
EVALUATORS_DIR = "evaluators"  # inside the cache folder
#: Hex digits of an evaluator file's SHA-256 named in reports.
HASH_DIGITS = 12
KINDS = ("motion_features", "sync", "sign_classifier")


def evaluator_dir(cache_dir: str | Path) -> Path:
    """``<cache_dir>/evaluators``: where ``motiongen train-evaluator`` puts its networks."""
    return Path(cache_dir) / EVALUATORS_DIR


def save_evaluator(path: str | Path, kind: str, config: dict, module: torch.nn.Module, info: dict) -> str:
    """Write an evaluator network atomically; returns its hash."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": EVALUATOR_FORMAT, "kind": kind, "config": dict(config),
               "state_dict": {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}, "info": dict(info)}
    with atomic_path(path) as temporary:
        torch.save(payload, temporary)
    return sha256_file(path, HASH_DIGITS)


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
    payload["hash"] = sha256_file(path, HASH_DIGITS)
    payload["path"] = str(path)
    return payload

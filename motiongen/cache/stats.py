"""Per-dimension normalisation statistics of the cache blocks, from the train split only.

``mean`` and ``std`` are accumulated in float64 over every frame of every train take (one take in
memory at a time, read through its memory map). Dimensions whose std is below ``std_floor``
(constant or nearly constant: a joint that never moves, a blendshape that is always 0, the silence
flag of a corpus without pauses) get ``std = std_floor`` so normalisation never divides by ~0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from motiongen.core.atomic import savez
from motiongen.cache.store import open_block


def compute_stats(cache_dir: Path, take_ids: Iterable[str], blocks: Iterable[str],
                  std_floor: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{block: (mean (D,), std (D,))}`` float32 over the frames of ``take_ids``, for each of ``blocks``.

    Raises:
        ValueError: no take given, or a take with no frames only.
    """
    take_ids = list(take_ids)
    if not take_ids:
        raise ValueError("normalisation statistics need at least one train take")
    stats = {}
    for block in blocks:
        total = sum_sq = None
        count = 0
        for take_id in take_ids:
            values = np.asarray(open_block(cache_dir, take_id, block), dtype=np.float64)
            if total is None:
                total, sum_sq = np.zeros(values.shape[1]), np.zeros(values.shape[1])
            total += values.sum(axis=0)
            sum_sq += np.square(values).sum(axis=0)
            count += len(values)
        if count == 0:
            raise ValueError("normalisation statistics need frames; the train takes are empty")
        mean = total / count
        std = np.sqrt(np.maximum(sum_sq / count - mean**2, 0.0))
        stats[block] = (mean.astype(np.float32), np.maximum(std, std_floor).astype(np.float32))
    return stats


def save_stats(path: Path, stats: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Write ``{block}_mean`` / ``{block}_std`` arrays to an ``.npz`` atomically."""
    arrays = {}
    for block, (mean, std) in stats.items():
        arrays[f"{block}_mean"], arrays[f"{block}_std"] = mean, std
    savez(path, arrays)


def load_stats(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read what :func:`save_stats` wrote."""
    with np.load(path) as data:
        blocks = [key[: -len("_mean")] for key in data.files if key.endswith("_mean")]
        return {block: (data[f"{block}_mean"], data[f"{block}_std"]) for block in blocks}

"""Diversity of generated motion: feature-space, DiffSHEG's chunked version, and L1div.

* :func:`feature_diversity` — average pairwise L1 distance between the extractor features of
  generated clips (the "Diversity" column of BEAT-style tables computed in the FGD feature space;
  ``scipy.spatial.distance.pdist(..., 'cityblock')``). No released code of the papers above fixes
  its norm or pairs (docs/metrics.md).
* :func:`chunked_diversity` — DiffSHEG (``trainers/ddpm_beat_trainer.py``, validation): clips are
  taken in consecutive groups of 50 (all of them when fewer; a remainder past the last whole
  group is left out); a group's score is the mean over its pairs of the mean absolute difference
  (per frame and channel), and groups are averaged weighted by their size (``AverageMeter``).
  Here the clips are consecutive chunks of ``chunk_frames`` frames of each generated take,
  normalised with the training statistics.
* :func:`l1div` — BEAT/EMAGE ``L1div``: Σ |x − mean_t x| over all frames and channels, divided by
  the number of frames (``L1div.run`` then ``avg`` with one call per sequence; a set pools the
  sums and frame counts of its takes). BEAT (``scripts/BEAT_2022/test.py`` 188-190) runs it on
  the generated Euler angles in degrees of its 47 joints, as motiongen's evaluation does.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist

DIFFSHEG_GROUP = 50  # "B_div = 50", ddpm_beat_trainer.py


def _matrix(array: np.ndarray, name: str, min_rows: int) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < min_rows:
        raise ValueError(f"{name} must be (N >= {min_rows}, C), got shape {array.shape}")
    return array


def feature_diversity(features: np.ndarray) -> float:
    """Mean over pairs i < j of ``Σ_c |f_i,c − f_j,c|`` for ``features (N, C)``, N >= 2."""
    return float(pdist(_matrix(features, "features", 2), metric="cityblock").mean())


def chunked_diversity(motions: list[np.ndarray], chunk_frames: int, group: int = DIFFSHEG_GROUP) -> float | None:
    """DiffSHEG's grouped diversity over normalised ``motions [(T_i, D)]``.

    Each motion gives ``T_i // chunk_frames`` whole chunks (a shorter tail is left out); the chunks
    of a motion form groups of ``group`` consecutive chunks (one group of all of them when there
    are fewer, the remainder after the last whole group dropped); a group of n >= 2 chunks scores
    the mean over its pairs of ``mean_{t,d} |c_i − c_j|``; the result is the n-weighted mean over
    all groups, or None when no motion has two chunks.
    """
    if chunk_frames < 1 or group < 2:
        raise ValueError(f"chunk_frames must be >= 1 and group >= 2, got {chunk_frames} and {group}")
    total, weight = 0.0, 0
    for motion in motions:
        motion = _matrix(motion, "motion", 1)
        count = motion.shape[0] // chunk_frames
        if count < 2:
            continue
        chunks = motion[: count * chunk_frames].reshape(count, -1)
        size = min(group, count)
        for start in range(0, count - size + 1, size):
            pairs = pdist(chunks[start: start + size], metric="cityblock") / chunks.shape[1]
            total += float(pairs.mean()) * size
            weight += size
    return total / weight if weight else None


def l1div(motions) -> float:
    """BEAT/EMAGE L1div of takes ``[(T_i, D)]`` (or one ``(T, D)`` array):
    ``Σ_i Σ_{t,d} |x_t,d − mean_t x_·,d| / Σ_i T_i`` (each take centred on its own mean)."""
    motions = [motions] if isinstance(motions, np.ndarray) and motions.ndim == 2 else list(motions)
    motions = [_matrix(motion, "motion", 1) for motion in motions]
    if not motions:
        raise ValueError("L1div needs at least one take")
    return float(sum(np.abs(x - x.mean(axis=0)).sum() for x in motions) / sum(len(x) for x in motions))

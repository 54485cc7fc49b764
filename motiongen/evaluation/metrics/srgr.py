"""SRGR (semantic-relevance gesture recall), from BEAT's semantic labels.

BEAT's ``SRGR.run(results, targets, semantic)``: per frame and joint, the error is the sum over the
three rotation components of ``|generated − ground truth|``; a joint "recalls" the gesture when the
error is below the threshold (BEAT/CaMN: ``SRGR(4, 47)`` — 4 on its Euler-degree rotations). Each
frame's recall rate is weighted by the frame's semantic score (the score of the labelled segment
covering it, 0 outside any segment).

:func:`srgr` is BEAT's arithmetic (``scripts/BEAT_2022/utils/metric.py`` ``SRGR``, 27-48, as
``scripts/BEAT_2022/test.py`` calls it, 76, 202-203, 216): each weighted recall is multiplied by the
constant 1/0.165 (BEAT's corpus-mean semantic score) and the result is the mean over frames and
joints, pooled over takes by frame count — the same as one mean over all frames of the set. So the
ground truth against itself scores ``mean(semantic) / 0.165``, 1 only on BEAT-like label statistics.
:func:`srgr_normalised` (motiongen's variant, column ``srgr_normalised``) divides by the sum of the
weights instead, so the ground truth scores exactly 1. Rotations are Euler angles in degrees as in
BEAT (motiongen passes each joint's BVH-channel Euler angles).
"""

from __future__ import annotations

import numpy as np

BEAT_THRESHOLD_DEG = 4.0
BEAT_SEMANTIC_MEAN = 0.165  # "srgr == 0.165 when all success, scale range to [0, 1]"


def frame_semantic_scores(segments, num_frames: int, fps: float) -> np.ndarray:
    """Per-frame semantic score ``(F,)`` from segments with ``start``/``end`` seconds and ``score``
    (a corpus's semantic-relevance annotation); frame t covers time ``t / fps``;
    a later segment overrides an earlier one where they overlap."""
    scores = np.zeros(num_frames, dtype=np.float64)
    times = np.arange(num_frames) / float(fps)
    for segment in segments:
        scores[(times >= segment.start) & (times < segment.end)] = segment.score
    return scores


def _recall(generated_deg, target_deg, semantic, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    generated = np.asarray(generated_deg, dtype=np.float64)
    target = np.asarray(target_deg, dtype=np.float64)
    weights = np.asarray(semantic, dtype=np.float64).reshape(-1)
    if generated.shape != target.shape or generated.ndim != 3:
        raise ValueError(f"generated and target must both be (F, J, C), got {generated.shape} and {target.shape}")
    if weights.shape[0] != generated.shape[0]:
        raise ValueError(f"{weights.shape[0]} semantic scores for {generated.shape[0]} frames")
    return (np.abs(generated - target).sum(axis=-1) < threshold).mean(axis=1), weights


def srgr(generated_deg: np.ndarray, target_deg: np.ndarray, semantic: np.ndarray,
         threshold: float = BEAT_THRESHOLD_DEG) -> float:
    """BEAT's SRGR of ``generated_deg (F, J, 3)`` against ``target_deg (F, J, 3)`` with ``semantic (F,)``
    frame scores: ``mean_t s_t · mean_j [Σ_c |g − y| < threshold] / 0.165``."""
    recall, weights = _recall(generated_deg, target_deg, semantic, threshold)
    return float((weights * recall).mean() / BEAT_SEMANTIC_MEAN)


def srgr_normalised(generated_deg: np.ndarray, target_deg: np.ndarray, semantic: np.ndarray,
                    threshold: float = BEAT_THRESHOLD_DEG) -> float:
    """motiongen's SRGR: ``Σ_t s_t · mean_j [Σ_c |g − y| < threshold] / Σ_t s_t``; NaN when every
    weight is 0 (the ground truth scores 1)."""
    recall, weights = _recall(generated_deg, target_deg, semantic, threshold)
    if weights.sum() <= 0:
        return float("nan")
    return float((weights * recall).sum() / weights.sum())

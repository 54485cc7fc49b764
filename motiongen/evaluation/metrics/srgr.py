"""SRGR (semantic-relevance gesture recall), from BEAT's semantic labels.

BEAT's ``SRGR.run(results, targets, semantic)``: per frame and joint, the error is the sum over the
three rotation components of ``|generated − ground truth|``; a joint "recalls" the gesture when the
error is below the threshold (BEAT/CaMN: ``SRGR(4, 47)`` — 4 on its Euler-degree rotations). Each
frame's recall rate is weighted by the frame's semantic score (the score of the labelled segment
covering it, 0 outside any segment).

Difference: BEAT multiplies by the constant 1/0.165 (its corpus-mean semantic score) and divides by
the frame count, so ground truth against itself is not exactly 1 on any other data; here the
weighted frame mean is divided by the sum of the weights, so the ground truth scores exactly 1.
Rotations are whatever the caller passes in degrees (motiongen: axis-angle vectors in degrees,
BEAT: Euler angles in degrees).
"""

from __future__ import annotations

import numpy as np

BEAT_THRESHOLD_DEG = 4.0


def frame_semantic_scores(segments, num_frames: int, fps: float) -> np.ndarray:
    """Per-frame semantic score ``(F,)`` from segments with ``start``/``end`` seconds and ``score``
    (e.g. :class:`motiongen.corpus.semantic.SemanticSegment`); frame t covers time ``t / fps``;
    a later segment overrides an earlier one where they overlap."""
    scores = np.zeros(num_frames, dtype=np.float64)
    times = np.arange(num_frames) / float(fps)
    for segment in segments:
        scores[(times >= segment.start) & (times < segment.end)] = segment.score
    return scores


def srgr(generated_deg: np.ndarray, target_deg: np.ndarray, semantic: np.ndarray,
         threshold: float = BEAT_THRESHOLD_DEG) -> float:
    """Semantic-weighted joint recall of ``generated_deg (F, J, 3)`` against ``target_deg (F, J, 3)``.

    Args:
        semantic: ``(F,)`` frame weights in [0, 1].
    Returns:
        ``Σ_t s_t · mean_j [Σ_c |g − y| < threshold] / Σ_t s_t``; NaN when every weight is 0.
    """
    generated = np.asarray(generated_deg, dtype=np.float64)
    target = np.asarray(target_deg, dtype=np.float64)
    weights = np.asarray(semantic, dtype=np.float64).reshape(-1)
    if generated.shape != target.shape or generated.ndim != 3:
        raise ValueError(f"generated and target must both be (F, J, C), got {generated.shape} and {target.shape}")
    if weights.shape[0] != generated.shape[0]:
        raise ValueError(f"{weights.shape[0]} semantic scores for {generated.shape[0]} frames")
    if weights.sum() <= 0:
        return float("nan")
    recall = (np.abs(generated - target).sum(axis=-1) < threshold).mean(axis=1)
    return float((weights * recall).sum() / weights.sum())

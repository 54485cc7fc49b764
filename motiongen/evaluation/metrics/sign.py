"""Sign-production metrics as plain functions on landmark arrays (no block names, no models).

* :func:`dtw_mje` — DTW-MJE as used for sign language production (Saunders et al., Progressive
  Transformers, 2020 and later work): the generated and reference sequences are aligned by dynamic
  time warping whose frame cost is the mean joint (Euclidean) error, then the mean joint error is
  averaged over the aligned frame pairs. The warping itself is librosa's DTW
  (:func:`librosa.sequence.dtw` on the precomputed cost matrix, steps (1,1), (0,1), (1,0)).
  Joints can be masked out per reference frame (e.g. hands MediaPipe did not see).
* :func:`travel_ratio` — total path length of chosen joints (e.g. the wrists), generated over
  reference.
* :func:`active_duration` / :func:`duration_ratio` — frames between the first and the last frame
  whose joint speed reaches a fraction of the clip's 95th-percentile speed (the signing span, rest
  at the start and end excluded), generated over reference.
* :func:`top_k_accuracy` — recognition accuracy of a classifier's scores.

Units are those of the landmarks given (e.g. shoulder widths for Slovo's body block).
"""

from __future__ import annotations

import numpy as np


def _joints(sequence: np.ndarray) -> np.ndarray:
    array = np.asarray(sequence, dtype=np.float64)
    if array.ndim != 3:
        raise ValueError(f"expected (frames, joints, dims) landmarks, got shape {array.shape}")
    return array


def joint_error_matrix(generated: np.ndarray, reference: np.ndarray, reference_mask: np.ndarray | None = None) -> np.ndarray:
    """``(N, M)`` mean joint error between every generated frame and every reference frame.

    Args:
        generated: ``(N, J, D)``.
        reference: ``(M, J, D)``.
        reference_mask: ``(M, J)`` weights (1 = joint observed), or None for all joints.
    """
    x, y = _joints(generated), _joints(reference)
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"generated joints {x.shape[1:]} and reference joints {y.shape[1:]} differ")
    distances = np.linalg.norm(x[:, None] - y[None], axis=-1)  # (N, M, J)
    if reference_mask is None:
        return distances.mean(axis=-1)
    mask = np.asarray(reference_mask, dtype=np.float64)
    if mask.shape != y.shape[:2]:
        raise ValueError(f"reference_mask has shape {mask.shape}, expected {y.shape[:2]}")
    return (distances * mask[None]).sum(axis=-1) / np.maximum(mask.sum(axis=-1), 1.0)[None]


def dtw_mje(generated: np.ndarray, reference: np.ndarray, reference_mask: np.ndarray | None = None) -> float:
    """DTW-MJE (module docstring): mean joint error over the DTW-aligned frame pairs.

    Args:
        generated: ``(N, J, D)`` landmarks.
        reference: ``(M, J, D)`` landmarks in the same units.
        reference_mask: optional ``(M, J)`` (1 = joint observed in the reference frame).
    """
    from librosa.sequence import dtw

    cost = joint_error_matrix(generated, reference, reference_mask)
    _, path = dtw(C=cost, backtrack=True)
    return float(cost[path[:, 0], path[:, 1]].mean())


def path_length(sequence: np.ndarray) -> np.ndarray:
    """``(J,)`` total distance each joint travels over a ``(T, J, D)`` sequence."""
    x = _joints(sequence)
    return np.linalg.norm(np.diff(x, axis=0), axis=-1).sum(axis=0)


def travel_ratio(generated: np.ndarray, reference: np.ndarray) -> float:
    """Summed path length of all joints, generated / reference (1 = as much motion)."""
    return float(path_length(generated).sum() / max(path_length(reference).sum(), 1e-12))


def active_duration(sequence: np.ndarray, fraction: float = 0.2) -> int:
    """Frames from the first to the last frame whose mean joint speed is at least ``fraction`` of
    the sequence's 95th-percentile speed (0 for a still sequence)."""
    x = _joints(sequence)
    if len(x) < 2:
        return 0
    speed = np.linalg.norm(np.diff(x, axis=0), axis=-1).mean(axis=-1)
    threshold = fraction * np.percentile(speed, 95)
    if threshold <= 0:
        return 0
    moving = np.flatnonzero(speed >= threshold)
    return int(moving[-1] - moving[0] + 2)


def duration_ratio(generated: np.ndarray, reference: np.ndarray, fraction: float = 0.2) -> float:
    """:func:`active_duration` of the generated sequence over the reference's."""
    return active_duration(generated, fraction) / max(active_duration(reference, fraction), 1)


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Share of rows whose true label is among the ``k`` highest scores.

    Args:
        scores: ``(B, C)`` class scores (logits or probabilities).
        labels: ``(B,)`` int class indices.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"expected scores (B, C) and labels (B,), got {scores.shape} and {labels.shape}")
    top = np.argsort(-scores, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())

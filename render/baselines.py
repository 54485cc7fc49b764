"""Cheap baselines a renderer must beat on held-out frames, as training-frame indices per target.

* copy the reference: the reference frame for every target;
* previous training frame: the last training frame before the target (the frame a video codec
  would hold; on the interpolation split it is one frame away, a very strong baseline);
* retrieval: the training frame whose driving landmarks are closest to the target's, i.e. the
  best a renderer that only memorised its training frames could do. Beating it shows the
  renderer renders poses it has not seen.
"""

from __future__ import annotations

import numpy as np

# Squared distance (normalised image units) charged per keypoint present in only one of two frames,
# so a frame with the hand missing is not "close" to one with the hand up.
MISSING_PENALTY = 0.25 ** 2


def previous_frames(targets: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Per target, the latest training frame before it (the first training frame if none)."""
    position = np.searchsorted(train, targets) - 1
    return train[np.maximum(position, 0)]


def retrieval_frames(keypoints: np.ndarray, targets: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Per target, the training frame (other than itself) with the closest keypoints.

    Args:
        keypoints: ``(T, K, 2)`` normalised keypoints of the whole video, NaN where missing.
        targets, train: frame indices.

    Returns:
        ``(len(targets),)`` frame indices into the video.
    """
    query, pool = keypoints[targets], keypoints[train]                           # (N, K, 2), (M, K, 2)
    q_ok, p_ok = np.isfinite(query).all(-1), np.isfinite(pool).all(-1)           # (N, K), (M, K)
    both = q_ok[:, None] & p_ok[None]                                            # (N, M, K)
    squared = np.square(np.nan_to_num(query)[:, None] - np.nan_to_num(pool)[None]).sum(-1)
    cost = np.where(both, squared, 0).sum(-1) + MISSING_PENALTY * (q_ok[:, None] ^ p_ok[None]).sum(-1)
    count = np.maximum((q_ok[:, None] | p_ok[None]).sum(-1), 1)
    distance = cost / count
    distance[targets[:, None] == train[None]] = np.inf
    return train[np.argmin(distance, 1)]

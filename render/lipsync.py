"""The lip-sync check on pixels: the mouth opening re-detected on a rendered video against what drove it.

The lip gap of a frame is the distance between the inner upper and inner lower lip (face-mesh
vertices 13 and 14) divided by the face height (vertex 10 at the top of the forehead to vertex
152 at the chin), both in pixels, so it does not depend on the image size or the face's distance.
A renderer that follows the speech opens the mouth when the driving ``jawOpen`` (or the driving
landmarks' own lip gap, or the loudness of the speech) rises: the Pearson correlation of the
curves over the frames is the figure.
"""

from __future__ import annotations

import numpy as np

from motiongen.core.holistic_layout import PART_SLICES

_FACE = PART_SLICES["face"].start
UPPER_LIP, LOWER_LIP, FOREHEAD, CHIN = (_FACE + vertex for vertex in (13, 14, 10, 152))


def lip_gap(landmarks: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """``(F,)`` inner-lip gap over face height of ``(F, 543, 2+)`` normalised landmarks on
    frames of ``image_size`` ``(height, width)``; NaN where the face is missing."""
    height, width = image_size
    points = landmarks[:, [UPPER_LIP, LOWER_LIP, FOREHEAD, CHIN], :2] * [width, height]
    gap = np.linalg.norm(points[:, 0] - points[:, 1], axis=-1)
    face = np.linalg.norm(points[:, 2] - points[:, 3], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(face > 0, gap / face, np.nan)


def pearson(first: np.ndarray, second: np.ndarray) -> float:
    """Pearson correlation of two ``(F,)`` curves over the frames where both are finite; NaN
    with fewer than 3 such frames or a constant curve."""
    both = np.isfinite(first) & np.isfinite(second)
    if both.sum() < 3:
        return float("nan")
    a, b = first[both] - first[both].mean(), second[both] - second[both].mean()
    norm = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / norm) if norm > 0 else float("nan")


def audio_envelope(wave: np.ndarray, sample_rate: int, fps: float, num_frames: int) -> np.ndarray:
    """``(num_frames,)`` RMS loudness of mono ``wave`` in the window of each video frame (0 past
    the end of the audio)."""
    edges = np.round(np.arange(num_frames + 1) / fps * sample_rate).astype(int)
    squared = np.concatenate([[0.0], np.cumsum(np.asarray(wave, dtype=np.float64) ** 2)])
    low, high = np.minimum(edges[:-1], len(wave)), np.minimum(edges[1:], len(wave))
    count = np.maximum(high - low, 1)
    return np.sqrt((squared[high] - squared[low]) / count) * (high > low)


def lip_sync_scores(detected: np.ndarray, driving: np.ndarray, image_size: tuple[int, int],
                    jaw_open: np.ndarray | None = None, envelope: np.ndarray | None = None) -> dict[str, float]:
    """Correlations of the lip gap re-detected on rendered frames (``detected`` ``(F, 543, 2)``)
    with the driving landmarks' lip gap and, when given, the driving ``jaw_open`` ``(F,)`` and the
    speech ``envelope`` ``(F,)``; the driving landmarks' own correlations beside them tell a
    retargeting fault (driving r low) from a rendering fault (driving r high, rendered r low)."""
    rendered, wanted = lip_gap(detected, image_size), lip_gap(driving, image_size)
    scores = {"r_rendered_vs_driving_gap": pearson(rendered, wanted),
              "face_found": float(np.isfinite(rendered).mean()) if len(rendered) else float("nan"),
              "rendered_gap_range": float(np.nanmax(rendered) - np.nanmin(rendered)) if np.isfinite(rendered).any() else float("nan"),
              "driving_gap_range": float(np.nanmax(wanted) - np.nanmin(wanted)) if np.isfinite(wanted).any() else float("nan")}
    for name, curve in (("jaw_open", jaw_open), ("audio_envelope", envelope)):
        if curve is not None:
            scores[f"r_rendered_vs_{name}"] = pearson(rendered, curve)
            scores[f"r_driving_vs_{name}"] = pearson(wanted, curve)
    return scores

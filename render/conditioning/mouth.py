"""The mouth, conditioned on strongly: the inner-lip opening as its own channel, and the mouth region.

The face path must open the mouth from the landmarks even though its training video rarely
shows an open mouth. Drawn lip lines alone say little (a closed and a slightly open mouth differ
by a pixel), so the face renderer's condition carries a fourth channel: the inside of the inner-lip
contour filled (255 inside, 0 outside) — the dark opening the renderer has to paint. The mouth
region (the outer lips' bounding box with a margin) is where the face path's extra loss weight
applies (:class:`render.training.keypoint_module.KeypointModule`).
"""

from __future__ import annotations

import cv2
import numpy as np

from motiongen.core.holistic_layout import PART_SLICES
from render.conditioning.rasterise import draw_landmarks

_FACE = PART_SLICES["face"].start
# Face-mesh inner-lip contour as one closed loop: upper lip from the right corner (78) to the
# left (308), then the lower lip back.
INNER_LIP_LOOP = np.array([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308,
                           324, 318, 402, 317, 14, 87, 178, 88, 95]) + _FACE
OUTER_LIP = np.array([61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146]) + _FACE


def mouth_openings(landmarks: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(T, height, width)`` uint8: 255 inside the inner-lip contour of ``(T, 543, 2+)``
    normalised landmarks (nothing on frames whose inner lips are missing)."""
    points = np.asarray(landmarks, dtype=np.float64)[:, INNER_LIP_LOOP, :2] * [width, height]
    masks = np.zeros((len(points), height, width), np.uint8)
    shift = 4
    for mask, loop in zip(masks, points):
        if np.isfinite(loop).all():
            cv2.fillPoly(mask, [np.round(loop * (1 << shift)).astype(np.int32)], 255, cv2.LINE_8, shift)
    return masks


def face_conditions(landmarks: np.ndarray, size: int, mouth_channel: bool) -> np.ndarray:
    """Condition images of the face path: ``(T, size, size, 3)`` drawn landmarks
    (:func:`draw_landmarks`) of ``(T, 543, 2)`` crop-normalised landmarks, with
    ``mouth_channel`` a fourth channel of :func:`mouth_openings`."""
    drawn = draw_landmarks(landmarks, size, size)
    if not mouth_channel:
        return drawn
    return np.concatenate([drawn, mouth_openings(landmarks, size, size)[..., None]], -1)


def mouth_regions(landmarks: np.ndarray, height: int, width: int, margin: float = 0.3) -> np.ndarray:
    """``(T, height, width)`` float32 masks: 1 inside the outer lips' bounding box of ``(T, 543, 2+)``
    normalised landmarks grown by ``margin`` times the mouth width on every side (zero where
    the lips are missing)."""
    points = np.asarray(landmarks, dtype=np.float64)[:, OUTER_LIP, :2] * [width, height]
    present = np.isfinite(points).all((1, 2))
    points = np.where(present[:, None, None], points, 0.0)
    low, high = points.min(1), points.max(1)
    grow = margin * (high[:, :1] - low[:, :1])
    low, high = low - grow, high + grow
    xs, ys = np.arange(width) + 0.5, np.arange(height) + 0.5
    inside_x = (xs[None] >= low[:, :1]) & (xs[None] <= high[:, :1])           # (T, W)
    inside_y = (ys[None] >= low[:, 1:]) & (ys[None] <= high[:, 1:])           # (T, H)
    return (inside_y[:, :, None] & inside_x[:, None, :] & present[:, None, None]).astype(np.float32)

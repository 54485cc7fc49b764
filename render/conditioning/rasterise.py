"""Deterministic drawing of Holistic landmark frames as conditioning images.

Each drawing group of :func:`motiongen.core.holistic_layout.drawing_groups` has its own colour:
the face oval, eyes, brows and lips apart, and the body and hands coloured by the person's side
(their left warm, their right cool), so a renderer can tell the hands and the mouth apart. Lines
are drawn with OpenCV without anti-aliasing (identical pixels on every machine); segments with a
missing (NaN) end are skipped.
"""

from __future__ import annotations

import cv2
import numpy as np

from motiongen.core.holistic_layout import LANDMARK_COUNT, drawing_groups

# RGB colours per drawing group; body and hands by side, face features apart.
GROUP_COLOURS: dict[str, tuple[int, int, int]] = {
    "pose_centre": (200, 200, 200),
    "pose_left": (255, 140, 0),
    "pose_right": (0, 140, 255),
    "face_oval": (230, 230, 230),
    "left_eyebrow": (255, 230, 0),
    "right_eyebrow": (170, 255, 0),
    "left_eye": (0, 255, 120),
    "right_eye": (0, 255, 255),
    "lips": (255, 40, 80),
    "left_hand": (255, 80, 200),
    "right_hand": (120, 80, 255),
}
# Drawn in this order: body first, then the face, hands on top (they pass in front of both).
DRAW_ORDER = ("pose_centre", "pose_left", "pose_right", "face_oval", "left_eyebrow", "right_eyebrow",
              "left_eye", "right_eye", "lips", "left_hand", "right_hand")


def line_width(height: int, width: int) -> int:
    """Line thickness in pixels: 1 up to 192 px on the short side, growing with the image."""
    return max(1, round(min(height, width) / 192))


def draw_landmarks(landmarks: np.ndarray, height: int, width: int) -> np.ndarray:
    """Draw ``(T, 543, 2)`` landmarks (x, y normalised to ``[0, 1]``, NaN where missing).

    Returns:
        ``(T, height, width, 3)`` uint8 RGB images on black.

    Raises:
        ValueError: the landmark array is not ``(T, 543, 2|3)``.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.ndim != 3 or landmarks.shape[1] != LANDMARK_COUNT or landmarks.shape[2] not in (2, 3):
        raise ValueError(f"expected landmarks of shape (T, {LANDMARK_COUNT}, 2), got {landmarks.shape}")
    groups = drawing_groups()
    # Fixed-point coordinates (4 fractional bits) keep sub-pixel positions in OpenCV's integer API.
    shift = 4
    points = np.round(landmarks[..., :2] * [width, height] * (1 << shift))
    finite = np.isfinite(points).all(-1)
    points = np.where(finite[..., None], points, 0).astype(np.int32)
    thickness = line_width(height, width)
    images = np.zeros((landmarks.shape[0], height, width, 3), dtype=np.uint8)
    for name in DRAW_ORDER:
        edges = groups[name]
        segments = points[:, edges]
        keep = finite[:, edges].all(-1)
        for frame, image in enumerate(images):
            chosen = segments[frame][keep[frame]]
            if len(chosen):
                cv2.polylines(image, list(chosen), False, GROUP_COLOURS[name], thickness, cv2.LINE_8, shift)
    return images

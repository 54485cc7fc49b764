"""Lip-gap augmentation of face crops: open the mouth in the landmarks and, to match, in the image.

The training video of a renderer may rarely open the mouth (the Slovo sample's lip gap is below
0.01 of the face height on most frames), so a face path learns to keep it closed whatever its
landmarks say. Portrait animators widen the expression range of their data by augmenting; here
a training crop's face landmarks are moved by the ``jawOpen`` offsets that retargeting uses
(:func:`render.retarget.face.deform_face`: lower lip and chin down), the crop is warped with the
same displacement (a smooth field interpolated from the 468 landmark displacements, the landmarks
that do not move holding their pixels still), and the inside of the new inner-lip contour is
painted as a dark mouth opening.
"""

from __future__ import annotations

import cv2
import numpy as np

from motiongen.core.holistic_layout import PART_SLICES
from motiongen.formats.arkit import ARKIT_NAMES
from render.conditioning.mouth import INNER_LIP_LOOP
from render.retarget.face import deform_face

FACE = PART_SLICES["face"]
JAW_OPEN = ARKIT_NAMES.index("jawOpen")
MOUTH_COLOUR = np.array([38.0, 14.0, 18.0])   # RGB of the opening (dark red-brown)


def displacement_field(anchors: np.ndarray, offsets: np.ndarray, height: int, width: int, sigma: float,
                       grid_step: int = 4) -> np.ndarray:
    """``(height, width, 2)`` pixel displacements interpolated from ``offsets`` ``(N, 2)`` at
    ``anchors`` ``(N, 2)`` (pixels): Gaussian-weighted mean of the anchors' offsets (std ``sigma``
    px), fading to zero far from every anchor; evaluated every ``grid_step`` pixels and
    up-sampled bilinearly."""
    ys = np.arange(0, height + grid_step, grid_step, dtype=np.float64)
    xs = np.arange(0, width + grid_step, grid_step, dtype=np.float64)
    grid = np.stack(np.meshgrid(xs, ys, indexing="xy"), -1)                            # (h, w, 2)
    weights = np.exp(-((grid[:, :, None] - anchors) ** 2).sum(-1) / (2 * sigma**2))     # (h, w, N)
    coarse = (weights @ offsets) / (weights.sum(-1, keepdims=True) + 1e-3)
    # Coarse samples sit at multiples of grid_step: resize so sample i lands on pixel i * grid_step.
    fine = cv2.resize(coarse.astype(np.float32), (len(xs) * grid_step, len(ys) * grid_step), interpolation=cv2.INTER_LINEAR)
    shift = (grid_step - 1) / 2
    matrix = np.array([[1, 0, shift], [0, 1, shift]], np.float32)
    return cv2.warpAffine(fine, matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def open_mouth(image: np.ndarray, landmarks: np.ndarray, jaw_open: float) -> tuple[np.ndarray, np.ndarray]:
    """Open the mouth of a face crop by ``jaw_open`` (an ARKit weight, 0-1).

    Args:
        image: ``(S, S, 3)`` uint8 crop.
        landmarks: ``(543, 2)`` landmarks normalised to the crop (NaN where missing).
        jaw_open: added ``jawOpen`` weight.

    Returns:
        The warped crop with its mouth opening painted, and the landmarks with the face moved
        (unchanged, both, when the face is incomplete or ``jaw_open`` is 0).
    """
    height, width = image.shape[:2]
    face = landmarks[FACE] * [width, height]
    if jaw_open <= 0 or not np.isfinite(face).all():
        return image, landmarks
    weights = np.zeros((1, len(ARKIT_NAMES)))
    weights[0, JAW_OPEN] = jaw_open
    moved = deform_face(face, weights)[0]
    span = face.max(0) - face.min(0)
    field = displacement_field(moved, moved - face, height, width, sigma=0.04 * span.max())
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32), indexing="xy")
    warped = cv2.remap(image, xs - field[..., 0], ys - field[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out_landmarks = landmarks.copy()
    out_landmarks[FACE] = moved / [width, height]
    shift = 4
    loop = np.round(out_landmarks[INNER_LIP_LOOP] * [width, height] * (1 << shift)).astype(np.int32)
    alpha = np.zeros((height, width), np.float32)
    cv2.fillPoly(alpha, [loop], 1.0, cv2.LINE_8, shift)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6)[..., None]
    painted = alpha * MOUTH_COLOUR + (1 - alpha) * warped
    return np.round(painted).astype(np.uint8), out_landmarks

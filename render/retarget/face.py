"""Face landmarks from the reference image, deformed by ARKit blendshape weights.

Offsets live in a *face frame* fitted to the reference face: origin between the eye centres,
x along the eye line (towards the person's left eye), y perpendicular (down the face), unit = the
inter-ocular distance (IOD). A basis holds one ``(468, 2)`` offset field per ARKit blendshape;
the deformed face is ``neutral + sum_b weight_b * basis_b`` mapped back to pixels.

Default basis (amplitudes at weight 1, in IOD; every other blendshape moves nothing):

- ``jawOpen``: lower lip down 0.45; face-oval points below the mouth corners down by 0.45 times
  their height between the corners and the chin (so the chin drops fully); corners 0.2.
- ``mouthClose``: lower lip up 0.45 (cancels the lip part of ``jawOpen``).
- ``mouthFunnel``, ``mouthPucker``: lips 30 % / 40 % closer to the mouth centre horizontally.
- ``mouthSmile{Left,Right}``: that side's lips up 0.1 and out 0.1, weighted by closeness to the corner;
  ``mouthFrown*``: down 0.08; ``mouthStretch*``: out 0.1.
- ``eyeBlink{Left,Right}``: that eye's contour collapses onto its horizontal centre line;
  ``eyeSquint*``: 30 % of the way; ``eyeWide*``: 30 % away from it.
- ``browInnerUp``: inner halves of both brows up 0.12; ``browOuterUp*``: that brow's outer half
  up 0.12; ``browDown*``: that brow down 0.08.
- ``eyeLook*`` (gaze): zero — the 468-point mesh has no iris points to move.

:func:`fit_basis` replaces the default by least squares when the user has a video with
per-frame ARKit weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.holistic_layout import PART_SLICES, drawing_groups
from motiongen.formats.arkit import ARKIT_NAMES

MOUTH_CORNERS = (61, 291)   # face-mesh indices: person's right and left mouth corner
CHIN = 152
# Face-mesh lower lip (outer and inner contour, corners excluded): a closed mouth puts the inner
# contours of both lips on one line, so the lower lip is named by index, not found by height.
LOWER_LIP = (146, 91, 181, 84, 17, 314, 405, 321, 375, 95, 88, 178, 87, 14, 317, 402, 318, 324)


@dataclass(frozen=True)
class FaceFrame:
    """Similarity between pixels and face units: ``pixels = origin + scale * (u, v) @ axes``."""

    origin: np.ndarray   # (2,) px
    axes: np.ndarray     # (2, 2) rows: x axis, y axis (unit vectors in pixels)
    scale: float         # px per face unit (the inter-ocular distance)

    def to_face(self, points: np.ndarray) -> np.ndarray:
        return (points - self.origin) @ self.axes.T / self.scale

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        return self.origin + self.scale * points @ self.axes


def _face_points(group: str) -> np.ndarray:
    return np.unique(drawing_groups()[group]) - PART_SLICES["face"].start


def face_frame(face: np.ndarray) -> FaceFrame:
    """Face frame of ``(468, 2)`` pixel landmarks (raises ValueError for a degenerate face)."""
    left = face[_face_points("left_eye")].mean(0)
    right = face[_face_points("right_eye")].mean(0)
    scale = float(np.linalg.norm(left - right))
    if not np.isfinite(scale) or scale < 1e-6:
        raise ValueError("face landmarks are degenerate (eyes coincide or are missing)")
    x_axis = (left - right) / scale
    return FaceFrame((left + right) / 2, np.stack([x_axis, np.array([-x_axis[1], x_axis[0]])]), scale)


def default_basis(neutral: np.ndarray) -> np.ndarray:
    """Documented default offsets ``(52, 468, 2)`` (face units, ARKit order) for the face-frame
    coordinates ``neutral`` ``(468, 2)`` of the reference face."""
    basis = np.zeros((len(ARKIT_NAMES), len(neutral), 2))
    index = {name: i for i, name in enumerate(ARKIT_NAMES)}
    lips = _face_points("lips")
    corner_r, corner_l = neutral[MOUTH_CORNERS[0]], neutral[MOUTH_CORNERS[1]]
    mouth = neutral[lips].mean(0)
    corner_v = (corner_r[1] + corner_l[1]) / 2
    lower = np.array(LOWER_LIP)
    corners = np.array(MOUTH_CORNERS)
    oval = _face_points("face_oval")
    chin_v = neutral[CHIN, 1]
    drop = np.clip((neutral[oval, 1] - corner_v) / max(chin_v - corner_v, 1e-6), 0, 1)

    basis[index["jawOpen"], lower, 1] = 0.45
    basis[index["jawOpen"], corners, 1] = 0.2
    basis[index["jawOpen"], oval, 1] = 0.45 * drop
    basis[index["mouthClose"], lower, 1] = -0.45
    for name, amount in (("mouthFunnel", 0.3), ("mouthPucker", 0.4)):
        basis[index[name], lips, 0] = -amount * (neutral[lips, 0] - mouth[0])
    for side, corner, sign in (("Left", corner_l, 1.0), ("Right", corner_r, -1.0)):
        closeness = np.clip((neutral[lips, 0] - mouth[0]) / (corner[0] - mouth[0]), 0, 1) ** 2
        basis[index[f"mouthSmile{side}"], lips] = closeness[:, None] * [0.1 * sign, -0.1]
        basis[index[f"mouthFrown{side}"], lips, 1] = 0.08 * closeness
        basis[index[f"mouthStretch{side}"], lips, 0] = 0.1 * sign * closeness
        eye = _face_points(f"{side.lower()}_eye")
        centre_line = neutral[eye, 1].mean()
        basis[index[f"eyeBlink{side}"], eye, 1] = centre_line - neutral[eye, 1]
        basis[index[f"eyeSquint{side}"], eye, 1] = 0.3 * (centre_line - neutral[eye, 1])
        basis[index[f"eyeWide{side}"], eye, 1] = -0.3 * (centre_line - neutral[eye, 1])
        brow = _face_points(f"{side.lower()}_eyebrow")
        middle = np.median(neutral[brow, 0])
        inner = brow[np.abs(neutral[brow, 0]) <= np.abs(middle)]
        outer = brow[np.abs(neutral[brow, 0]) > np.abs(middle)]
        basis[index["browInnerUp"], inner, 1] = -0.12
        basis[index[f"browOuterUp{side}"], outer, 1] = -0.12
        basis[index[f"browDown{side}"], brow, 1] = 0.08
    return basis


def fit_basis(neutral: np.ndarray, faces: np.ndarray, weights: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Least-squares basis from a video: ``faces - neutral ≈ weights @ basis``.

    Args:
        neutral: ``(468, 2)`` neutral face in face units.
        faces: ``(T, 468, 2)`` the video's faces in the same face units (frames aligned to the neutral).
        weights: ``(T, 52)`` ARKit weights of those frames.
        ridge: Tikhonov regulariser (keeps blendshapes the video never uses at zero).

    Returns:
        ``(52, 468, 2)`` basis.
    """
    offsets = (faces - neutral).reshape(len(faces), -1)
    gram = weights.T @ weights + ridge * np.eye(weights.shape[1])
    return np.linalg.solve(gram, weights.T @ offsets).reshape(weights.shape[1], *neutral.shape)


def deform_face(face: np.ndarray, weights: np.ndarray, basis: np.ndarray | None = None) -> np.ndarray:
    """Reference face ``(468, 2)`` px + ARKit ``weights`` ``(F, 52)`` → ``(F, 468, 2)`` px."""
    frame = face_frame(face)
    neutral = frame.to_face(face)
    basis = default_basis(neutral) if basis is None else basis
    return frame.to_pixels(neutral + np.einsum("fb,bnc->fnc", weights, basis))

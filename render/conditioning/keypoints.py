"""The keypoints the keypoint renderer warps with: a fixed subset of the 543 Holistic landmarks.

All 33 pose and 2 x 21 hand landmarks, and every ``face_stride``-th vertex of the face oval,
eyes, brows and lips (the dense face mesh would add hundreds of near-duplicate motions).
Coordinates are converted to ``grid_sample`` convention (x, y in ``[-1, 1]``).
"""

from __future__ import annotations

import numpy as np

from motiongen.core.holistic_layout import PART_SLICES, drawing_groups, landmark_index

FACE_GROUPS = ("face_oval", "left_eye", "right_eye", "left_eyebrow", "right_eyebrow", "lips")


def keypoint_indices(face_stride: int = 4) -> np.ndarray:
    """Indices into the 543 landmarks of the renderer's keypoints, ``(K,)`` int64."""
    groups = drawing_groups()
    face = np.concatenate([np.unique(groups[name])[::face_stride] for name in FACE_GROUPS])
    body = [np.arange(PART_SLICES[part].start, PART_SLICES[part].stop) for part in ("pose", "left_hand", "right_hand")]
    return np.concatenate([body[0], np.unique(face), body[1], body[2]]).astype(np.int64)


def face_keypoint_indices(face_stride: int = 2) -> np.ndarray:
    """Keypoints of the face-region renderer, ``(K,)`` int64: every ``face_stride``-th vertex of
    the face oval, eyes and brows, every lip vertex (the mouth is what it must move), and both
    hands (a hand passing in front of the face moves with its own keypoints)."""
    groups = drawing_groups()
    face = [np.unique(groups[name])[::face_stride] for name in FACE_GROUPS if name != "lips"] + [np.unique(groups["lips"])]
    hands = [np.arange(PART_SLICES[part].start, PART_SLICES[part].stop) for part in ("left_hand", "right_hand")]
    return np.concatenate([np.unique(np.concatenate(face)), *hands]).astype(np.int64)


def hand_keypoint_indices() -> np.ndarray:
    """Keypoints of the hand-region renderer, ``(K,)`` int64 (52): both arms' pose elbow, wrist and
    knuckle points and both hands' 21 landmarks. One network renders either hand (the drawn
    condition's colours tell the sides apart); the other hand moves with its own keypoints when
    it enters the crop."""
    arms = [landmark_index(f"pose.{side}_{point}") for side in ("left", "right")
            for point in ("elbow", "wrist", "pinky", "index", "thumb")]
    hands = [np.arange(PART_SLICES[part].start, PART_SLICES[part].stop) for part in ("left_hand", "right_hand")]
    return np.concatenate([np.sort(arms), *hands]).astype(np.int64)


def to_grid(landmarks: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``(..., 543, 2+)`` normalised landmarks → ``(..., K, 2)`` float32 in ``[-1, 1]`` (NaN kept)."""
    return (np.asarray(landmarks)[..., indices, :2] * 2 - 1).astype(np.float32)

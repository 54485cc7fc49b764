"""Framing of the landmark preview's body panel."""

from __future__ import annotations

import numpy as np

from motiongen.core.holistic_layout import landmark_index
from motiongen.datasets.slovo.motion import BODY_LANDMARKS, HAND_POINTS, holistic_landmarks
from motiongen.export.landmarks import PREVIEW_SIZE, body_panel_points, render_landmark_frames


def _sign(frames: int = 112) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of a standing signer (shoulders 1 apart, wrists swinging) with open hands."""
    body = np.zeros((frames, len(BODY_LANDMARKS), 2), np.float32)
    layout = {"nose": (0, -0.6), "left_eye": (0.05, -0.65), "right_eye": (-0.05, -0.65), "left_ear": (0.1, -0.6),
              "right_ear": (-0.1, -0.6), "mouth_left": (0.03, -0.5), "mouth_right": (-0.03, -0.5),
              "left_shoulder": (0.5, 0), "right_shoulder": (-0.5, 0), "left_elbow": (0.6, 0.6),
              "right_elbow": (-0.6, 0.6), "left_wrist": (0.5, 1.1), "right_wrist": (-0.5, 1.1)}
    for name, xy in layout.items():
        body[:, BODY_LANDMARKS.index(name)] = xy
    swing = 0.3 * np.sin(np.linspace(0, 2 * np.pi, frames))[:, None]
    body[:, BODY_LANDMARKS.index("left_wrist"), 1] -= swing[:, 0]
    hands = np.zeros((frames, 2, len(HAND_POINTS), 3), np.float32)
    hands[..., 1] = np.linspace(0.2, 2.0, len(HAND_POINTS))  # fingers down to 2 palm sizes
    return body.reshape(frames, -1), hands.reshape(frames, -1)


def _shoulders(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    left, right = points[:, landmark_index("pose.left_shoulder")], points[:, landmark_index("pose.right_shoulder")]
    return np.linalg.norm(left - right, axis=-1), 0.5 * (left + right)


def test_an_outlying_hand_does_not_shrink_or_shift_the_body():
    """The last quarter of the clip holds a hand with fingertips 5 palm sizes (1.25 shoulder widths)
    off, as a held implausible MediaPipe hand did."""
    body, hands = _sign()
    clean = body_panel_points(holistic_landmarks(body, hands))
    outlier = hands.reshape(len(hands), 2, len(HAND_POINTS), 3).copy()
    outlier[84:, 0, :, 0] += 5.0
    framed = body_panel_points(holistic_landmarks(body, outlier.reshape(len(hands), -1)))
    width, centre = _shoulders(framed)
    clean_width, _ = _shoulders(clean)
    np.testing.assert_allclose(width, clean_width, rtol=1e-5)
    assert width.min() > 0.3 * PREVIEW_SIZE
    assert np.abs(centre[:, 0] - PREVIEW_SIZE / 2).max() < 0.05 * PREVIEW_SIZE
    pose = framed[:, : landmark_index("pose.right_wrist") + 1]
    pose = pose[np.isfinite(pose).all(axis=-1)]
    assert ((pose >= 0) & (pose <= PREVIEW_SIZE)).all()  # the whole body stays in the panel


def test_frames_render():
    body, hands = _sign(4)
    frames = list(render_landmark_frames(holistic_landmarks(body, hands), np.zeros((4, 52), np.float32)))
    assert len(frames) == 4 and frames[0].shape == (PREVIEW_SIZE, 2 * PREVIEW_SIZE, 3)
    assert (frames[0] != frames[0][0, 0]).any()

"""Conditioning interface: drawing Holistic landmark frames and choosing the renderer's keypoints."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, drawing_groups
from render.conditioning.keypoints import keypoint_indices, to_grid
from render.conditioning.rasterise import GROUP_COLOURS, draw_landmarks


def _frame(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 0.8, size=(1, LANDMARK_COUNT, 2))


def test_drawing_is_deterministic_and_uses_each_groups_colour():
    landmarks = _frame()
    first = draw_landmarks(landmarks, 96, 64)
    assert first.shape == (1, 96, 64, 3) and first.dtype == np.uint8
    assert np.array_equal(first, draw_landmarks(landmarks.copy(), 96, 64))
    colours = {tuple(c) for c in first.reshape(-1, 3)}
    assert tuple(GROUP_COLOURS["right_hand"]) in colours  # drawn last, never fully covered


def test_missing_landmarks_draw_nothing():
    landmarks = np.full((2, LANDMARK_COUNT, 2), np.nan)
    assert not draw_landmarks(landmarks, 32, 32).any()
    landmarks[1, PART_SLICES["left_hand"]] = _frame()[0, PART_SLICES["left_hand"]]
    image = draw_landmarks(landmarks, 32, 32)
    assert not image[0].any()
    assert {tuple(c) for c in image[1].reshape(-1, 3)} == {(0, 0, 0), tuple(GROUP_COLOURS["left_hand"])}


def test_a_lip_segment_is_drawn_where_its_landmarks_are():
    landmarks = np.full((1, LANDMARK_COUNT, 2), np.nan)
    a, b = drawing_groups()["lips"][0]
    landmarks[0, a] = [0.25, 0.5]
    landmarks[0, b] = [0.75, 0.5]
    image = draw_landmarks(landmarks, 40, 40)[0]
    assert (image[20, 10:30] == GROUP_COLOURS["lips"]).all()
    assert not image[:15].any()


def test_bad_landmark_shape_is_refused():
    with pytest.raises(ValueError, match="543"):
        draw_landmarks(np.zeros((3, 33, 2)), 10, 10)


def test_keypoints_hold_every_pose_and_hand_landmark_and_a_face_subset():
    indices = keypoint_indices(face_stride=4)
    for part in ("pose", "left_hand", "right_hand"):
        assert set(range(PART_SLICES[part].start, PART_SLICES[part].stop)) <= set(indices.tolist())
    face = [i for i in indices if PART_SLICES["face"].start <= i < PART_SLICES["face"].stop]
    assert 10 < len(face) < 80
    grid = to_grid(_frame(), indices)
    assert grid.shape == (1, len(indices), 2) and np.abs(grid).max() <= 1

"""The face path's mouth: the inner-lip opening channel, the mouth region, the lip-gap augmentation."""

from __future__ import annotations

import numpy as np
import torch

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, drawing_groups
from render.conditioning.mouth import INNER_LIP_LOOP, face_conditions, mouth_openings, mouth_regions
from render.data.lip_augment import MOUTH_COLOUR, open_mouth
from render.lipsync import lip_gap
from render.training.keypoint_module import KeypointModule

FACE = PART_SLICES["face"].start


def schematic_face(gap: float = 0.0) -> np.ndarray:
    """``(543, 2)`` crop-normalised landmarks of a frontal face: mesh points over the forehead and
    cheeks, eyes at y 0.4, lips on an ellipse around (0.5, 0.68) with the inner lips ``gap``
    apart, forehead (10) at y 0.15 and chin (152) at 0.85; no body or hands."""
    rng = np.random.default_rng(0)
    points = np.full((LANDMARK_COUNT, 2), np.nan)
    points[PART_SLICES["face"]] = np.stack([rng.uniform(0.3, 0.7, 468), rng.uniform(0.2, 0.55, 468)], -1)
    for group, centre in (("left_eye", (0.6, 0.4)), ("right_eye", (0.4, 0.4))):
        eye = np.unique(drawing_groups()[group])
        points[eye] = centre + rng.normal(0, 0.01, (len(eye), 2))
    lips = np.unique(drawing_groups()["lips"])
    angle = np.linspace(0, 2 * np.pi, len(lips), endpoint=False)
    points[lips] = np.stack([0.5 + 0.1 * np.cos(angle), 0.68 + 0.04 * np.sin(angle)], -1)
    half = len(INNER_LIP_LOOP) // 2
    xs = np.concatenate([np.linspace(0.42, 0.58, half + 1), np.linspace(0.58, 0.42, half + 1)[1:-1]])
    ys = np.concatenate([np.full(half + 1, 0.68 - gap / 2), np.full(half - 1, 0.68 + gap / 2)])
    points[INNER_LIP_LOOP] = np.stack([xs, ys], -1)
    points[FACE + 61], points[FACE + 291] = (0.4, 0.68), (0.6, 0.68)
    points[FACE + 10], points[FACE + 152] = (0.5, 0.15), (0.5, 0.85)
    return points


def face_image(size: int = 64) -> np.ndarray:
    """A smooth skin-coloured crop with a darker lip band at y 0.68."""
    ys = np.linspace(0, 1, size)[:, None, None]
    image = np.broadcast_to(np.array([200.0, 160, 140]) - 40 * ys, (size, size, 3)).copy()
    image[int(0.66 * size):int(0.70 * size), int(0.4 * size):int(0.6 * size)] = (170, 80, 90)
    return image.astype(np.uint8)


def test_the_mouth_channel_fills_an_open_mouth_and_not_a_closed_one():
    closed, opened = schematic_face(0.0), schematic_face(0.1)
    masks = mouth_openings(np.stack([closed, opened]), 64, 64)
    assert masks.shape == (2, 64, 64) and masks.dtype == np.uint8
    assert masks[0].sum() / 255 < 15            # a line at most
    assert masks[1, 43, 32] == 255 and masks[1, 20, 32] == 0
    conditions = face_conditions(opened[None], 64, mouth_channel=True)
    assert conditions.shape == (1, 64, 64, 4) and np.array_equal(conditions[0, ..., 3], masks[1])
    assert face_conditions(opened[None], 64, mouth_channel=False).shape == (1, 64, 64, 3)
    missing = opened.copy()
    missing[INNER_LIP_LOOP[0]] = np.nan
    assert not mouth_openings(missing[None], 64, 64).any()


def test_the_mouth_region_covers_the_lips_with_a_margin():
    region = mouth_regions(schematic_face()[None], 100, 100)[0]
    assert region[68, 50] == 1 and region[68, 35] == 1            # the lips, and the margin beside a corner
    assert region[40, 50] == 0 and region[68, 20] == 0


def test_opening_the_mouth_moves_the_lower_lip_and_paints_an_opening():
    image, landmarks = face_image(), schematic_face()
    out_image, out_landmarks = open_mouth(image, landmarks, 0.4)
    assert lip_gap(out_landmarks[None], (64, 64))[0] > lip_gap(landmarks[None], (64, 64))[0] + 0.03
    upper = FACE + 13
    assert np.allclose(out_landmarks[upper], landmarks[upper])          # the upper lip stays
    assert out_landmarks[FACE + 14, 1] > landmarks[FACE + 14, 1]        # the lower lip drops
    inside = mouth_openings(out_landmarks[None], 64, 64)[0] == 255
    assert inside.sum() > 5
    assert np.abs(out_image[inside].astype(float) - MOUTH_COLOUR).max(-1).mean() < 30
    assert np.abs(out_image[:10].astype(int) - image[:10]).max() <= 1   # the forehead does not move
    same_image, same_landmarks = open_mouth(image, landmarks, 0.0)
    assert same_image is image and same_landmarks is landmarks


def test_the_mouth_loss_counts_only_the_region_of_rows_with_a_face():
    target = torch.zeros(2, 3, 8, 8)
    prediction = target.clone()
    prediction[:, :, :4] = 1.0                       # wrong in the top half only
    region = torch.zeros(2, 1, 8, 8)
    region[:, :, 4:] = 1.0                           # the mouth is in the bottom half
    assert KeypointModule.mouth_loss(prediction, target, region, torch.tensor([True, True])) == 0
    region[1, :, :4] = 1.0
    assert KeypointModule.mouth_loss(prediction, target, region, torch.tensor([True, False])) == 0
    assert torch.isclose(KeypointModule.mouth_loss(prediction, target, region, torch.tensor([False, True])), torch.tensor(0.5))


def _pairs(lip_augment: float):
    from render.data.batches import FramePairs
    from render.data.videos import VideoClip
    from render.regions import face_boxes

    frames = 12
    landmarks = np.repeat(schematic_face()[None], frames, 0)
    landmarks = np.concatenate([landmarks, np.zeros((frames, LANDMARK_COUNT, 1))], -1).astype(np.float32)
    images = np.repeat(face_image(32)[None], frames, 0)
    clip = VideoClip("face", images, landmarks, 0, images[0], np.repeat(face_image(64)[None], frames, 0),
                     face_boxes(landmarks, (32, 32)))
    return FramePairs([clip], holdout_every=4, face_keypoint_stride=2, mouth_channel=True, lip_augment=lip_augment)


def test_training_batches_open_mouths_and_held_out_frames_stay_as_filmed():
    plain, augmented = _pairs(0.0), _pairs(1.0)
    batch = augmented.training_batch(seed=0, step=3, batch_size=4)
    assert batch["face_condition"].shape == (4, 4, 64, 64) and batch["face_mouth"].shape == (4, 1, 64, 64)
    assert batch["face_condition"][:, 3].sum() > 0                       # an opening to paint
    assert plain.training_batch(seed=0, step=3, batch_size=4)["face_condition"][:, 3].sum() < batch["face_condition"][:, 3].sum()
    assert torch.equal(batch["face_target"], augmented.training_batch(seed=0, step=3, batch_size=4)["face_target"])
    held, held_plain = augmented.held_out(), plain.held_out()
    assert all(torch.equal(held[key], held_plain[key]) for key in held)

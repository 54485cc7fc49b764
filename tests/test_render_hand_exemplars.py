"""Hand exemplars: the bank (found and mirrored hands), the shape used to choose one, the sticky
choice, and the warp that pastes it onto the driving hand."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES
from render.errors import RenderError
from render.hand_exemplars import (HandBank, build_hand_bank, choose_exemplars, hand_shape, hull_mask, paste_hand_exemplars,
                                   read_hand_bank)
from video_samples import SLOVO_SAMPLE

RIGHT = PART_SLICES["right_hand"]


def _hand(rng: np.random.Generator) -> np.ndarray:
    """``(21, 2)`` a hand-like point set: the wrist at the origin, the middle knuckle 1 below."""
    points = rng.uniform(-0.6, 0.6, (21, 2)) + [0.0, 1.0]
    points[0], points[9] = (0.0, 0.0), (0.0, 1.0)
    return points


def _landmarks(frames: int, right: np.ndarray | None) -> np.ndarray:
    landmarks = np.full((frames, LANDMARK_COUNT, 2), np.nan)
    if right is not None:
        landmarks[:, RIGHT] = right
    return landmarks


def test_the_bank_holds_every_found_hand_and_its_mirror_image():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    landmarks = _landmarks(2, 0.5 + 0.1 * _hand(rng))
    landmarks[1, RIGHT] = np.nan                                         # the second frame has no hand
    bank = build_hand_bank(frames, landmarks, size=32, source="video.mp4")
    assert bank.counts() == {"left_hand": 0, "right_hand": 1}
    assert bank.frames == 2 and bank.detected == {"left_hand": 0, "right_hand": 1}
    assert bank.sides.tolist() == [1, 0] and bank.mirrored.tolist() == [False, True]
    assert np.array_equal(bank.crops[1], bank.crops[0][:, ::-1]) and np.array_equal(bank.masks[1], bank.masks[0][:, ::-1])
    assert bank.masks[0][16, 16] > 0.9 and bank.masks[0][0, 0] < 0.01      # the hand, not the crop's corner
    person = np.zeros((2, 64, 64))
    person[:, :, 32:] = 1                                                # the person is the frame's right half
    cut = build_hand_bank(frames, landmarks, person, size=32).masks[0]
    assert np.allclose(cut[:, :14], 0) and np.allclose(cut[:, 18:], bank.masks[0][:, 18:], atol=0.01)
    assert np.allclose(bank.points[1, :, 0], 32 - bank.points[0, :, 0]) and np.allclose(bank.points[1, :, 1], bank.points[0, :, 1])
    # The crop is centred on the hand, its side twice the hand's bounding box.
    assert np.allclose((bank.points[0].min(0) + bank.points[0].max(0)) / 2, 16)
    assert np.isclose(np.ptp(bank.points[0], 0).max(), 16)
    # Of the same hand in a blurred and a sharp frame, the sharp one is kept when half are kept.
    pair = np.stack([cv2.GaussianBlur(frames[0], (0, 0), 3), frames[0]])
    both = _landmarks(2, 0.5 + 0.1 * _hand(rng))
    kept = build_hand_bank(pair, both, size=32, sharp_fraction=0.5)
    assert kept.counts() == {"left_hand": 0, "right_hand": 1} and kept.detected == {"left_hand": 0, "right_hand": 2}
    assert np.array_equal(kept.crops[0], build_hand_bank(pair[1:], both[1:], size=32).crops[0])
    assert build_hand_bank(pair, both, size=32, sharp_fraction=1.0).counts()["right_hand"] == 2
    with pytest.raises(RenderError, match="^no hand found in the hand exemplars video.mp4$"):
        build_hand_bank(frames, _landmarks(2, None), source="video.mp4")


def test_hand_shape_ignores_place_turn_and_size_but_not_mirroring():
    rng = np.random.default_rng(1)
    hand = _hand(rng)
    angle = np.deg2rad(70)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = 3.5 * hand @ turn.T + [40, -7]
    assert np.allclose(hand_shape(hand[None]), hand_shape(moved[None]))
    mirrored = hand * [-1, 1]
    assert not np.allclose(hand_shape(hand[None]), hand_shape(mirrored[None]), atol=1e-3)
    assert np.allclose(hand_shape(mirrored[None]).reshape(21, 2), hand_shape(hand[None]).reshape(21, 2) * [-1, 1])


def test_the_choice_keeps_the_previous_exemplar_until_another_is_clearly_closer():
    distance = np.array([[1.0, 2.0], [1.1, 1.0], [1.3, 1.0], [2.0, 2.0]])
    assert choose_exemplars(distance, switch_margin=0.2).tolist() == [0, 0, 1, 1]
    assert choose_exemplars(distance, switch_margin=0.0).tolist() == [0, 1, 1, 1]   # a tie keeps it too


def test_the_exemplar_is_warped_onto_the_driving_hand():
    rng = np.random.default_rng(2)
    size = 64
    hand = _hand(rng)
    points = 16 + 16 * hand + [16, 0]                                    # crop pixels
    crop = np.zeros((1, size, size, 3), np.uint8)
    crop[0, 10:54, 10:54] = 255
    bank = HandBank(crop, points[None], hull_mask(points, size)[None], np.array([1]), np.array([False]))
    angle = np.deg2rad(30)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = (2.0 * points @ turn.T + [60, 50]) / 200                   # normalised in a 200 x 200 frame
    landmarks = _landmarks(3, target)
    landmarks[2, RIGHT] = np.nan                                         # no right hand on the last frame
    frames = np.full((3, 200, 200, 3), 100, np.uint8)
    out, pasted, used = paste_hand_exemplars(frames, landmarks, bank)
    assert pasted == {"left_hand": 0, "right_hand": 2} and used == {"left_hand": 0, "right_hand": 1}
    centre = np.round(target.mean(0) * 200).astype(int)
    assert (out[:2, centre[1], centre[0]] > 200).all()                   # the crop's white lands on the hand
    assert (out[:2, 195, 5] == 100).all()                                # far from the hand: rendered pixels
    assert np.array_equal(out[2], frames[2])                             # no driving hand: untouched
    assert not np.shares_memory(out, frames) and (frames == 100).all()


def test_the_report_counts_the_distinct_exemplars_pasted():
    rng = np.random.default_rng(4)
    shapes = np.stack([_hand(rng), _hand(rng)]) * 10 + 20                # two hand poses, 40-pixel crops
    crops = np.zeros((2, 40, 40, 3), np.uint8)
    masks = np.stack([hull_mask(points, 40) for points in shapes])
    bank = HandBank(crops, shapes, masks, np.array([1, 1]), np.array([False, False]))
    driving = np.concatenate([np.repeat(shapes[:1], 3, 0), np.repeat(shapes[1:], 3, 0)]) / 100   # pose 0, then pose 1
    landmarks = _landmarks(6, None)
    landmarks[:, RIGHT] = driving
    _, pasted, used = paste_hand_exemplars(np.zeros((6, 100, 100, 3), np.uint8), landmarks, bank)
    assert pasted == {"left_hand": 0, "right_hand": 6} and used == {"left_hand": 0, "right_hand": 2}
    landmarks[3:, RIGHT] = driving[:3]                                   # one pose held throughout: one exemplar
    assert paste_hand_exemplars(np.zeros((6, 100, 100, 3), np.uint8), landmarks, bank)[2]["right_hand"] == 1


def test_a_bank_from_the_slovo_sample_has_both_hands(sample_file):
    bank = read_hand_bank(sample_file(SLOVO_SAMPLE), stride=8)
    counts = bank.counts()
    assert counts["left_hand"] >= 3 and counts["right_hand"] >= 3
    assert bank.frames == 14 and all(counts[hand] <= bank.detected[hand] <= bank.frames for hand in counts)
    assert bank.crops.shape[1:] == (128, 128, 3) and len(bank.crops) == 2 * sum(counts.values())
    inside = (bank.points >= 0) & (bank.points <= 128)
    assert inside.all()


def test_a_missing_exemplar_video_is_a_one_line_error(tmp_path):
    with pytest.raises(RenderError, match=r"hand exemplar video .*none\.mp4 does not exist"):
        read_hand_bank(tmp_path / "none.mp4")

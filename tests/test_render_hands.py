"""The hand path: boxes from each hand's landmarks, crop and blend back, frames without a hand left
as the body renders them, checkpoints from before the hand path, the config switch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, landmark_index
from render.regions import blend_mask, crop_regions, hand_boxes, paste_regions, to_crop
from tests.render_helpers import tiny_renderer_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_renderer_checkpoint(tmp_path_factory.mktemp("hands_ckpt"))


def _smooth_frame(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[:height, :width]
    return np.stack([x * 2, y, 128 + 60 * np.sin(x / 9) * np.cos(y / 7)], -1).astype(np.uint8)


def test_hand_boxes_follow_each_hand_and_are_nan_without_it():
    landmarks = np.full((2, LANDMARK_COUNT, 2), np.nan)
    left = PART_SLICES["left_hand"]
    landmarks[:, left] = np.random.default_rng(0).uniform([0.3, 0.5], [0.4, 0.55], (21, 2))
    landmarks[1, left] += [0.2, 0.1]                                    # the hand moves; the box follows
    height, width = 200, 100
    boxes = hand_boxes(landmarks, (height, width), scale=2.0)
    assert boxes.shape == (2, 2, 3) and boxes.dtype == np.float32
    points = landmarks[0, left]
    low, high = points.min(0), points.max(0)
    assert boxes[0, 0, :2] == pytest.approx((low + high) / 2, abs=1e-6)
    assert boxes[0, 0, 2] * height == pytest.approx(2.0 * max((high[0] - low[0]) * width, (high[1] - low[1]) * height), rel=1e-4)
    assert boxes[1, 0, :2] == pytest.approx(boxes[0, 0, :2] + [0.2, 0.1], abs=1e-6)
    assert np.isnan(boxes[:, 1]).all()                                  # no right hand: NaN rows
    assert np.isnan(hand_boxes(landmarks, (height, width), fallback=True)[:, 1]).all()   # nor its wrist
    wrist = [landmark_index(f"pose.right_{point}") for point in ("wrist", "pinky", "index", "thumb")]
    landmarks[:, wrist] = [[0.6, 0.6], [0.62, 0.65], [0.6, 0.66], [0.58, 0.63]]
    spare = hand_boxes(landmarks, (height, width), scale=2.0, fallback=True)
    assert np.isnan(hand_boxes(landmarks, (height, width))[:, 1]).all()
    assert np.isfinite(spare[:, 1]).all() and spare[0, 1, :2] == pytest.approx([0.6, 0.63], abs=1e-6)
    assert np.array_equal(spare[:, 0], boxes[:, 0])                     # a found hand keeps its own box


def test_hand_crop_and_blend_back_round_trip():
    height, width = 200, 120
    frame = _smooth_frame(height, width)
    landmarks = np.full((1, LANDMARK_COUNT, 2), np.nan)
    landmarks[0, PART_SLICES["right_hand"]] = np.random.default_rng(1).uniform([0.45, 0.6], [0.6, 0.7], (21, 2))
    boxes = hand_boxes(landmarks, (height, width))[:, 1]
    size = int(round(boxes[0, 2] * height))                             # 1:1 crop
    crop = crop_regions(frame[None], boxes, size)
    inside = to_crop(landmarks, boxes, (height, width))[0, PART_SLICES["right_hand"]]
    assert (inside > 0.2).all() and (inside < 0.8).all()
    pasted = paste_regions(np.zeros_like(frame)[None], crop, boxes, np.ones((size, size), np.float32))[0]
    centre = (slice(int(0.6 * height) + 2, int(0.7 * height) - 2), slice(int(0.45 * width) + 2, int(0.6 * width) - 2))
    assert np.abs(pasted[centre].astype(int) - frame[centre]).mean() < 1.5
    feathered = paste_regions(frame[None], np.zeros_like(crop), boxes, blend_mask(size, (0.4, 0.4)))[0]
    assert np.array_equal(feathered[:10], frame[:10])                   # outside the box: untouched
    assert np.array_equal(paste_regions(frame[None], crop, np.full((1, 3), np.nan, np.float32), blend_mask(size))[0], frame)


def _clip_inputs(cache):
    with np.load(next(cache.glob("*-h16s2.npz"))) as data:
        return data["reference_image"], data["landmarks"][..., :2].astype(np.float64), int(data["reference"])


def test_frames_without_a_hand_keep_the_body_and_face_output(checkpoint):
    from render.inference import LoadedRenderer

    ckpt, _, cache = checkpoint
    image, landmarks, reference = _clip_inputs(cache)
    driving = landmarks[:4].copy()
    driving[1:3, PART_SLICES["left_hand"]] = np.nan                     # frames 1, 2: no left hand
    driving[2, PART_SLICES["right_hand"]] = np.nan                      # frame 2: no hand at all
    renderer = LoadedRenderer(ckpt)
    assert renderer.hand_size == 16
    with_hands = renderer.render(image, landmarks[reference], driving)
    body_hands = LoadedRenderer(ckpt, hand_path=False)
    assert body_hands.hand_size == 0 and body_hands.module.hand_renderer is not None
    without = body_hands.render(image, landmarks[reference], driving)
    assert np.array_equal(with_hands[2], without[2])
    assert not np.array_equal(with_hands[0], without[0])
    boxes = hand_boxes(driving, image.shape[:2])
    in_right_box = paste_regions(without[1:2], np.zeros((1, 16, 16, 3), np.uint8), boxes[1:2, 1], np.ones((16, 16), np.float32))
    changed = with_hands[1] != without[1]
    assert changed.any() and not (changed & (in_right_box[0] == without[1])).any()   # only inside the right hand's box


def test_a_checkpoint_from_before_the_hand_path_still_renders(checkpoint, tmp_path):
    from render.inference import LoadedRenderer

    ckpt, _, cache = checkpoint
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    state["state_dict"] = {key: value for key, value in state["state_dict"].items() if not key.startswith("hand_renderer.")}
    hparams = state["hyper_parameters"]
    for key in ("hand_network", "hand_weight"):
        hparams.pop(key)
    hparams["info"].pop("hands")
    old = tmp_path / "old.ckpt"
    torch.save(state, old)
    renderer = LoadedRenderer(old)
    assert renderer.module.hand_renderer is None and renderer.hand_size == 0
    image, landmarks, reference = _clip_inputs(cache)
    frames = renderer.render(image, landmarks[reference], landmarks[:2])
    assert frames.shape[0] == 2 and frames.dtype == np.uint8


def test_the_hand_path_is_on_in_the_keypoint_experiments_and_switches_off():
    from render.config import compose

    for experiment in ("slovo_keypoint_cpu", "keypoint_gpu"):
        cfg = compose("train", [f"experiment={experiment}", "data.videos=unused"])
        assert cfg.model.hands.network and cfg.data.hand_size > 0
    assert compose("train", ["experiment=slovo_keypoint_cpu", "data.videos=unused", "model.hands=null"]).model.hands is None

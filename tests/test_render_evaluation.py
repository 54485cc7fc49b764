"""Evaluation a sceptic accepts: splits, baselines, re-detection scores, pixel lip sync, LPIPS, face region."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, landmark_index
from render import metrics
from render.baselines import previous_frames, retrieval_frames
from render.data.videos import split_frames
from render.errors import RenderError
from render.regions import blend_mask, crop_regions, face_boxes, paste_regions, to_crop
from render.lipsync import CHIN, FOREHEAD, LOWER_LIP, UPPER_LIP, audio_envelope, lip_gap, lip_sync_scores, pearson

SLOVO = "slovo/f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


def test_splits_hold_out_a_contiguous_tail_and_every_eighth_frame_before_it():
    split = split_frames(112, 8, 0.2)
    assert split.held["contiguous"].tolist() == list(range(89, 112))          # ceil(22.4) = 23 frames
    assert split.held["interpolation"].tolist() == list(range(7, 89, 8))
    assert sorted(np.concatenate([split.train, split.all_held]).tolist()) == list(range(112))
    assert not set(split.train) & set(split.all_held)
    assert set(split_frames(10, 0, 0.0).held) == set() and len(split_frames(10, 0, 0.0).train) == 10
    with pytest.raises(RenderError, match="holdout_tail"):
        split_frames(10, 8, 1.0)


def test_previous_frame_and_retrieval_baselines():
    train = np.array([0, 1, 2, 4, 5])
    assert previous_frames(np.array([3, 6, 0]), train).tolist() == [2, 5, 0]
    keypoints = np.zeros((7, 3, 2))
    keypoints[:, :, 0] = np.arange(7)[:, None] * 0.1
    keypoints[6] = keypoints[1]                       # frame 6 repeats the pose of frame 1
    keypoints[4, 2] = np.nan                          # frame 4 lost a keypoint: it is charged for it
    assert retrieval_frames(keypoints, np.array([6, 3]), train).tolist() == [1, 2]
    keypoints[3, :, 0], keypoints[2, :, 0], keypoints[5, :, 0] = 0.4, 0.35, 0.9
    keypoints[4, :2, 0] = 0.4                         # frame 4 matches frame 3 exactly but lacks keypoint 2:
    assert retrieval_frames(keypoints, np.array([3]), train).tolist() == [2]   # the slightly-off full frame wins
    assert retrieval_frames(keypoints, np.array([1]), train).tolist() != [1]   # never itself


def _faces(gaps: np.ndarray) -> np.ndarray:
    landmarks = np.full((len(gaps), LANDMARK_COUNT, 2), np.nan)
    landmarks[:, FOREHEAD] = [0.5, 0.2]
    landmarks[:, CHIN] = [0.5, 0.6]
    landmarks[:, UPPER_LIP] = [0.5, 0.5]
    landmarks[:, LOWER_LIP, 0] = 0.5
    landmarks[:, LOWER_LIP, 1] = 0.5 + gaps * 0.4
    return landmarks


def test_lip_gap_correlations_and_audio_envelope():
    jaw = np.abs(np.sin(np.linspace(0, 6, 40)))
    driving = _faces(0.1 * jaw)
    assert np.allclose(lip_gap(driving, (100, 50)), 0.1 * jaw)
    shut = _faces(np.zeros(40))
    shut[::5] = np.nan                                 # MediaPipe lost the face on some frames
    scores = lip_sync_scores(shut, driving, (100, 50), jaw_open=jaw)
    assert np.isnan(scores["r_rendered_vs_driving_gap"])          # a closed mouth follows nothing
    assert scores["r_driving_vs_jaw_open"] == pytest.approx(1.0)
    assert scores["face_found"] == pytest.approx(0.8)
    assert pearson(jaw, -jaw) == pytest.approx(-1.0)
    rate, fps = 1000, 10
    wave = np.concatenate([np.zeros(300), 0.5 * np.ones(300)])
    assert audio_envelope(wave, rate, fps, 8).tolist() == pytest.approx([0, 0, 0, 0.5, 0.5, 0.5, 0, 0])


def test_redetection_scores_count_parts_found_and_errors_in_shoulder_widths():
    driving = np.full((4, LANDMARK_COUNT, 2), np.nan)
    driving[:, PART_SLICES["pose"]] = 0.5
    driving[:, landmark_index("pose.left_shoulder")] = [0.6, 0.5]
    driving[:, landmark_index("pose.right_shoulder")] = [0.4, 0.5]      # 20 px apart on a 100 x 100 frame
    driving[:2, PART_SLICES["left_hand"]] = 0.3                          # the hand is there on 2 frames
    detected = driving.copy()
    detected[:, PART_SLICES["pose"], 0] += 0.04                          # 4 px off
    detected[1, PART_SLICES["left_hand"]] = np.nan                       # missed once
    detected[3, PART_SLICES["left_hand"]] = 0.3                          # found where nothing drives it
    scores = metrics.redetection_scores(detected, driving, (100, 100))
    assert scores["pose"]["found"] == 1.0 and scores["pose"]["pixels"] == pytest.approx(4.0)
    assert scores["pose"]["shoulder_widths"] == pytest.approx(0.2)
    assert scores["left_hand"]["found"] == 0.5 and scores["left_hand"]["frames"] == 2
    assert np.isnan(scores["right_hand"]["found"]) and scores["face"]["frames"] == 0


def test_hands_found_without_a_body_are_matched_to_the_driving_wrists():
    driving = np.full((3, LANDMARK_COUNT, 2), np.nan)
    driving[:, landmark_index("pose.left_shoulder")] = [0.6, 0.3]
    driving[:, landmark_index("pose.right_shoulder")] = [0.4, 0.3]      # 20 px apart on a 100 x 100 frame
    driving[:, landmark_index("pose.left_wrist")] = [0.7, 0.8]
    driving[:, landmark_index("pose.right_wrist")] = [0.3, 0.8]
    driving[:, PART_SLICES["left_hand"]] = [0.7, 0.75]
    driving[:, PART_SLICES["right_hand"]] = [0.3, 0.75]
    hands = np.full((3, 2, 21, 2), np.nan)
    hands[0, 0], hands[0, 1] = [0.31, 0.75], [0.7, 0.76]                # both, in the other slot order
    hands[1, 0] = [0.7, 0.75]                                            # the left hand only
    hands[1, 1] = [0.5, 0.2]                                             # and one far from both wrists
    hands[2, 0] = [0.3, 0.8 + 0.11]                                      # 11 px = 0.55 shoulder widths: too far
    hands[2, 0, 0] = [0.3, 0.8 + 0.11]
    assigned = metrics.assign_hands(hands, driving, (100, 100))
    assert np.allclose(assigned[0, PART_SLICES["right_hand"]], [0.31, 0.75])
    assert np.allclose(assigned[0, PART_SLICES["left_hand"]], [0.7, 0.76])
    assert np.allclose(assigned[1, PART_SLICES["left_hand"]], [0.7, 0.75]) and np.isnan(assigned[1, PART_SLICES["right_hand"]]).all()
    assert np.isnan(assigned[2]).all() and np.isnan(assigned[:, PART_SLICES["pose"]]).all()
    scores = metrics.hand_redetection_scores(hands, driving, (100, 100))
    assert set(scores) == {"left_hand", "right_hand"}
    assert scores["left_hand"]["found"] == pytest.approx(2 / 3) and scores["right_hand"]["found"] == pytest.approx(1 / 3)
    assert scores["right_hand"]["pixels"] == pytest.approx(1.0) and scores["left_hand"]["shoulder_widths"] == pytest.approx(0.025)


def test_lpips_from_local_alexnet_weights(tmp_path):
    from render.lpips import LPIPS, alexnet_features

    torch.manual_seed(0)
    weights = tmp_path / "alexnet.pth"
    torch.save({f"features.{key}": value for key, value in alexnet_features().state_dict().items()}, weights)
    lpips = LPIPS(weights)
    images = torch.rand(2, 3, 64, 64)
    assert torch.allclose(lpips(images, images), torch.zeros(2))
    near, far = lpips(images, (images + 0.02).clamp(0, 1)), lpips(images, torch.rand(2, 3, 64, 64))
    assert (far > near).all() and (near > 0).all()
    assert lpips.lins[0].model[1].weight.abs().sum() > 0                 # the shipped calibration, not zeros
    torch.save({"classifier.1.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(RenderError, match="lack AlexNet keys"):
        LPIPS(tmp_path / "other.pth")
    with pytest.raises(RenderError, match="do not exist"):
        LPIPS(tmp_path / "missing.pth")


def test_face_crop_and_blend_back_round_trip():
    rng = np.random.default_rng(0)
    height, width = 200, 120
    y, x = np.mgrid[:height, :width]
    frame = np.stack([x * 2, y, 128 + 60 * np.sin(x / 9) * np.cos(y / 7)], -1).astype(np.uint8)   # smooth: resampling keeps it
    landmarks = np.full((1, LANDMARK_COUNT, 2), np.nan)
    face = PART_SLICES["face"]
    landmarks[0, face] = rng.uniform([0.4, 0.25], [0.6, 0.35], (468, 2))
    boxes = face_boxes(landmarks, (height, width), scale=1.8)
    extent_px = max(0.2 * width, 0.1 * height)
    assert boxes[0, 2] * height == pytest.approx(1.8 * extent_px, rel=0.05)
    crop_size = int(round(boxes[0, 2] * height))                        # 1:1 crop
    crop = crop_regions(frame[None], boxes, crop_size)
    inside = to_crop(landmarks, boxes, (height, width))[0, face]
    assert (inside > 0.2).all() and (inside < 0.8).all()
    pasted = paste_regions(np.zeros_like(frame)[None], crop, boxes, np.ones((crop_size, crop_size), np.float32))[0]
    centre = (slice(int(0.25 * height) + 2, int(0.35 * height) - 2), slice(int(0.4 * width) + 2, int(0.6 * width) - 2))
    assert np.abs(pasted[centre].astype(int) - frame[centre]).mean() < 1.5
    mask = blend_mask(64)
    assert mask[32, 32] > 0.99 and mask[0, 0] < 0.01
    no_face = paste_regions(frame[None], crop, np.full((1, 3), np.nan, np.float32), blend_mask(crop_size))
    assert np.array_equal(no_face[0], frame)


def test_redetect_finds_the_signer_on_a_real_frame(sample_file):
    import av

    from render.redetect import redetect

    with av.open(str(sample_file(SLOVO))) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    found = redetect(rgb[None], consecutive=False)
    assert found.shape == (1, LANDMARK_COUNT, 2)
    assert np.isfinite(found[0, PART_SLICES["pose"]]).all() and np.isfinite(found[0, PART_SLICES["face"]]).all()


def test_hand_visibility_counts_hands_inside_the_frame_and_their_length():
    landmarks = np.full((4, LANDMARK_COUNT, 2), np.nan)
    landmarks[:, landmark_index("pose.left_shoulder")] = (0.6, 0.3)
    landmarks[:, landmark_index("pose.right_shoulder")] = (0.4, 0.3)            # 20 px apart on 100 x 100
    hand = PART_SLICES["left_hand"]
    landmarks[:, hand] = (0.5, 0.8)
    landmarks[:, hand.start + 9] = (0.5, 0.9)                                     # wrist to middle knuckle: 10 px
    landmarks[3, hand.start + 4] = (0.5, 1.2)                                     # a fingertip below the frame
    scores = metrics.hand_visibility(landmarks, (100, 100))
    assert scores["left_hand"] == {"present": 1.0, "inside": 0.75, "length_px": pytest.approx(10.0),
                                   "length_shoulder_widths": pytest.approx(0.5)}
    assert scores["right_hand"]["present"] == 0 and np.isnan(scores["right_hand"]["inside"])


def test_the_hands_solution_finds_the_signers_hands_on_real_frames(sample_file):
    from motiongen.formats.video import read_video_frames
    from render.redetect import redetect, redetect_hands

    frames = read_video_frames(sample_file(SLOVO), max_frames=48)[[40, 44]]         # both hands in view
    hands = redetect_hands(np.concatenate([frames, np.full_like(frames[:1], 128)]), consecutive=False)
    assert hands.shape == (3, 2, 21, 2) and np.isnan(hands[2]).all()            # a grey frame has no hand
    found = np.isfinite(hands[:2]).all((2, 3))
    assert found.sum() >= 3
    holistic = redetect(frames, consecutive=False)
    scores = metrics.hand_redetection_scores(hands[:2], holistic, frames.shape[1:3])
    assert min(scores[part]["found"] for part in scores) == 1.0                 # each at a Holistic wrist
    assert max(scores[part]["shoulder_widths"] for part in scores) < 0.1         # and on Holistic's hand


def test_at_most_the_most_confident_hands_are_kept():
    from types import SimpleNamespace

    from render.redetect import strongest_hands

    def hand(x: float, score: float):
        return (SimpleNamespace(landmark=[SimpleNamespace(x=x, y=0.5)] * 21),
                SimpleNamespace(classification=[SimpleNamespace(score=score)]))

    # Tracking mode can return a tracked hand beside new detections: three for max_num_hands=2.
    hands, handedness = zip(hand(0.1, 0.6), hand(0.2, 0.9), hand(0.3, 0.8))
    kept = strongest_hands(SimpleNamespace(multi_hand_landmarks=list(hands), multi_handedness=list(handedness)), 2)
    assert kept.shape == (2, 21, 2) and kept[:, 0, 0].tolist() == pytest.approx([0.2, 0.3])
    none = strongest_hands(SimpleNamespace(multi_hand_landmarks=None, multi_handedness=None), 2)
    assert none.shape == (0, 21, 2)

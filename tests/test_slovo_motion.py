import numpy as np
import pytest

from motiongen.core.holistic_layout import PART_SLICES, landmark_index
from motiongen.datasets.slovo.motion import BODY_LANDMARKS, FACE_WEIGHTS, face_weights, fill_gaps, slovo_blocks


def test_fill_gaps_interpolates_inside_and_holds_at_the_ends():
    values = np.array([[np.nan], [2.0], [np.nan], [np.nan], [8.0], [np.nan]])
    observed = np.array([False, True, False, False, True, False])
    np.testing.assert_allclose(fill_gaps(values, observed)[:, 0], [2, 2, 4, 6, 8, 8])
    assert not fill_gaps(values, np.zeros(6, bool)).any()


def _person(frames: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks in normalised coordinates of a 100 x 200 px frame: shoulders 40 px apart."""
    points = np.full((frames, 543, 3), np.nan, dtype=np.float32)
    pose = np.zeros((33, 3), dtype=np.float32)
    pose[:, :2] = [0.5, 0.3]
    pose[landmark_index("pose.left_shoulder"), :2] = [0.7, 0.4]   # 70 px, 80 px
    pose[landmark_index("pose.right_shoulder"), :2] = [0.3, 0.4]  # 30 px, 80 px
    pose[landmark_index("pose.left_wrist"), :2] = [0.9, 0.6]
    points[:, :33] = pose
    hand = np.zeros((21, 3), dtype=np.float32)
    hand[:, :2] = [0.9, 0.6]
    hand[9, :2] = [0.9, 0.65]                # palm 10 px (0.05 * 200)
    hand[8] = [1.0, 0.6, 0.05]               # index tip 10 px right, z 5 px
    points[:, PART_SLICES["left_hand"]] = hand
    face = np.zeros((468, 3), dtype=np.float32)
    face[:, :2] = [0.5, 0.2]
    face[263, :2], face[33, :2] = [0.6, 0.2], [0.4, 0.2]  # 20 px eye-corner distance
    points[:, PART_SLICES["face"]] = face
    present = np.array([[True, True, True, False]] * frames)
    return points, present


def test_body_and_hands_are_centred_and_scaled():
    points, present = _person()
    present[2, 2] = False
    points[2, PART_SLICES["left_hand"]] = np.nan
    blocks, scale = slovo_blocks(points, present, width=100, height=200)
    assert scale.shoulder_width == pytest.approx(40.0) and scale.palm_sizes[0] == pytest.approx(10.0)
    body = blocks["body"].reshape(5, len(BODY_LANDMARKS), 2)
    assert body[0, BODY_LANDMARKS.index("left_shoulder")] == pytest.approx([0.5, 0.0])
    assert body[0, BODY_LANDMARKS.index("left_wrist")] == pytest.approx([(90 - 50) / 40, (120 - 80) / 40])
    hands = blocks["hands"].reshape(5, 2, 20, 3)
    assert hands[:, 0, 7] == pytest.approx(np.tile([1.0, 0.0, 0.5], (5, 1)))  # index tip: 1 palm right, z 0.5
    assert not hands[:, 1].any()  # the right hand is never seen
    np.testing.assert_array_equal(blocks["mask"][:, 2], [1, 1, 0, 1, 1])
    assert blocks["face"].shape == (5, len(FACE_WEIGHTS))
    assert all(np.isfinite(v).all() for v in blocks.values())


def test_no_pose_is_refused():
    points, present = _person()
    present[:, 0] = False
    with pytest.raises(ValueError, match="no person found"):
        slovo_blocks(points, present, 100, 200)


def test_face_weights_follow_the_geometry():
    face = np.zeros((3, 468, 3), dtype=np.float32)
    face[:, 263, :2], face[:, 33, :2] = [60, 0], [-60, 0]  # eye-corner distance 120
    for side, inner, outer, upper, lower in (("left", 362, 263, 386, 374), ("right", 133, 33, 159, 145)):
        sign = 1 if side == "left" else -1
        face[:, inner, :2] = [sign * 20, 0]
        face[:, upper, :2], face[:, lower, :2] = [sign * 40, -6], [sign * 40, 6]  # lid gap 12 / eye width 40
    face[1, 386, 1] = face[1, 374, 1] = 0.0  # frame 1: left eye closed
    face[:, 13, :2], face[:, 14, :2] = [0, 40], [0, 42]
    face[2, 14, 1] = 40 + 0.40 * 120  # frame 2: mouth wide open
    face[:, 61, :2], face[:, 291, :2] = [-30, 41], [30, 41]  # mouth width 60 = 0.5 eye spans
    face[:, 107, :2], face[:, 336, :2] = [-20, -36], [20, -36]
    face[:, 46, :2], face[:, 276, :2] = [-60, -22], [60, -22]
    weights = dict(zip(FACE_WEIGHTS, face_weights(face).T))
    assert weights["eyeBlinkLeft"][1] == pytest.approx(1.0) and weights["eyeBlinkLeft"][0] < 0.1
    assert weights["eyeBlinkRight"][1] < 0.1
    assert weights["jawOpen"][2] == pytest.approx(1.0) and weights["jawOpen"][0] == 0.0
    assert ((face_weights(face) >= 0) & (face_weights(face) <= 1)).all()


def test_blocks_map_back_to_the_holistic_layout():
    from motiongen.datasets.slovo.motion import PALM_PER_SHOULDER, holistic_landmarks

    points, present = _person()
    blocks, _ = slovo_blocks(points, present, width=100, height=200)
    landmarks = holistic_landmarks(blocks["body"], blocks["hands"])
    assert landmarks.shape == (5, 543, 3)
    wrist = [(90 - 50) / 40, (120 - 80) / 40]
    assert landmarks[0, landmark_index("pose.left_wrist"), :2] == pytest.approx(wrist)
    assert np.isnan(landmarks[:, landmark_index("pose.left_wrist"), 2]).all()  # the pose is 2-D
    assert landmarks[0, landmark_index("left_hand.wrist")] == pytest.approx([*wrist, 0.0])
    tip = landmarks[0, landmark_index("left_hand.index_finger_tip")]
    assert tip == pytest.approx([wrist[0] + PALM_PER_SHOULDER, wrist[1], 0.5 * PALM_PER_SHOULDER])
    assert np.isnan(landmarks[:, PART_SLICES["face"]]).all() and np.isnan(landmarks[:, landmark_index("pose.left_hip")]).all()


def test_implausible_hand_detections_are_rejected_and_filled():
    """Frames 0-9 of a 10 px palm at the pose's wrist; then one hand of each kind of failure: fingers
    scattered 5 palms away (shape), a 1.8x hand (perspective: fingertips 3.6 of the clip's palms), the hand
    at the other pose wrist (swapped label), a palm 0.05 shoulder widths (degenerate)."""
    from motiongen.datasets.slovo.motion import HandLimits, check_hands, clip_scale, to_pixels

    points, present = _person(14)
    hand = PART_SLICES["left_hand"]
    wrist = points[0, hand][0].copy()
    points[:, hand][:, 12] = wrist + [0.0, 0.1, 0.0]  # middle tip 20 px below: 2 palm sizes
    points[10, hand.start + 8] = wrist + [0.5, 0.0, 0.0]  # index tip 50 px = 5 palms away
    points[11, hand] = wrist + 1.8 * (points[11, hand] - wrist)
    points[12, hand] = points[12, hand] - wrist + [0.1, 0.6, 0.0]  # at the right pose wrist (0.1, 0.6)
    points[12, landmark_index("pose.right_wrist"), :2] = [0.1, 0.6]
    points[13, hand] = wrist + 0.2 * (points[13, hand] - wrist)
    pixels = to_pixels(points, 100, 200)
    widths = np.full(14, 40.0, np.float32)
    plausible, palms = check_hands(pixels, present, widths, HandLimits())
    np.testing.assert_array_equal(plausible[:, 0], [True] * 10 + [False] * 4)
    assert not plausible[:, 1].any() and np.isnan(palms[1])
    assert palms[0] == pytest.approx(10.0)  # from the plausible frames only
    assert clip_scale(pixels, present).rejected_hands[:, 0].sum() == 4
    assert check_hands(pixels, present, widths, HandLimits(max_fingertip_palms=6.0))[0][:, 0].sum() == 12

    blocks, scale = slovo_blocks(points, present, 100, 200)
    np.testing.assert_array_equal(blocks["mask"][:, 2], [1] * 10 + [0] * 4)
    hands = blocks["hands"].reshape(14, 2, 20, 3)
    np.testing.assert_allclose(hands[10:, 0], np.repeat(hands[9:10, 0], 4, axis=0))  # held from frame 9
    assert np.linalg.norm(hands[:, 0], axis=-1).max() <= 3.0


def test_hand_limits_are_validated():
    from motiongen.datasets.slovo.motion import HandLimits

    with pytest.raises(ValueError, match="palm_shoulders"):
        HandLimits(palm_shoulders=(0.5, 0.1))

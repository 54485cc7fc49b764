import numpy as np
import pytest

from motiongen.core.holistic_layout import PART_SLICES, PARTS, landmark_index
from motiongen.formats.holistic import extract_frames, extract_image, extract_video
from motiongen.formats.video import read_video_frames
from video_samples import SLOVO_SAMPLE, gradient_frames


@pytest.fixture(scope="module")
def sample_landmarks(sample_file):
    return extract_video(sample_file(SLOVO_SAMPLE))


def test_sample_video_has_pose_and_face_on_every_frame(sample_landmarks):
    result, info = sample_landmarks
    assert result.landmarks.shape == (112, 543, 3) and result.landmarks.dtype == np.float32
    assert (result.width, result.height, result.fps) == (720, 1280, 30.0) == (info.width, info.height, info.fps)
    assert result.part_present("pose").all() and result.part_present("face").all()
    hands = result.present[:, 2:].sum(axis=0)
    assert (hands > 20).all() and (hands < 112).all()  # the hands rise into view and leave it


def test_nan_exactly_where_a_part_is_missing(sample_landmarks):
    result, _ = sample_landmarks
    for column, part in enumerate(PARTS):
        missing = np.isnan(result.landmarks[:, PART_SLICES[part]]).all(axis=(1, 2))
        finite = np.isfinite(result.landmarks[:, PART_SLICES[part]]).all(axis=(1, 2))
        np.testing.assert_array_equal(missing, ~result.present[:, column])
        np.testing.assert_array_equal(finite, result.present[:, column])
    assert np.isfinite(result.pose_visibility).all()


def test_coordinates_are_normalised_and_sides_agree(sample_landmarks):
    result, _ = sample_landmarks
    xy = result.landmarks[:, PART_SLICES["face"].start :, :2]  # face and hands (the legs are out of frame)
    assert np.nanmin(xy) > -0.3 and np.nanmax(xy) < 1.3  # a hand may leave the frame a little
    face_xy = result.part("face")[..., :2]
    assert 0.2 < np.nanmean(face_xy[..., 0]) < 0.8 and np.nanmean(face_xy[..., 1]) < 0.5  # head at top
    pixels = result.pixels()
    np.testing.assert_allclose(pixels[..., 1], result.landmarks[..., 1] * 1280, rtol=1e-6)
    for side in ("left", "right"):
        hand_wrist = result.landmarks[:, landmark_index(f"{side}_hand.wrist"), :2]
        pose_wrist = result.landmarks[:, landmark_index(f"pose.{side}_wrist"), :2]
        other_wrist = result.landmarks[:, landmark_index(f"pose.{'right' if side == 'left' else 'left'}_wrist"), :2]
        near = np.nanmedian(np.linalg.norm(hand_wrist - pose_wrist, axis=1))
        far = np.nanmedian(np.linalg.norm(hand_wrist - other_wrist, axis=1))
        assert near < 0.05 < far, side


def test_single_image_from_array_and_from_file(sample_file):
    path = sample_file(SLOVO_SAMPLE)
    frame = read_video_frames(path, max_frames=1)[0]
    from_array = extract_image(frame)
    from_file = extract_image(path)
    assert from_array.landmarks.shape == (1, 543, 3) and from_array.fps == 0.0
    assert from_array.part_present("pose")[0] and from_array.part_present("face")[0]
    np.testing.assert_allclose(from_array.landmarks, from_file.landmarks, equal_nan=True)


def test_frames_without_a_person_give_nan_and_no_presence():
    result = extract_frames(iter(gradient_frames(3, 96, 64)), fps=25.0, expected_count=1)
    assert result.frame_count == 3 and not result.present.any()
    assert np.isnan(result.landmarks).all()


def test_frames_of_different_sizes_are_refused():
    frames = [gradient_frames(1, 64, 48)[0], gradient_frames(1, 48, 64)[0]]
    with pytest.raises(ValueError, match="frame 1"):
        extract_frames(frames, fps=30.0)

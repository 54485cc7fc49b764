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


def test_landmark_rows_match_the_per_point_read_on_real_output(sample_file, monkeypatch):
    from mediapipe.python.solutions.holistic import Holistic

    import motiongen.formats.holistic as holistic
    from motiongen.formats.holistic import landmark_rows, landmark_rows_per_point

    frame = read_video_frames(sample_file(SLOVO_SAMPLE), max_frames=41)[40]  # both hands in view
    with Holistic(static_image_mode=True, model_complexity=1) as graph:
        result = graph.process(frame)
    lists = [result.pose_landmarks, result.face_landmarks, result.left_hand_landmarks, result.right_hand_landmarks]
    assert all(found is not None for found in lists)
    references = [landmark_rows_per_point(found) for found in lists]
    monkeypatch.delattr(holistic, "landmark_rows_per_point")  # MediaPipe's own output takes the vectorised read
    for found, reference in zip(lists, references):
        fast = landmark_rows(found)
        assert fast.shape == (len(found.landmark), 4) and fast.dtype == np.float32
        np.testing.assert_array_equal(fast, reference)
    assert np.isfinite(landmark_rows(result.pose_landmarks)).all()  # pose carries visibility
    assert np.isnan(landmark_rows(result.face_landmarks)[:, 3]).all()


def test_landmark_rows_read_other_layouts_point_by_point():
    from mediapipe.framework.formats.landmark_pb2 import NormalizedLandmarkList

    from motiongen.formats.holistic import landmark_rows

    partial = NormalizedLandmarkList()
    partial.landmark.add(x=0.25, y=0.5)  # no z: the records are shorter than the fixed layouts
    partial.landmark.add(x=0.75, y=0.125, z=-0.5)
    np.testing.assert_array_equal(landmark_rows(partial), [[0.25, 0.5, 0, np.nan], [0.75, 0.125, -0.5, np.nan]])
    extra = NormalizedLandmarkList()
    for value in (0.0, 1.0):
        extra.landmark.add(x=value, y=value, z=value, visibility=0.5, presence=0.25)
    np.testing.assert_array_equal(landmark_rows(extra), [[0, 0, 0, 0.5], [1, 1, 1, 0.5]])
    assert landmark_rows(NormalizedLandmarkList()).shape == (0, 4)

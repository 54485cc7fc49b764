import numpy as np
import pytest
from video_samples import SLOVO_SAMPLE, gradient_frames, write_video

from motiongen.core.errors import MotiongenError
from motiongen.datasets.slovo.landmarks import (
    VideoJob,
    current_landmarks,
    entry_is_current,
    entry_path,
    extract_landmarks,
    landmark_settings,
    read_landmark_entry,
    remove_partial_entries,
)


def test_corpus_with_a_corrupt_video_and_one_without_a_person(tmp_path, sample_file, monkeypatch):
    sample = sample_file(SLOVO_SAMPLE)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(sample.read_bytes()[:5000])
    empty_scene = write_video(tmp_path / "nobody.mp4", gradient_frames(6, 96, 64))
    cache = tmp_path / "cache"
    settings = landmark_settings()
    jobs = [VideoJob("sample", str(sample), str(cache), settings, expected_frames=110),
            VideoJob("corrupt", str(corrupt), str(cache), settings),
            VideoJob("nobody", str(empty_scene), str(cache), settings)]
    extracted = extract_landmarks(jobs[0])
    assert extracted.meta["num_frames"] == 112
    assert "the annotation says 110 frames, the video has 112" in extracted.meta["warnings"]
    with pytest.raises(MotiongenError, match="corrupt.mp4"):
        extract_landmarks(jobs[1])
    with pytest.raises(MotiongenError, match="no person found"):
        extract_landmarks(jobs[2])
    entry = read_landmark_entry(entry_path(cache, "sample"))
    assert entry.landmarks.shape == (112, 543, 3) and entry.present[:, :2].all()
    assert (entry.meta["width"], entry.meta["height"], entry.meta["fps"]) == (720, 1280, 30.0)
    assert "location" not in str(entry.meta)
    assert not entry_path(cache, "corrupt").exists() and not entry_path(cache, "nobody").exists()

    # resume: unchanged -> current; other settings or another file under the same id -> not
    assert entry_is_current(jobs[0])
    assert not entry_is_current(VideoJob("sample", str(empty_scene), str(cache), settings))
    assert not entry_is_current(VideoJob("sample", str(sample), str(cache), landmark_settings(0.6)))
    import motiongen.formats.holistic as holistic

    monkeypatch.setattr(holistic, "extract_video", lambda *a, **k: pytest.fail("MediaPipe ran for a current entry"))
    reused = current_landmarks(jobs[0])
    assert reused.meta == entry.meta
    np.testing.assert_array_equal(reused.landmarks, entry.landmarks)


def test_leftover_partial_files_are_removed(tmp_path):
    folder = tmp_path / "landmarks"
    folder.mkdir()
    (folder / ".x.abc.partial.npz").write_bytes(b"half")
    (folder / "x.npz").write_bytes(b"kept")
    assert remove_partial_entries(tmp_path) == [".x.abc.partial.npz"]
    assert [p.name for p in folder.iterdir()] == ["x.npz"]


def test_a_missing_video_is_an_error_naming_it(tmp_path):
    with pytest.raises(MotiongenError, match="missing.mp4"):
        extract_landmarks(VideoJob("missing", str(tmp_path / "missing.mp4"), str(tmp_path), landmark_settings()))


def test_zero_frame_video_is_an_error_naming_it(tmp_path):
    import av

    empty = tmp_path / "empty.avi"  # a container with a video stream and no frame (an .mp4 without samples has no stream)
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 48, 64, "yuv420p"
        container.start_encoding()
    with pytest.raises(MotiongenError, match="no frames") as raised:
        extract_landmarks(VideoJob("empty", str(empty), str(tmp_path / "cache"), landmark_settings()))
    assert str(empty) in str(raised.value)


def test_the_thresholds_of_the_settings_reach_mediapipe(tmp_path, monkeypatch):
    import motiongen.formats.holistic as holistic

    made = []

    class Recording(holistic.HolisticExtractor):
        def __init__(self, **kwargs):
            made.append(kwargs)
            super().__init__(**kwargs)

    monkeypatch.setattr(holistic, "HolisticExtractor", Recording)
    video = write_video(tmp_path / "nobody.mp4", gradient_frames(3, 96, 64))
    with pytest.raises(MotiongenError, match="no person found"):
        extract_landmarks(VideoJob("nobody", str(video), str(tmp_path / "cache"), landmark_settings(0.7, 0.3)))
    assert made == [{"min_detection_confidence": 0.7, "min_tracking_confidence": 0.3}]

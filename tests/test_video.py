import numpy as np
import pytest

from motiongen.core.errors import InputFileError
from motiongen.formats.video import iter_video_frames, prefetch, probe_video, read_video_frames
from video_samples import SLOVO_SAMPLE, gradient_frames, write_video


def test_probe_and_decode_the_slovo_sample(sample_file):
    path = sample_file(SLOVO_SAMPLE)
    info = probe_video(path)
    assert (info.fps, info.width, info.height, info.frame_count) == (30.0, 720, 1280, 112)
    assert info.rotation_degrees == 0 and info.codec == "h264"
    assert info.duration == pytest.approx(112 / 30)
    assert not any("location" in field for field in vars(info))
    frames = read_video_frames(path, max_frames=3)
    assert frames.shape == (3, 1280, 720, 3) and frames.dtype == np.uint8
    assert sum(1 for _ in iter_video_frames(path)) == 112


def test_written_video_round_trips_size_rate_and_content(tmp_path):
    source = gradient_frames(12)
    path = write_video(tmp_path / "clip.mp4", source, fps=25)
    info = probe_video(path)
    assert (info.fps, info.width, info.height, info.frame_count) == (25.0, 48, 64, 12)
    decoded = read_video_frames(path)
    assert decoded.shape == source.shape
    assert np.abs(decoded.astype(int) - source).mean() < 12  # lossy codec, same picture


def test_prefetch_yields_the_same_frames_and_reraises(tmp_path):
    path = write_video(tmp_path / "clip.mp4", gradient_frames(9))
    direct = list(iter_video_frames(path))
    ahead = list(prefetch(iter_video_frames(path), depth=2))
    assert len(ahead) == 9 and all(np.array_equal(a, b) for a, b in zip(direct, ahead))

    def failing():
        yield direct[0]
        raise InputFileError(path, "broken on purpose")

    with pytest.raises(InputFileError, match="broken on purpose"):
        list(prefetch(failing()))


def test_unreadable_inputs_name_the_file(tmp_path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x01 not a video" * 100)
    with pytest.raises(InputFileError, match="garbage.mp4: not a readable video"):
        probe_video(garbage)
    with pytest.raises(InputFileError, match="file not found"):
        probe_video(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.mp4"):
        read_video_frames(empty)


def test_truncated_video_fails_or_stops_early_with_the_file_named(tmp_path):
    path = write_video(tmp_path / "clip.mp4", gradient_frames(30))
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputFileError, match="cut.mp4"):
        read_video_frames(cut)


def test_open_video_reads_the_stream_once_like_probe_and_iteration(tmp_path):
    from motiongen.formats.video import open_video

    path = write_video(tmp_path / "clip.mp4", gradient_frames(7))
    info, frames = open_video(path)
    assert info == probe_video(path)
    decoded = list(frames)
    assert len(decoded) == 7 and all(np.array_equal(a, b) for a, b in zip(decoded, iter_video_frames(path)))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.mp4"):
        open_video(empty)


def test_a_container_without_a_frame_count_is_counted_by_probe_only(tmp_path):
    from motiongen.formats.video import open_video

    path = write_video(tmp_path / "clip.mkv", gradient_frames(11))  # Matroska headers state no frame count
    header, frames = open_video(path)
    assert header.frame_count == 0 and len(list(frames)) == 11
    assert probe_video(path).frame_count == 11


def test_decoder_options_reach_ffmpeg_and_keep_every_frame(tmp_path):
    from motiongen.formats.video import open_video

    rng = np.random.default_rng(0)
    noisy = np.clip(gradient_frames(10, 64, 96).astype(int) + rng.integers(-40, 40, (10, 64, 96, 3)), 0, 255)
    path = write_video(tmp_path / "clip.mp4", noisy.astype(np.uint8), codec="libx264")  # coarse: deblocking at work
    exact = np.stack(list(open_video(path)[1]))
    info, frames = open_video(path, decoder_options={"skip_loop_filter": "all"})
    unfiltered = np.stack(list(frames))
    assert unfiltered.shape == exact.shape == (10, 64, 96, 3) and info.frame_count == 10
    assert not np.array_equal(unfiltered, exact)  # the deblocking filter was skipped
    assert np.abs(unfiltered.astype(int) - exact).mean() < 8  # the same pictures
    with pytest.raises(ValueError, match=r"clip.mp4: the h264 decoder has no option\(s\) \['skip_everything'\]"):
        open_video(path, decoder_options={"skip_everything": "all"})

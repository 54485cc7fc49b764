import json
import subprocess
import sys

from slovo_samples import link_video, write_annotations
from video_samples import SLOVO_SAMPLE

from motiongen.datasets.report import ERROR
from motiongen.datasets.inspection import inspect_path


def _corpus(tmp_path, sample):
    root = tmp_path / "slovo"
    link_video(sample, root / "train" / "good.mp4")
    link_video(sample, root / "test" / "other.mp4")
    (root / "train" / "corrupt.mp4").write_bytes(sample.read_bytes()[:4000])
    link_video(sample, root / "train" / "orphan.mp4")
    write_annotations(root / "annotations.csv", [
        {"attachment_id": "good", "user_id": "u1", "text": "привет", "length": 112},
        {"attachment_id": "other", "user_id": "u2", "text": "да", "train": False, "length": 100, "width": 1080},
        {"attachment_id": "corrupt", "user_id": "u1", "text": "нет"},
        {"attachment_id": "absent", "user_id": "u3", "text": "нет"},
    ])
    hand = [{"x": 0.5, "y": 0.5, "z": 0.0}] * 21
    (root / "slovo_mediapipe.json").write_text(json.dumps({"good": [{"hand 1": hand}] * 90}), encoding="utf-8")
    return root


def test_slovo_folder_rows_and_problems(tmp_path, sample_file):
    root = _corpus(tmp_path, sample_file(SLOVO_SAMPLE))
    report = inspect_path(root)
    assert report.kind == "slovo"
    rows = {row.video_id: row for row in report.videos}
    assert set(rows) == {"good", "other", "corrupt"}
    assert rows["good"].file.facts["frames"] == 112 and rows["good"].file.facts["size"] == "720x1280"
    assert rows["good"].label == "привет" and rows["other"].split == "test"
    assert rows["corrupt"].file.has_error
    messages = [f"{p.path}: {p.message}" for p in report.all_problems()]
    text = "\n".join(messages)
    assert "slovo_mediapipe.json has 90 frames for this video, the video has 112" in text
    assert "the annotation says 100 frames, the video has 112" in text
    assert "the annotation says 1080x1280" in text
    assert "no video file absent" in text and "orphan.mp4: video has no row" in text
    assert report.has_error and sum(p.severity == ERROR for p in report.all_problems()) == 1


def test_inspect_command_prints_the_video_table(tmp_path, sample_file):
    root = _corpus(tmp_path, sample_file(SLOVO_SAMPLE))
    result = subprocess.run([sys.executable, "-m", "motiongen.cli", "inspect", str(root), "--no-progress"],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    for shown in ("good", "other", "corrupt", "привет", "ERROR", "signers"):
        assert shown in result.stdout, shown
    single = subprocess.run([sys.executable, "-m", "motiongen.cli", "inspect", str(sample_file(SLOVO_SAMPLE))],
                            capture_output=True, text=True)
    assert single.returncode == 0 and "720x1280" in single.stdout and "(video)" in single.stdout


def test_folder_of_videos_without_annotations_is_named_as_such(tmp_path, sample_file):
    link_video(sample_file(SLOVO_SAMPLE), tmp_path / "videos" / "a.mp4")
    report = inspect_path(tmp_path / "videos")
    assert report.kind == "slovo" and report.has_error
    assert "annotations.csv" in report.problems[0].path and "file not found" in report.problems[0].message

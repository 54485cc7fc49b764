import json

import numpy as np
import pytest
from slovo_samples import write_annotations

from motiongen.datasets.slovo.videos import carve_validation, discover_slovo, read_annotations, read_official_hands
from motiongen.core.errors import InputFileError


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"video")
    return path


@pytest.mark.parametrize("delimiter", ["\t", ","])
def test_annotations_are_read_tab_or_comma_separated(tmp_path, delimiter):
    path = write_annotations(tmp_path / "annotations.csv", [
        {"attachment_id": "a1", "user_id": "u1", "text": "привет"},
        {"attachment_id": "a2", "user_id": "u2", "text": "no_event", "train": False},
    ], delimiter=delimiter)
    rows, problems = read_annotations(path)
    assert [r["text"] for r in rows] == ["привет", "no_event"] and problems == []
    assert rows[1]["train"] == "False"


def test_annotation_problems_name_file_and_line(tmp_path):
    path = tmp_path / "annotations.csv"
    path.write_text("attachment_id\tuser_id\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"annotations.csv:1: missing columns \['width'"):
        read_annotations(path)
    write_annotations(path, [{"attachment_id": "a1", "user_id": "u1", "text": "да"}])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("a2\tu1\tbroken\n")
    rows, problems = read_annotations(path)
    assert len(rows) == 1 and problems[0][0].endswith("annotations.csv:3") and "3 cells" in problems[0][1]


def test_discovery_matches_rows_and_files_and_reports_the_rest(tmp_path):
    for name in ("train/a1.mp4", "train/a2.mp4", "test/a3.mp4", "train/orphan.mp4", "nested/a1.mp4", "a4.mp4"):
        _touch(tmp_path / name)
    write_annotations(tmp_path / "annotations.csv", [
        {"attachment_id": "a1", "user_id": "u1", "text": "привет"},
        {"attachment_id": "a2", "user_id": "u2", "text": "no_event"},
        {"attachment_id": "a3", "user_id": "u3", "text": "да", "train": False},
        {"attachment_id": "a4", "user_id": "u1", "text": "нет", "begin": 50, "end": 200},
        {"attachment_id": "gone", "user_id": "u1", "text": "нет"},
        {"attachment_id": "a1", "user_id": "u9", "text": "нет"},
    ], delimiter=",")
    corpus = discover_slovo(tmp_path, val_fraction=0.0)
    assert [v.attachment_id for v in corpus.videos] == ["a1", "a2", "a3", "a4"]
    assert corpus.labels == ("no_event", "да", "нет", "привет")
    assert {v.attachment_id: v.split for v in corpus.videos} == {"a1": "train", "a2": "train", "a3": "test", "a4": "train"}
    text = "\n".join(f"{where}: {message}" for where, message in corpus.problems)
    assert "no video file gone" in text and "orphan.mp4: video has no row" in text
    assert "a1 repeated" in text and "same id as" in text
    a4 = next(v for v in corpus.videos if v.attachment_id == "a4")
    assert "not inside the clip" in a4.problems[0]
    dropped = discover_slovo(tmp_path, keep_no_event=False, val_fraction=0.0)
    assert "no_event" not in dropped.labels
    assert any("no_event clip; dropped" in message for _, message in dropped.problems)


def test_validation_is_carved_by_whole_signers(tmp_path):
    rows = [{"attachment_id": f"v{i:02d}", "user_id": f"u{i % 6}", "text": f"s{i % 4}"} for i in range(30)]
    for row in rows:
        _touch(tmp_path / "train" / f"{row['attachment_id']}.mp4")
    write_annotations(tmp_path / "annotations.csv", rows)
    corpus = discover_slovo(tmp_path, val_fraction=0.2, seed=3)
    val_signers = {v.signer for v in corpus.videos if v.split == "val"}
    train_signers = {v.signer for v in corpus.videos if v.split == "train"}
    assert val_signers and train_signers and not val_signers & train_signers
    assert corpus.split_counts()["val"] >= 6
    again = discover_slovo(tmp_path, val_fraction=0.2, seed=3)
    assert [v.split for v in again.videos] == [v.split for v in corpus.videos]
    carve_validation(again.videos[:1], 0.5, 0)  # a single signer stays in train
    assert again.videos[0].split in ("train", "val")


def test_official_hand_landmarks(tmp_path):
    hand = [{"x": 0.1 * i, "y": 0.2, "z": -0.01} for i in range(21)]
    path = tmp_path / "slovo_mediapipe.json"
    path.write_text(json.dumps({"a1": [{"hand 1": hand}, {}, {"hand 2": hand, "hand 1": hand}]}), encoding="utf-8")
    hands = read_official_hands(path)["a1"]
    assert hands.shape == (3, 2, 21, 3)
    assert np.isfinite(hands[0, 0]).all() and np.isnan(hands[0, 1]).all() and np.isnan(hands[1]).all()
    assert hands[2, 1, 20, 0] == pytest.approx(2.0)
    path.write_text(json.dumps({"a1": [{"hand 1": [{"y": 1}]}]}), encoding="utf-8")
    with pytest.raises(InputFileError, match="a1 frame 0 hand 1"):
        read_official_hands(path)


def test_validation_signers_can_be_named(tmp_path):
    rows = [{"attachment_id": f"v{i}", "user_id": f"u{i % 3}", "text": "да"} for i in range(6)]
    for row in rows:
        _touch(tmp_path / f"{row['attachment_id']}.mp4")
    write_annotations(tmp_path / "annotations.csv", rows)
    corpus = discover_slovo(tmp_path, val_signers=["u2"])
    assert {v.attachment_id for v in corpus.videos if v.split == "val"} == {"v2", "v5"}

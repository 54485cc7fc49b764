"""BEAT corpus discovery, label files and the CaMN train/val/test split."""

from __future__ import annotations

from collections import Counter

import pytest

from motiongen.datasets.beat.takes import (
    MODALITIES,
    BeatTake,
    assign_splits,
    discover_beat,
    parse_take_name,
    read_emotion_labels,
    read_semantic_labels,
)
from motiongen.datasets.beat.emotions import EMOTIONS, emotion_of_take, take_emotion
from motiongen.datasets.beat.splits import read_split_csv
from motiongen.core.errors import InputFileError


def touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def take(speaker: int, kind: int, index: int, name: str = "spk") -> BeatTake:
    return BeatTake(f"{speaker}_{name}_{kind}_{index}_{index}", speaker, name, kind, index, index)


def english_takes(speaker: int) -> list[BeatTake]:
    return [take(speaker, 0, i) for i in range(1, 119)] + [take(speaker, 1, i) for i in range(1, 13)]


def test_parse_take_name():
    assert parse_take_name("2_scott_0_1_1") == {"speaker_id": 2, "speaker_name": "scott", "take_type": 0, "start": 1, "end": 1}
    assert parse_take_name("1_wayne_0_1_8")["end"] == 8
    for bad in ("2_scott_0_1", "scott_0_1_1", "2_scott_0_1_x", "2_scott_0_1_1_extra", "2__0_1_1"):
        assert parse_take_name(bad) is None


def test_discovery_inventory_and_reported_files(tmp_path):
    root = tmp_path / "beat_english_v0.2.1"
    for ext in MODALITIES:
        touch(root / "2" / f"2_scott_0_1_1.{ext}")
    touch(root / "2" / "2_scott_0_65_65.bvh")
    touch(root / "2" / "2_scott_0_65_65.wav")
    touch(root / "4" / "4_lawrence_1_12_12.json")
    touch(root / "4" / "4_lawrence_1_12_12.textgrid")
    touch(root / "2" / "2_scott_0_2.bvh")  # bad name
    touch(root / "2" / "2_scott_0_3_3.mp4")  # unknown extension
    touch(root / "4" / "2_scott_0_9_9.wav")  # filed under another speaker's folder
    touch(root / "2" / "nested" / "2_scott_0_4_4.bvh")
    touch(root / "2" / ".DS_Store")
    touch(root / "README.md")

    corpus = discover_beat(root)
    ids = [t.take_id for t in corpus]
    assert ids == ["2_scott_0_1_1", "2_scott_0_9_9", "2_scott_0_65_65", "4_lawrence_1_12_12"]
    complete, wrong_folder, partial, conversation = corpus
    assert list(complete.files) == list(MODALITIES) and complete.missing == []
    assert partial.missing == ["json", "TextGrid", "txt", "csv"]
    assert conversation.files["TextGrid"].name == "4_lawrence_1_12_12.textgrid"
    assert (conversation.speaker_id, conversation.speaker_name, conversation.take_type) == (4, "lawrence", 1)
    assert wrong_folder.files == {"wav": root / "4" / "2_scott_0_9_9.wav"}
    assert corpus.speakers == [2, 4]

    problems = {path.name: message for path, message in corpus.problems}
    assert "does not follow" in problems["2_scott_0_2.bvh"]
    assert "extension '.mp4'" in problems["2_scott_0_3_3.mp4"]
    assert "speaker 2 filed under folder '4'" in problems["2_scott_0_9_9.wav"]
    assert "nested folder" in problems["nested"]
    assert "extension '.md'" in problems["README.md"]
    assert ".DS_Store" not in problems


def test_flat_folder_and_duplicates(tmp_path):
    touch(tmp_path / "2_scott_0_1_1.bvh")
    touch(tmp_path / "2" / "2_scott_0_1_1.bvh")
    corpus = discover_beat(tmp_path)
    assert [t.take_id for t in corpus] == ["2_scott_0_1_1"]
    assert any("second bvh file" in message for _, message in corpus.problems)


def test_discovery_needs_a_folder(tmp_path):
    with pytest.raises(InputFileError, match="not a folder"):
        discover_beat(tmp_path / "missing")


def test_real_sample_folder(sample_file):
    root = sample_file("beat/2_scott_0_1_1.bvh").parent
    corpus = discover_beat(root)
    by_id = {t.take_id: t for t in corpus}
    assert set(by_id["2_scott_0_1_1"].files) == {"bvh", "TextGrid"}
    assert set(by_id["2_scott_0_3_3"].files) == {"wav", "TextGrid"}
    assert corpus.problems == []


@pytest.mark.parametrize("speaker", [2, 4, 6, 8])
def test_camn_split_is_98_16_16_for_the_uwp_speakers(speaker):
    splits = assign_splits(english_takes(speaker))
    assert splits.counts() == {"train": 98, "val": 16, "test": 16}
    assert splits.unassigned == {}
    name = f"{speaker}_spk"
    for index in (*range(1, 9), 65, 73, 81, 87, 95, 103, 111):
        assert splits[f"{name}_0_{index}_{index}"] == "test"
    for index in (*range(57, 65), 72, 80, 86, 94, 102, 110, 118):
        assert splits[f"{name}_0_{index}_{index}"] == "val"
    for index in (9, 56, 66, 71, 82, 85, 112, 117):
        assert splits[f"{name}_0_{index}_{index}"] == "train"
    assert splits[f"{name}_1_1_1"] == "test" and splits[f"{name}_1_12_12"] == "val"
    assert all(splits[f"{name}_1_{i}_{i}"] == "train" for i in range(2, 12))


def test_one_hour_speakers_and_other_takes():
    takes = english_takes(5) + [take(5, 1, 0), take(2, 2, 3), BeatTake("2_spk_0_1_8", 2, "spk", 0, 1, 8), take(31, 0, 10)]
    splits = assign_splits(takes)
    one_hour = Counter(splits[t.take_id] for t in takes if t.speaker_id == 5 and t.take_id in splits)
    assert one_hour == {"train": 20, "val": 4, "test": 4}
    assert "halves" in splits.unassigned["5_spk_0_65_65"]
    assert "halves" in splits.unassigned["5_spk_1_1_1"]
    assert "not used by CaMN" in splits.unassigned["5_spk_0_30_30"]
    assert "recording type 2" in splits.unassigned["2_spk_2_3_3"]
    assert "spans indices 1-8" in splits.unassigned["2_spk_0_1_8"]
    assert "not a BEAT English speaker" in splits.unassigned["31_spk_0_10_10"]


def test_split_csv_override(tmp_path):
    csv_path = touch(tmp_path / "split.csv", "take_id,split\n2_spk_0_1_1,train\n5_spk_0_65_65,val\n\n9_x_0_1_1,test\n")
    takes = english_takes(2) + [take(5, 0, 65)]
    splits = assign_splits(takes, csv_path)
    assert splits["2_spk_0_1_1"] == "train" and splits["2_spk_0_2_2"] == "test"
    assert splits["5_spk_0_65_65"] == "val" and "5_spk_0_65_65" not in splits.unassigned
    assert len(splits.warnings) == 1 and "9_x_0_1_1" in splits.warnings[0]


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("a_b_0_1_1,dev\n", "split 'dev' is not one of train, val, test", 1),
        ("take_id,split\na_b_0_1_1,train\na_b_0_1_1,test\n", "listed twice", 3),
        ("a_b_0_1_1,train,extra\n", "3 columns", 1),
    ],
)
def test_split_csv_errors(tmp_path, text, needle, line):
    path = touch(tmp_path / "s.csv", text)
    with pytest.raises(InputFileError) as caught:
        read_split_csv(path)
    assert needle in str(caught.value) and caught.value.line == line


def test_emotion_of_take():
    assert [emotion_of_take(0, i) for i in (1, 64, 65, 72, 73, 81, 86, 87, 95, 103, 111, 118)] == [0, 0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 7]
    assert emotion_of_take(1, 5) == 0 and emotion_of_take(0, 119) is None
    assert EMOTIONS[4] == "contempt" and len(EMOTIONS) == 8


def test_emotion_labels(tmp_path):
    path = touch(tmp_path / "2_scott_0_1_1.csv", "00_netural, 0, 63.908, 63.908, 0\n")
    labels = read_emotion_labels(path)
    assert labels.segments[0].emotion == 0 and labels.segments[0].name == "neutral"
    assert labels.segments[0].end == pytest.approx(63.908) and labels.warnings == []
    path = touch(tmp_path / "multi.csv", "05_surprise, 0, 10, 10, 5\r\n03_sadness, 10, 20.5, 10.4, 2\r\n")
    labels = read_emotion_labels(path)
    assert labels.emotions == [5, 2]
    assert any("disagrees with class 2" in w for w in labels.warnings)
    assert any("duration 10.4 differs" in w for w in labels.warnings)


def test_take_emotion_prefers_the_class_covering_most_time_then_the_protocol(tmp_path):
    path = touch(tmp_path / "multi.csv", "05_surprise, 0, 10, 10, 5\n03_sadness, 10, 21, 11, 3\n05_surprise, 21, 21.5, 0.5, 5\n")
    warnings: list[str] = []
    assert take_emotion(path, 0, 1, warnings) == 3 and warnings == []
    assert take_emotion(None, 0, 70, warnings) == 1 and warnings == []
    assert take_emotion(None, 0, 119, warnings) == 0
    assert warnings == ["no emotion label: take index 119 is outside BEAT's protocol; using neutral (0)"]


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("", "empty label file", None),
        ("00_netural, 0, 63.908, 63.908\n", "4 columns", 1),
        ("00_netural, 0, x, 63.908, 0\n", "end 'x' is not a number", 1),
        ("00_netural, 0, 63.9, 63.9, 9\n", "emotion class 9.0 is not an integer 0-7", 1),
        ("00_netural, 0, 63.9, 63.9, 1.5\n", "not an integer", 1),
        ("00_netural, 0, 1, 1, 0\n00_netural, 5, 2, -3, 0\n", "ends before it starts", 2),
        ("00_netural, 0, inf, 1, 0\n", "end is inf", 1),
    ],
)
def test_emotion_label_errors(tmp_path, text, needle, line):
    path = touch(tmp_path / "e.csv", text)
    with pytest.raises(InputFileError) as caught:
        read_emotion_labels(path)
    assert needle in str(caught.value) and caught.value.line == line


SEMANTIC = (
    "01_beat_align\t0\t3.119\t3.119\t0.1\n"
    "07_iconic_h\t3.119\t4.785\t1.666\t0.7\trelaxing\n"
    "10_metaphoric_h\t13.494\t15.358\t1.864\t1.0\tMonday through Friday\n"
)


def test_semantic_labels(tmp_path):
    labels = read_semantic_labels(touch(tmp_path / "2_scott_0_1_1.txt", SEMANTIC))
    assert [s.category for s in labels.segments] == ["01_beat_align", "07_iconic_h", "10_metaphoric_h"]
    assert labels.segments[1].keywords == "relaxing" and labels.segments[2].keywords == "Monday through Friday"
    assert labels.segments[0].keywords == "" and labels.segments[2].score == 1.0
    assert labels.warnings == []


def test_semantic_warnings(tmp_path):
    text = "05_iconic_l\t0\t2\t2\t0.9\n01_beat_align\t1.5\t3\t1.5\t0.1\n"
    labels = read_semantic_labels(touch(tmp_path / "s.txt", text))
    assert any("score 0.9 disagrees with category '05_iconic_l'" in w for w in labels.warnings)
    assert any("line 2" in w and "overlaps" in w for w in labels.warnings)


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("01_beat_align 0 3.1 3.1 0.1\n", "1 tab-separated columns", 1),
        ("01_beat_align\t0\t3.1\t3.1\thigh\n", "score 'high' is not a number", 1),
        ("01_beat_align\t0\t3.1\t3.1\t0.1\n10_metaphoric_h\t4\t5\t1\t1.2\n", "relevance score 1.2 outside [0, 1]", 2),
        ("01_beat_align\t-1\t3.1\t4.1\t0.1\n", "negative start", 1),
    ],
)
def test_semantic_errors(tmp_path, text, needle, line):
    with pytest.raises(InputFileError) as caught:
        read_semantic_labels(touch(tmp_path / "s.txt", text))
    assert needle in str(caught.value) and caught.value.line == line

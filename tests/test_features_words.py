"""fastText word features: .bin (subword OOV), .vec subsets, the offline fallback and frame alignment."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.core.errors import ConfigError, InputFileError
from motiongen.features.pipeline import extract_word_features
from motiongen.features.words import (
    FastTextModel,
    WordTable,
    read_vec_subset,
    table_for_vocabulary,
    train_fallback_model,
)
from motiongen.formats.textgrid import Interval, read_textgrid

SENTENCES = [
    "well in my opinion i think photography is about communication",
    "the picture is often shifted to the left of the frame",
    "journalists seek the exact moment in the middle of the scenery",
] * 5
TRAIN = {"epoch": 5, "min_count": 1, "minn": 3, "maxn": 5, "bucket": 2000}


@pytest.fixture(scope="module")
def fallback_bin(tmp_path_factory):
    transcript = " ".join(SENTENCES)  # one line per take, as the cache builder passes them
    return train_fallback_model([transcript], tmp_path_factory.mktemp("ft") / "fallback.bin", dim=16, train=TRAIN)


def write_vec(path, rows: dict[str, np.ndarray]) -> None:
    dim = len(next(iter(rows.values())))
    lines = [f"{len(rows)} {dim}"] + [w + " " + " ".join(f"{v:.5f}" for v in vec) for w, vec in rows.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_fallback_model_is_a_real_fasttext_bin_with_subword_vectors(fallback_bin):
    model = FastTextModel(fallback_bin)
    assert model.dim == 16
    vectors, found = model.lookup(["photography", "photographs", "I"])
    assert found.all()  # "photographs" is unseen: built from character n-grams; "I" found as "i"
    assert np.allclose(vectors[2], model.model.get_word_vector("i"))
    assert not np.allclose(vectors[0], vectors[1])


def test_table_from_bin_covers_the_whole_vocabulary(fallback_bin):
    table = table_for_vocabulary(fallback_bin, {"frame", "unseenword"}, dim=16)
    assert table.words == ["frame", "unseenword"] and table.dim == 16
    assert table.lookup(["frame", "unseenword"])[1].all()
    with pytest.raises(ConfigError, match="data.words.dim=300"):
        table_for_vocabulary(fallback_bin, {"frame"}, dim=300)


def test_vec_subset_keeps_only_the_vocabulary(tmp_path):
    rng = np.random.default_rng(0)
    rows = {w: rng.standard_normal(4).astype(np.float32) for w in ["the", "I", "frame", "zebra", "photo"]}
    write_vec(tmp_path / "v.vec", rows)
    table = read_vec_subset(tmp_path / "v.vec", ["i", "frame", "missing"])
    assert sorted(table.words) == ["I", "frame"]
    vectors, found = table.lookup(["i", "frame", "missing"])
    assert found.tolist() == [True, True, False]
    np.testing.assert_allclose(vectors[0], rows["I"], atol=1e-5)
    assert (vectors[2] == 0).all()


def test_bad_vec_files_are_reported_with_the_line(tmp_path):
    (tmp_path / "bad.vec").write_text("2 3\nthe 0.1 0.2 0.3\nframe 0.1 0.2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad.vec:3: word 'frame' has 2 values"):
        read_vec_subset(tmp_path / "bad.vec", ["frame"])
    (tmp_path / "nohead.vec").write_text("the 0.1 0.2 0.3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=":1:"):
        read_vec_subset(tmp_path / "nohead.vec", ["the"])
    with pytest.raises(ConfigError, match=r"\.bin or \.vec"):
        table_for_vocabulary(tmp_path / "vectors.txt", ["the"], dim=3)


def test_word_table_round_trips(tmp_path):
    table = WordTable(["a", "b"], np.arange(6, dtype=np.float32).reshape(2, 3), "test")
    table.save(tmp_path / "t.npz")
    again = WordTable.load(tmp_path / "t.npz")
    assert again.words == ["a", "b"] and again.source == "test"
    np.testing.assert_array_equal(again.vectors, table.vectors)


def test_a_word_from_1_0_to_1_5_s_covers_frames_30_to_44():
    table = WordTable(["hello", "world"], np.array([[1.0, 2.0], [3.0, 4.0]]), "test")
    intervals = [Interval(0.0, 1.0, ""), Interval(1.0, 1.5, "hello"), Interval(1.5, 1.6, ""), Interval(1.6, 2.0, "world")]
    features = extract_word_features(intervals, 75, 30.0, table)
    assert features.shape == (75, 3)
    hello = np.flatnonzero((features[:, :2] == [1.0, 2.0]).all(axis=1))
    assert hello.tolist() == list(range(30, 45))
    assert (features[30:45, 2] == 0).all() and features[29, 2] == 1 and features[45, 2] == 1
    world = np.flatnonzero((features[:, :2] == [3.0, 4.0]).all(axis=1))
    assert world.tolist() == list(range(48, 60))  # [1.6, 2.0): frames 48..59
    assert (features[60:, 2] == 1).all() and (features[60:, :2] == 0).all()  # after the last word


def test_unknown_words_are_zero_but_not_silence():
    table = WordTable(["hello"], np.ones((1, 2)), "test")
    features = extract_word_features([Interval(0.0, 0.5, "xyzzy")], 30, 30.0, table)
    assert (features[:15] == 0).all() and (features[15:, 2] == 1).all()


def test_real_textgrid_words_line_up_with_their_intervals(sample_file, fallback_bin):
    words = read_textgrid(sample_file("beat/2_scott_0_3_3.TextGrid"))["words"]
    table = table_for_vocabulary(fallback_bin, {w.label for w in words if w.label}, dim=16)
    features = extract_word_features(words, 2040, 30.0, table)
    times = np.arange(2040) / 30.0
    for interval in words:
        frames = np.flatnonzero((times >= interval.start) & (times < interval.end))
        if interval.label:
            expected = table.lookup([interval.label])[0][0]
            np.testing.assert_array_equal(features[frames, :16], np.broadcast_to(expected, (len(frames), 16)))
            assert (features[frames, 16] == 0).all()
        else:
            assert (features[frames, 16] == 1).all()

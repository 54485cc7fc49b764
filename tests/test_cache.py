"""The feature cache: build, reload, skip/recompute, atomic entries, resume after a kill, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from motiongen.cache import CacheInfo
from motiongen.cache.build import build_cache
from motiongen.cache.stats import compute_stats
from motiongen.core.motion_format import MotionFormat, Representation
from motiongen.cache.store import read_entry, take_dir, write_take
from motiongen.config import compose
from motiongen.core.errors import ConfigError
from motiongen.features.pipeline import extract_audio_features
from motiongen.features.recipe import recipe_from_config
from motiongen.features.words import WordTable
from motiongen.formats.audio import load_audio
from motiongen.formats.textgrid import read_textgrid
from motiongen.output_folders import mark

from feature_cache_helpers import (
    REAL_TAKE,
    link_real_sample_take,
    make_take,
    preprocess_overrides,
    save_tiny_wavlm,
    write_face_json,
)

TRAIN_A, TRAIN_B, VAL, NO_FACE = "2_scott_0_10_10", "2_scott_0_11_11", "2_scott_0_60_60", "2_scott_0_12_12"


def synthetic_corpus(root: Path) -> Path:
    make_take(root, TRAIN_A, seed=1, clicks=(1.7,))
    make_take(root, TRAIN_B, seed=2, face_seconds=3.5)
    make_take(root, VAL, seed=3)
    make_take(root, NO_FACE, seed=4, face=False)
    return root


def build(root: Path, cache: Path, *extra: str):
    return build_cache(compose("config", preprocess_overrides(root, cache, *extra)), progress=False)


@pytest.fixture()
def corpus(tmp_path):
    return synthetic_corpus(tmp_path / "beat")


def test_build_reload_and_skip_reasons(corpus, tmp_path):
    summary = build(corpus, tmp_path / "cache")
    assert sorted(summary.processed) == [TRAIN_A, TRAIN_B, VAL]
    assert summary.skipped == {NO_FACE: "missing face ARKit blendshapes (.json)"}
    assert not summary.failed
    assert any("NOT the paper's crawl-300d-2M" in w for w in summary.warnings)
    info = CacheInfo.load(tmp_path / "cache")
    fmt = info.format
    dims = {"gesture": 141, "expression": 52, "audio": 109, "word": 17}
    assert {b.name: b.width for b in fmt.blocks} == {"gesture": 141, "expression": 52}
    assert {c.name: c.width for c in fmt.conditions if c.per_frame} == {"audio": 109, "word": 17}
    assert info.fps == 30 and fmt.condition("speaker").labels == ("2",) and fmt.condition("emotion").width == 8
    assert fmt.block("gesture").representation == Representation.AXIS_ANGLE and fmt.block("gesture").units == "rad"
    assert len(fmt.block("gesture").names) == 47 and fmt.block("expression").names[17] == "jawOpen"
    assert fmt.condition("audio").layout["onset"] == (108, 109)
    assert fmt.skeleton is not None and fmt.skeleton.skeleton.num_joints == 75
    assert set(fmt.normalised_names()) == {"gesture", "expression", "audio"}
    assert MotionFormat.load(tmp_path / "cache" / "motion_format.json").to_dict() == fmt.to_dict()
    assert {t.take_id: t.split for t in info.takes} == {TRAIN_A: "train", TRAIN_B: "train", VAL: "val"}
    # TRAIN_B's face JSON is 0.5 s shorter: every stream is cut to it, and that is recorded.
    take_b = next(t for t in info.takes if t.take_id == TRAIN_B)
    assert take_b.num_frames == 105
    assert any("trimmed to the common length 105 frames" in w and "expression 105" in w for w in take_b.warnings)
    for block, width in dims.items():
        array = info.block(TRAIN_B, block)
        assert isinstance(array, np.memmap) and array.shape == (105, width) and array.dtype == np.float32
    manifest = json.loads((tmp_path / "cache" / "manifest.json").read_text())
    assert manifest["package_version"] and manifest["settings"]["recipe"]["frame_length"] == 1024
    sources = manifest["takes"][TRAIN_A]["sources"]
    assert set(sources) == {"bvh", "json", "wav", "TextGrid"}
    assert {"size", "mtime_ns", "sha256", "path"} <= set(sources["bvh"])


def test_statistics_come_from_the_train_split_only(corpus, tmp_path):
    build(corpus, tmp_path / "cache")
    info = CacheInfo.load(tmp_path / "cache")
    for block in ("gesture", "audio"):
        train = np.concatenate([np.asarray(info.block(t, block)) for t in (TRAIN_A, TRAIN_B)]).astype(np.float64)
        mean, std = info.format.normalisation(block).mean, info.format.normalisation(block).std
        np.testing.assert_allclose(mean, train.mean(axis=0), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(std, np.maximum(train.std(axis=0), 1e-3), rtol=1e-3, atol=1e-4)
    gesture = np.asarray(info.block(TRAIN_A, "gesture"))
    np.testing.assert_allclose(info.denormalise("gesture", info.normalise("gesture", gesture)), gesture, atol=1e-5)


def test_fallback_word_vectors_never_see_validation_or_test_sentences(tmp_path):
    import fasttext

    from motiongen.cache.store import MANIFEST

    root = tmp_path / "beat"
    make_take(root, TRAIN_A, seed=1)
    make_take(root, TRAIN_B, seed=2, words=[(0.5, 1.0, "hello"), (1.2, 1.8, "again")])
    make_take(root, VAL, seed=3, words=[(0.5, 1.0, "hello"), (1.2, 1.9, "heldout")])
    build(root, tmp_path / "cache")
    manifest = json.loads((tmp_path / "cache" / MANIFEST).read_text())
    assert manifest["takes"][VAL]["split"] == "val"
    assert manifest["words"]["trained_on"] == [TRAIN_A, TRAIN_B]
    [model_file] = (tmp_path / "cache" / "words").glob("fallback-*.bin")
    vocabulary = set(fasttext.load_model(str(model_file)).words)
    assert {"hello", "world", "again"} <= vocabulary and "heldout" not in vocabulary
    # the validation word still gets a (subword) vector in the table, like any unseen word would
    table = WordTable.load(tmp_path / "cache" / "words" / "table.npz")
    assert "heldout" in table.words


def test_constant_dimensions_get_the_std_floor(tmp_path):
    arrays = {"gesture": np.c_[np.arange(10.0), np.full(10, 3.0)], "expression": np.zeros((10, 2)),
              "audio": np.ones((10, 1)), "word": np.eye(10)[:, :2]}
    write_take(tmp_path, "t", arrays, {"take_id": "t"})
    stats = compute_stats(tmp_path, ["t"], ["gesture", "expression"], std_floor=0.01)
    mean, std = stats["gesture"]
    np.testing.assert_allclose(mean, [4.5, 3.0])
    np.testing.assert_allclose(std, [np.std(np.arange(10.0)), 0.01], rtol=1e-6)
    assert (stats["expression"][1] == np.float32(0.01)).all()


def test_rerun_skips_touch_keeps_change_recomputes(corpus, tmp_path):
    cache = tmp_path / "cache"
    build(corpus, cache)
    created = read_entry(cache, TRAIN_A)["created_utc"]
    again = build(corpus, cache)
    assert not again.processed and sorted(again.up_to_date) == [TRAIN_A, TRAIN_B, VAL]
    os.utime(corpus / "2" / f"{TRAIN_A}.wav")  # new time stamp, same content
    assert not build(corpus, cache).processed
    before = np.asarray(CacheInfo.load(cache).block(TRAIN_B, "expression")).copy()
    write_face_json(corpus / "2" / f"{TRAIN_B}.json", 4.0, seed=99)
    changed = build(corpus, cache)
    assert sorted(changed.processed) == [TRAIN_B] and sorted(changed.up_to_date) == [TRAIN_A, VAL]
    after = CacheInfo.load(cache).block(TRAIN_B, "expression")
    assert after.shape == (120, 52) and not np.allclose(after[:105], before)
    assert read_entry(cache, TRAIN_A)["created_utc"] == created
    recipe_change = build(corpus, cache, "data.features.mel.n_mels=32")
    assert sorted(recipe_change.processed) == [TRAIN_A, TRAIN_B, VAL]
    assert CacheInfo.load(cache).format.condition("audio").width == 77


def test_an_entry_is_all_or_nothing_when_writing_fails(corpus, tmp_path, monkeypatch):
    import motiongen.cache.store as store

    cache = tmp_path / "cache"
    real_save, calls = np.save, []

    def failing_save(path, array):
        calls.append(path)
        if len(calls) == 3:  # third block of the first take
            raise OSError(28, "No space left on device")
        real_save(path, array)

    monkeypatch.setattr(store.np, "save", failing_save)
    summary = build(corpus, cache)
    assert list(summary.failed) == [TRAIN_A] and "No space left on device" in summary.failed[TRAIN_A]
    assert sorted(summary.processed) == [TRAIN_B, VAL]
    assert not take_dir(cache, TRAIN_A).exists()
    assert [p.name for p in (cache / "takes").iterdir() if p.name.startswith(".")] == []
    monkeypatch.setattr(store.np, "save", real_save)
    resumed = build(corpus, cache)
    assert list(resumed.processed) == [TRAIN_A] and sorted(resumed.up_to_date) == [TRAIN_B, VAL]


def test_leftovers_of_an_interrupted_run_are_removed(corpus, tmp_path):
    cache = tmp_path / "cache"
    partial = cache / "takes" / f".partial-{TRAIN_A}-deadbeef"
    partial.mkdir(parents=True)
    (partial / "gesture.npy").write_bytes(b"half")
    mark(cache, "feature cache")  # the interrupted run had marked its cache before writing any entry
    summary = build(corpus, cache)
    assert not partial.exists() and any("interrupted run" in w for w in summary.warnings)
    assert TRAIN_A in summary.processed


def eight_six_second_takes(tmp_path):
    """A BEAT-layout folder with eight 6-s takes of speaker 2; returns ``(root, take ids)``."""
    root = tmp_path / "beat"
    ids = [f"2_scott_0_{i}_{i}" for i in range(10, 18)]
    for seed, take_id in enumerate(ids):
        make_take(root, take_id, seconds=6.0, seed=seed)
    return root, ids


@pytest.mark.slow
def test_resume_after_killing_the_preprocess_process(tmp_path):
    root, ids = eight_six_second_takes(tmp_path)
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "motiongen.cli", "preprocess", "--no-progress",
               *preprocess_overrides(root, cache)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            done = [p for p in (cache / "takes").glob("2_*")] if (cache / "takes").is_dir() else []
            if done or process.poll() is not None:
                break
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    finished = sorted(p.name for p in (cache / "takes").glob("2_*"))
    assert 1 <= len(finished) < len(ids), "the run was not interrupted mid-way"
    assert not (cache / "manifest.json").exists()
    for take_id in finished:  # whatever is visible is complete
        entry = read_entry(cache, take_id)
        for block in ("gesture", "expression", "audio", "word"):
            assert np.load(take_dir(cache, take_id) / f"{block}.npy", mmap_mode="r").shape[0] == entry["num_frames"]
    resumed = build(root, cache)
    assert sorted(resumed.up_to_date) == finished
    assert sorted(resumed.processed) == sorted(set(ids) - set(finished))
    assert len(CacheInfo.load(cache).takes) == len(ids)


def test_cached_features_line_up_with_words_and_onsets(corpus, tmp_path):
    cache = tmp_path / "cache"
    build(corpus, cache)
    info = CacheInfo.load(cache)
    table = WordTable.load(cache / "words" / "table.npz")
    word = np.asarray(info.block(TRAIN_A, "word"))
    hello = table.lookup(["hello"])[0][0]
    carries_hello = np.flatnonzero(np.all(word[:, :16] == hello, axis=1) & (word[:, 16] == 0))
    assert carries_hello.tolist() == list(range(30, 45))  # "hello" is spoken over [1.0, 1.5) s
    assert word[29, 16] == 1 and word[45, 16] == 1  # silence either side
    onset = np.asarray(info.block(TRAIN_A, "audio"))[:, 108]
    flagged = np.flatnonzero(onset)
    assert np.min(np.abs(flagged - 51)) <= 1  # the click at 1.7 s
    # The cached audio block is exactly what the generation-time entry point computes.
    wave, rate = load_audio(corpus / "2" / f"{TRAIN_A}.wav")
    recipe = recipe_from_config(compose("config", ["data/features=spectral"]).data.features, 30)
    np.testing.assert_array_equal(info.block(TRAIN_A, "audio"), extract_audio_features(wave, rate, 120, recipe))


def test_real_sample_files_in_a_symlinked_beat_tree(sample_file, tmp_path):
    """The real 24-bit wav and its TextGrid, paired with the (truncated, 957-frame) real BVH."""
    root = tmp_path / "beat"
    link_real_sample_take(root, sample_file)
    real = REAL_TAKE
    make_take(root, TRAIN_A, seed=1)  # the real take is in the test split; stats need a train take
    cache = tmp_path / "cache"
    strict = build(root, cache)
    assert "truncated" in strict.failed[real] and "set data.allow_truncated=true" in strict.failed[real]
    assert "allow_truncated=True" not in strict.failed[real]
    summary = build(root, cache, "data.allow_truncated=true")
    assert real in summary.processed
    info = CacheInfo.load(cache)
    take = next(t for t in info.takes if t.take_id == real)
    assert take.split == "test" and take.categories["emotion"] == "neutral" and take.num_frames == 240  # 957 frames at 120 fps
    assert any("Frames: 7669" in w for w in take.warnings)
    assert any("trimmed to the common length 240 frames" in w and "audio 2040" in w for w in take.warnings)
    gesture = np.asarray(info.block(real, "gesture"))
    assert gesture.shape == (240, 141) and np.isfinite(gesture).all() and np.abs(gesture).max() <= np.pi + 1e-5
    words = read_textgrid(sample_file(f"beat/{real}.TextGrid"))["words"]
    first = next(w for w in words if w.label)  # "well" [1.47, 2.36)
    silence = np.asarray(info.block(real, "word"))[:, -1]
    assert silence[int(np.ceil(first.start * 30)) - 1] == 1 and silence[int(np.ceil(first.start * 30))] == 0


def test_uwp_recipe_with_a_local_wavlm(corpus, tmp_path):
    model = save_tiny_wavlm(tmp_path / "wavlm")
    summary = build(corpus, tmp_path / "cache", "data/features=uwp", f"data.features.wavlm.model={model}")
    assert sorted(summary.processed) == [TRAIN_A, TRAIN_B, VAL]
    info = CacheInfo.load(tmp_path / "cache")
    audio = info.format.condition("audio")
    assert audio.width == 109 + 32 and audio.layout["wavlm"] == (108, 140)


def test_configuration_errors_stop_before_any_take(corpus, tmp_path):
    with pytest.raises(ConfigError, match="data.features.wavlm.model=.*data/features=spectral"):
        build(corpus, tmp_path / "c1", "data/features=uwp", f"data.features.wavlm.model={tmp_path / 'nowhere'}",
              "data.features.wavlm.local_files_only=true")
    assert not (tmp_path / "c1" / "takes").exists()
    with pytest.raises(ConfigError, match="data.words.vectors is not set"):
        build(corpus, tmp_path / "c2", "data.words.fallback=error")


@pytest.mark.slow
def test_ray_tasks_build_the_same_cache(corpus, tmp_path):
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        summary = build(corpus, tmp_path / "ray", "ray.address=local")
    finally:
        ray.shutdown()
    assert sorted(summary.processed) == [TRAIN_A, TRAIN_B, VAL]
    build(corpus, tmp_path / "local")
    ray_cache, local_cache = CacheInfo.load(tmp_path / "ray"), CacheInfo.load(tmp_path / "local")
    for take_id in (TRAIN_A, VAL):
        for block in ("gesture", "expression"):
            np.testing.assert_array_equal(ray_cache.block(take_id, block), local_cache.block(take_id, block))
        # Matrix products may be summed in another order by a differently threaded BLAS.
        np.testing.assert_allclose(ray_cache.block(take_id, "audio"), local_cache.block(take_id, "audio"), rtol=1e-5, atol=1e-4)


def test_vec_vectors_are_subset_once_and_extended_for_new_words(corpus, tmp_path):
    rng = np.random.default_rng(0)
    rows = {w: rng.standard_normal(4) for w in ["the", "well", "hello", "World", "zebra"]}  # no "again"
    vec = tmp_path / "vectors.vec"
    vec.write_text(f"{len(rows)} 4\n" + "".join(f"{w} " + " ".join(f"{v:.4f}" for v in x) + "\n" for w, x in rows.items()))
    cache = tmp_path / "cache"
    summary = build(corpus, cache, f"data.words.vectors={vec}", "data.words.dim=4")
    assert not any("NOT the paper" in w for w in summary.warnings)
    record = json.loads((cache / "words" / "table.json").read_text())
    assert record["requested"] == ["again", "hello", "well", "world"]
    assert sorted(WordTable.load(cache / "words" / "table.npz").words) == ["World", "hello", "well"]  # "world" as "World"
    assert any("1 word(s) without a vector (zero features): again" in w for w in summary.processed[TRAIN_A]["warnings"])
    make_take(corpus, "2_scott_0_13_13", seed=7, words=[(0.5, 1.0, "zebra"), (1.2, 1.6, "the")])
    grown = build(corpus, cache, f"data.words.vectors={vec}", "data.words.dim=4")
    assert list(grown.processed) == ["2_scott_0_13_13"]  # vectors of the old takes' words did not change
    assert sorted(WordTable.load(cache / "words" / "table.npz").words) == ["World", "hello", "the", "well", "zebra"]


def test_emotion_comes_from_the_label_file_when_there_is_one(corpus, tmp_path):
    (corpus / "2" / f"{TRAIN_A}.csv").write_text("03_sadness, 0, 3.0, 3.0, 3\n00_netural, 3.0, 4.0, 1.0, 0\n")
    build(corpus, tmp_path / "cache")
    info = CacheInfo.load(tmp_path / "cache")
    emotions = {t.take_id: info.category_index(t, "emotion") for t in info.takes}
    assert emotions == {TRAIN_A: 3, TRAIN_B: 0, VAL: 0}  # the others: BEAT's take-index rule (neutral)
    assert "csv" in read_entry(tmp_path / "cache", TRAIN_A)["sources"]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_a_killed_worker_process_does_not_lose_takes(tmp_path):
    root, ids = eight_six_second_takes(tmp_path)
    cache, summary_path = tmp_path / "cache", tmp_path / "summary.json"
    command = [sys.executable, "-m", "motiongen.cli", "preprocess", "--no-progress", "--summary-json", str(summary_path),
               *preprocess_overrides(root, cache, "data.workers=2")]
    log = (tmp_path / "stderr.txt").open("w")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and process.poll() is None and time.monotonic() < deadline:
        # The pool's workers are the children of the preprocess process (besides spawn's resource tracker).
        workers = [pid for pid in _children(process.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        if len(workers) == 2 and (cache / "takes").is_dir() and any((cache / "takes").glob("2_*")):
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.005)
    assert process.wait(timeout=300) == 0
    log.close()
    assert killed is not None, "no worker was killed"
    assert "a worker process died; retrying" in (tmp_path / "stderr.txt").read_text()
    summary = json.loads(summary_path.read_text())
    assert sorted(summary["processed"]) == ids and not summary["failed"]


def test_cache_folder_of_other_files_is_refused_untouched(corpus, tmp_path):
    """A rebuild replaces entries and clears leftovers: never in a folder motiongen did not write."""
    from motiongen.output_folders import is_owned

    theirs = tmp_path / "photos"
    (theirs / "takes" / f".stale-{TRAIN_A}-holiday").mkdir(parents=True)
    (theirs / "preprocess_summary.json").write_text("not ours")
    with pytest.raises(ConfigError, match=f"{theirs}.*not written by motiongen"):
        build(corpus, theirs)
    assert (theirs / "preprocess_summary.json").read_text() == "not ours"
    assert (theirs / "takes" / f".stale-{TRAIN_A}-holiday").is_dir()
    assert sorted(str(p.relative_to(theirs)) for p in theirs.rglob("*")) == [
        "preprocess_summary.json", "takes", f"takes/.stale-{TRAIN_A}-holiday"]
    ours = tmp_path / "cache"
    build(corpus, ours)
    assert is_owned(ours)
    build(corpus, ours)

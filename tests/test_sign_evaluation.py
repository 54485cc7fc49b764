"""The isolated-sign classifier (``motiongen train-evaluator data=slovo``) and the sign-production
metrics of ``motiongen evaluate`` on the Slovo cache of the real sample and its altered copies."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from motiongen.cache.info import CacheInfo
from motiongen.evaluation.sign_evaluation import ground_truth_row, score_signs, sign_clips
from motiongen.evaluation.sign_training import SIGN_FILE, SignClassifierSettings, load_sign_classifier, train_sign_classifier

SMALL = SignClassifierSettings(steps=120, batch_size=8, hidden=32, feature_dim=8)


@pytest.fixture(scope="module")
def classifier(slovo_cache):
    _, cache, _ = slovo_cache
    result = train_sign_classifier(cache, SMALL, progress=False)["sign"]
    info = CacheInfo.load(cache)
    model, payload = load_sign_classifier(cache, info.format)
    return result, model, payload, info


def test_classifier_is_saved_with_its_hash_and_learns_the_train_clips(classifier):
    from motiongen.core.hashing import sha256_file
    from motiongen.evaluation.evaluator_files import HASH_DIGITS

    result, _, payload, info = classifier
    assert result["path"].endswith(SIGN_FILE) and result["hash"] == sha256_file(result["path"], HASH_DIGITS) == payload["hash"]
    facts = result["info"]
    assert facts["blocks"] == list(info.format.block_names()) and facts["labels"] == ["да", "нет", "привет"]
    assert facts["final_loss"] * 5 < facts["first_loss"]
    assert facts["train"] == {"top1": 1.0, "top5": 1.0, "clips": 3}
    # held out: val is the time-shifted original (signer u4), test the trimmed copy labelled otherwise
    assert set(facts["held_out"]) == {"val", "test"} and facts["held_out"]["val"]["clips"] == 1
    assert facts["held_out"]["val"]["top1"] == 1.0  # a shift in time does not change the recognised sign


def test_real_clips_score_as_the_ceiling_and_swapped_clips_do_not(classifier):
    _, model, _, info = classifier
    clips = sign_clips(info, "train")
    real_features, _ = model.embed([np.concatenate([c.blocks[b] for b in info.format.block_names()], 1) for c in clips])
    ceiling = ground_truth_row(info.format, clips, model, real_features)
    assert ceiling["dtw_mje.body"] == 0 and ceiling["dtw_mje.hands"] == 0
    assert ceiling["travel_ratio.body"] == pytest.approx(1) and ceiling["duration_ratio.hands"] == pytest.approx(1)
    assert ceiling["recognition_top1"] == 1.0 and ceiling["fd_sign"] is None  # fewer than four clips to halve
    assert ceiling["hand_travel_ratio"] == pytest.approx(1)

    # every clip "generated" as the next clip's motion (all 112 frames): wrong signs, larger distances
    swapped = [{name: value[None] for name, value in clips[(i + 1) % len(clips)].blocks.items()} for i in range(len(clips))]
    row = score_signs(info.format, clips, swapped, model, real_features)
    assert row["recognition_top1"] == 0.0 and row["recognition_top5"] == 1.0  # three labels in all
    assert row["dtw_mje.body"] > 0.05 and row["dtw_mje.hands"] > 0.05
    assert row["fd_sign"] == pytest.approx(0, abs=1e-3)  # the same set of clips, permuted (3 clips: rank-deficient)
    assert set(row) == {f"{m}.{b}" for m in ("dtw_mje", "travel_ratio", "duration_ratio") for b in ("body", "hands")} | {
        "hand_travel_ratio", "recognition_top1", "recognition_top5", "fd_sign"}
    still = [{name: np.repeat(value[:1], len(value), 0)[None] for name, value in clip.blocks.items()} for clip in clips]
    assert score_signs(info.format, clips, still, model, real_features)["hand_travel_ratio"] == 0  # frozen first frame


def test_train_evaluator_command_trains_the_sign_classifier_from_a_data_config(slovo_cache, tmp_path, capsys):
    from motiongen.cli import main

    _, cache, _ = slovo_cache
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy, ignore=shutil.ignore_patterns("landmarks", "evaluators"))
    code = main(["train-evaluator", "data=slovo", f"data.cache_dir={copy}", "sign.steps=5", "sign.hidden=16",
                 "threads=1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"sign: {copy / 'evaluators' / SIGN_FILE}" in printed and "held-out val top-1" in printed
    assert main(["train-evaluator", str(copy), "--sync"]) != 0
    assert "sign corpus" in capsys.readouterr().err


@pytest.fixture(scope="module")
def short_window_checkpoint(slovo_cache, tmp_path_factory):
    """A few steps of slovo_tiny with a 100-frame window: the 112-frame clips are longer than it
    (they train as two windows each)."""
    from motiongen.config import compose
    from motiongen.training.run import train

    _, cache, _ = slovo_cache
    steps = 4
    cfg = compose("config", ["experiment=slovo_tiny", f"data.cache_dir={cache}",
                             f"trainer.default_root_dir={tmp_path_factory.mktemp('run')}", "trainer.loop.clip_frames=100",
                             f"trainer.max_steps={steps}", f"trainer.val_check_interval={steps}",
                             f"trainer.loop.figure_every_n_steps={steps}", f"trainer.loop.checkpoint_every_n_steps={steps}",
                             "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"])
    return train(cfg).checkpoint_dir / "last.ckpt"


@pytest.mark.slow
def test_a_sign_longer_than_the_window_is_generated_for_the_window_with_a_warning(short_window_checkpoint, tmp_path):
    from motiongen.cli import main

    out = tmp_path / "sign"
    assert main(["generate", "--sign", "да", "--checkpoint", str(short_window_checkpoint), "--out", str(out),
                 "--steps", "2", "--no-preview"]) == 0
    assert np.load(out / "landmarks.npz")["landmarks"].shape[0] == 100
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert any("112 frames (the median of its training takes), longer than the model's 100-frame window" in w for w in metadata["warnings"])


@pytest.mark.slow
def test_evaluate_command_writes_sign_metrics_for_a_slovo_checkpoint(classifier, short_window_checkpoint, tmp_path):
    from motiongen.cli import main

    checkpoint = short_window_checkpoint  # the 112-frame clips are generated 100 frames long
    out = tmp_path / "evaluation"
    code = main(["evaluate", f"checkpoint={checkpoint}", "split=train", "num_samples=2", "sampler.steps=3",
                 f"out_dir={out}", "untrained_baseline=true", "threads=1"])
    assert code == 0
    report = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert report["kind"] == "sign" and report["evaluators"]["sign"]["hash"] == classifier[2]["hash"]
    assert report["labels"] == [take.categories["sign"] for take in classifier[3].takes_in("train")]
    names = [row["name"] for row in report["rows"]]
    assert names[0] == "Ground truth (real clips)" and names[1].endswith("(untrained)") and len(names) == 3
    for row in report["rows"][1:]:
        assert all(np.isfinite(row[key]) for key in ("dtw_mje.body", "dtw_mje.hands", "travel_ratio.body",
                                                     "recognition_top1", "recognition_top5", "fd_sign"))
        assert row["dtw_mje.body"] > 0
        assert row["checkpoint"]["longer_than_window"] == report["takes"]  # every train clip has 112 frames
        assert 0 < row["duration_ratio.body"] and np.isfinite(row["duration_ratio.body"])
    table = (out / "metrics.md").read_text(encoding="utf-8")
    assert "DTW-MJE body" in table and "Hand travel" in table and "Top-1" in table and classifier[2]["hash"] in table
    assert "body in shoulder widths" in table


def test_beats_gesture_extractor_is_refused_on_a_sign_corpus(slovo_cache, tmp_path, capsys):
    """`extractor.gesture=` would be silently unused by the sign metrics: refused instead."""
    from motiongen.cli import main

    _, cache, _ = slovo_cache
    checkpoint = tmp_path / "last.ckpt"
    checkpoint.write_bytes(b"")
    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={cache}", f"out_dir={tmp_path / 'out'}",
                 f"extractor.gesture={tmp_path / 'ae_300.bin'}"]) == 2
    error = capsys.readouterr().err
    assert "ae_300.bin" in error and "sign corpus" in error
    assert not (tmp_path / "out").exists()

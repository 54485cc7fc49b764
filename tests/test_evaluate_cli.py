"""``motiongen train-evaluator`` and ``motiongen evaluate`` end to end on a small synthetic BEAT corpus
(preprocess → train the tiny experiment a few steps → evaluators → evaluation table)."""

from __future__ import annotations

import json

import pytest

from motiongen.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from feature_cache_helpers import make_take, preprocess_overrides

    from motiongen.cache.build import build_cache
    from motiongen.config import compose
    from motiongen.training.run import train

    root = tmp_path_factory.mktemp("evaluate")
    corpus = root / "beat"
    splits = {"2_scott_0_1_1": "train", "2_scott_0_2_2": "train", "2_scott_0_3_3": "train",
              "2_scott_0_4_4": "val", "2_scott_0_5_5": "test", "2_scott_0_6_6": "test"}
    words = [(t, t + 0.4, "word") for t in (0.5, 1.3, 2.2, 3.0, 4.1, 5.0, 6.2, 7.0)]
    for seed, take_id in enumerate(splits):
        make_take(corpus, take_id, seconds=8.0, seed=seed, words=words, clicks=(1.0, 2.5, 4.0, 5.5, 7.0))
    (corpus / "2" / "2_scott_0_5_5.txt").write_text(
        "01_beat_align\t0\t3.0\t3.0\t0.1\n07_iconic_h\t3.0\t6.0\t3.0\t0.7\tword\n", encoding="utf-8")
    split_csv = root / "splits.csv"
    split_csv.write_text("".join(f"{take},{split}\n" for take, split in splits.items()), encoding="utf-8")
    cache = root / "cache"
    overrides = preprocess_overrides(corpus, cache, f"data.split_csv={split_csv}")
    build_cache(compose("config", overrides), progress=False)
    cfg = compose("config", overrides + [
        "experiment=tiny_cpu", "trainer.max_steps=3", "trainer.val_check_interval=3", "trainer.limit_val_batches=1",
        "trainer.loop.checkpoint_every_n_steps=3", "trainer.loop.batch_size=2", f"trainer.default_root_dir={root / 'run'}",
        "trainer.enable_progress_bar=false"])
    checkpoint = train(cfg).checkpoint_dir / "last.ckpt"
    return root, cache, checkpoint, overrides


@pytest.fixture(scope="module")
def evaluators(trained):
    """``motiongen train-evaluator`` (a few steps) on the cache; returns what it printed."""
    import contextlib
    import io

    _, cache, _, _ = trained
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["train-evaluator", str(cache), "feature_steps=10", "sync_steps=10", "batch_size=8",
                     "sync_batch_size=4", "threads=1"]) == 0
    return printed.getvalue()


def test_train_evaluator_then_evaluate_writes_the_table(trained, evaluators, monkeypatch):
    from motiongen.generation import conditioning

    root, cache, checkpoint, _ = trained
    for name in ("gesture_features.pt", "face_features.pt", "sync.pt"):
        assert (cache / "evaluators" / name).is_file() and name in evaluators

    featurised = []
    real = conditioning.extract_audio_features
    monkeypatch.setattr(conditioning, "extract_audio_features", lambda *args: featurised.append(len(args[0])) or real(*args))
    out = root / "evaluation"
    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={cache}", "split=test", "num_samples=2",
                 "sampler.steps=2", "threads=1", "untrained_baseline=true", f"out_dir={out}"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["takes"] == ["2_scott_0_5_5", "2_scott_0_6_6"]
    assert len(featurised) == 2, "the untrained row and the checkpoint share each take's audio features"
    assert set(report["evaluators"]) == {"gesture", "face", "sync"}
    real, half, untrained, model = report["rows"]
    assert untrained["name"] == "run/last.ckpt (untrained)" and untrained["checkpoint"]["weights"] == "initial (untrained)"
    assert untrained["face_mse"] != model["face_mse"]
    assert real["fgd"] == pytest.approx(0.0, abs=1e-6) and real["fd_face"] == pytest.approx(0.0, abs=1e-6)
    assert real["srgr_normalised"] == 1.0 and real["face_mse"] == 0.0
    assert real["srgr"] == pytest.approx((0.1 * 90 + 0.7 * 90) / 240 / 0.165)  # BEAT's: mean score / 0.165
    assert model["name"] == "run/last.ckpt" and model["checkpoint"]["sha256"]
    assert model["beat_align"] is None and model["beat_align_16k"] is None  # BEAT scores from 10 s on; takes are 8 s
    for key in ("fgd", "bc", "l1div", "diversity_features", "srgr", "fd_face", "face_mse", "mouth_lvd",
                "sync_distance", "sync_confidence"):
        assert model[key] is not None, key
    assert model["face_mse"] > 0 and model["fgd"] > 0
    assert {"load", "ground truth", "sampling run/last.ckpt", "metrics run/last.ckpt"} <= set(report["timing_seconds"])
    table = (out / "metrics.md").read_text()
    assert "| Ground truth (real vs real) |" in table and "| run/last.ckpt |" in table
    assert f"gesture `{report['evaluators']['gesture']['hash']}`" in table


def test_evaluate_without_evaluators_names_the_missing_file(trained, tmp_path, capsys):
    import shutil

    _, cache, checkpoint, _ = trained
    bare = tmp_path / "cache"
    shutil.copytree(cache, bare, ignore=shutil.ignore_patterns("evaluators"))
    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={bare}", f"out_dir={tmp_path / 'out'}"]) == 2
    error = capsys.readouterr().err
    assert "gesture_features.pt" in error and "motiongen train-evaluator" in error


def test_validation_metrics_reach_the_callback_metrics(trained, evaluators, tmp_path):
    from motiongen.config import compose
    from motiongen.training.entry import config_callbacks
    from motiongen.training.run import train

    _, cache, _, overrides = trained
    cfg = compose("config", overrides + [
        "experiment=tiny_cpu", "trainer.max_steps=2", "trainer.val_check_interval=2", "trainer.limit_val_batches=1",
        "trainer.loop.checkpoint_every_n_steps=2", "trainer.loop.batch_size=2", f"trainer.default_root_dir={tmp_path}",
        "trainer.enable_progress_bar=false", "validation_metrics.num_clips=2", "validation_metrics.ddim_steps=2"])
    run = train(cfg, extra_callbacks=config_callbacks(cfg))
    logged = run.trainer.callback_metrics
    for name in ("val/face_mse", "val/mouth_mse", "val/sync_confidence", "val/sync_distance"):
        assert name in logged and bool(logged[name].isfinite()), name


def test_validation_metrics_are_off_with_a_warning_without_evaluators(trained, tmp_path, caplog):
    import shutil

    from motiongen.config import compose
    from motiongen.training.entry import config_callbacks

    _, cache, _, overrides = trained
    bare = tmp_path / "cache"
    shutil.copytree(cache, bare, ignore=shutil.ignore_patterns("evaluators"))
    cfg = compose("config", overrides + [f"data.cache_dir={bare}", "validation_metrics.enabled=false"])
    assert config_callbacks(cfg) == []
    cfg = compose("config", overrides + [f"data.cache_dir={bare}"])
    (callback,) = config_callbacks(cfg)

    class Trainer:
        datamodule = None

    with caplog.at_level("WARNING"):
        callback.setup(Trainer(), None, "fit")
    assert not callback.ready and "gesture_features.pt" in caplog.text


def test_evaluate_with_beats_pretrained_extractor_reports_its_hash(trained, evaluators, tmp_path, capsys):
    """`extractor.gesture=ae_300.bin`: BEAT's FGD network (a synthetic checkpoint in its exact layout)
    replaces the cache's own gesture extractor, and the report names the checkpoint's hash."""
    from beat_checkpoint import write_beat_checkpoint, write_statistics

    from motiongen.core.hashing import sha256_file
    from motiongen.evaluation.evaluator_files import HASH_DIGITS

    _, cache, checkpoint, _ = trained
    bin_path = write_beat_checkpoint(tmp_path / "ae_300.bin", feature=16)
    mean, std = write_statistics(tmp_path)
    beat = [f"extractor.gesture={bin_path}", f"extractor.gesture_mean={mean}", f"extractor.gesture_std={std}"]
    out = tmp_path / "evaluation"
    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={cache}", "sampler.steps=2", "threads=1",
                 f"out_dir={out}", *beat]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["evaluators"]["gesture"] == {"hash": sha256_file(bin_path, HASH_DIGITS), "path": str(bin_path.resolve()),
                                               "source": "BEAT pretrained", "mean_hash": sha256_file(mean, HASH_DIGITS),
                                               "std_hash": sha256_file(std, HASH_DIGITS)}
    assert report["settings"]["pretrained_gesture"]["checkpoint"] == str(bin_path)
    real, _, model = report["rows"]
    assert real["fgd"] == pytest.approx(0.0, abs=1e-6) and model["fgd"] > 0 and model["bc"] is not None
    assert f"gesture `{sha256_file(bin_path, HASH_DIGITS)}` (BEAT pretrained)" in (out / "metrics.md").read_text()

    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={cache}", f"out_dir={tmp_path / 'refused'}",
                 *beat, "extractor.gesture_joints=beat75"]) == 2
    error = capsys.readouterr().err
    assert str(bin_path) in error and "declared joint set beat75" in error


def test_recorded_run_folders_score_as_the_checkpoint_they_came_from(trained, evaluators, tmp_path):
    """`generate --out` folders of the test takes (evaluate's seeds, words and sampler) give a
    `recorded=` row equal to the checkpoint's own row; run folders alone need cache_dir and out_dir."""
    root, cache, checkpoint, _ = trained
    folders = []
    for index, take in enumerate(("2_scott_0_5_5", "2_scott_0_6_6")):
        folders.append(tmp_path / take)
        speech = root / "beat" / "2" / take
        assert main(["generate", "--audio", f"{speech}.wav", "--transcript", f"{speech}.TextGrid", "--checkpoint",
                     str(checkpoint), "--out", str(folders[-1]), "--seed", str(index), "--sampler", "ddim",
                     "--steps", "2", "--no-preview", "--precision", "float32"]) == 0
    out = tmp_path / "evaluation"
    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={cache}", "split=test", "sampler.steps=2",
                 "threads=1", f"out_dir={out}", f"recorded=[{folders[1]},{folders[0]}]"]) == 0
    model, recorded = json.loads((out / "metrics.json").read_text())["rows"][2:]
    assert recorded["name"] == "recorded (2 run folders)" and recorded["folders"] == [str(folders[1]), str(folders[0])]
    for key in ("fgd", "l1div", "face_mse", "mouth_lvd", "sync_confidence"):
        assert recorded[key] == pytest.approx(model[key], rel=1e-5), key
    assert main(["evaluate", f"cache_dir={cache}", f"out_dir={tmp_path / 'alone'}", f"recorded=[{folders[0]},{folders[1]}]",
                 "threads=1"]) == 0
    assert json.loads((tmp_path / "alone" / "metrics.json").read_text())["rows"][2]["face_mse"] == recorded["face_mse"]


def test_recorded_folders_without_a_cache_and_out_dir_are_a_one_line_error(tmp_path, capsys):
    assert main(["evaluate", f"recorded=[{tmp_path}]"]) == 2
    assert "recorded=[DIR,...] with cache_dir= and out_dir=" in capsys.readouterr().err


def test_evaluation_takes_carry_the_corpus_words_and_an_old_cache_is_refused(trained, evaluators, tmp_path, capsys):
    """The test takes are conditioned on their transcript's words; a cache whose manifest names no
    corpus class (made before corpora had one) is a one-line error, not a silent run on silence words."""
    import json
    import shutil

    from motiongen.cache.info import CacheInfo
    from motiongen.evaluation.corpus import evaluation_takes

    _, cache, checkpoint, _ = trained
    takes = evaluation_takes(CacheInfo.load(cache), "test")
    assert takes and all([w.label for w in take.words if w.label] == ["word"] * 8 for take in takes)
    old = tmp_path / "cache"
    shutil.copytree(cache, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["corpus"] = {"name": manifest["corpus"]["name"], "root": manifest["corpus"]["root"]}
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert main(["evaluate", f"checkpoint={checkpoint}", f"cache_dir={old}", f"out_dir={tmp_path / 'out'}"]) == 2
    error = capsys.readouterr().err
    assert "recorded without data._target_" in error and "Traceback" not in error

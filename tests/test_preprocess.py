"""``motiongen preprocess`` end to end: summary table and JSON, a bad take among good ones, workers."""

from __future__ import annotations

import json

from motiongen.cache import CacheInfo
from motiongen.cli import main

from feature_cache_helpers import make_take, preprocess_overrides


def test_cli_reports_processed_skipped_and_failed_takes(tmp_path, capsys):
    root = tmp_path / "beat"
    make_take(root, "2_scott_0_10_10", seed=1)
    make_take(root, "2_scott_0_11_11", seed=2)
    bad = make_take(root, "2_scott_0_12_12", seed=3)
    bad["bvh"].write_text(bad["bvh"].read_text().replace("Frame Time:", "Frame Tme:"))
    make_take(root, "4_lawrence_0_10_10", seed=4)
    summary_path = tmp_path / "summary.json"
    code = main(["preprocess", "--no-progress", "--summary-json", str(summary_path),
                 *preprocess_overrides(root, tmp_path / "cache", "data.workers=2")])
    assert code == 1  # one take failed, the others are cached
    summary = json.loads(summary_path.read_text())
    assert sorted(summary["processed"]) == ["2_scott_0_10_10", "2_scott_0_11_11"]
    assert "Frame Time" in summary["failed"]["2_scott_0_12_12"]
    assert summary["skipped"] == {"4_lawrence_0_10_10": "speaker 4 is not in data.speakers [2]"}
    assert json.loads((tmp_path / "cache" / "preprocess_summary.json").read_text())["failed"] == summary["failed"]
    out = capsys.readouterr().out
    assert "processed 2, up to date 0, skipped 1, failed 1" in out and "2_scott_0_12_12" in out
    assert len(CacheInfo.load(tmp_path / "cache").takes) == 2
    assert main(["preprocess", "--no-progress", *preprocess_overrides(root, tmp_path / "cache")]) == 1
    assert "processed 0, up to date 2, skipped 1, failed 1" in capsys.readouterr().out


def test_cli_shows_the_takes_before_a_cache_level_error(tmp_path, capsys):
    root = tmp_path / "beat"
    make_take(root, "2_scott_0_60_60", seed=1)  # a validation take only: no train statistics possible
    vectors = tmp_path / "vectors.vec"  # given vectors: fallback ones could not be trained without a train take
    rows = [f"{word} " + " ".join(["0.5"] * 16) for word in ("well", "hello", "world", "again")]
    vectors.write_text("\n".join([f"{len(rows)} 16", *rows]) + "\n")
    overrides = [*preprocess_overrides(root, tmp_path / "cache"), f"data.words.vectors={vectors}"]
    code = main(["preprocess", "--no-progress", *overrides])
    captured = capsys.readouterr()
    assert code == 2
    assert "2_scott_0_60_60" in captured.out and "processed 1" in captured.out
    assert "no cached take is in the train split" in captured.err and "data.split_csv" in captured.err
    # with fallback vectors the missing train split stops the build before any take is computed
    code = main(["preprocess", "--no-progress", *preprocess_overrides(root, tmp_path / "cache2")])
    assert code == 2 and "train split" in capsys.readouterr().err


def test_missing_corpus_root_is_a_clear_error(tmp_path, capsys):
    assert main(["preprocess", f"data.cache_dir={tmp_path / 'cache'}", "data/features=spectral"]) == 2
    assert "data.root is not set" in capsys.readouterr().err

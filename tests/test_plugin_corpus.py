"""A corpus defined only under tests/ (tests/plugin_corpus: its own folder layout, block names and
category stream) plugs in through ``data._target_`` and the config search path: it preprocesses,
trains the tiny model, generates from speech and exports through the public commands, with no
change under motiongen/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from plugin_corpus import write_plugin_corpus

from motiongen.cli import main
from motiongen.core.motion_file import read_motion_file

CONF = Path(__file__).resolve().parent / "plugin_corpus" / "conf"


def test_plugin_corpus_preprocesses_trains_generates_and_exports(tmp_path):
    root = write_plugin_corpus(tmp_path / "corpus")
    (root / "train" / "ana-9").mkdir()  # a take folder without files is skipped with the reason
    data = [f"hydra.searchpath=[file://{CONF}]", "data=plugin", f"data.root={root}", f"data.cache_dir={tmp_path / 'cache'}"]
    summary = tmp_path / "summary.json"
    assert main(["preprocess", "--no-progress", "--summary-json", str(summary), *data]) == 0
    facts = json.loads(summary.read_text())
    assert sorted(facts["processed"]) == ["ana-0", "ana-2", "ana-4", "bo-1", "bo-3", "bo-5"]
    assert facts["skipped"] == {"ana-9": "missing motion, speech, words"}
    motion_format = json.loads((tmp_path / "cache" / "motion_format.json").read_text())
    assert [b["name"] for b in motion_format["blocks"]] == ["arm", "mouth"]
    assert [c["name"] for c in motion_format["conditions"]] == ["audio", "word", "performer"]
    assert main(["preprocess", "--no-progress", "--summary-json", str(summary), *data]) == 0
    assert len(json.loads(summary.read_text())["up_to_date"]) == 6  # resumable: nothing recomputed

    run = tmp_path / "run"
    assert main(["train", "experiment=tiny_cpu", *data, f"trainer.default_root_dir={run}", "trainer.max_steps=4",
                 "trainer.val_check_interval=4", "trainer.limit_val_batches=1", "trainer.loop.checkpoint_every_n_steps=4",
                 "trainer.loop.figure_every_n_steps=4", "trainer.loop.figure_ddim_steps=2", "trainer.loop.batch_size=2",
                 "trainer.enable_progress_bar=false"]) == 0
    checkpoint = next(run.rglob("last.ckpt"))

    out = tmp_path / "out"
    speech = root / "test" / "bo-5" / "speech.wav"
    assert main(["generate", "--checkpoint", str(checkpoint), "--audio", str(speech), "--speaker", "bo",
                 "--steps", "2", "--no-preview", "--out", str(out)]) == 0
    motion = read_motion_file(out / "motion.npz")
    assert {name: array.shape[-1] for name, array in motion.blocks.items()} == {"arm": 6, "mouth": 52}
    assert np.isfinite(motion.blocks["arm"]).all()
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["generation"]["categories"] == {"performer": "bo"}
    assert metadata["outputs"] == ["arkit"] and (out / "face.json").is_file()  # the mouth block is ARKit weights


def test_a_take_with_nan_fails_alone_and_a_wrong_declared_width_is_one_line(tmp_path, capsys):
    root = write_plugin_corpus(tmp_path / "corpus")
    bad = root / "train" / "bo-1" / "motion.npz"
    with np.load(bad) as arrays:
        motion = dict(arrays)
    motion["arm"][5, 2] = np.nan
    np.savez(bad, **motion)
    data = [f"hydra.searchpath=[file://{CONF}]", "data=plugin", f"data.root={root}", f"data.cache_dir={tmp_path / 'cache'}"]
    summary = tmp_path / "summary.json"
    assert main(["preprocess", "--no-progress", "--summary-json", str(summary), *data]) == 1
    facts = json.loads(summary.read_text())
    assert list(facts["failed"]) == ["bo-1"] and "arm holds NaN" in facts["failed"]["bo-1"]
    assert len(facts["processed"]) == 5

    wrong = [*data[:1], "data=plugin", "+data.arm_joints=[Shoulder]", *data[2:]]
    assert main(["preprocess", "--no-progress", *wrong]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "plugin_corpus.PluginCorpus: the declared format's arrays" in err[0]

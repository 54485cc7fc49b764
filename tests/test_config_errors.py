"""A config mistake on the command line (unknown key, unknown group option, unparsable override) ends
in one line on stderr naming the override and what exists instead, exit 2 — for every command that
composes a Hydra config (``motiongen train|sweep|preprocess|evaluate|train-evaluator|generate`` and
``render train``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from motiongen.cli import main

REPO = Path(__file__).resolve().parent.parent


def one_line_error(capsys, argv: list[str]) -> str:
    """Run ``motiongen ARGV`` in-process; assert exit 2 and a single stderr line; return that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err, f"expected one line, got:\n{err}"
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command", ["train", "preprocess", "sweep"])
def test_unknown_top_level_key_lists_the_top_level_settings(capsys, command):
    err = one_line_error(capsys, [command, "experiment=tiny_cpu", "nonexistent_key=1"])
    assert err.startswith(f"motiongen {command}: error: nonexistent_key=1: config.yaml has no setting 'nonexistent_key'")
    assert "settings at the top level: data, model, trainer, smoothing, seed" in err
    assert "config groups: data, experiment," in err


@pytest.mark.parametrize("command", ["train", "preprocess", "sweep"])
def test_unknown_experiment_lists_the_experiments(capsys, command):
    err = one_line_error(capsys, [command, "experiment=no_such_experiment"])
    experiments = sorted(path.stem for path in (REPO / "conf" / "experiment").glob("*.yaml"))
    assert f"experiment=no_such_experiment: no experiment config named 'no_such_experiment'" in err
    assert err.endswith(", ".join(experiments))
    assert "tiny_cpu" in experiments


def test_unknown_sweep_lists_the_sweeps(capsys):
    err = one_line_error(capsys, ["sweep", "experiment=tiny_cpu", "sweep=no_such_sweep", "data.cache_dir=/nonexistent"])
    assert "sweep=no_such_sweep: no sweep config named 'no_such_sweep'" in err
    assert err.endswith("tiny_cpu, uwp_beat")


def test_unknown_data_config_and_nested_group_option(capsys):
    err = one_line_error(capsys, ["preprocess", "data=nope"])
    assert "data=nope: no data config named 'nope'" in err and err.endswith("beat, beat2, slovo")
    err = one_line_error(capsys, ["preprocess", "data/features=nope"])
    assert "data/features=nope: no data/features config named 'nope'" in err and err.endswith("spectral, uwp")


def test_evaluate_names_the_key_it_does_have(capsys, tmp_path):
    err = one_line_error(capsys, ["evaluate", f"checkpoint={tmp_path / 'x.ckpt'}", "data.cache_dir=/tmp"])
    assert err == ("motiongen evaluate: error: data.cache_dir=/tmp: evaluate.yaml has no setting 'data.cache_dir'; "
                   "closest settings: cache_dir")


def test_misspelt_keys_get_the_closest_ones(capsys):
    err = one_line_error(capsys, ["train", "trainer.max_step=3"])
    assert "closest settings: trainer.max_steps" in err
    err = one_line_error(capsys, ["train-evaluator", "sing.steps=3"])
    assert "train_evaluator.yaml has no setting 'sing.steps'; closest settings: sign.steps" in err
    err = one_line_error(capsys, ["train-evaluator", "data=nope"])
    assert "no data config named 'nope'" in err


def test_unknown_nested_key_lists_its_siblings(capsys):
    err = one_line_error(capsys, ["train", "model.network.nosuch=3"])
    assert "settings under 'model.network': " in err and "latent_dim" in err and "num_layers" in err
    assert "+model.network.nosuch=..." in err


@pytest.mark.parametrize("data", ["beat", "beat2", "slovo"])
def test_preprocess_without_a_corpus_folder(capsys, data):
    err = one_line_error(capsys, ["preprocess", f"data={data}"])
    assert "data.root is not set" in err


def test_unparsable_override(capsys):
    err = one_line_error(capsys, ["train", "experiment"])
    assert "cannot read override 'experiment'" in err and "key=value" in err


def test_generate_override_mistake(capsys, tmp_path):
    err = one_line_error(capsys, ["generate", "--text", "hi", "--checkpoint", str(tmp_path / "x.ckpt"), "sampler.etta=1"])
    assert "generate.yaml has no setting 'sampler.etta'; closest settings: sampler.eta" in err


def _run(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", "import sys; from %s import main; sys.exit(main(sys.argv[1:]))"
                           % argv[0], *argv[1:]], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def test_the_real_console_entry_point_prints_one_line():
    result = _run("motiongen.cli", "train", "experiment=tiny_cpu", "nonexistent_key=1")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "ConfigCompositionException" not in result.stderr
    assert "nonexistent_key" in result.stderr


@pytest.mark.parametrize("override, expected", [
    ("model=nope", "model=nope: no model config named 'nope'; available model options"),
    ("data.video=x", "data.video=x: train.yaml has no setting 'data.video'; closest settings: data.videos"),
])
def test_render_train(override, expected, capsys):
    from render.cli import main as render_main

    assert render_main(["train", override]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"render train: error: {expected}")
    if override.startswith("model="):
        options = sorted(path.stem for path in (REPO / "render" / "conf" / "model").glob("*.yaml"))
        assert err.endswith(", ".join(options))


def test_message_helpers_without_hydra():
    from motiongen.core.config_errors import closest_keys, dotted_keys, sibling_keys

    tree = {"data": {"cache_dir": "c", "features": {"hop": 1}}, "seed": 0}
    assert dotted_keys(tree) == ["data", "data.cache_dir", "data.features", "data.features.hop", "seed"]
    assert sibling_keys("data.features.nope", tree) == ("data.features", ["hop"])
    assert sibling_keys("nope.deeper", tree) == ("", ["data", "seed"])
    assert closest_keys("data.cache_dri", tree) == ["data.cache_dir"]
    assert closest_keys("cache_dir", tree) == ["data.cache_dir"]
    assert closest_keys("zzz", tree) == []

"""`motiongen sweep`: search spaces, strict metric reports, ranking, best-trial experiment files, and
one real Ray Tune sweep of the tiny experiment (local Ray, 2 CPUs) that is killed with SIGKILL
mid-way, resumed, and checked for ASHA stops, crash recovery from a checkpoint, and its outputs."""

from __future__ import annotations

import csv
import json
import math
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from omegaconf import OmegaConf
from feature_cache_helpers import make_take, preprocess_overrides

from motiongen.config import compose, conf_dir
from motiongen.core.errors import ConfigError, InputFileError
from motiongen.sweeps.best_config import experiment_text, write_best_experiment
from motiongen.sweeps.space import format_value, param_space, parse_space, trial_overrides
from motiongen.sweeps.summary import TrialRow, rank, row_from_result, table_rows
from motiongen.sweeps.trial import MissingMetricError, read_attempts, read_reports, report_callback, resource_overrides
from motiongen.sweeps.tuner import resolved_overrides, run_sweep, sweep_settings

REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------------- search space
def test_space_entries_become_tune_domains_with_their_bounds():
    dims = parse_space({
        "lr": {"path": "model.optim.lr", "distribution": "loguniform", "low": 1e-4, "high": 1e-2},
        "layers": {"path": "model.network.num_layers", "distribution": "int", "low": 1, "high": 3},
        "window": {"path": "model.network.window", "distribution": "choice", "values": [5, 10]},
        "drop": {"path": "model.cond_drop_prob", "distribution": "uniform", "low": 0.0, "high": 0.3},
    })
    space = param_space(dims)
    samples = [{name: domain.sample() for name, domain in space.items()} for _ in range(300)]
    assert {s["layers"] for s in samples} == {1, 2, 3}, "int bounds are inclusive"
    assert all(1e-4 <= s["lr"] <= 1e-2 and 0.0 <= s["drop"] <= 0.3 and s["window"] in (5, 10) for s in samples)
    overrides = trial_overrides(dims, {"lr": 0.000123456789, "layers": 2, "window": 10, "drop": 0.1})
    assert overrides == ["model.optim.lr=0.0001235", "model.network.num_layers=2", "model.network.window=10",
                         "model.cond_drop_prob=0.1"]
    cfg = compose("config", ["experiment=tiny_cpu", *overrides])
    assert cfg.model.optim.lr == 0.0001235 and cfg.model.network.num_layers == 2


@pytest.mark.parametrize("entry, message", [
    ({"path": "model.optim.lr", "distribution": "normal", "low": 0, "high": 1}, "expected one of"),
    ({"path": "model.optim.lr", "distribution": "loguniform", "low": 0.0, "high": 1}, "low > 0"),
    ({"path": "model.optim.lr", "distribution": "uniform", "low": 2, "high": 1}, "low < high"),
    ({"path": "model.network.num_layers", "distribution": "int", "low": 1.5, "high": 3}, "integer bounds"),
    ({"path": "model.network.window", "distribution": "choice", "values": []}, "non-empty 'values'"),
    ({"distribution": "uniform", "low": 0, "high": 1}, "'path' and 'distribution'"),
])
def test_invalid_space_entries_are_refused_naming_the_entry(entry, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse_space({"bad": entry})
    assert "sweep.space.bad" in str(err.value)


def test_a_searched_path_must_exist_in_the_composed_config():
    cfg = compose("config", ["experiment=tiny_cpu", "sweep=tiny_cpu", "sweep.space.lr.path=model.optim.lrr"])
    with pytest.raises(ConfigError, match=r"sweep.space.lr.path=model.optim.lrr is not a setting"):
        sweep_settings(cfg, Path.cwd())


def test_override_values_are_written_in_hydra_syntax():
    assert format_value(True) == "true" and format_value(None) == "null"
    assert format_value([1, 2]) == "[1,2]" and format_value("cosine") == "cosine"
    assert format_value("a b") == "'a b'"
    import numpy as np

    assert format_value(np.float64(0.00031415926)) == "0.0003142"


@pytest.mark.parametrize("sweep", sorted(path.stem for path in (REPO / "conf" / "sweep").glob("*.yaml")))
def test_every_sweep_file_validates_and_its_search_algorithm_suggests_in_bounds(sweep):
    from motiongen.sweeps.tuner import _search

    experiment = "uwp_beat" if sweep == "uwp_beat" else "tiny_cpu"
    cfg = compose("config", [f"experiment={experiment}", f"sweep={sweep}"])
    settings = sweep_settings(cfg, Path.cwd())
    assert settings.sweep_dir == Path.cwd().resolve() / "sweeps" / sweep
    search = _search(settings)
    assert search.set_search_properties(settings.metric, settings.mode, param_space(settings.dims))
    suggested = search.suggest("probe")
    assert set(suggested) == {dim.name for dim in settings.dims}
    for dim in settings.dims:
        value = suggested[dim.name]
        assert value in dim.values if dim.distribution == "choice" else dim.low <= value <= dim.high
    compose("config", [f"experiment={experiment}", *trial_overrides(settings.dims, suggested)])


def test_a_sweep_needs_a_sweep_group():
    with pytest.raises(ConfigError, match="sweep=<name>"):
        sweep_settings(compose("config", ["experiment=tiny_cpu"]), Path.cwd())


# ------------------------------------------------------------------------- trial-level traps
def test_relative_paths_are_resolved_before_trials_change_directory(tmp_path):
    overrides = ["experiment=tiny_cpu", "sweep=tiny_cpu", "data.cache_dir=cache/x", "ray.num_cpus=2", "resume=true"]
    cfg = compose("config", overrides)
    kept = resolved_overrides(overrides, cfg, tmp_path)
    assert kept[0] == "experiment=tiny_cpu" and not any(item.startswith(("sweep", "ray", "resume")) for item in kept)
    final = compose("config", kept)
    assert final.data.cache_dir == str(tmp_path / "cache" / "x")


def test_trial_threads_follow_its_cpus_and_gpu_trials_use_the_gpu():
    assert resource_overrides(3, 0) == ["trainer.loop.num_threads=3"]
    assert resource_overrides(0.5, 0.5) == ["trainer.loop.num_threads=1", "trainer.accelerator=gpu", "trainer.devices=1"]


def fake_trainer(metrics: dict, step: int = 20):
    return SimpleNamespace(sanity_checking=False, global_step=step,
                           callback_metrics={k: torch.tensor(v) for k, v in metrics.items()})


def test_a_result_without_the_ranked_metric_fails_naming_the_metric_and_the_reported_keys():
    callback = report_callback("val/fid")
    with pytest.raises(MissingMetricError) as err:
        callback._get_report_dict(fake_trainer({"val/loss": 0.5, "train/loss": 0.4}), None)
    message = str(err.value)
    assert "'val/fid'" in message and "train/loss, val/loss" in message and "step 20" in message
    report = report_callback("val/loss")._get_report_dict(fake_trainer({"val/loss": 0.5}), None)
    assert report["val/loss"] == 0.5 and report["step"] == 20 and report["threads"] == torch.get_num_threads()


def test_sweep_trials_and_motiongen_train_share_one_entry_point_with_validation_metrics(monkeypatch):
    """A trial may rank by an evaluation metric (val/fgd, ...): the validation-metric callback runs
    before the trial's report callback, which then sees what it logged."""
    from motiongen.evaluation.validation import ValidationMetrics
    from motiongen.training.entry import train_with_config_callbacks

    calls = []
    monkeypatch.setattr("motiongen.training.run.train", lambda cfg, extra_callbacks=(): calls.append(list(extra_callbacks)))
    report = report_callback("val/fgd")
    train_with_config_callbacks(compose("config", ["experiment=tiny_cpu"]), [report])
    train_with_config_callbacks(compose("config", ["experiment=tiny_cpu", "validation_metrics.enabled=false"]), [report])
    assert [type(callback) for callback in calls[0]] == [ValidationMetrics, type(report)]
    assert calls[1] == [report]


# ------------------------------------------------------------------------------------- ranking
def test_ranking_uses_the_stated_rule_best_or_last_value():
    dipping = TrialRow("trial_001_a", [], steps=[10, 20, 30], values=[0.9, 0.2, 0.8], max_steps=30)
    steady = TrialRow("trial_002_b", [], steps=[10, 20, 30], values=[0.7, 0.5, 0.4], max_steps=30)
    crashed = TrialRow("trial_003_c", [], steps=[], values=[], max_steps=30, final_error="InjectedFault: x")
    assert [row.trial for row in rank([steady, crashed, dipping], "best", "min")] == ["trial_001_a", "trial_002_b", "trial_003_c"]
    assert [row.trial for row in rank([steady, crashed, dipping], "last", "min")] == ["trial_002_b", "trial_001_a", "trial_003_c"]
    assert [row.trial for row in rank([steady, dipping], "best", "max")] == ["trial_001_a", "trial_002_b"]
    table = table_rows([dipping, crashed], "last", "min")
    assert table[0][3] == "0.8" and table[1][3] == "-" and table[1][5] == "error" and "InjectedFault" in table[1][6]
    assert math.isnan(crashed.ranked_value("best", "min"))


def write_trial_folder(folder: Path, reports: list[tuple[int, float, int]], max_steps: int = 30) -> Path:
    """A trial folder as a trial writes it: attempts, sampled overrides and ``(step, val/loss, attempt)`` reports."""
    folder.mkdir(parents=True)
    attempts = sorted({attempt for _, _, attempt in reports}) or [0]
    (folder / "attempts.jsonl").write_text("".join(
        json.dumps({"event": "start", "attempt": attempt, "max_steps": max_steps}) + "\n" for attempt in attempts))
    (folder / "overrides.json").write_text(json.dumps({"settings": ["lr=0.001"], "overrides": ["model.optim.lr=0.001"]}))
    (folder / "reports.jsonl").write_text("".join(
        json.dumps({"val/loss": value, "step": step, "threads": 1, "attempt": attempt, "time": 1000.0 + index}) + "\n"
        for index, (step, value, attempt) in enumerate(reports)))
    return folder


def test_the_summary_reads_the_trials_own_reports_not_tunes_lagging_copies(tmp_path):
    """Tune copies progress.csv from the sweep process's staging folder every few seconds; after a
    SIGKILL and resume, a trial that finished before the kill may have none, or a stale one."""
    import pandas as pd

    folder = write_trial_folder(tmp_path / "trial_001_abc", [(5, 0.9, 0), (5, 0.8, 1), (10, 0.7, 1), (20, 0.6, 1), (30, 0.5, 1)])
    stale = pd.DataFrame({"step": [5], "val/loss": [0.9]})
    for frame in (stale, None):
        row = row_from_result(SimpleNamespace(path=str(folder), metrics_dataframe=frame, error=None), "val/loss")
        assert row.steps == [5, 10, 20, 30] and row.values == [0.8, 0.7, 0.6, 0.5], "newest report of each step"
        assert row.status == "completed" and row.settings == ["lr=0.001"]


def test_a_report_line_cut_by_a_kill_is_skipped_but_a_broken_earlier_line_is_an_error(tmp_path):
    folder = write_trial_folder(tmp_path / "trial_001_abc", [(5, 0.9, 0), (10, 0.8, 0)])
    with open(folder / "reports.jsonl", "a") as handle:
        handle.write('{"val/loss": 0.7, "st')
    assert [report["step"] for report in read_reports(folder)] == [5, 10]
    (folder / "reports.jsonl").write_text('{"step": 5\n{"step": 10}\n')
    with pytest.raises(InputFileError, match=r"reports.jsonl:1: not a JSON record"):
        read_reports(folder)


def test_asha_rebuilds_its_rungs_from_the_restored_trials_reports(tmp_path):
    """Tune does not snapshot the scheduler: after a resume, plain ASHA forgets every earlier result."""
    from ray.tune.schedulers import ASHAScheduler, TrialScheduler

    from motiongen.sweeps.scheduler import ResumableASHA

    def trial(name: str, reports, finished: bool):
        folder = write_trial_folder(tmp_path / name, reports)
        return SimpleNamespace(trial_id=name, path=str(folder), is_finished=lambda: finished)

    decisions = {}
    for scheduler_class in (ASHAScheduler, ResumableASHA):
        shutil.rmtree(tmp_path, ignore_errors=True)
        # Tuner.restore unpickles the scheduler saved (in tuner.pkl) when the sweep started
        scheduler = pickle.loads(pickle.dumps(scheduler_class(time_attr="step", metric="val/loss", mode="min", max_t=30,
                                                              grace_period=10, reduction_factor=2)))
        good = trial("trial_001_good", [(10, 0.4, 0), (20, 0.3, 0), (30, 0.2, 0)], finished=True)
        # ASHA stopped this one at step 10 just before the kill, after Tune's last snapshot
        poor = trial("trial_002_poor", [(5, 0.95, 0), (10, 0.9, 0)], finished=False)
        fresh = trial("trial_003_fresh", [], finished=False)
        for item in (good, poor, fresh):
            scheduler.on_trial_add(None, item)
        decisions[scheduler_class.__name__] = (
            scheduler.on_trial_result(None, fresh, {"step": 10, "val/loss": 0.99}),
            scheduler.on_trial_result(None, poor, {"step": 15, "val/loss": 0.85}),
        )
    assert decisions["AsyncHyperBandScheduler"] == (TrialScheduler.CONTINUE, TrialScheduler.CONTINUE)
    assert decisions["ResumableASHA"] == (TrialScheduler.STOP, TrialScheduler.STOP)


def test_a_sweep_without_any_reported_metric_fails_listing_each_trial_error(tmp_path):
    from motiongen.sweeps.report import failure, write_report

    cfg = compose("config", ["experiment=tiny_cpu", "sweep=tiny_cpu", f"sweep.storage_path={tmp_path}"])
    settings = sweep_settings(cfg, tmp_path)
    trial = settings.sweep_dir / "trial_001_abc"
    trial.mkdir(parents=True)
    (trial / "attempts.jsonl").write_text(json.dumps({"event": "error", "attempt": 0, "error": "MissingMetricError: x"}) + "\n")
    result = SimpleNamespace(path=str(trial), metrics_dataframe=None, error=RuntimeError("MissingMetricError: x"))
    report = write_report(settings, [result], conf_dir())
    assert report.best is None and report.best_experiment is None and report.csv_path.is_file()
    message = str(failure(report, "val/loss"))
    assert "no trial reported 'val/loss'" in message and "trial_001_abc: MissingMetricError: x" in message


# ----------------------------------------------------------------------- best-trial experiment
def test_the_best_trial_file_is_an_experiment_that_composes_to_the_trial_settings(tmp_path):
    overrides = ["experiment=tiny_cpu", "data/features=spectral", f"data.cache_dir={tmp_path / 'cache'}",
                 "data.speakers=[2]", "model.optim.lr=0.0004321", "model.network.window=5"]
    path = write_best_experiment(tmp_path, "probe", overrides, conf_dir(), "Best trial of sweep probe")
    text = path.read_text()
    assert text.startswith("# @package _global_\n# Best trial of sweep probe")
    assert path == tmp_path / "conf" / "experiment" / "probe_best.yaml"
    best = compose("config", [f"hydra.searchpath=[file://{tmp_path / 'conf'}]", "experiment=probe_best"])
    direct = compose("config", overrides)
    assert best == direct
    with pytest.raises(ConfigError, match="deletions"):
        experiment_text(["~seed"], conf_dir(), "")


# ------------------------------------------------------------------- one real sweep, killed and resumed
SWEEP_STEPS = 30


def sweep_overrides(*extra: str) -> list[str]:
    """4 trials x 30 steps of the tiny experiment on a relative cache path, validation every 5 steps,
    two trials at a time on a 2-CPU local Ray, ASHA rungs at steps 10 and 20, the first attempt of
    trial 1 crashing at step 7 (after its step-5 checkpoint). The seeded TPE start-up draws
    (independent of results and timing) give trials 1-3 learning rates of 3e-3 to 8e-3 and trial 4
    1.5e-6 (no warm-up, so it shows by step 10). Trial 4 is created only after two trials have ended,
    so at least two better step-10 results are in ASHA's rung when it gets there, before or after the
    kill, and ASHA stops it there whatever the order in which the concurrent trials report."""
    return [
        "experiment=tiny_cpu", "sweep=tiny_cpu", "data.cache_dir=cache", "data/features=spectral", "data.speakers=[2]",
        "ray.num_cpus=2", f"trainer.max_steps={SWEEP_STEPS}", "trainer.val_check_interval=5",
        "trainer.limit_val_batches=1", "trainer.loop.batch_size=4", "trainer.loop.checkpoint_every_n_steps=5",
        "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
        "model.optim.warmup_steps=1", "sweep.num_samples=4", "sweep.max_concurrent=2", "sweep.seed=4",
        "sweep.scheduler.grace_period=10", "sweep.space.lr.low=1e-6", "sweep.space.lr.high=1e-2",
        "sweep.fault_injection={trial:1,step:7}", *extra,
    ]


def experiment_statuses(sweep_dir: Path) -> dict[str, str]:
    """Tune trial id -> status in Tune's newest experiment-state snapshot."""
    snapshots = sorted(sweep_dir.glob("experiment_state-*.json"))
    if not snapshots:
        return {}
    try:
        state = json.loads(snapshots[-1].read_text())
    except (OSError, json.JSONDecodeError):
        return {}  # being rewritten
    statuses = {}
    for trial_json, _ in state["trial_data"]:
        trial = json.loads(trial_json)
        statuses[trial["trial_id"]] = trial["status"]
    return statuses


def started_attempts(folder: Path) -> list[dict]:
    """The attempts a trial started (its worker may still log how the last one ended after Tune
    marked it finished)."""
    return [record for record in read_attempts(folder) if record["event"] == "start"]


def motiongen(*args: str, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "motiongen.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def resumed_sweep(tmp_path_factory):
    """Build a tiny cache, start a sweep, SIGKILL it once a trial has finished, resume it."""
    from motiongen.cache.build import build_cache

    root = tmp_path_factory.mktemp("sweep")
    corpus = root / "beat"
    for take_id, seed in (("2_scott_0_10_10", 1), ("2_scott_0_11_11", 2), ("2_scott_0_60_60", 3)):
        make_take(corpus, take_id, seed=seed)
    build_cache(compose("config", preprocess_overrides(corpus, root / "cache")), progress=False)
    sweep_dir = root / "sweeps" / "tiny_cpu"
    first = motiongen("sweep", *sweep_overrides(), cwd=root)
    deadline = time.monotonic() + 900
    finished_at_kill: dict[str, list] = {}
    while time.monotonic() < deadline and first.poll() is None:
        statuses = experiment_statuses(sweep_dir)
        done = [trial_id for trial_id, status in statuses.items() if status == "TERMINATED"]
        if done:
            for folder in sweep_dir.glob("trial_*"):
                if folder.name.rsplit("_", 1)[1] in done:
                    finished_at_kill[folder.name] = started_attempts(folder)
            first.send_signal(signal.SIGKILL)
            break
        time.sleep(0.5)
    output_first = first.communicate(timeout=60)[0]
    assert first.returncode == -signal.SIGKILL, f"the sweep ended before it could be killed:\n{output_first[-3000:]}"
    assert finished_at_kill, "no trial had finished when the sweep was killed"
    second = motiongen("sweep", *sweep_overrides("resume=true"), cwd=root)
    output = second.communicate(timeout=900)[0]
    assert second.returncode == 0, output[-5000:]
    return SimpleNamespace(root=root, sweep_dir=sweep_dir, output=output, finished_at_kill=finished_at_kill)


def summary_rows(sweep_dir: Path) -> dict[str, dict]:
    with open(sweep_dir / "summary.csv", newline="") as handle:
        return {row["trial"]: row for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_a_killed_sweep_resumes_without_rerunning_finished_trials(resumed_sweep):
    rows = summary_rows(resumed_sweep.sweep_dir)
    assert len(rows) == 4 and all(row["status"] in ("completed", "stopped early") for row in rows.values()), rows
    assert len(resumed_sweep.finished_at_kill) < 4, "the kill must interrupt the sweep mid-way"
    for folder, attempts_before in resumed_sweep.finished_at_kill.items():
        assert started_attempts(resumed_sweep.sweep_dir / folder) == attempts_before, f"{folder} was run again"


@pytest.mark.slow
def test_asha_stops_a_trial_and_the_crashed_trial_resumed_from_its_checkpoint(resumed_sweep):
    rows = summary_rows(resumed_sweep.sweep_dir)
    slowest = [name for name in rows if name.startswith("trial_004_")]
    assert len(slowest) == 1 and rows[slowest[0]]["status"] == "stopped early", rows
    # ASHA stops it at its first rung (step 10), or, when that stop came after Tune's last snapshot
    # before the kill, at its first report after the resume (step 15)
    assert rows[slowest[0]]["steps run"] in (f"10/{SWEEP_STEPS}", f"15/{SWEEP_STEPS}"), rows[slowest[0]]
    crashed = [name for name in rows if name.startswith("trial_001_")]
    assert len(crashed) == 1
    assert "InjectedFault: sweep.fault_injection: crash at step 7" in rows[crashed[0]]["errors"]
    folder = resumed_sweep.sweep_dir / crashed[0]
    records = read_attempts(folder)
    assert records[0]["event"] == "start" and records[0]["resume"] is None
    crashes = [index for index, record in enumerate(records) if record.get("error", "").startswith("InjectedFault")]
    assert len(crashes) == 1, f"trial 1 must crash once (also when the kill came before step 7): {records}"
    crashed_attempt = records[crashes[0]]["attempt"]
    retry = next(record for record in records[crashes[0]:] if record["event"] == "start")
    assert retry["resume"], "the retry must start from the reported checkpoint"
    reports = read_reports(folder)
    assert 5 in [report["step"] for report in reports if report["attempt"] <= crashed_attempt]
    assert all(report["step"] > 5 for report in reports if report["attempt"] > crashed_attempt), \
        "the retried trial re-ran steps it had already reported"
    for name in rows:
        threads = {report["threads"] for report in read_reports(resumed_sweep.sweep_dir / name)}
        assert threads == {1}, f"{name}: torch threads must equal the trial's 1 CPU"


@pytest.mark.slow
def test_sweep_outputs_table_plot_logs_and_a_best_experiment_that_trains(resumed_sweep, tmp_path):
    from motiongen.cli import main

    sweep_dir = resumed_sweep.sweep_dir
    request = json.loads((sweep_dir / "sweep_request.json").read_text())
    assert f"data.cache_dir={resumed_sweep.root / 'cache'}" in request["overrides"], "relative cache path not resolved"
    markdown = (sweep_dir / "summary.md").read_text()
    assert markdown.startswith("| rank | trial | overrides | best val/loss | steps run | status | errors |")
    assert "best val/loss" in resumed_sweep.output and "train it: motiongen train" in resumed_sweep.output
    png = (sweep_dir / "metric_vs_step.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    for name in summary_rows(sweep_dir):
        assert list((sweep_dir / name / "tensorboard").glob("events.out.tfevents.*")), f"{name}: no TensorBoard log"
    best_name = next(iter(summary_rows(sweep_dir)))
    best_overrides = json.loads((sweep_dir / best_name / "overrides.json").read_text())["overrides"]
    searchpath = f"hydra.searchpath=[file://{sweep_dir / 'conf'}]"
    best = compose("config", [searchpath, "experiment=tiny_cpu_best"])
    for override in best_overrides:
        key, value = override.split("=", 1)
        assert str(OmegaConf.select(best, key)) == value, f"{key} of the best experiment file"
    code = main(["train", searchpath, "experiment=tiny_cpu_best", "trainer.max_steps=2", "trainer.val_check_interval=2",
                 f"trainer.default_root_dir={tmp_path / 'best'}"])
    assert code == 0 and (tmp_path / "best" / "checkpoints" / "last.ckpt").is_file()


def test_starting_over_an_existing_sweep_or_resuming_a_missing_one_is_refused(tmp_path):
    overrides = ["experiment=tiny_cpu", "sweep=tiny_cpu", f"sweep.storage_path={tmp_path}"]
    cfg = compose("config", overrides)
    with pytest.raises(ConfigError, match="no sweep to resume in .*tiny_cpu"):
        run_sweep(cfg, overrides, resume=True, launch_dir=tmp_path)
    (tmp_path / "tiny_cpu").mkdir()
    (tmp_path / "tiny_cpu" / "tuner.pkl").write_bytes(b"")
    with pytest.raises(ConfigError, match="already holds a sweep: continue it with resume=true"):
        run_sweep(cfg, overrides, resume=False, launch_dir=tmp_path)

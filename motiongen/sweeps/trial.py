"""One sweep trial: the ordinary training entry point run as a Ray Tune function trainable.

A trial composes the same Hydra config ``motiongen train`` would (the sweep's overrides plus the
sampled ``path=value`` overrides), trains through the same entry point (with the validation metrics
the config asks for, so ``sweep.metric`` may be one of them), writes its Lightning outputs
(``tensorboard/``, ``checkpoints/``) into its own folder ``<sweep dir>/trial_<id>/``, and reports every
``callback_metrics`` value plus ``step`` (optimiser steps) to Tune at each validation, with a
Lightning checkpoint, through Ray's Lightning callback. A retried or resumed trial continues from
the last checkpoint it reported (``tune.get_checkpoint()``), not from step 0.

Every report is also appended to the trial's own ``reports.jsonl``, written by the trial straight
into its folder on the storage path before Tune receives it. Tune's copies (``result.json``,
``progress.csv``) are written by the sweep process into a local staging folder and copied to the
storage path only every few seconds, so a sweep process that is killed loses the reports made since
its last copy, and a resumed sweep never copies them again: the summary and ASHA's memory after a
resume are built from ``reports.jsonl``.

Traps handled here: Ray moves a trial into its own working directory (the sweep resolves relative
paths before trials start, and a trial works in the launching directory when it exists on its node),
a result without the ranked metric fails the trial with a message naming the metric and the keys
that were reported, and the trial's PyTorch threads follow its CPU allocation.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motiongen.core.errors import InputFileError, MotiongenError
from motiongen.output_folders import mark
from motiongen.sweeps.space import Dimension, trial_overrides

ATTEMPTS_NAME = "attempts.jsonl"
REPORTS_NAME = "reports.jsonl"
OVERRIDES_NAME = "overrides.json"
CHECKPOINT_FILE = "checkpoint.ckpt"


class MissingMetricError(MotiongenError, KeyError):
    """A validation result lacks the metric the sweep ranks trials by."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class InjectedFault(RuntimeError):
    """Raised on purpose by ``sweep.fault_injection`` (tests of crash recovery)."""


@dataclass(frozen=True)
class TrialRequest:
    """Everything a trial needs besides its sampled values (sent once to every Ray worker).

    Attributes:
        base_overrides: the sweep command's Hydra overrides, relative paths already resolved.
        dims: the searched settings.
        sweep_dir: absolute experiment folder ``<storage_path>/<name>``.
        metric: ranked metric name as logged in Lightning (``val/loss``, an evaluation metric, ...).
        cpus, gpus: resources of one trial (GPUs may be fractional).
        launch_dir: working directory of the sweep command.
        fault_injection: ``{"trial": number, "step": k}`` to crash the trial whose folder is
            ``trial_<number>_*`` once, at step ``k``: its first attempt that gets there (an attempt
            ended earlier by a killed sweep does not count; used by the tests), or None.
    """

    base_overrides: tuple[str, ...]
    dims: tuple[Dimension, ...]
    sweep_dir: str
    metric: str
    cpus: float = 1.0
    gpus: float = 0.0
    launch_dir: str = ""
    fault_injection: dict | None = field(default=None)


def trial_dirname(number: int, trial_id: str) -> str:
    """Folder name of a trial inside the sweep folder: ``trial_<number>_<Tune trial id>``, where
    ``number`` counts the trials in the order the search algorithm created them."""
    return f"trial_{number:03d}_{trial_id}"


def trial_number(dirname: str) -> int:
    """The creation number in a folder name made by :func:`trial_dirname`."""
    return int(dirname.split("_")[1])


def resource_overrides(cpus: float, gpus: float) -> list[str]:
    """Overrides making one trial use exactly its Ray allocation: torch threads = its CPUs
    (at least one), and one (possibly fractional) GPU seen as device 0 when it has GPUs."""
    overrides = [f"trainer.loop.num_threads={max(1, int(cpus))}"]
    if gpus > 0:
        overrides += ["trainer.accelerator=gpu", "trainer.devices=1"]
    return overrides


def _read_lines(path: Path) -> list[dict]:
    """The JSON records of a JSON-lines file, oldest first (none when it is missing); a last line cut
    short by a killed process is skipped."""
    if not path.is_file():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            if number < len(lines):
                raise InputFileError(path, f"not a JSON record ({err.msg})", line=number) from err
    return records


def read_attempts(trial_dir: str | Path) -> list[dict]:
    """Records of a trial's attempts (``start``, ``error``, ``stopped`` and ``finish`` events), oldest first."""
    return _read_lines(Path(trial_dir) / ATTEMPTS_NAME)


def read_reports(trial_dir: str | Path) -> list[dict]:
    """Every report a trial made (all its attempts), oldest first: the reported metrics plus
    ``step`` (optimiser steps), ``threads``, ``attempt`` and ``time`` (seconds since the epoch)."""
    return _read_lines(Path(trial_dir) / REPORTS_NAME)


def _append_line(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _append_attempt(trial_dir: Path, record: dict) -> None:
    _append_line(trial_dir / ATTEMPTS_NAME, record)


def report_callback(metric: str, trial_dir: Path | None = None, attempt: int = 0):
    """Ray's Lightning report-and-checkpoint callback (on validation end), made strict: every
    ``callback_metrics`` value is reported with ``step`` and the trial's torch thread count, and a
    result lacking ``metric`` raises :class:`MissingMetricError` instead of being skipped with a
    warning (Ray's default), so a misnamed metric cannot silently rank nothing. With ``trial_dir``,
    each report is first appended to ``trial_dir/reports.jsonl`` (with ``attempt`` and ``time``)."""
    import torch
    from ray.tune.integration.pytorch_lightning import TuneReportCheckpointCallback

    class StrictTuneReport(TuneReportCheckpointCallback):
        def _get_report_dict(self, trainer, pl_module):
            if trainer.sanity_checking:
                return None
            report = {key: float(value) for key, value in trainer.callback_metrics.items()}
            if metric not in report:
                raise MissingMetricError(
                    f"sweep metric {metric!r} was not logged at step {trainer.global_step}; "
                    f"reported keys: {', '.join(sorted(report)) or '(none)'} (set sweep.metric to one of them)"
                )
            report["step"] = int(trainer.global_step)
            report["threads"] = torch.get_num_threads()
            if trial_dir is not None:
                _append_line(trial_dir / REPORTS_NAME, {**report, "attempt": attempt, "time": time.time()})
            return report

    return StrictTuneReport(filename=CHECKPOINT_FILE, on="validation_end")


def fault_callback(step: int):
    """A Lightning callback raising :class:`InjectedFault` when training reaches ``step``."""
    from lightning.pytorch.callbacks import Callback

    class FaultAtStep(Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if trainer.global_step == step:
                raise InjectedFault(f"sweep.fault_injection: crash at step {step}")

    return FaultAtStep()


def run_trial(config: dict[str, Any], request: TrialRequest) -> None:
    """Ray Tune function trainable: train one sampled setting, reporting at each validation."""
    from ray import tune

    from motiongen.config import compose
    from motiongen.training.entry import train_with_config_callbacks

    if request.launch_dir and Path(request.launch_dir).is_dir():
        os.chdir(request.launch_dir)  # the working directory `motiongen train` would have had
    # Tune names the trial's working directory after its folder (trial_dirname)
    trial_dir = Path(request.sweep_dir) / Path(tune.get_context().get_trial_dir()).name
    trial_dir.mkdir(parents=True, exist_ok=True)
    # The sweep named and created this folder (Tune also writes its results there): mark it as a
    # motiongen folder, so training may keep and prune its checkpoints in it.
    mark(trial_dir, "sweep trial")
    sampled = trial_overrides(list(request.dims), config)
    short = [f"{dim.name}={override.split('=', 1)[1]}" for dim, override in zip(request.dims, sampled)]
    (trial_dir / OVERRIDES_NAME).write_text(json.dumps({"settings": short, "overrides": sampled}), encoding="utf-8")
    attempts = read_attempts(trial_dir)
    attempt = sum(1 for record in attempts if record["event"] == "start")
    checkpoint = tune.get_checkpoint()
    callbacks = [report_callback(request.metric, trial_dir, attempt)]
    fault = request.fault_injection
    crashed_before = any(record.get("error", "").startswith(InjectedFault.__name__) for record in attempts)
    if fault is not None and not crashed_before and trial_number(trial_dir.name) == int(fault["trial"]):
        callbacks.append(fault_callback(int(fault["step"])))

    def fit(resume: Path | None) -> dict[str, float]:
        overrides = [
            *request.base_overrides,
            *sampled,
            f"trainer.default_root_dir={trial_dir}",
            *resource_overrides(request.cpus, request.gpus),
            f"resume={resume}" if resume is not None else "resume=null",
        ]
        cfg = compose("config", overrides)
        _append_attempt(trial_dir, {
            "event": "start", "attempt": attempt, "time": time.time(), "pid": os.getpid(),
            "resume": str(resume) if resume else None, "max_steps": int(cfg.trainer.max_steps),
        })
        return train_with_config_callbacks(cfg, extra_callbacks=callbacks).metrics

    try:
        if checkpoint is None:
            metrics = fit(None)
        else:
            with checkpoint.as_directory() as folder:
                metrics = fit(Path(folder) / CHECKPOINT_FILE)
    except SystemExit:
        # Tune ends a trial it stops (scheduler decision, max_t reached) by raising SystemExit
        # in the trainable's thread at a report; that is not a failure.
        _append_attempt(trial_dir, {"event": "stopped", "attempt": attempt, "time": time.time()})
        raise
    except BaseException as err:
        _append_attempt(trial_dir, {
            "event": "error", "attempt": attempt, "time": time.time(),
            "error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc(limit=8),
        })
        raise
    _append_attempt(trial_dir, {"event": "finish", "attempt": attempt, "time": time.time(), "metrics": metrics})

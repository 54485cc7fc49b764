"""What a finished sweep leaves behind: summary table (console, CSV, Markdown), metric plot and the
best trial's experiment file."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from motiongen.core.errors import MotiongenError
from motiongen.sweeps.best_config import train_command, write_best_experiment
from motiongen.sweeps.summary import PLOT_NAME, TrialRow, plot_metric, rank, row_from_result, write_tables
from motiongen.sweeps.tuner import REQUEST_NAME, SweepSettings


class SweepFailed(MotiongenError):
    """No trial of a sweep reported the ranked metric."""


@dataclass
class SweepReport:
    """Paths and rows of a finished sweep; ``best`` is None when no trial reported the metric.
    ``orphans`` are trial folders Tune's experiment state does not know: trials started after its
    last snapshot before the sweep process was killed; on resume the search creates them anew."""

    rows: list[TrialRow]
    best: TrialRow | None
    csv_path: Path
    markdown_path: Path
    plot_path: Path
    best_experiment: Path | None
    train_command: str | None
    orphans: list[str]


def failure(report: SweepReport, metric: str) -> SweepFailed:
    """The error for a sweep in which no trial reported ``metric``, listing every trial's errors."""
    problems = "; ".join(f"{row.trial}: {' | '.join(row.errors) or row.final_error or 'no report'}" for row in report.rows)
    return SweepFailed(f"no trial reported {metric!r} ({problems or 'no trials'}); summary in {report.csv_path}")


def write_report(settings: SweepSettings, results, conf_root: Path) -> SweepReport:
    """Summarise ``results`` (a ``ray.tune.ResultGrid``) into ``settings.sweep_dir``: tables, plot
    and, when some trial reported ``settings.metric``, the best trial's experiment file."""
    rows = [row_from_result(result, settings.metric, settings.max_steps) for result in results]
    folder = settings.sweep_dir
    csv_path, md_path = write_tables(rows, folder, settings.metric, settings.rank_by, settings.mode)
    plot_path = plot_metric(rows, folder / PLOT_NAME, settings.metric, settings.rank_by, settings.mode)
    known = {row.trial for row in rows}
    orphans = sorted(path.name for path in folder.glob("trial_*") if path.is_dir() and path.name not in known)
    ranked = rank(rows, settings.rank_by, settings.mode)
    best = ranked[0] if ranked and not math.isnan(ranked[0].ranked_value(settings.rank_by, settings.mode)) else None
    if best is None:
        return SweepReport(rows, None, csv_path, md_path, plot_path, None, None, orphans)
    base = json.loads((folder / REQUEST_NAME).read_text(encoding="utf-8"))["overrides"]
    value = best.ranked_value(settings.rank_by, settings.mode)
    header = (
        f"Best trial of sweep {settings.name} ({best.trial}): {settings.rank_by} {settings.metric} = {value:.6g}\n"
        f"at step {best.steps[best.values.index(value)]} of {best.steps_run}. Train it with:\n"
        f"{train_command(folder, settings.name)}"
    )
    overrides = [*base, *best.overrides, f"trainer.default_root_dir=runs/{settings.name}_best"]
    experiment = write_best_experiment(folder, settings.name, overrides, conf_root, header)
    return SweepReport(rows, best, csv_path, md_path, plot_path, experiment, train_command(folder, settings.name), orphans)

"""The sweep's results as a table (printed, CSV, Markdown) and a metric-against-step plot.

One row per trial: its folder, the sampled overrides, the ranked value, the step it reached, its
status and the errors of its failed attempts. The ranked value is, by ``sweep.rank_by``, the best
value the trial reported (``best``: min or max by ``sweep.mode``) or its last one (``last``); the
same rule picks the best trial. Status: ``completed`` (reached ``trainer.max_steps``),
``stopped early`` (by the scheduler), ``error`` (failed after its retries) or ``unfinished``.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from motiongen.sweeps.trial import OVERRIDES_NAME, read_attempts, read_reports

SUMMARY_CSV = "summary.csv"
SUMMARY_MD = "summary.md"
PLOT_NAME = "metric_vs_step.png"


@dataclass
class TrialRow:
    """One trial's line of the summary.

    Attributes:
        overrides: the sampled Hydra overrides (``model.optim.lr=0.0003``); settings: the same as
            ``<space name>=<value>`` (``lr=0.0003``), for the console.
        steps: optimiser steps of each report; values: the metric at those steps (same length).
        errors: ``"ExceptionType: message"`` of every failed attempt, oldest first.
    """

    trial: str
    overrides: list[str]
    steps: list[int]
    values: list[float]
    max_steps: int | None
    settings: list[str] = field(default_factory=list)
    final_error: str | None = None
    errors: list[str] = field(default_factory=list)

    def ranked_value(self, rank_by: str, mode: str) -> float:
        finite = [value for value in self.values if math.isfinite(value)]
        if not finite:
            return math.nan
        if rank_by == "last":
            return self.values[-1]
        return min(finite) if mode == "min" else max(finite)

    @property
    def steps_run(self) -> int:
        return max(self.steps) if self.steps else 0

    @property
    def status(self) -> str:
        if self.final_error is not None:
            return "error"
        if self.max_steps is not None and self.steps_run >= self.max_steps:
            return "completed"
        return "stopped early" if self.steps else "unfinished"


def reported_curve(reports: list[dict], metric: str) -> tuple[list[int], list[float]]:
    """``(steps, values)`` of ``metric`` in a trial's reports, by step; a retried or resumed trial
    reports again from its checkpoint's step, and its newest report of a step is kept."""
    by_step = {int(report["step"]): float(report[metric]) for report in reports if metric in report and "step" in report}
    steps = sorted(by_step)
    return steps, [by_step[step] for step in steps]


def row_from_result(result, metric: str, fallback_max_steps: int | None = None) -> TrialRow:
    """Summary row of one trial of the sweep (a ``ray.tune.Result``: its folder and final error).

    The reports come from the folder's ``reports.jsonl``, which the trial writes itself, not from
    Tune's ``progress.csv``: Tune copies that file from the sweep process's staging folder every
    few seconds, so after a killed and resumed sweep it may miss reports, or be missing altogether
    for trials that finished just before the kill."""
    folder = Path(result.path)
    attempts = read_attempts(folder)
    steps, values = reported_curve(read_reports(folder), metric)
    max_steps = next((record["max_steps"] for record in reversed(attempts) if record["event"] == "start"), fallback_max_steps)
    sampled = {"settings": [], "overrides": []}
    if (folder / OVERRIDES_NAME).is_file():
        sampled = json.loads((folder / OVERRIDES_NAME).read_text(encoding="utf-8"))
    return TrialRow(
        trial=folder.name,
        overrides=sampled["overrides"],
        settings=sampled["settings"],
        steps=steps,
        values=values,
        max_steps=max_steps,
        final_error=None if result.error is None else f"{type(result.error).__name__}: {result.error}".splitlines()[0],
        errors=[record["error"].splitlines()[0] for record in attempts if record["event"] == "error"],
    )


def rank(rows: list[TrialRow], rank_by: str, mode: str) -> list[TrialRow]:
    """Rows best first by ``ranked_value``; trials without a value last."""
    def key(row: TrialRow):
        value = row.ranked_value(rank_by, mode)
        if math.isnan(value):
            return (1, 0.0)
        return (0, value if mode == "min" else -value)

    return sorted(rows, key=key)


def columns(metric: str, rank_by: str) -> list[str]:
    return ["rank", "trial", "overrides", f"{rank_by} {metric}", "steps run", "status", "errors"]


def table_rows(rows: list[TrialRow], rank_by: str, mode: str, short: bool = False) -> list[list[str]]:
    """Ranked rows as strings, in the order of :func:`columns` (``short``: ``name=value`` settings
    instead of full override paths)."""
    out = []
    for position, row in enumerate(rank(rows, rank_by, mode), start=1):
        value = row.ranked_value(rank_by, mode)
        out.append([
            str(position),
            row.trial,
            " ".join(row.settings if short else row.overrides),
            "-" if math.isnan(value) else f"{value:.6g}",
            f"{row.steps_run}" + (f"/{row.max_steps}" if row.max_steps else ""),
            row.status,
            " | ".join(row.errors + ([row.final_error] if row.final_error and row.final_error not in row.errors else [])),
        ])
    return out


def write_tables(rows: list[TrialRow], folder: Path, metric: str, rank_by: str, mode: str) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``summary.md`` into ``folder``; return their paths."""
    header, body = columns(metric, rank_by), table_rows(rows, rank_by, mode)
    csv_path, md_path = folder / SUMMARY_CSV, folder / SUMMARY_MD
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(body)

    def cell(text: str) -> str:
        return text.replace("|", "\\|") or " "

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(text) for text in line) + " |" for line in body]
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path


def print_table(rows: list[TrialRow], title: str, metric: str, rank_by: str, mode: str) -> None:
    """The summary as a rich table on the console."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name in columns(metric, rank_by):
        table.add_column(name, overflow="fold")
    for line in table_rows(rows, rank_by, mode, short=True):
        table.add_row(*line)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # logs and CI: no 80-column wrapping of the overrides
    console.print(table)


def plot_metric(rows: list[TrialRow], path: Path, metric: str, rank_by: str, mode: str) -> Path:
    """PNG of ``metric`` against optimiser step for every trial: the best trial thick, trials
    stopped early dashed, errored ones ending in a cross."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = rank(rows, rank_by, mode)
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=110)
    for position, row in enumerate(ranked):
        if not row.steps:
            continue
        style = {"completed": "-", "stopped early": "--"}.get(row.status, ":")
        (line,) = axes.plot(row.steps, row.values, style, marker="o", markersize=3,
                            linewidth=2.6 if position == 0 else 1.2, label=f"{row.trial} ({row.status})")
        if row.status == "error":
            axes.plot(row.steps[-1], row.values[-1], "x", color=line.get_color(), markersize=9)
    axes.set_xlabel("optimiser step")
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} per trial (thick: best by {rank_by} value; dashed: stopped early)")
    axes.grid(alpha=0.3)
    if any(row.steps for row in rows):
        axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path

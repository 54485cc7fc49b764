"""``motiongen inspect PATH``: what a file or corpus folder holds, and every problem found.

A single file (bvh, json, wav/flac/mp3, TextGrid, csv, txt, SMPL-X npz, mp4/mov/...) gets a table
of what was read (frames, fps, duration, joints, blendshape names, tiers, video size, ...). A folder
that a corpus of ``conf/data`` recognises is inventoried by that corpus (its own tables, e.g. one
row per video with its signer, label and split, then split counts); any other folder is a take
corpus: one row per take with its speaker, split and the duration of each modality (``-`` missing,
``ERR`` unreadable), then split counts per speaker. Every problem follows, errors first. The exit
code is 1 when any file had an error, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a file or a corpus folder (a take corpus <root>/<speaker_id>/<take "
                        "files>, or the folder of any corpus of conf/data, e.g. annotations.csv + videos)")
    parser.add_argument(
        "--json", dest="json_path", type=Path, metavar="FILE", help="also write the full report as JSON to FILE ('-' for stdout)"
    )
    parser.add_argument("--split-csv", type=Path, metavar="CSV",
                        help="take corpora: take_id,split rows overriding the corpus's split, or an id,type file "
                        "replacing its train_test_split.csv")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar while reading a corpus")


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_format(item)}" for key, item in value.items())
    if isinstance(value, list):
        shown = ", ".join(str(item) for item in value[:8])
        return shown + (f", ... ({len(value)} in all)" if len(value) > 8 else "")
    return str(value)


def _file_table(report):
    from rich.table import Table

    table = Table(title=f"{report.path} ({report.kind})", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in report.facts.items():
        table.add_row(key, _format(value))
    return table


def _take_cell(take, modality: str) -> str:
    report = take.files.get(modality)
    if report is None:
        return "-"
    duration = report.facts.get("duration")
    shown = f"{duration:.1f}s" if duration is not None else ""
    if report.has_error:
        return f"{shown} [red]ERR[/red]".strip()
    return (shown or "ok") + ("[yellow]![/yellow]" if report.problems else "")


def _corpus_tables(report):
    from rich.table import Table

    from motiongen.cache.writer import SPLITS

    modalities = report.modalities
    takes = Table(title=f"{report.path}: {len(report.takes)} takes")
    takes.add_column("take", no_wrap=True)
    takes.add_column("speaker")
    takes.add_column("split")
    for modality in modalities:
        takes.add_column(modality, justify="right", no_wrap=True)
    for take in report.takes:
        split = take.split or f"[dim]none ({take.split_note})[/dim]"
        takes.add_row(take.take_id, str(take.speaker_id), split, *(_take_cell(take, m) for m in modalities))

    splits = list(SPLITS) + sorted({t.split for t in report.takes if t.split and t.split not in SPLITS})
    per_speaker = Table(title="splits per speaker")
    per_speaker.add_column("speaker")
    for split in (*splits, "none"):
        per_speaker.add_column(split, justify="right")
    for speaker in sorted({take.speaker_id for take in report.takes}):
        mine = [take for take in report.takes if take.speaker_id == speaker]
        counts = [sum(take.split == split for take in mine) for split in splits]
        per_speaker.add_row(str(speaker), *map(str, counts), str(sum(take.split is None for take in mine)))
    return takes, per_speaker


def _report_table(table):
    """A corpus's own :class:`~motiongen.datasets.report.ReportTable` as a rich table (``ERR`` in red)."""
    from rich.markup import escape
    from rich.table import Table

    shown = Table(title=escape(table.title))
    for column in table.columns:
        shown.add_column(column)
    for row in table.rows:
        shown.add_row(*("[red]ERR[/red]" if cell == "ERR" else escape(cell) for cell in row))
    return shown


def run(args: argparse.Namespace) -> int:
    import logging

    from rich.console import Console
    from rich.markup import escape

    from motiongen.datasets.report import ERROR
    from motiongen.datasets.inspection import inspect_path

    # Every reader warning ends up in the report printed below; without a handler Python would
    # also echo each one to stderr through its last-resort handler.
    logging.getLogger("motiongen").addHandler(logging.NullHandler())
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)  # redirected output: do not squeeze the take table
    progress = None
    if not args.no_progress:
        from tqdm import tqdm

        def progress(items):
            return tqdm(items, desc="inspecting", unit="item", file=sys.stderr)

    report = inspect_path(args.path, args.split_csv, progress)
    for file_report in report.files:
        console.print(_file_table(file_report))
    if report.kind == "corpus" and report.takes:
        for table in _corpus_tables(report):
            console.print(table)
    for table in report.tables:
        console.print(_report_table(table))

    problems = sorted(report.all_problems(), key=lambda problem: problem.severity != ERROR)
    errors = sum(problem.severity == ERROR for problem in problems)
    if problems:
        console.print(f"[bold]{len(problems)} problem(s): {errors} error(s), {len(problems) - errors} warning(s)[/bold]")
        for problem in problems:
            style = "red" if problem.severity == ERROR else "yellow"
            console.print(
                f"[{style}]{problem.severity.upper()}[/{style}] {escape(problem.path)}: {escape(problem.message)}",
                soft_wrap=True,
            )
    else:
        console.print("[green]no problems found[/green]")

    if args.json_path is not None:
        text = json.dumps(report.to_dict(), indent=2, default=str)
        if str(args.json_path) == "-":
            sys.stdout.write(text + "\n")
        else:
            args.json_path.write_text(text + "\n", encoding="utf-8")
    return 1 if report.has_error else 0

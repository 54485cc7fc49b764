"""``motiongen preprocess``: build or update the training feature cache of a corpus.

The corpus is the one the data config names with ``_target_`` (``conf/data/<name>.yaml``); every
corpus goes through the same cache builder (:func:`motiongen.cache.build.build_cache`). Examples
per corpus are in ``docs/preprocess.md``::

    motiongen preprocess data=NAME data.root=/data/corpus data/features=spectral data.workers=8
    motiongen preprocess data.root=/data/corpus data.features.wavlm.model=/models/wavlm-large ray.address=auto

Re-running skips takes whose sources and settings are unchanged and resumes an interrupted run.
Prints a table of processed / up-to-date / skipped / failed takes (with reasons) and writes the
same as JSON to ``<cache_dir>/preprocess_summary.json`` (and to ``--summary-json`` if given).
Exit status: 0 when every selected take is cached, 1 when some failed.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from motiongen.commands.hydra_command import add_overrides_argument, compose_command_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--summary-json", type=Path, default=None, help="also write the summary JSON here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_overrides_argument(parser, "data.root=DIR data/features=spectral data.workers=4 ray.address=auto")


def print_summary(summary) -> None:
    """Rich table: one row per take that was computed, skipped or failed; a count of up-to-date ones."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"motiongen preprocess -> {summary.cache_dir}")
    table.add_column("take")
    table.add_column("status")
    table.add_column("frames / reason", overflow="fold")
    for take_id, facts in sorted(summary.processed.items()):
        note = f"{facts['frames']} frames, {facts['seconds']:.2f} s"
        if facts["warnings"]:
            note += f"; {len(facts['warnings'])} warning(s): " + " | ".join(facts["warnings"])
        table.add_row(take_id, "[green]processed", note)
    for take_id, reason in sorted(summary.failed.items()):
        table.add_row(take_id, "[red]failed", reason)
    for take_id, reason in sorted(summary.skipped.items()):
        table.add_row(take_id, "[yellow]skipped", reason)
    console = Console()
    console.print(table)
    console.print(
        f"processed {len(summary.processed)}, up to date {len(summary.up_to_date)}, "
        f"skipped {len(summary.skipped)}, failed {len(summary.failed)} in {summary.seconds:.1f} s"
    )
    for message in summary.notes:
        console.print(message)
    for message in summary.warnings:
        console.print(f"[yellow]warning:[/] {message}")


def run(args: argparse.Namespace) -> int:
    cfg = compose_command_config(args, logging.WARNING)  # a config mistake is reported before the builders load

    from motiongen.cache.build import SUMMARY, BuildSummary, build_cache
    from motiongen.core.errors import MotiongenError
    from motiongen.output_folders import is_owned

    try:
        summary = build_cache(cfg, progress=not args.no_progress)
    except MotiongenError:
        # The takes were still handled one by one: show what happened to each before the error
        # (read only from a cache motiongen wrote: a refused folder's files are not ours).
        cache_dir = Path(str(cfg.data.cache_dir)).expanduser().resolve()
        partial = cache_dir / SUMMARY
        if is_owned(cache_dir) and partial.is_file():
            print_summary(BuildSummary(**json.loads(partial.read_text(encoding="utf-8"))))
        raise
    print_summary(summary)
    if args.summary_json is not None:
        args.summary_json.write_text(json.dumps(summary.to_dict(), indent=1), encoding="utf-8")
    return 1 if summary.failed else 0

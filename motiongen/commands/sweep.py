"""``motiongen sweep``: hyper-parameter search with Ray Tune, one trial = one ``motiongen train``.

Examples::

    motiongen sweep experiment=tiny_cpu sweep=tiny_cpu data.cache_dir=CACHE_DIR
    motiongen sweep experiment=uwp_beat sweep=uwp_beat data.cache_dir=/shared/cache ray.address=auto
    motiongen sweep experiment=tiny_cpu sweep=tiny_cpu data.cache_dir=CACHE_DIR resume=true

The search (``conf/sweep/*.yaml``: searched override paths and distributions, search algorithm,
ASHA, sample count, concurrency, per-trial resources) runs on a local Ray instance, or on the
cluster named by ``ray.address``. Results land in ``<sweep.storage_path>/<sweep.name>/``: per-trial
TensorBoard logs and checkpoints, ``summary.csv`` / ``summary.md``, ``metric_vs_step.png`` and
``conf/experiment/<sweep.name>_best.yaml``. ``resume=true`` continues an interrupted sweep without
re-running finished trials. Exit status 0 when at least one trial reported the ranked metric.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from motiongen.commands.hydra_command import add_overrides_argument, compose_command_config
from motiongen.core.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_overrides_argument(parser, "experiment=tiny_cpu sweep=tiny_cpu data.cache_dir=DIR ray.address=auto resume=true")


def run(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from motiongen.config import conf_dir
    from motiongen.sweeps.report import failure, write_report
    from motiongen.sweeps.summary import print_table
    from motiongen.sweeps.tuner import run_sweep

    cfg = compose_command_config(args, logging.WARNING)
    resume = OmegaConf.select(cfg, "resume")
    if resume not in (None, True, False):
        raise ConfigError(f"resume={resume!r}: `motiongen sweep` takes resume=true (continue the sweep) or false")
    settings, results = run_sweep(cfg, list(args.overrides), bool(resume), Path(os.getcwd()))
    report = write_report(settings, results, conf_dir())
    print_table(report.rows, f"motiongen sweep {settings.name} -> {settings.sweep_dir}", settings.metric,
                settings.rank_by, settings.mode)
    print(f"summary: {report.csv_path}, {report.markdown_path}")
    print(f"plot: {report.plot_path}")
    print(f"TensorBoard: tensorboard --logdir {settings.sweep_dir}")
    if report.orphans:
        print(f"not part of the sweep (started just before the sweep process was killed, then sampled "
              f"again on resume): {', '.join(report.orphans)}")
    if report.best is None:
        raise failure(report, settings.metric)
    print(f"best trial: {report.best.trial} -> {report.best_experiment}")
    print(f"train it: {report.train_command}")
    return 0

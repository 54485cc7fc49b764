"""``motiongen train``: train the UWP model on a feature cache (Lightning + Hydra).

Examples::

    motiongen train experiment=tiny_cpu data.cache_dir=CACHE_DIR
    motiongen train experiment=uwp_beat data.cache_dir=CACHE_DIR trainer=ddp trainer.devices=4
    motiongen train experiment=uwp_beat data.cache_dir=CACHE_DIR resume=runs/uwp_beat/checkpoints/last.ckpt

Outputs go to ``trainer.default_root_dir``: ``checkpoints/`` (atomic, every
``trainer.loop.checkpoint_every_n_steps``) and ``tensorboard/`` (``tensorboard --logdir ...``).
Multi-GPU / multi-node runs use ``trainer=ddp``; launch one process per node with SLURM (see
``tools/slurm_train.sbatch``) or ``torchrun``, or let Lightning spawn the local ranks.
"""

from __future__ import annotations

import argparse
import logging

from motiongen.commands.hydra_command import add_overrides_argument, compose_command_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_overrides_argument(parser, "experiment=tiny_cpu data.cache_dir=DIR trainer.devices=2 resume=CKPT")


def run(args: argparse.Namespace) -> int:
    cfg = compose_command_config(args, logging.INFO)  # a config mistake is reported before torch loads

    from motiongen.training.entry import train_with_config_callbacks

    result = train_with_config_callbacks(cfg)
    if result.trainer.is_global_zero:
        validation = {name: value for name, value in sorted(result.metrics.items()) if name.startswith("val/")}
        if validation:
            print("final validation: " + ", ".join(f"{name}={value:.5g}" for name, value in validation.items()))
        print(f"checkpoints: {result.checkpoint_dir}")
        print(f"TensorBoard: tensorboard --logdir {result.tensorboard_dir}")
    return 0

"""``motiongen distill``: consistency distillation of a trained checkpoint into a 1-4-step student.

Examples::

    motiongen distill experiment=distill_tiny_cpu teacher=quickstart/runs/checkpoints/last.ckpt
    motiongen distill experiment=distill_uwp_beat teacher=runs/uwp_beat/checkpoints/last.ckpt
    motiongen distill experiment=distill_uwp_beat teacher=... resume=runs/distill_uwp_beat/checkpoints/last.ckpt
    motiongen generate --checkpoint runs/distill_tiny_cpu/checkpoints/last.ckpt --audio speech.wav sampler=lcm sampler.steps=2

Settings in ``conf/distill.yaml``; the method in :mod:`motiongen.distillation.consistency` and
``docs/sampling.md``. Outputs go to ``trainer.default_root_dir`` (``checkpoints/``, ``tensorboard/``).
"""

from __future__ import annotations

import argparse
import logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*",
                        help="Hydra overrides of conf/distill.yaml, e.g. experiment=distill_tiny_cpu teacher=CKPT resume=CKPT")


def run(args: argparse.Namespace) -> int:
    from motiongen.config import compose
    from motiongen.distillation.run import distill
    from motiongen.log_setup import configure_logging

    configure_logging(logging.INFO)
    result = distill(compose("distill", args.overrides))
    if result.trainer.is_global_zero:
        if "val/loss" in result.metrics:
            print(f"final validation consistency loss: {result.metrics['val/loss']:.5g}")
        print(f"checkpoints: {result.checkpoint_dir}  (sample with: sampler=lcm sampler.steps=2)")
        print(f"TensorBoard: tensorboard --logdir {result.tensorboard_dir}")
    return 0

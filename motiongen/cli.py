"""The ``motiongen`` console entry point: one sub-command per pipeline stage.

Each sub-command lives in ``motiongen/commands/<name>.py`` and exposes ``add_arguments(parser)``
and ``run(args) -> int``. Modules are imported only when their command runs, so ``motiongen
inspect`` does not pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from motiongen import __version__
from motiongen.core.errors import MotiongenError

COMMANDS: dict[str, str] = {
    "inspect": "Show what a BEAT file or corpus folder holds, and every problem found.",
    "train": "Train the UWP diffusion model on a feature cache (Hydra overrides; DDP; resume=CKPT).",
    "generate": "Speech (audio file or text) to BVH, ARKit JSON, Live Link CSV, arrays and a preview video.",
    "preprocess": "Build or update the training feature cache of a corpus (Hydra overrides; parallel, resumable).",
    "train-evaluator": "Train the FGD/FD feature extractors and the lip-sync scorer of a feature cache.",
    "evaluate": "Score checkpoints with the published gesture/face metrics and lip sync; writes metrics.json and a table.",
    "smplx": "SMPL-X npz (BEAT2/EMAGE layout): convert BEAT BVH to it, render it as a mesh video with speech.",
    "sweep": "Hyper-parameter search with Ray Tune (conf/sweep/*.yaml; local or on a Ray cluster; resume=true).",
    "live": "Speech (file at real-time pace or microphone) to motion streamed live: Live Link Face, VMC, record.",
    "quickstart": "Offline demo: synthesise a corpus, preprocess, train the tiny model, generate, report.",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motiongen", description="Holistic co-speech motion (gestures + ARKit blendshapes) from speech."
    )
    parser.add_argument("--version", action="version", version=f"motiongen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(f"motiongen.commands.{name.replace('-', '_')}")
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except MotiongenError as err:
        print(f"motiongen {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

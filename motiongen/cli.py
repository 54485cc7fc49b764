"""The ``motiongen`` console entry point: one sub-command per pipeline stage.

Each sub-command lives in ``motiongen/commands/<name>.py`` and exposes ``add_arguments(parser)``
and ``run(args) -> int``. A command's module is imported only when the command line names it (its
arguments are added to the parser then), and heavy libraries only inside ``run``, so ``motiongen
--help`` and ``motiongen inspect`` do not pay for importing torch (``tests/test_cli.py``).
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
    "distill": "Consistency-distil a trained checkpoint into a 1-4-step student (sampler=lcm; Hydra overrides; resume=CKPT).",
    "evaluate": "Score checkpoints with the published gesture/face metrics and lip sync; writes metrics.json and a table.",
    "smplx": "SMPL-X npz (BEAT2/EMAGE layout): convert BEAT BVH to it, render it as a mesh video with speech.",
    "sweep": "Hyper-parameter search with Ray Tune (conf/sweep/*.yaml; local or on a Ray cluster; resume=true).",
    "live": "Speech (file at real-time pace or microphone) to motion streamed live: Live Link Face, VMC, record.",
    "quickstart": "Offline demo: synthesise a corpus, preprocess, train the tiny model, generate, report.",
    "avatar": "Reference image + text or speech to an avatar video with the speech (motion model + renderer).",
}


def _command_in(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (its first word that is not an option), if it is one."""
    command = next((word for word in argv if not word.startswith("-")), None)
    return command if command in COMMANDS else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``motiongen`` parser: every sub-command with its one-line help; only ``command`` (if given)
    gets its arguments, which imports ``motiongen/commands/<command>.py`` and no other command module."""
    parser = argparse.ArgumentParser(
        prog="motiongen", description="Holistic co-speech motion (gestures + ARKit blendshapes) from speech."
    )
    parser.add_argument("--version", action="version", version=f"motiongen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(f"motiongen.commands.{name.replace('-', '_')}")
            module.add_arguments(command_parser)
            command_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command_in(argv)).parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except MotiongenError as err:
        print(f"motiongen {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

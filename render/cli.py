"""The ``render`` console entry point: ``render train|animate|evaluate``.

``render train [Hydra overrides]`` (config in ``render/conf``), e.g.
``render train model=keypoint data.videos=my_videos/``; ``render animate`` and ``render
evaluate`` take ordinary options (``--help``).
"""

from __future__ import annotations

import argparse
import logging
import sys

from render.errors import RenderError

COMMANDS = {
    "train": "Train a renderer on a video or folder of videos (Hydra overrides, e.g. model=keypoint data.videos=DIR).",
    "animate": "Reference image + motion (motiongen output folder or landmark file) -> MP4 with the speech.",
    "evaluate": "Score a trained renderer on the held-out frames of videos (PSNR, SSIM, L1, flicker, landmarks).",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="render", description="Neural avatar renderer driven by motiongen motion.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = sub.add_parser("train", help=COMMANDS["train"], description=COMMANDS["train"])
    train.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model=diffusion data.videos=videos/ trainer.max_steps=500")
    animate = sub.add_parser("animate", help=COMMANDS["animate"], description=COMMANDS["animate"])
    from render.commands import animate_arguments, evaluate_arguments

    animate_arguments(animate)
    evaluate = sub.add_parser("evaluate", help=COMMANDS["evaluate"], description=COMMANDS["evaluate"])
    evaluate_arguments(evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from render import commands

    try:
        return int(getattr(commands, f"run_{args.command}")(args) or 0)
    except RenderError as err:
        print(f"render {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Argument parsing and dispatch of the ``render`` sub-commands (heavy imports deferred)."""

from __future__ import annotations

import argparse
import json


def run_train(args: argparse.Namespace) -> int:
    from render.config import compose
    from render.training.run import train

    summary = train(compose("train", args.overrides))
    print(json.dumps(summary, indent=2))
    return 0


def animate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", required=True, help="reference image (PNG/JPEG) or a video whose first frame is used")
    parser.add_argument("--motion", required=True, help="motiongen output folder (motion.npz) or a landmark file (.npz)")
    parser.add_argument("--checkpoint", required=True, help="trained renderer checkpoint (render train)")
    parser.add_argument("--audio", help="speech to mux into the video (default: the audio named in the motion folder, if any)")
    parser.add_argument("--out", required=True, help="output MP4")
    parser.add_argument("--frame", type=int, default=0, help="frame of --image to use when it is a video")
    parser.add_argument("--steps", type=int, default=20, help="DDIM steps (diffusion renderer)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def run_animate(args: argparse.Namespace) -> int:
    from render.animate import animate_from_args

    animate_from_args(args)
    return 0


def evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="trained renderer checkpoint")
    parser.add_argument("--videos", required=True, help="video file or folder; every --holdout-every-th frame is scored")
    parser.add_argument("--holdout-every", type=int, default=8)
    parser.add_argument("--cache-dir", default="render_cache", help="where landmarks of the videos are cached")
    parser.add_argument("--json", help="also write the scores to this JSON file")


def run_evaluate(args: argparse.Namespace) -> int:
    from render.evaluate import evaluate_from_args

    scores = evaluate_from_args(args)
    print(json.dumps(scores, indent=2))
    return 0

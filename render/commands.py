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
    parser.add_argument("--image", required=True, help="reference image (PNG/JPEG) or a video (see --frame)")
    parser.add_argument("--motion", required=True, help="motiongen output folder (motion.bvh + motion.npz) or a landmark .npz")
    parser.add_argument("--checkpoint", required=True, help="trained renderer checkpoint (from render train)")
    parser.add_argument("--audio", help="speech to mux (default: the speech named in the motion folder's metadata.json)")
    parser.add_argument("--out", required=True, help="output .mp4")
    parser.add_argument("--frame", type=int, default=0, help="frame of --image when it is a video")
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
    parser.add_argument("--cache-dir", default="render_cache", help="where the videos' landmarks are cached")
    parser.add_argument("--steps", type=int, default=20, help="DDIM steps (diffusion renderer)")
    parser.add_argument("--redetect", action="store_true", help="also re-detect landmarks on the rendered frames (MediaPipe)")
    parser.add_argument("--json", help="also write the scores to this JSON file")


def run_evaluate(args: argparse.Namespace) -> int:
    from render.evaluate import evaluate_from_args

    print(json.dumps(evaluate_from_args(args), indent=2))
    return 0

"""Argument parsing and dispatch of the ``render`` sub-commands (heavy imports deferred)."""

from __future__ import annotations

import argparse
import json


def run_train(args: argparse.Namespace) -> int:
    from render.config import compose
    from render.training.run import train

    from render.evaluate import summary_table

    summary = train(compose("train", args.overrides))
    print(json.dumps(summary, indent=2))
    if "evaluation" in summary:
        print(summary_table(summary["evaluation"]))
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
    parser.add_argument("--no-hand-path", action="store_true",
                        help="render the hands with the body renderer only (ignore the checkpoint's hand path)")
    parser.add_argument("--hands-to-camera", type=float, default=1.0,
                        help="fraction (0-1) of the turn of the motion's hands towards the camera, so they are drawn "
                        "at full length, palm or back facing the viewer (default 1; 0: as the motion projects them)")
    parser.add_argument("--hand-exemplars", help="a video of the person (e.g. the renderer's training video): its "
                        "hands, found by MediaPipe, are warped onto the driving hands and pasted over the rendered ones")
    parser.add_argument("--report", help="also re-detect the rendered frames (MediaPipe) and write the check "
                        "(parts found, lip gap vs jawOpen and speech) to this .json file")


def run_animate(args: argparse.Namespace) -> int:
    from render.animate import animate_from_args

    animate_from_args(args)
    return 0


def evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="trained renderer checkpoint")
    parser.add_argument("--videos", required=True, help="video file or folder; its held-out splits are scored")
    parser.add_argument("--holdout-every", type=int, default=8, help="interpolation split: every n-th frame (0: none)")
    parser.add_argument("--holdout-tail", type=float, default=0.2, help="contiguous split: the last fraction of each video (0: none)")
    parser.add_argument("--lpips-weights", help="torchvision AlexNet state dict (.pth) for LPIPS (not bundled; without it no LPIPS)")
    parser.add_argument("--cache-dir", default="render_cache", help="where the videos' landmarks are cached")
    parser.add_argument("--steps", type=int, default=20, help="DDIM steps (diffusion renderer)")
    parser.add_argument("--redetect", action="store_true", help="also re-detect landmarks on the rendered frames "
                        "(MediaPipe: parts found, errors, lip sync)")
    parser.add_argument("--json", help="also write the scores to this JSON file")


def run_evaluate(args: argparse.Namespace) -> int:
    from render.evaluate import evaluate_from_args, summary_table

    result = evaluate_from_args(args)
    print(json.dumps(result, indent=2))
    print(summary_table(result))
    return 0

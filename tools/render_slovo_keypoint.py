"""Train the keypoint renderer on the Slovo sample video and compare it with copying the reference.

Every 8th frame is held out; the script prints the held-out PSNR and SSIM of the renderer and of
the copy-the-reference-frame baseline, the training speed and the rendering speed (frames/s of
rendering the whole video), with the machine load. Defaults: the `slovo_keypoint_cpu` experiment
(a few minutes on a CPU).

    python tools/render_slovo_keypoint.py [--minutes 5] [--steps 600] [--threads 1] [--out runs/slovo-keypoint]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VIDEO_DIR = REPO.parent / "shared" / "data" / "slovo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", default=str(VIDEO_DIR))
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="runs/slovo-keypoint")
    args = parser.parse_args()

    import torch

    from render.config import compose
    from render.evaluate import evaluate
    from render.training.run import train

    torch.set_num_threads(args.threads)
    cfg = compose("train", ["experiment=slovo_keypoint_cpu", f"data.videos={args.videos}", f"out_dir={args.out}",
                            f"trainer.max_minutes={args.minutes}", f"trainer.max_steps={args.steps}",
                            f"trainer.threads={args.threads}"])
    load = os.getloadavg()
    started = time.perf_counter()
    summary = train(cfg)
    seconds = time.perf_counter() - started
    scores = evaluate(Path(args.out) / "checkpoints" / "last.ckpt", args.videos, cache_dir=cfg.data.cache_dir)
    rendering = _render_speed(Path(args.out) / "checkpoints" / "last.ckpt", cfg)
    held = summary["held_out"]
    print(json.dumps({"evaluate": scores["mean"]}, indent=2))
    print(f"machine load (1/5/15 min) at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(f"training: {summary['steps']} steps x batch {cfg.model.batch_size} in {seconds:.0f} s "
          f"(incl. landmark extraction on the first run) = {summary['steps'] * cfg.model.batch_size / seconds:.2f} frames/s")
    print(f"held-out frames: {summary['held_out_frames']}")
    print(f"keypoint renderer  PSNR {held['psnr']:.2f} dB  SSIM {held['ssim']:.4f}  L1 {held['l1']:.4f}")
    print(f"copy the reference PSNR {held['baseline_psnr']:.2f} dB  SSIM {held['baseline_ssim']:.4f}  L1 {held['baseline_l1']:.4f}")
    print(f"flicker (whole video): {scores['mean']['flicker']:.4f}")
    print(f"rendering: {rendering:.1f} frames/s at {cfg.data.image_size[0]}x{cfg.data.image_size[1]} ({args.threads} thread(s))")


def _render_speed(checkpoint: Path, cfg) -> float:
    from render.data.videos import find_videos, prepare_video
    from render.inference import LoadedRenderer

    renderer = LoadedRenderer(checkpoint)
    clip = prepare_video(find_videos(cfg.data.videos)[0], Path(cfg.data.cache_dir), renderer.height, renderer.width)
    started = time.perf_counter()
    renderer.render(clip.frames[clip.reference], clip.landmarks[clip.reference, :, :2], clip.landmarks[..., :2])
    return len(clip.frames) / (time.perf_counter() - started)


if __name__ == "__main__":
    main()

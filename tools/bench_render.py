"""Training and rendering speed of both renderers on synthetic inputs (no data needed).

Keypoint renderer at the `keypoint` config (128 x 72 frames); diffusion renderer at the `diffusion`
(tiny, pixel space) config with its frame size. Prints training frames/s (forward + backward +
Adam step), rendering frames/s (keypoint: one pass; diffusion: DDIM with --ddim-steps, per-frame
and with stage-2 temporal windows) and the machine load.

    python tools/bench_render.py [--threads 1] [--steps 5] [--ddim-steps 20] [--frames 16]
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from omegaconf import OmegaConf


def _timed(fn, repeat: int) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--ddim-steps", type=int, default=20)
    parser.add_argument("--frames", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from render.config import compose
    from render.models.diffusion.build import build_motion_adapter, build_renderer, build_schedulers
    from render.models.diffusion.objective import diffusion_loss, sample_video
    from render.models.keypoint import KeypointRenderer

    print(f"machine load (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"{args.threads} torch thread(s)")
    cfg = compose("train", ["model=keypoint", "data.videos=unused"])
    height, width = cfg.data.image_size
    batch, keypoints = cfg.model.batch_size, 108
    model = KeypointRenderer(keypoints, **OmegaConf.to_container(cfg.model.network))
    optimiser = torch.optim.Adam(model.parameters())
    images = torch.rand(batch, 3, height, width)
    kp = torch.rand(batch, keypoints, 2) * 2 - 1
    valid = torch.ones(batch, keypoints, dtype=torch.bool)

    def keypoint_step():
        loss = model(images, kp, kp + 0.05, valid, images)["prediction"].mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    seconds = _timed(keypoint_step, args.steps)
    print(f"keypoint  train : {batch / seconds:7.2f} frames/s ({seconds:.3f} s per batch of {batch}, {height}x{width})")
    frames = torch.rand(args.frames, 3, height, width)
    kp16 = torch.rand(args.frames, keypoints, 2) * 2 - 1
    with torch.no_grad():
        seconds = _timed(lambda: model(frames[:1].expand_as(frames), kp16[:1].expand_as(kp16), kp16,
                                       torch.ones(args.frames, keypoints, dtype=torch.bool), frames), 2)
    print(f"keypoint  render: {args.frames / seconds:7.2f} frames/s")

    dcfg = OmegaConf.to_container(compose("train", ["model=diffusion", "data.videos=unused"]).model, resolve=True)
    size = dcfg["unet"]["sample_size"]
    renderer = build_renderer(dcfg)
    ddpm, ddim = build_schedulers(dcfg)
    optimiser = torch.optim.AdamW(renderer.trainable_parameters())
    target = torch.rand(dcfg["batch_size"], 3, size, size)

    def diffusion_step():
        loss = diffusion_loss(renderer, ddpm, target, target, target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    seconds = _timed(diffusion_step, args.steps)
    print(f"diffusion train : {dcfg['batch_size'] / seconds:7.2f} frames/s (stage 1, {size}x{size} pixel space, tiny)")
    pose = torch.rand(args.frames, 3, size, size)
    with torch.no_grad():
        seconds = _timed(lambda: sample_video(renderer, ddim, target[0], pose, args.ddim_steps, dcfg["window"], dcfg["overlap"]), 1)
    print(f"diffusion render: {args.frames / seconds:7.2f} frames/s (per-frame denoiser, DDIM {args.ddim_steps})")
    renderer.add_temporal_modules(build_motion_adapter(dcfg, renderer))
    with torch.no_grad():
        seconds = _timed(lambda: sample_video(renderer, ddim, target[0], pose, args.ddim_steps, dcfg["window"], dcfg["overlap"]), 1)
    print(f"diffusion render: {args.frames / seconds:7.2f} frames/s (temporal modules, window {dcfg['window']}, DDIM {args.ddim_steps})")


if __name__ == "__main__":
    main()

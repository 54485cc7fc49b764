"""Training and rendering speed and peak memory of the renderers on synthetic inputs (no data needed).

Keypoint renderer with its face and hand paths at the sizes of the shipped experiments —
``slovo_keypoint_cpu`` (256 x 144 body, 128 x 128 face crops, 64 x 64 hand crops, output 512 x 288)
and ``keypoint_gpu`` (768 x 432 body, 256 x 256 face, 128 x 128 hands, output 1536 x 864; timed
here on the CPU) — each in its own process so the peak resident memory is that size's: training
frames/s (forward + backward + Adam step of a batch: body, face and both hands) and rendering
frames/s of :class:`render.inference.Renderer` end to end (drawing the conditions, body, face and
hand crops, blend back). Then the diffusion renderer at the
``diffusion`` (tiny, pixel space) config: training frames/s and DDIM rendering frames/s. Prints the
machine load with every figure.

    python tools/bench_render.py [--threads 2] [--steps 3] [--frames 16] [--ddim-steps 20] [--skip-diffusion]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from omegaconf import OmegaConf

from docs_section import add_docs_flag, recorded

EXPERIMENTS = {"slovo_keypoint_cpu": [], "keypoint_gpu": ["trainer=cpu"]}


def _timed(fn, repeat: int) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def synthetic_landmarks(count: int, seed: int = 0) -> np.ndarray:
    """``(count, 543, 2)`` normalised landmarks of a plausible upright person (face, body, hands)."""
    from motiongen.core.holistic_layout import PART_SLICES

    rng = np.random.default_rng(seed)
    landmarks = np.empty((count, 543, 2))
    landmarks[:, PART_SLICES["pose"]] = rng.uniform([0.3, 0.15], [0.7, 0.9], (count, 33, 2))
    landmarks[:, PART_SLICES["face"]] = rng.uniform([0.42, 0.1], [0.58, 0.22], (count, 468, 2))
    for part, x in (("left_hand", 0.65), ("right_hand", 0.35)):
        landmarks[:, PART_SLICES[part]] = rng.uniform([x - 0.05, 0.45], [x + 0.05, 0.55], (count, 21, 2))
    return landmarks


def keypoint_bench(experiment: str, steps: int, frames: int, threads: int) -> dict:
    """Figures of the keypoint renderer at ``experiment``'s sizes (run in a fresh process)."""
    torch.set_num_threads(threads)
    from render.conditioning.keypoints import face_keypoint_indices, hand_keypoint_indices, keypoint_indices
    from render.config import compose
    from render.inference import Renderer
    from render.training.keypoint_module import KeypointModule
    from render.training.run import face_network, hand_network

    cfg = compose("train", [f"experiment={experiment}", "data.videos=unused", *EXPERIMENTS[experiment]])
    height, width = cfg.data.image_size
    face_size, hand_size, batch = cfg.data.face_size, cfg.data.hand_size, cfg.model.batch_size
    hand_k = len(hand_keypoint_indices())
    body_k, face_k = len(keypoint_indices(cfg.data.face_stride)), len(face_keypoint_indices(cfg.model.face.keypoint_stride))
    face = cfg.model.face
    mouth_channel = bool(face.get("mouth_channel"))
    module = KeypointModule(dict(OmegaConf.to_container(cfg.model.network), num_keypoints=body_k),
                            face_network=face_network(face, face_k), mouth_weight=face.get("mouth_weight", 0.0),
                            hand_network=hand_network(cfg.model.hands, hand_k))
    optimiser = module.configure_optimizers()

    def images(size_h, size_w, channels=3, rows=batch):
        return torch.rand(rows, channels, size_h, size_w)

    def kp(k, rows=batch):
        return torch.rand(rows, k, 2) * 2 - 1

    train_batch = {"source": images(height, width), "target": images(height, width), "condition": images(height, width),
                   "source_kp": kp(body_k), "driving_kp": kp(body_k), "valid": torch.ones(batch, body_k, dtype=torch.bool),
                   "face_source": images(face_size, face_size), "face_target": images(face_size, face_size),
                   "face_condition": images(face_size, face_size, 4 if mouth_channel else 3), "face_source_kp": kp(face_k), "face_driving_kp": kp(face_k),
                   "face_valid": torch.ones(batch, face_k, dtype=torch.bool), "face_present": torch.ones(batch, dtype=torch.bool),
                   "face_mouth": images(face_size, face_size, 1).round(),
                   "hand_source": images(hand_size, hand_size, rows=2 * batch), "hand_target": images(hand_size, hand_size, rows=2 * batch),
                   "hand_condition": images(hand_size, hand_size, rows=2 * batch), "hand_source_kp": kp(hand_k, 2 * batch),
                   "hand_driving_kp": kp(hand_k, 2 * batch), "hand_valid": torch.ones(2 * batch, hand_k, dtype=torch.bool),
                   "hand_present": torch.ones(2 * batch, dtype=torch.bool)}
    module.log_dict = lambda *args, **kwargs: None

    def train_step():
        loss = module.training_step(train_batch, 0)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    train_seconds = _timed(train_step, steps)
    info = {"kind": "keypoint", "image_size": [height, width], "face_stride": cfg.data.face_stride,
            "face": {"size": face_size, "box_scale": cfg.data.face_box_scale, "keypoint_stride": cfg.model.face.keypoint_stride,
                     "output_scale": cfg.model.face.output_scale, "mouth_channel": mouth_channel},
            "hands": {"size": hand_size, "box_scale": cfg.data.hand_box_scale}}
    renderer = Renderer(module, info)
    reference = (np.random.default_rng(1).random((1280, 720, 3)) * 255).astype(np.uint8)
    driving = synthetic_landmarks(frames + 1)
    render_seconds = _timed(lambda: renderer.render(reference, driving[0], driving[1:]), 1)
    out_h, out_w = renderer.output_size(reference.shape[:2])
    return {"experiment": experiment, "body": f"{height}x{width}", "face": f"{face_size}x{face_size}", "hands": f"{hand_size}x{hand_size}",
            "output": f"{out_h}x{out_w}",
            "train_frames_per_second": batch / train_seconds, "render_frames_per_second": frames / render_seconds,
            "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "load": _load()}


def diffusion_bench(steps: int, frames: int, ddim_steps: int) -> None:
    from render.config import compose
    from render.models.diffusion.build import build_motion_adapter, build_renderer, build_schedulers
    from render.models.diffusion.objective import diffusion_loss, sample_video

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

    seconds = _timed(diffusion_step, steps)
    print(f"diffusion train : {dcfg['batch_size'] / seconds:7.2f} frames/s (stage 1, {size}x{size} pixel space, tiny; load {_load()})")
    pose = torch.rand(frames, 3, size, size)
    with torch.no_grad():
        seconds = _timed(lambda: sample_video(renderer, ddim, target[0], pose, ddim_steps, dcfg["window"], dcfg["overlap"]), 1)
    print(f"diffusion render: {frames / seconds:7.2f} frames/s (per-frame denoiser, DDIM {ddim_steps}; load {_load()})")
    renderer.add_temporal_modules(build_motion_adapter(dcfg, renderer))
    with torch.no_grad():
        seconds = _timed(lambda: sample_video(renderer, ddim, target[0], pose, ddim_steps, dcfg["window"], dcfg["overlap"]), 1)
    print(f"diffusion render: {frames / seconds:7.2f} frames/s (temporal modules, window {dcfg['window']}, DDIM {ddim_steps}; "
          f"load {_load()})")


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    print(f"machine load (1/5/15 min) at start: {_load()}; {args.threads} torch thread(s)")
    for experiment in args.experiments:
        command = [sys.executable, __file__, "--child", experiment, "--steps", str(args.steps), "--frames", str(args.frames),
                   "--threads", str(args.threads)]
        figures = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print(f"keypoint {figures['experiment']:18} body {figures['body']:8} face {figures['face']:8} hands {figures['hands']:8} "
              f"output {figures['output']:9}: "
              f"train {figures['train_frames_per_second']:6.2f} frames/s, render {figures['render_frames_per_second']:6.2f} frames/s, "
              f"peak memory {figures['peak_memory_mb']:6.0f} MB (load {figures['load']})")
    if not args.skip_diffusion:
        torch.set_num_threads(args.threads)
        diffusion_bench(args.steps, args.frames, args.ddim_steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--ddim-steps", type=int, default=20)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--experiments", nargs="*", default=list(EXPERIMENTS))
    parser.add_argument("--skip-diffusion", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    add_docs_flag(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(keypoint_bench(args.child, args.steps, args.frames, args.threads)))
        return
    with recorded("bench_render.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

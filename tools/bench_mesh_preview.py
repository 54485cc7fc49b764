"""Frames per second of the SMPL-X mesh preview (two 480 x 480 panels per frame).

Usage: python tools/bench_mesh_preview.py [--seconds 4] [--smplx-model FOLDER] [--threads 1]

Without ``--smplx-model`` a synthetic model file with the real SMPL-X sizes (10 475 vertices,
20 908 faces) is written to a temporary folder. Prints the time per stage: posing the mesh with
``smplx`` (linear blend skinning), rasterising and shading, and the full MP4 write (with H.264 and
AAC encoding), each as frames per second.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from motiongen.core.smplx_skeleton import NUM_FLAME_EXPRESSIONS, NUM_SMPLX_BETAS, NUM_SMPLX_JOINTS
from motiongen.export.mesh_preview import body_vertices, load_smplx_body, render_mesh_frames, write_mesh_preview
from motiongen.formats.smplx_model import write_synthetic_smplx_model
from motiongen.formats.smplx_motion import SmplxMotion


def _motion(frames: int, fps: float) -> SmplxMotion:
    rng = np.random.default_rng(0)
    time_s = np.arange(frames) / fps
    rate = rng.uniform(0.3, 1.5, (NUM_SMPLX_JOINTS, 3))
    poses = 0.15 * np.sin(2 * np.pi * rate * time_s[:, None, None])
    expressions = np.sin(2 * np.pi * rng.uniform(0.2, 2, NUM_FLAME_EXPRESSIONS) * time_s[:, None])
    trans = np.stack([0.03 * np.sin(time_s), 0 * time_s, 0 * time_s], 1)
    return SmplxMotion(poses=poses.reshape(frames, -1), expressions=expressions, trans=trans,
                       betas=np.zeros(NUM_SMPLX_BETAS), fps=fps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--smplx-model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fps = 30.0
    frames = int(args.seconds * fps)
    motion = _motion(frames, fps)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.smplx_model or write_synthetic_smplx_model(Path(tmp) / "model").parent
        body = load_smplx_body(folder)
        start = time.perf_counter()
        vertices, joints = body_vertices(body, motion)
        pose_s = time.perf_counter() - start
        start = time.perf_counter()
        for _ in render_mesh_frames(vertices, body.faces, joints[:, 15]):
            pass
        draw_s = time.perf_counter() - start
        wave = 0.1 * np.sin(2 * np.pi * 220 * np.arange(int(args.seconds * 16000)) / 16000).astype(np.float32)
        start = time.perf_counter()
        write_mesh_preview(Path(tmp) / "bench.mp4", motion, body, audio=(wave, 16000))
        total_s = time.perf_counter() - start
    load = os.getloadavg()[0]
    print(f"{frames} frames at 960x480, {args.threads} thread(s), load average {load:.1f}: "
          f"posing {frames / pose_s:.1f} frames/s, rasterising {frames / draw_s:.1f} frames/s, "
          f"full MP4 write {frames / total_s:.1f} frames/s ({args.seconds / total_s:.2f}x real time)")


if __name__ == "__main__":
    main()

"""Time the preview renderer on a 20 s clip (600 frames at 30 fps) of procedural motion.

Usage: python tools/bench_preview.py [--seconds 20]
Prints the wall time of drawing alone and of the full MP4 write (drawing + H.264/AAC encoding).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from motiongen.core.kinematics import local_rotation_matrices
from motiongen.export.preview import render_frames, write_preview
from motiongen.core.kinematics import forward_kinematics
from motiongen.skeletons import load_beat75_template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    fps = 30.0
    frames = int(args.seconds * fps)
    template = load_beat75_template()
    skeleton = template.skeleton
    rng = np.random.default_rng(0)
    time_s = np.arange(frames) / fps
    euler = np.repeat(template.euler_deg, frames, axis=0)
    for axis in range(3):
        euler[:, 1:, axis] += 8 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0, skeleton.num_joints - 1) * time_s[:, None])
    root = np.repeat(template.root_translation, frames, axis=0)
    weights = rng.uniform(0, 0.6, (frames, 52)).astype(np.float32)
    wave = 0.1 * np.sin(2 * np.pi * 220 * np.arange(int(args.seconds * 16000)) / 16000).astype(np.float32)

    positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root)
    start = time.perf_counter()
    for _ in render_frames(positions, skeleton.parents, skeleton.names, weights):
        pass
    draw_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_preview(Path(tmp) / "bench.mp4", skeleton, euler, root, weights, fps, audio=(wave, 16000))
        total_s = time.perf_counter() - start
    print(f"{frames} frames ({args.seconds:.0f} s at 30 fps): drawing {draw_s:.2f} s "
          f"({1000 * draw_s / frames:.1f} ms/frame), full MP4 write {total_s:.2f} s "
          f"({args.seconds / total_s:.1f}x real time)")


if __name__ == "__main__":
    main()

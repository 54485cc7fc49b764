"""Benchmark: reading a BVH into axis-angle + world positions, against bvhio and the parsing floor.

Usage (from the repository root)::

    /work/venv/bin/python tools/bench_bvh.py [path/to/file.bvh] [--repeats 7]

Times, side by side in one run (best of ``--repeats``; bvhio once per ``--bvhio-repeats``):

* bvhio: ``bvhio.readAsHierarchy`` + the world position of every joint in every frame. bvhio
  loops forever on a file whose ``Frames:`` header promises more rows than it holds (the BEAT
  sample does), so it reads a temporary copy whose header states the rows actually present.
* motiongen: ``read_bvh`` + every joint to axis-angle + forward kinematics for every frame.
* floor: read the file and parse only the motion block's numbers into a float array, with the
  fastest of three plain numeric parsers (``np.loadtxt``, ``np.fromstring(sep=" ")``,
  ``np.array(text.split(), float)``).

Goals: motiongen >= 40x faster than bvhio and <= 2x the floor. Also prints the largest
difference between bvhio's and motiongen's positions as a correctness check.
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from motiongen.formats.bvh import read_bvh
from motiongen.core.kinematics import forward_kinematics
from motiongen.core.rotations import quaternion_to_axis_angle, quaternion_to_matrix

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "shared/data/beat/2_scott_0_1_1.bvh"


def motion_block(path: Path) -> str:
    """The text after the ``Frame Time:`` line (what every floor parser gets)."""
    text = path.read_bytes().decode("utf-8")
    start = text.index("Frame Time:")
    return text[text.index("\n", start) + 1:]


FLOOR_PARSERS = {
    "np.loadtxt": lambda path: np.loadtxt(motion_block(path).splitlines(), ndmin=2, comments=None),
    "np.fromstring": lambda path: np.fromstring(motion_block(path), sep=" "),
    "str.split+np.array": lambda path: np.array(motion_block(path).split(), dtype=np.float64),
}


def ours(path: Path) -> tuple[np.ndarray, np.ndarray]:
    motion = read_bvh(path, allow_truncated=True)
    quaternions = motion.local_quaternions()  # (F, J, 4), shared by both outputs
    axis_angle = quaternion_to_axis_angle(quaternions).reshape(motion.num_frames, -1)
    positions = forward_kinematics(motion.skeleton, quaternion_to_matrix(quaternions),
                                   motion.root_translation)
    return axis_angle, positions


def bvhio_positions(path: Path) -> np.ndarray:
    import bvhio

    root = bvhio.readAsHierarchy(str(path))
    joints = [joint for joint, _, _ in root.layout()]
    frames = root.getKeyframeRange()[1] + 1
    out = np.empty((frames, len(joints), 3))
    for frame in range(frames):
        root.loadPose(frame, recursive=True)
        for j, joint in enumerate(joints):
            out[frame, j] = tuple(joint.PositionWorld)
    return out


def header_fixed_copy(path: Path, frames: int, folder: Path) -> Path:
    """Copy of ``path`` whose ``Frames:`` line says ``frames`` (bvhio cannot read truncated files)."""
    text = path.read_text(encoding="utf-8")
    copy = folder / path.name
    copy.write_text(re.sub(r"(?m)^Frames:.*$", f"Frames: {frames}", text, count=1), encoding="utf-8")
    return copy


def best_time(function, path: Path, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(path)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--repeats", type=int, default=7, help="runs of the fast readers (best kept)")
    parser.add_argument("--bvhio-repeats", type=int, default=1, help="runs of bvhio (best kept)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    motion = read_bvh(args.path, allow_truncated=True)
    for message in motion.warnings:
        print(f"note: {message}")
    print(f"file: {args.path} ({motion.num_frames} frames x {motion.skeleton.num_joints} joints, "
          f"{motion.skeleton.num_channels} channels, {args.path.stat().st_size / 1e6:.1f} MB)")

    # The fast ones run interleaved so that load from other processes hits them alike.
    floor_times = {name: float("inf") for name in FLOOR_PARSERS}
    ours_time = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.fromstring(sep=...) is deprecated
        for _ in range(args.repeats):
            for name, parse in FLOOR_PARSERS.items():
                floor_times[name] = min(floor_times[name], best_time(parse, args.path, 1)[0])
            elapsed, (axis_angle, positions) = best_time(ours, args.path, 1)
            ours_time = min(ours_time, elapsed)
    with tempfile.TemporaryDirectory() as folder:
        bvhio_input = header_fixed_copy(args.path, motion.num_frames, Path(folder))
        bvhio_time, reference = best_time(bvhio_positions, bvhio_input, args.bvhio_repeats)

    floor_name = min(floor_times, key=floor_times.get)
    floor_time = floor_times[floor_name]
    print(f"{'floor parsers':40s}" + "  ".join(f"{n} {t * 1e3:.1f} ms" for n, t in floor_times.items()))
    print(f"{'(a) bvhio readAsHierarchy + world pos':40s}{bvhio_time * 1e3:10.1f} ms")
    print(f"{'(b) motiongen read + axis-angle + FK':40s}{ours_time * 1e3:10.1f} ms")
    print(f"{'(c) floor: ' + floor_name:40s}{floor_time * 1e3:10.1f} ms")
    speedup = bvhio_time / ours_time
    over_floor = ours_time / floor_time
    print(f"bvhio / motiongen = {speedup:.1f}x  (goal >= 40x: {'met' if speedup >= 40 else 'NOT met'})")
    print(f"motiongen / floor = {over_floor:.2f}x  (goal <= 2x: {'met' if over_floor <= 2 else 'NOT met'})")
    print(f"axis-angle {axis_angle.shape}; max |position difference| vs bvhio = "
          f"{np.abs(positions - reference).max():.2e} cm")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

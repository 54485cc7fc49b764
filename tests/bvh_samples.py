"""Format-exact synthetic BVH files for the BVH, kinematics and joint-set tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# A small hierarchy exercising what real files contain: a 6-channel root, Euler orders other than
# XYZ, position channels on a non-root joint, a joint with only two rotation channels, branches,
# End Sites. Line numbers matter to the tests: line 1 is HIERARCHY.
HIERARCHY = """HIERARCHY
ROOT Hips
{
\tOFFSET 1.0 2.0 3.0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT Spine
\t{
\t\tOFFSET 0.0 10.0 0.0
\t\tCHANNELS 3 Xrotation Yrotation Zrotation
\t\tJOINT Head
\t\t{
\t\t\tOFFSET 0.0 5.0 1.0
\t\t\tCHANNELS 6 Xposition Yposition Zposition Yrotation Zrotation Xrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0.0 3.0 0.0
\t\t\t}
\t\t}
\t\tJOINT Arm
\t\t{
\t\t\tOFFSET -4.0 8.0 0.0
\t\t\tCHANNELS 2 Zrotation Xrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET -6.0 0.0 0.0
\t\t\t}
\t\t}
\t}
\tJOINT Leg
\t{
\t\tOFFSET 2.0 -9.0 0.0
\t\tCHANNELS 3 Yrotation Xrotation Zrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0.0 -8.0 0.0
\t\t}
\t}
}
"""
NAMES = ["Hips", "Spine", "Head", "Arm", "Leg"]
PARENTS = [-1, 0, 1, 1, 0]
ORDERS = ["ZXY", "XYZ", "YZX", "ZXY", "YXZ"]
WIDTH = 6 + 3 + 6 + 2 + 3
MOTION_LINE = HIERARCHY.count("\n") + 1  # 1-based line of "MOTION"
FIRST_ROW_LINE = MOTION_LINE + 3


def random_rows(frames: int, seed: int = 0) -> np.ndarray:
    """``(frames, WIDTH)`` channel values: translations in cm, angles in degrees (Arm's 2)."""
    rng = np.random.default_rng(seed)
    rows = rng.uniform(-170.0, 170.0, size=(frames, WIDTH))
    rows[:, :3] = rng.uniform(-50.0, 50.0, size=(frames, 3))
    rows[:, 9:12] = rng.uniform(-2.0, 2.0, size=(frames, 3))  # Head translation
    return rows


def bvh_text(rows: np.ndarray, declared: int | None = None, frame_time: str = "0.008333") -> str:
    """Full BVH text: the hierarchy above plus ``rows`` (declared frame count defaults to len)."""
    declared = len(rows) if declared is None else declared
    body = "\n".join(" ".join(f"{value:.6f}" for value in row) for row in rows)
    return f"{HIERARCHY}MOTION\nFrames: {declared}\nFrame Time: {frame_time}\n{body}\n"


def write_text(folder: Path, text: str, name: str = "take.bvh") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def header_fixed_copy(source: Path, folder: Path, frames: int) -> Path:
    """First ``frames`` rows of a (possibly truncated) BVH with a matching ``Frames:`` header."""
    lines = source.read_text(encoding="utf-8").splitlines()
    motion = lines.index("MOTION")
    kept = lines[:motion + 1] + [f"Frames: {frames}", lines[motion + 2]] + lines[motion + 3:motion + 3 + frames]
    path = folder / f"first{frames}_{source.name}"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path

"""Reading a motiongen generation folder for rendering: joint positions, head rotation, ARKit weights.

A generation folder (declared in :mod:`motiongen.core.output_folder`) holds ``motion.bvh`` (the
full skeleton with the generated rotations, at the output frame rate), ``motion.npz`` (a motion
file of the declared format: blocks by representation) and ``metadata.json`` (which names the
speech). The first sample is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motiongen.formats.arkit import ARKIT_NAMES
from render.errors import RenderError


@dataclass
class RenderMotion:
    """Motion ready for retargeting.

    Attributes:
        positions: ``(F, J, 3)`` global joint positions in cm (BVH world, y up).
        rotations: ``(F, J, 3, 3)`` global joint rotations.
        joint_names: the ``J`` joint names.
        weights: ``(F, 52)`` ARKit weights in ``ARKIT_NAMES`` order.
        fps: frames per second.
        audio: the speech the motion was generated from
            (:meth:`~motiongen.core.output_folder.OutputFolder.speech`: the audio input named in
            ``metadata.json`` when it exists, else the folder's ``preview.mp4``, else None).
    """

    positions: np.ndarray
    rotations: np.ndarray
    joint_names: list[str]
    weights: np.ndarray
    fps: float
    audio: Path | None = None


def _face_weights(npz_path: Path) -> tuple[np.ndarray, float]:
    """First sample's ARKit weights ``(F, 52)`` in ``ARKIT_NAMES`` order and their frame rate.

    The face is the motion file's block whose representation is ARKit weights (read with
    :func:`motiongen.core.motion_file.read_motion_file`; block names are not assumed).
    """
    from motiongen.core.errors import MotiongenError
    from motiongen.core.motion_file import read_motion_file
    from motiongen.core.motion_format import Representation

    try:
        motion_file = read_motion_file(npz_path)
    except MotiongenError as error:
        raise RenderError(str(error)) from error
    faces = [block for block in motion_file.format.blocks if block.representation == Representation.ARKIT_WEIGHTS]
    if not faces:
        found = ", ".join(f"{block.name} ({block.representation.value})" for block in motion_file.format.blocks)
        raise RenderError(f"{npz_path}: motion file has no ARKit blendshape block (blocks: {found})")
    block = faces[0]
    absent = [name for name in ARKIT_NAMES if name not in block.names]
    if absent:
        raise RenderError(f"{npz_path}: blendshape block {block.name!r} lacks {len(absent)} ARKit names, e.g. {absent[0]}")
    weights = motion_file.blocks[block.name][0][:, [block.names.index(name) for name in ARKIT_NAMES]]
    return weights.astype(np.float64), float(motion_file.format.fps)


def _resample(values: np.ndarray, fps: float, num_frames: int, target_fps: float) -> np.ndarray:
    """``(F, C)`` curves at ``fps`` → ``num_frames`` frames at ``target_fps`` (linear, held at the ends)."""
    if len(values) == num_frames and fps == target_fps:
        return values
    times = np.arange(num_frames) / target_fps
    position = np.clip(times * fps, 0, len(values) - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(values) - 1)
    weight = (position - low)[:, None]
    return values[low] * (1 - weight) + values[high] * weight


def read_generation_folder(folder: str | Path) -> RenderMotion:
    """Read a motiongen output folder (or its ``motion.npz``): the body from ``motion.bvh``, the
    face from the motion file's ARKit block (resampled to the BVH's frame rate).

    Raises:
        RenderError: the folder lacks ``metadata.json``/``motion.bvh``/``motion.npz``, or the motion
            file has no ARKit blendshape block.
    """
    from motiongen.core.errors import InputFileError
    from motiongen.core.output_folder import read_output_folder

    try:
        output = read_output_folder(folder)
        bvh_path, npz_path = output.bvh, output.motion
    except InputFileError as error:
        raise RenderError(str(error)) from None
    weights, face_fps = _face_weights(npz_path)

    from motiongen.core.kinematics import forward_kinematics
    from motiongen.formats.bvh import read_bvh

    bvh = read_bvh(bvh_path)
    positions, rotations = forward_kinematics(bvh.skeleton, bvh.local_rotations(), bvh.root_translation,
                                              bvh.joint_translations, return_rotations=True)
    weights = _resample(weights, face_fps, len(positions), bvh.fps)
    return RenderMotion(positions, rotations, list(bvh.skeleton.names), weights, bvh.fps, output.speech())

"""SMPL-X output (``smplx.npz``, BEAT2/EMAGE layout) from generated motion of any declared format.

Two sources of body pose, chosen from the motion format:

* a joint-rotation block (axis-angle or 6-D) over SMPL-X joint names (a BEAT2-trained model):
  those joints are written, the others stay at the rest pose (zero rotation);
* a joint-rotation block over the joints of the format's BVH skeleton (a BEAT-trained model):
  the full skeleton pose (generated joints + the template's rest angles for the others) is
  retargeted onto SMPL-X (:mod:`motiongen.export.smplx_retarget`, limits stated there), with the
  jaw following an ARKit ``jawOpen`` channel when the format has one.

FLAME expressions come from a 100-coefficient block when there is one (else zeros); the root
translation from a 3-D position block (metres) for SMPL-X bodies, from retargeting for BVH ones.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import JOINT_ROTATIONS, MotionFormat, Representation
from motiongen.core.rotations import matrix_to_axis_angle, sixd_to_matrix
from motiongen.core.smplx_skeleton import NUM_FLAME_EXPRESSIONS, NUM_SMPLX_JOINTS, SMPLX_JOINT_NAMES, smplx_joint_indices
from motiongen.export.smplx_retarget import BEAT_TO_SMPLX, retarget_bvh_to_smplx
from motiongen.formats.smplx_motion import SmplxMotion


def _axis_angle(block, values: np.ndarray) -> np.ndarray:
    """``(F, width)`` joint rotations of a block -> ``(F, K, 3)`` axis-angle radians."""
    frames = len(values)
    if block.representation == Representation.ROT6D:
        return matrix_to_axis_angle(sixd_to_matrix(values.reshape(frames, -1, 6)))
    return values.reshape(frames, -1, 3).astype(np.float64)


def _rotation_blocks(motion_format: MotionFormat):
    return [b for b in motion_format.blocks if b.representation in JOINT_ROTATIONS]


def smplx_source(motion_format: MotionFormat) -> str | None:
    """``"smplx"`` when a joint-rotation block names SMPL-X joints, ``"bvh"`` when one names joints
    of a skeleton template holding every BEAT joint of the retargeting name map, else None."""
    for block in _rotation_blocks(motion_format):
        if set(block.names) <= set(SMPLX_JOINT_NAMES):
            return "smplx"
    skeleton = motion_format.skeleton
    if skeleton is None or not set(BEAT_TO_SMPLX.values()) <= set(skeleton.skeleton.names):
        return None
    for block in _rotation_blocks(motion_format):
        if set(block.names) <= set(skeleton.skeleton.names):
            return "bvh"
    return None


def smplx_motion(motion_format: MotionFormat, blocks: Mapping[str, np.ndarray]) -> SmplxMotion:
    """SMPL-X + FLAME motion of one sample.

    Args:
        motion_format: the format the blocks follow.
        blocks: ``{block name: (F, width)}`` in the blocks' units (denormalised).

    Raises:
        ConfigError: the format has no joint-rotation block of SMPL-X joints or of its skeleton.
    """
    source = smplx_source(motion_format)
    if source is None:
        raise ConfigError("smplx.npz needs a joint-rotation block over SMPL-X joints or over the joints of the "
                          f"format's skeleton; this model's blocks are {', '.join(motion_format.block_names())}")
    frames = len(next(iter(blocks.values())))
    expressions = np.zeros((frames, NUM_FLAME_EXPRESSIONS), np.float32)
    trans = np.zeros((frames, 3), np.float32)
    jaw_open = None
    for block in motion_format.blocks:
        values = np.asarray(blocks[block.name], dtype=np.float32)
        if block.representation == Representation.COEFFICIENTS and block.width == NUM_FLAME_EXPRESSIONS:
            expressions = values
        elif block.representation == Representation.POSITION_3D and block.width == 3 and source == "smplx":
            trans = values
        elif block.representation == Representation.ARKIT_WEIGHTS and "jawOpen" in block.names:
            jaw_open = values[:, block.names.index("jawOpen")]
    if source == "smplx":
        block = next(b for b in _rotation_blocks(motion_format) if set(b.names) <= set(SMPLX_JOINT_NAMES))
        poses = np.zeros((frames, NUM_SMPLX_JOINTS, 3), np.float32)
        poses[:, smplx_joint_indices(block.names)] = _axis_angle(block, np.asarray(blocks[block.name]))
        return SmplxMotion(poses=poses.reshape(frames, -1), expressions=expressions, trans=trans,
                           fps=motion_format.fps)
    from motiongen.formats.joint_sets import axis_angle_to_euler

    template = motion_format.skeleton
    block = next(b for b in _rotation_blocks(motion_format) if set(b.names) <= set(template.skeleton.names))
    axis_angle = _axis_angle(block, np.asarray(blocks[block.name])).reshape(frames, -1)
    euler = axis_angle_to_euler(template.skeleton, axis_angle, list(block.names), template.rest_euler_deg)
    root = np.repeat(template.rest_root_translation[None], frames, axis=0)
    retargeted = retarget_bvh_to_smplx(template.skeleton, euler, root, jaw_open=jaw_open)
    return SmplxMotion(poses=retargeted.poses, expressions=expressions, trans=retargeted.trans,
                       fps=motion_format.fps)

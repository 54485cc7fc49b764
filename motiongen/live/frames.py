"""Generated motion in the shape engines consume: one :class:`FrameBatch` per generated chunk.

A batch holds ``L`` consecutive frames at the model's rate, computed once for every output (Live
Link Face, VMC, the browser view, the recording): the 52 ARKit weights, the head rotation, the
Unity humanoid bone rotations (:mod:`motiongen.live.humanoid`) and the BEAT joint positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.core.kinematics import forward_kinematics, local_rotation_matrices
from motiongen.core.motion_format import MotionFormat, Representation
from motiongen.core.rotations import matrix_to_axis_angle, sixd_to_matrix
from motiongen.export.registry import arkit_curves, needs_arkit, needs_skeleton_rotations, skeleton_blocks
from motiongen.formats.joint_sets import full_skeleton_euler
from motiongen.live.humanoid import HumanoidMap, head_yaw_pitch_roll, to_unity_position, to_unity_quaternion


@dataclass
class FrameBatch:
    """``L`` consecutive live frames.

    Attributes:
        start: index of the first frame since the session started (frame ``i`` is at ``i / fps`` s
            of the speech).
        fps: frame rate.
        arkit: ``(L, 52)`` float32 ARKit weights in ``ARKIT_NAMES`` order, in [0, 1].
        head: ``(L, 3)`` head yaw, pitch, roll in radians (:func:`~motiongen.live.humanoid.head_yaw_pitch_roll`).
        bone_rotations: ``(L, B, 4)`` Unity local quaternions ``(x, y, z, w)`` of ``bones``.
        bone_positions: ``(L, B, 3)`` Unity local positions in metres (the hips': its position).
        joint_positions: ``(L, J, 3)`` BEAT global joint positions in cm (the browser view).
        euler_deg / root_translation: ``(L, J, 3)`` / ``(L, 3)`` the full-skeleton BVH channels.
        blocks: ``{block: (L, width)}`` the generated blocks in units (what ``motion.npz`` stores).
    """

    start: int
    fps: float
    arkit: np.ndarray
    head: np.ndarray
    bone_rotations: np.ndarray
    bone_positions: np.ndarray
    joint_positions: np.ndarray
    euler_deg: np.ndarray
    root_translation: np.ndarray
    blocks: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.arkit)

    def times(self) -> np.ndarray:
        """``(L,)`` seconds of each frame in the speech."""
        return (self.start + np.arange(len(self))) / self.fps


class FrameBuilder:
    """Turns generated blocks (units, one sample) into :class:`FrameBatch` es for one motion format.

    Raises:
        ConfigError: the format lacks joint rotations on a skeleton or the 52 ARKit weights.
    """

    def __init__(self, fmt: MotionFormat):
        for reason in (needs_skeleton_rotations(fmt), needs_arkit(fmt)):
            if reason:
                raise ConfigError(f"live output needs body rotations and ARKit weights: {reason}")
        self.fmt = fmt
        self.template = fmt.skeleton
        self.skeleton = fmt.skeleton.skeleton
        self.humanoid = HumanoidMap.for_skeleton(self.skeleton)
        self.head_joint = self.skeleton.names.index("Head")

    @property
    def bones(self) -> tuple[str, ...]:
        return self.humanoid.bones

    def _axis_angle(self, blocks: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
        names, parts = [], []
        for block in skeleton_blocks(self.fmt):
            values = np.asarray(blocks[block.name], dtype=np.float64)
            if block.representation == Representation.ROT6D:
                values = matrix_to_axis_angle(sixd_to_matrix(values.reshape(len(values), -1, 6))).reshape(len(values), -1)
            names.extend(block.names)
            parts.append(values)
        return names, np.concatenate(parts, axis=1)

    def build(self, start: int, blocks: dict[str, np.ndarray]) -> FrameBatch:
        """Frames ``start ..`` from ``{block: (L, width)}`` in units."""
        names, axis_angle = self._axis_angle(blocks)
        euler, root = full_skeleton_euler(self.template, names, axis_angle)
        local = local_rotation_matrices(self.skeleton, euler)
        positions, global_rot = forward_kinematics(self.skeleton, local, root, return_rotations=True)
        bone_rot = self.humanoid.local_rotations(local)
        bone_pos = np.repeat(self.humanoid.offsets[None], len(euler), axis=0)
        hips = self.humanoid.bones.index("Hips") if "Hips" in self.humanoid.bones else None
        if hips is not None:
            bone_pos[:, hips] = root
        arkit = np.clip(arkit_curves(self.fmt, {k: v[None] for k, v in blocks.items()})[0], 0.0, 1.0)
        return FrameBatch(
            start=start, fps=self.fmt.fps, arkit=arkit.astype(np.float32),
            head=head_yaw_pitch_roll(global_rot[:, self.head_joint]),
            bone_rotations=to_unity_quaternion(bone_rot), bone_positions=to_unity_position(bone_pos),
            joint_positions=positions.astype(np.float32), euler_deg=euler, root_translation=root,
            blocks={k: np.asarray(v, dtype=np.float32) for k, v in blocks.items()},
        )

"""Forward kinematics: local joint rotations + root translation -> global joint positions."""

from __future__ import annotations

import numpy as np

from motiongen.formats.bvh import Skeleton


def depth_levels(parents: np.ndarray) -> list[np.ndarray]:
    """Group joints by depth in the tree: ``levels[d]`` holds the indices ``(k,)`` at depth ``d``.

    Requires every parent to precede its children (BVH file order), so one pass suffices.
    """
    parents = np.asarray(parents)
    depth = np.zeros(len(parents), dtype=np.int64)
    for joint in range(1, len(parents)):
        depth[joint] = depth[parents[joint]] + 1
    return [np.flatnonzero(depth == d) for d in range(int(depth.max(initial=0)) + 1)]


def forward_kinematics(skeleton: Skeleton, local_rotmats, root_translation,
                       joint_translations: dict[int, np.ndarray] | None = None,
                       return_rotations: bool = False):
    """Global joint positions for every frame at once.

    Each joint's global transform is its parent's global transform times its local one:
    ``G_j = G_parent @ [R_j | t_j]`` with ``t_j`` the joint's offset (or its translation channels).
    The work is vectorised over frames and over all joints of one tree depth; the only Python loop
    runs over the tree's depth levels (16 for BEAT's 75 joints).

    Args:
        skeleton: hierarchy with ``parents`` (J,) and ``offsets`` (J, 3) in cm.
        local_rotmats: ``(F, J, 3, 3)`` local rotation matrices (parent-from-child).
        root_translation: ``(F, 3)`` root position in cm.
        joint_translations: optional ``{j: (F, 3)}`` local translations replacing the offsets of
            non-root joints that carry position channels (``BvhMotion.joint_translations``).
        return_rotations: also return the global rotations ``(F, J, 3, 3)``.

    Returns:
        ``(F, J, 3)`` global positions in cm (and the global rotations when asked).
    """
    local_rotmats = np.asarray(local_rotmats)
    root_translation = np.asarray(root_translation, dtype=local_rotmats.dtype)
    frames, joints = local_rotmats.shape[:2]
    if local_rotmats.shape != (frames, skeleton.num_joints, 3, 3):
        raise ValueError(f"local_rotmats must have shape (F, {skeleton.num_joints}, 3, 3), "
                         f"got {local_rotmats.shape}")
    if root_translation.shape != (frames, 3):
        raise ValueError(f"root_translation must have shape ({frames}, 3), got {root_translation.shape}")
    # (F, J, 3) local translations; a broadcast view unless some joint overrides its offset.
    translations = np.broadcast_to(skeleton.offsets.astype(local_rotmats.dtype), (frames, joints, 3))
    if joint_translations:
        translations = translations.copy()
        for joint, values in joint_translations.items():
            translations[:, joint] = values

    global_rot = np.empty_like(local_rotmats)
    global_pos = np.empty((frames, joints, 3), dtype=local_rotmats.dtype)
    levels = depth_levels(skeleton.parents)
    global_rot[:, 0] = local_rotmats[:, 0]
    global_pos[:, 0] = root_translation
    for level in levels[1:]:
        parent = skeleton.parents[level]
        parent_rot = global_rot[:, parent]
        global_rot[:, level] = parent_rot @ local_rotmats[:, level]
        global_pos[:, level] = global_pos[:, parent] + (
            parent_rot @ translations[:, level, :, None])[..., 0]
    if return_rotations:
        return global_pos, global_rot
    return global_pos

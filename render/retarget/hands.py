"""Turning the motion's hands towards the camera before they are drawn flat (a retargeting choice).

A 2-D renderer sees a hand only through its projection. Co-speech motion holds the hands pointing
forward with the palms facing each other: on the BEAT sample take ``2_scott_0_1_1`` the
wrist-to-knuckle line shows at most 0.76 (left) / 0.66 (right) of its length on screen in half of
the frames, and the palm's normal lies within 18 degrees of the image plane in half of them (the
palm is seen edge-on). The projected hand is then a short stub with its fingers on one line, a pose
the Slovo sample video (sign language, hands shown to the camera) never contains: wherever
MediaPipe finds a hand in it, the wrist-to-knuckle line is at least 0.21 shoulder widths long,
while the quickstart's projected hands have a median 0.18 / 0.16. Animators "cheat" such poses to
camera; this does it per frame with one rotation of the whole hand about its wrist:

* the wrist-to-middle-knuckle direction is laid into the image plane, keeping its on-screen
  direction (pointing down when it points straight at the camera);
* the palm's normal is turned to the camera axis, on the side the hand shows the camera more
  over the take (one side per take, so the thumb never jumps across the hand from frame to frame);
* ``strength`` in ``[0, 1]`` takes that fraction of the rotation (the rotation vector scaled, with
  :class:`scipy.spatial.transform.Rotation`): 0 keeps the projected motion, 1 shows every hand
  flat at full length. The finger curls are the motion's.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from render.errors import RenderError


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _frame(direction: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """``(F, 3, 3)`` orthonormal frames with columns (direction, normal x direction, normal)."""
    along = _unit(direction)
    across = _unit(normal - (normal * along).sum(-1, keepdims=True) * along)
    return np.stack([along, np.cross(across, along), across], -1)


def turn_to_camera(offsets: np.ndarray, middle: int, index: int, pinky: int, strength: float) -> np.ndarray:
    """Rotate each frame's hand about its wrist towards the camera.

    Args:
        offsets: ``(F, H, 3)`` hand points minus the wrist in camera axes (x right, y down,
            z away from the camera), any length unit.
        middle, index, pinky: rows of the middle, index and pinky knuckles in ``offsets``.
        strength: fraction of the turn in ``[0, 1]``.

    Returns:
        ``(F, H, 3)`` the turned offsets (lengths kept).
    """
    if not 0.0 <= strength <= 1.0:
        raise RenderError(f"hands_to_camera must be in [0, 1], got {strength}")
    if strength == 0.0:
        return offsets
    direction = offsets[:, middle]                                            # (F, 3)
    normal = np.cross(offsets[:, index], offsets[:, pinky])                   # (F, 3) palm normal
    length = np.linalg.norm(direction, axis=-1, keepdims=True)
    flat = direction * [1.0, 1.0, 0.0] + 1e-3 * length * [0.0, 1.0, 0.0]    # on-screen direction, down if none
    side = 1.0 if _unit(normal)[:, 2].mean() >= 0 else -1.0
    facing = np.broadcast_to([0.0, 0.0, side], normal.shape)
    full = _frame(flat, facing) @ np.swapaxes(_frame(direction, normal), -1, -2)   # (F, 3, 3)
    turn = Rotation.from_rotvec(strength * Rotation.from_matrix(full).as_rotvec()).as_matrix()
    return np.einsum("fij,fhj->fhi", turn, offsets)

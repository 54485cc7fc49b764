"""The motion format of a Slovo cache: which blocks and conditioning streams Slovo provides.

Slovo (and only this module, for Slovo) names them: the motion blocks ``body``, ``hands`` and
``face`` of :mod:`motiongen.datasets.slovo.motion` (channels documented there), the per-take
``speaker`` class (the signer, Slovo's ``user_id``) and the per-take ``sign`` class (the label,
a text-label stream the model is conditioned on, with classifier-free guidance). There is no audio
or word stream. Each block declares mask groups (body; left hand, right hand; face) whose per-frame
flags say where MediaPipe found the part; the loss ignores the interpolated frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from motiongen.core.motion_format import (
    ConditionKind,
    ConditionStream,
    MotionBlock,
    MotionFormat,
    Representation,
    mask_array_name,
)
from motiongen.datasets.slovo.motion import BODY_LANDMARKS, FACE_WEIGHTS, HAND_POINTS, MASK_NAMES

BODY, HANDS, FACE = "body", "hands", "face"
SPEAKER, SIGN = "speaker", "sign"


def block_masks(mask: np.ndarray) -> dict[str, np.ndarray]:
    """The observed flags of each block, ``{<block>_mask: (T, groups)}``, from the ``(T, 4)`` part
    masks of :func:`~motiongen.datasets.slovo.motion.part_masks` (body, face, left hand, right hand)."""
    column = {name: MASK_NAMES.index(name) for name in MASK_NAMES}
    return {
        mask_array_name(BODY): mask[:, [column["body"]]],
        mask_array_name(HANDS): mask[:, [column["left_hand"], column["right_hand"]]],
        mask_array_name(FACE): mask[:, [column["face"]]],
    }


def hand_point_names() -> tuple[str, ...]:
    """The 40 names of the hands block: ``left_hand.thumb_cmc`` ... ``right_hand.pinky_tip``."""
    return tuple(f"{hand}.{point}" for hand in ("left_hand", "right_hand") for point in HAND_POINTS)


def slovo_motion_format(fps: float, labels: Sequence[str], signers: Sequence[str]) -> MotionFormat:
    """The declared format of a Slovo cache (without statistics; the cache writer adds them).

    Args:
        fps: the videos' frame rate (Slovo: 30).
        labels: sign labels; the model's class index is the position in this list.
        signers: signer ids (``user_id``); the speaker index is the position in this list.
    """
    return MotionFormat(
        fps=float(fps),
        blocks=(
            MotionBlock(BODY, Representation.LANDMARKS_2D, tuple(f"pose.{n}" for n in BODY_LANDMARKS), "shoulder widths",
                        mask_groups=((BODY, 0, 2 * len(BODY_LANDMARKS)),)),
            MotionBlock(HANDS, Representation.LANDMARKS_3D, hand_point_names(), "palm sizes",
                        mask_groups=(("left_hand", 0, 3 * len(HAND_POINTS)), ("right_hand", 3 * len(HAND_POINTS), 6 * len(HAND_POINTS)))),
            MotionBlock(FACE, Representation.ARKIT_WEIGHTS, FACE_WEIGHTS, "weight", mask_groups=((FACE, 0, len(FACE_WEIGHTS)),)),
        ),
        conditions=(
            ConditionStream(SPEAKER, ConditionKind.SPEAKER, len(signers), labels=tuple(signers)),
            ConditionStream(SIGN, ConditionKind.TEXT_LABEL, len(labels), labels=tuple(labels)),
        ),
    )

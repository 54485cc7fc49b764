"""The motion format of a Slovo cache: which blocks and conditioning streams Slovo provides.

Slovo (and only this module, for Slovo) names them: the motion blocks ``body``, ``hands`` and
``face`` of :mod:`motiongen.corpus.slovo_motion` (channels documented there), the per-take
``speaker`` class (the signer, Slovo's ``user_id``) and the per-take ``sign`` class (the label,
a text-label stream the model is conditioned on, with classifier-free guidance). There is no audio
or word stream.
"""

from __future__ import annotations

from collections.abc import Sequence

from motiongen.core.motion_format import ConditionKind, ConditionStream, MotionBlock, MotionFormat, Representation
from motiongen.corpus.slovo_motion import BODY_LANDMARKS, FACE_WEIGHTS, HAND_POINTS

BODY, HANDS, FACE = "body", "hands", "face"
SPEAKER, SIGN = "speaker", "sign"


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
            MotionBlock(BODY, Representation.LANDMARKS_2D, tuple(f"pose.{n}" for n in BODY_LANDMARKS), "shoulder widths"),
            MotionBlock(HANDS, Representation.LANDMARKS_3D, hand_point_names(), "palm sizes"),
            MotionBlock(FACE, Representation.ARKIT_WEIGHTS, FACE_WEIGHTS, "weight"),
        ),
        conditions=(
            ConditionStream(SPEAKER, ConditionKind.SPEAKER, len(signers), labels=tuple(signers)),
            ConditionStream(SIGN, ConditionKind.TEXT_LABEL, len(labels), labels=tuple(labels)),
        ),
    )

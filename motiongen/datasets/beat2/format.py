"""The motion format of a BEAT2 cache: which blocks and conditioning streams BEAT2 provides.

BEAT2 (and only this module, for BEAT2) names them:

* ``body``: local rotations of the configured SMPL-X joints (a subset chosen by joint name, e.g.
  EMAGE's upper body + hands), axis-angle radians or 6-D;
* ``face``: the 100 FLAME expression coefficients;
* ``root``: the root translation in metres, when configured;
* conditions: per-frame ``audio`` features and ``word`` vectors, per-take ``speaker`` and ``emotion``.

The skeleton template is the SMPL-X hierarchy (centimetres, rest pose = zero rotations) from the
approximate rest skeleton of :mod:`motiongen.core.smplx_skeleton`, so joint positions (previews,
kinematic features) and BVH export work as for BEAT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from motiongen.core.motion_format import (
    AUDIO_STREAM,
    WORD_STREAM,
    ConditionKind,
    ConditionStream,
    MotionBlock,
    MotionFormat,
    Representation,
    speech_streams,
)
from motiongen.core.skeleton import Skeleton, SkeletonTemplate
from motiongen.core.smplx_skeleton import (
    NUM_FLAME_EXPRESSIONS,
    NUM_SMPLX_JOINTS,
    SMPLX_APPROX_PELVIS_HEIGHT_M,
    SMPLX_APPROX_REST_OFFSETS_M,
    SMPLX_JOINT_NAMES,
    SMPLX_PARENTS,
)
from motiongen.datasets.beat.emotions import EMOTIONS

BODY, FACE, ROOT = "body", "face", "root"
AUDIO, WORDS, SPEAKER, EMOTION = AUDIO_STREAM, WORD_STREAM, "speaker", "emotion"
#: Channel names of the FLAME expression block.
EXPRESSION_NAMES: tuple[str, ...] = tuple(f"expression{k:03d}" for k in range(NUM_FLAME_EXPRESSIONS))
ROTATIONS = {"axis_angle": Representation.AXIS_ANGLE, "rot6d": Representation.ROT6D}


def smplx_skeleton_template() -> SkeletonTemplate:
    """SMPL-X joints as a BVH-style template: offsets in cm, XYZ Euler channels, zero rest rotations
    (the SMPL-X rest pose), pelvis at its approximate standing height."""
    offsets = 100.0 * SMPLX_APPROX_REST_OFFSETS_M
    channels = [("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")]
    channels += [("Xrotation", "Yrotation", "Zrotation")] * (NUM_SMPLX_JOINTS - 1)
    skeleton = Skeleton(names=list(SMPLX_JOINT_NAMES), parents=SMPLX_PARENTS.copy(), offsets=offsets,
                        channels=channels, rotation_orders=["XYZ"] * NUM_SMPLX_JOINTS)
    return SkeletonTemplate(skeleton, np.zeros((NUM_SMPLX_JOINTS, 3)),
                            np.array([0.0, 100.0 * SMPLX_APPROX_PELVIS_HEIGHT_M, 0.0]))


def beat2_corpus_format(fps: float, joint_names: Sequence[str], rotation: str, translation: bool,
                        speakers: Sequence[int]) -> MotionFormat:
    """BEAT2's own blocks and category streams (the cache adds the audio and word streams).

    Args:
        fps: frame rate of the cache (BEAT2: 30).
        joint_names: SMPL-X joints of the ``body`` block, in model order.
        rotation: ``axis_angle`` or ``rot6d``.
        translation: add the ``root`` block (translation in metres).
        speakers: BEAT speaker ids; the model's speaker index is the position in this list.
    """
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {', '.join(ROTATIONS)}, got {rotation!r}")
    blocks = [
        MotionBlock(BODY, ROTATIONS[rotation], tuple(joint_names), "rad" if rotation == "axis_angle" else ""),
        MotionBlock(FACE, Representation.COEFFICIENTS, EXPRESSION_NAMES, "FLAME"),
    ]
    if translation:
        blocks.append(MotionBlock(ROOT, Representation.POSITION_3D, (SMPLX_JOINT_NAMES[0],), "m"))
    return MotionFormat(
        fps=float(fps),
        blocks=tuple(blocks),
        conditions=(
            ConditionStream(SPEAKER, ConditionKind.SPEAKER, len(speakers), labels=tuple(str(s) for s in speakers)),
            ConditionStream(EMOTION, ConditionKind.EMOTION, len(EMOTIONS), labels=EMOTIONS),
        ),
        skeleton=smplx_skeleton_template(),
    )


def beat2_motion_format(fps: float, joint_names: Sequence[str], rotation: str, translation: bool,
                        audio_width: int, audio_layout: Mapping[str, tuple[int, int]], word_width: int,
                        speakers: Sequence[int]) -> MotionFormat:
    """The whole format of a BEAT2 cache (:func:`beat2_corpus_format` with the speech streams in
    front), for building a format without a cache (tests)."""
    import dataclasses

    corpus = beat2_corpus_format(fps, joint_names, rotation, translation, speakers)
    return dataclasses.replace(corpus, conditions=speech_streams(audio_width, audio_layout, word_width)
                               + corpus.conditions)

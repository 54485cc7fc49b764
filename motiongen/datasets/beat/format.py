"""The motion format of a BEAT cache: which blocks and conditioning streams BEAT provides.

BEAT (and only this module, for BEAT) names them: ``gesture`` (local rotations of the configured
joints, axis-angle radians), ``expression`` (the 52 ARKit blendshape weights), the per-frame
``audio`` features and ``word`` vectors, and the per-take ``speaker`` and ``emotion`` classes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

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
from motiongen.core.skeleton import SkeletonTemplate
from motiongen.datasets.beat.emotions import EMOTIONS
from motiongen.formats.arkit import ARKIT_NAMES

log = logging.getLogger(__name__)

GESTURE, EXPRESSION = "gesture", "expression"
AUDIO, WORDS, SPEAKER, EMOTION = AUDIO_STREAM, WORD_STREAM, "speaker", "emotion"


def beat_corpus_format(fps: float, joint_names: Sequence[str], skeleton: SkeletonTemplate | None,
                       speakers: Sequence[int]) -> MotionFormat:
    """BEAT's own blocks and category streams (the cache adds the audio and word streams).

    Args:
        fps: frame rate of the cache.
        joint_names: joints of the gesture block (3 axis-angle values each, in this order).
        skeleton: the template the gesture joints animate (BVH export, previews).
        speakers: BEAT speaker ids; the model's speaker index is the position in this list.
    """
    return MotionFormat(
        fps=float(fps),
        blocks=(
            MotionBlock(GESTURE, Representation.AXIS_ANGLE, tuple(joint_names), "rad"),
            MotionBlock(EXPRESSION, Representation.ARKIT_WEIGHTS, tuple(ARKIT_NAMES), "weight"),
        ),
        conditions=(
            ConditionStream(SPEAKER, ConditionKind.SPEAKER, len(speakers), labels=tuple(str(s) for s in speakers)),
            ConditionStream(EMOTION, ConditionKind.EMOTION, len(EMOTIONS), labels=EMOTIONS),
        ),
        skeleton=skeleton,
    )


def beat_motion_format(fps: float, joint_names: Sequence[str], skeleton: SkeletonTemplate | None, audio_width: int,
                       audio_layout: Mapping[str, tuple[int, int]], word_width: int,
                       speakers: Sequence[int]) -> MotionFormat:
    """The whole format of a BEAT cache (:func:`beat_corpus_format` with the speech streams in front),
    for building a format without a cache (tests, benchmarks)."""
    import dataclasses

    corpus = beat_corpus_format(fps, joint_names, skeleton, speakers)
    return dataclasses.replace(corpus, conditions=speech_streams(audio_width, audio_layout, word_width)
                               + corpus.conditions)


def beat_skeleton_template(bvh_paths: Sequence[str | Path]) -> tuple[SkeletonTemplate, list[str]]:
    """Skeleton template of a BEAT cache: frame 0 of the first readable BVH (the speaker's own bone
    lengths and a real rest pose); the packaged BEAT 75-joint template when none is readable.

    Returns ``(template, warnings)``.
    """
    from motiongen.core.errors import InputFileError
    from motiongen.formats.bvh import read_bvh
    from motiongen.skeletons import beat75_template_path, load_beat75_template

    for path in bvh_paths:
        if Path(path).is_file():
            try:
                return SkeletonTemplate.from_motion(read_bvh(path, allow_truncated=True), frame=0), []
            except InputFileError as err:
                log.warning("skeleton template: %s", err)
    message = (f"no training BVH is readable; BVH export uses the packaged template "
               f"{beat75_template_path().name} (BEAT joint layout, generic proportions)")
    log.warning(message)
    return SkeletonTemplate.from_motion(load_beat75_template(), frame=0), [message]


def paper_motion_format(num_speakers: int = 30, audio_width: int = 1133, word_width: int = 301) -> MotionFormat:
    """The BEAT format at the paper's sizes without a cache (benchmarks, tests): the 47 upper-body
    joints of ``motiongen/skeletons/joint_sets/beat47_upper.yaml`` (141 channels), 52 ARKit weights, 1133-d audio
    (WavLM-Large 1024 + acoustic 109), 301-d words, ``num_speakers`` speakers; unit statistics,
    no skeleton template."""
    import numpy as np

    from motiongen.skeletons import load_joint_set

    fmt = beat_motion_format(30.0, load_joint_set("beat47_upper"), None, audio_width, {}, word_width,
                             list(range(1, num_speakers + 1)))
    return fmt.with_statistics({name: (np.zeros(width), np.ones(width)) for name, width in
                                ((GESTURE, fmt.block(GESTURE).width), (EXPRESSION, len(ARKIT_NAMES)), (AUDIO, audio_width))})

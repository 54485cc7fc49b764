"""What evaluation reads from a feature cache: which motion blocks play the gesture and face roles,
the takes of a split with their source files, and ground-truth arrays.

Roles are found from what the cache declares, never from block names: the *gesture* block is the
joint-rotation block (axis-angle, 3 values per joint of ``joint_names``), the *face* block the
ARKit-weights block (one value per blendshape name). Metrics of a role whose block is absent are
reported as not computed, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motiongen.cache.info import CacheInfo
from motiongen.core.motion_format import Representation
from motiongen.core.errors import ConfigError, MotiongenError


#: The two evaluation roles (attributes of :class:`MotionRoles`, keys of the evaluators): blocks play
#: them by representation, never by name.
GESTURE, FACE = "gesture", "face"


@dataclass(frozen=True)
class MotionRoles:
    """Block names per evaluation role (None when the cache has no such block) and channel names.

    Attributes:
        gesture: block of local joint rotations, axis-angle radians ``(F, 3J)``, joint-major.
        face: block of ARKit blendshape weights ``(F, C)`` in [0, 1].
        joint_names: the J joints of the gesture block.
        face_channels: the C blendshape names of the face block.
    """

    gesture: str | None
    face: str | None
    joint_names: tuple[str, ...]
    face_channels: tuple[str, ...]


def motion_roles(info: CacheInfo) -> MotionRoles:
    """Find the gesture and face blocks of a cache from its declared motion format: the first
    axis-angle joint-rotation block and the first ARKit-weights block."""
    fmt = info.format
    gesture = next(iter(fmt.blocks_of(Representation.AXIS_ANGLE)), None)
    face = next(iter(fmt.blocks_of(Representation.ARKIT_WEIGHTS)), None)
    return MotionRoles(gesture.name if gesture else None, face.name if face else None,
                       gesture.names if gesture else (), face.names if face else ())


def require_skeleton(info: CacheInfo):
    """The skeleton template of the cache's motion format (joint positions for the beat metrics).

    Raises:
        ConfigError: the format declares none.
    """
    if info.format.skeleton is None:
        raise ConfigError(f"the motion format of {info.cache_dir} declares no skeleton template; the gesture "
                          "metrics need joint positions")
    return info.format.skeleton


@dataclass(frozen=True)
class EvaluationTake:
    """A cached take and the source files evaluation needs.

    Attributes:
        take_id / num_frames: as in the cache.
        categories: the take's category labels (speaker, emotion, ...) as the cache declares them.
        audio: the take's speech file (as the cache recorded it).
        words: the take's word intervals from its corpus (the words the model was trained with), or
            None for a corpus without transcripts.
        semantic: the corpus's semantic-relevance segments of the take (``start``/``end`` seconds,
            ``score``), or None when the corpus has none.
    """

    take_id: str
    categories: dict[str, str]
    num_frames: int
    audio: Path
    words: list | None
    semantic: list | None


def evaluation_takes(info: CacheInfo, split: str, max_takes: int | None = None) -> list[EvaluationTake]:
    """Takes of ``split`` with their audio (and the corpus's semantic labels when it has them), in take order.

    Raises:
        ConfigError: no take in the split, or a take whose audio source is not recorded / not on disk.
    """
    takes = info.takes_in(split)
    if not takes:
        raise ConfigError(f"the cache {info.cache_dir} has no takes in the {split!r} split")
    from motiongen.cache.info import corpus_of_cache
    from motiongen.datasets.base import TakeSource

    corpus = corpus_of_cache(info)
    out = []
    for take in takes[: max_takes or None]:
        facts = info.manifest["takes"][take.take_id]
        audio = Path(facts.get("speech") or "")
        if not facts.get("speech") or not audio.is_file():
            raise ConfigError(f"take {take.take_id}: its speech file {facts.get('speech') or '(not recorded)'} is not "
                              "on disk; evaluation needs the corpus the cache was built from")
        sources = facts.get("sources", {})
        source = TakeSource(take.take_id, facts["split"], {role: record["path"] for role, record in sources.items()},
                            dict(take.categories))
        try:
            words = corpus.words(source)
        except MotiongenError as err:
            raise ConfigError(f"take {take.take_id}: {err}") from None
        out.append(EvaluationTake(take.take_id, dict(take.categories), take.num_frames, audio,
                                  None if words is None else list(words), corpus.semantic_segments(take.take_id, sources)))
    return out


def block_sequences(info: CacheInfo, split: str, block: str) -> list[np.ndarray]:
    """Raw (unnormalised) ``(T_i, D)`` memory maps of ``block`` for every take of ``split``."""
    return [info.block(take.take_id, block) for take in info.takes_in(split)]


def require_role(roles: MotionRoles, role: str) -> str:
    """The block name of ``role`` ('gesture' or 'face'), or a ConfigError naming what the cache lacks."""
    name = getattr(roles, role)
    if name is None:
        kind = "joint-rotation" if role == GESTURE else "ARKit-weights"
        raise ConfigError(f"the cache has no {kind} block for the {role} metrics")
    return name

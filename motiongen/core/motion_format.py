"""The declared motion format: what a dataset's motion and conditioning streams are.

A :class:`MotionFormat` is written once by preprocessing (the dataset reader declares the blocks,
the cache writer adds the train-split statistics), stored in the cache, in every checkpoint and in
every generated motion file, and read by everything downstream: the model builds one noise
embedding, seed embedding and decoder per block, the trainer concatenates the blocks in order,
generation denormalises them, exporters are chosen by the blocks' representations. No layer above
the dataset readers spells a block name.

Motion of ``F`` frames at ``fps`` is the concatenation ``(F, width)`` of its blocks in declared
order; each block's channels are ``values_per_name`` numbers per name, name-major (for axis-angle
joints ``[j0x, j0y, j0z, j1x, ...]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from motiongen.core.errors import InputFileError
from motiongen.core.skeleton import SkeletonTemplate

#: Version of :meth:`MotionFormat.to_dict`'s layout; bumped when the meaning of a field changes.
FORMAT_VERSION = 1


class FormatError(ValueError):
    """A motion format that is inconsistent or cannot be read (the message names the problem)."""


class Representation(str, Enum):
    """What the numbers of a motion block mean (the value is the string stored in files)."""

    AXIS_ANGLE = "axis_angle"  #: local joint rotations, 3 values per joint, radians
    ROT6D = "rot6d"  #: local joint rotations, first two columns of the rotation matrix, 6 per joint
    ARKIT_WEIGHTS = "arkit_weights"  #: ARKit blendshape weights in [0, 1], 1 per blendshape
    LANDMARKS_2D = "landmarks_2d"  #: (x, y) per landmark
    LANDMARKS_3D = "landmarks_3d"  #: (x, y, z) per landmark
    POSITION_3D = "position_3d"  #: (x, y, z) per named point, e.g. the root translation
    COEFFICIENTS = "coefficients"  #: linear-model coefficients (FLAME expression, ...), 1 per name


VALUES_PER_NAME: dict[Representation, int] = {
    Representation.AXIS_ANGLE: 3,
    Representation.ROT6D: 6,
    Representation.ARKIT_WEIGHTS: 1,
    Representation.LANDMARKS_2D: 2,
    Representation.LANDMARKS_3D: 3,
    Representation.POSITION_3D: 3,
    Representation.COEFFICIENTS: 1,
}
#: Representations holding local joint rotations (a skeleton can be animated by them).
JOINT_ROTATIONS: tuple[Representation, ...] = (Representation.AXIS_ANGLE, Representation.ROT6D)
_COMPONENTS: dict[int, tuple[str, ...]] = {
    2: ("x", "y"), 3: ("x", "y", "z"), 6: ("r00", "r10", "r20", "r01", "r11", "r21"),
}


class ConditionKind(str, Enum):
    """What a conditioning stream carries (the value is the string stored in files)."""

    AUDIO = "audio"  #: per-frame features computed from speech
    WORDS = "words"  #: per-frame word vectors from a transcript
    SPEAKER = "speaker"  #: one class per take
    EMOTION = "emotion"  #: one class per take
    TEXT_LABEL = "text_label"  #: one class per take (e.g. a sign's gloss)


PER_FRAME_KINDS: tuple[ConditionKind, ...] = (ConditionKind.AUDIO, ConditionKind.WORDS)


@dataclass(frozen=True, eq=False)
class Normalisation:
    """Per-channel statistics ``mean (D,)`` and ``std (D,)`` (float32; ``std`` already floored).

    Compared by identity (arrays have no single truth value); compare ``to_dict()`` for equality.
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, dtype=np.float32).reshape(-1)
        std = np.asarray(self.std, dtype=np.float32).reshape(-1)
        if mean.shape != std.shape:
            raise FormatError(f"normalisation mean {mean.shape} and std {std.shape} differ in shape")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise FormatError("normalisation statistics must be finite with std > 0")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @property
    def width(self) -> int:
        return int(self.mean.shape[0])

    def _like(self, array):
        if array.shape[-1] != self.width:
            raise ValueError(f"arrays normalised here have {self.width} channels, got shape {tuple(array.shape)}")
        if isinstance(array, np.ndarray):
            return self.mean.astype(array.dtype, copy=False), self.std.astype(array.dtype, copy=False)
        import torch

        return (torch.as_tensor(self.mean, dtype=array.dtype, device=array.device),
                torch.as_tensor(self.std, dtype=array.dtype, device=array.device))

    def normalise(self, array):
        """``(array - mean) / std`` over the last axis (numpy array or torch tensor, dtype kept)."""
        mean, std = self._like(array)
        return (array - mean) / std

    def denormalise(self, array):
        """Inverse of :meth:`normalise`: ``array * std + mean``."""
        mean, std = self._like(array)
        return array * std + mean

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "Normalisation":
        return cls(np.asarray(payload["mean"], np.float32), np.asarray(payload["std"], np.float32))


def _normalisation_dict(norm: Normalisation | None):
    return None if norm is None else norm.to_dict()


def _normalisation_from(payload) -> Normalisation | None:
    return None if payload is None else Normalisation.from_dict(payload)


#: Name of the real-frame flags of padded clips: ``(N,)`` in a training item, ``(B, N)`` in a batch
#: and in the denoiser's condition (1 / True on a clip's frames, 0 / False on its padding).
FRAME_MASK = "frame_mask"
#: Name of a clip's first frame in its take (int64: a scalar in a training item, ``(B,)`` in a batch
#: and in the denoiser's condition) for clips cut from a longer whole take; absent = 0.
FIRST_FRAME = "first_frame"


def mask_array_name(block: str) -> str:
    """Name of a block's observed flags: the cache array ``(N, groups)`` of a take, and the
    per-channel weights ``(N, width)`` of a training item: ``<block>_mask``."""
    return f"{block}_mask"


@dataclass(frozen=True)
class MotionBlock:
    """One named block of motion channels.

    Attributes:
        name: the block's name (cache file, batch key, decoder name), e.g. ``gesture``.
        representation: what its numbers mean.
        names: the joints / landmarks / blendshapes / coefficients, in channel order.
        units: units of the values, for people and plots (``rad``, ``weight``, ``cm``, ...).
        normalisation: train-split statistics (None until the cache writer has computed them).
        mask_groups: named channel ranges ``(group, start, stop)`` that each carry one per-frame
            observed flag (e.g. a hand the landmark detector missed on some frames); the cache
            stores the flags as :attr:`mask_name` ``(N, len(mask_groups))`` and the loss ignores a
            group's channels on frames where its flag is 0. Empty: always observed.
    """

    name: str
    representation: Representation
    names: tuple[str, ...]
    units: str = ""
    normalisation: Normalisation | None = None
    mask_groups: tuple[tuple[str, int, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "representation", Representation(self.representation))
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        if not self.name or not self.name.replace("_", "").isalnum():
            raise FormatError(f"block name {self.name!r} must be non-empty letters, digits and '_'")
        if not self.names:
            raise FormatError(f"block {self.name!r} names no joints/landmarks/channels")
        if len(set(self.names)) != len(self.names):
            raise FormatError(f"block {self.name!r} lists a name twice")
        if self.normalisation is not None and self.normalisation.width != self.width:
            raise FormatError(f"block {self.name!r} has {self.width} channels, its statistics {self.normalisation.width}")
        groups = tuple((str(g), int(a), int(b)) for g, a, b in self.mask_groups)
        object.__setattr__(self, "mask_groups", groups)
        for group, start, stop in groups:
            if not 0 <= start < stop <= self.width:
                raise FormatError(f"block {self.name!r}: mask group {group!r} [{start}, {stop}) is outside its {self.width} channels")

    @property
    def mask_name(self) -> str | None:
        """Name of the stored observed flags, or None for a block without mask groups."""
        return mask_array_name(self.name) if self.mask_groups else None

    def channel_mask(self, flags):
        """Per-channel weights ``(..., width)`` float32 from per-group flags ``(..., groups)``;
        channels outside every group get 1."""
        flags = np.asarray(flags, dtype=np.float32)
        padded = np.concatenate([flags, np.ones(flags.shape[:-1] + (1,), dtype=np.float32)], axis=-1)
        index = [len(self.mask_groups)] * self.width
        for column, (_, start, stop) in enumerate(self.mask_groups):
            index[start:stop] = [column] * (stop - start)
        return padded[..., index]

    @property
    def values_per_name(self) -> int:
        return VALUES_PER_NAME[self.representation]

    @property
    def width(self) -> int:
        """Channels of the block: ``len(names) * values_per_name``."""
        return len(self.names) * self.values_per_name

    def channel_names(self) -> tuple[str, ...]:
        """One name per channel: ``"RightArm.x"`` for joints and points, the name itself for weights."""
        if self.values_per_name == 1:
            return self.names
        parts = _COMPONENTS[self.values_per_name]
        return tuple(f"{name}.{part}" for name in self.names for part in parts)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "representation": self.representation.value, "names": list(self.names),
                "units": self.units, "normalisation": _normalisation_dict(self.normalisation),
                "mask_groups": [list(group) for group in self.mask_groups]}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "MotionBlock":
        return cls(str(payload["name"]), Representation(payload["representation"]), tuple(payload["names"]),
                   str(payload.get("units", "")), _normalisation_from(payload.get("normalisation")),
                   tuple(tuple(group) for group in payload.get("mask_groups", ())))


@dataclass(frozen=True)
class ConditionStream:
    """One conditioning stream.

    Attributes:
        name: batch key / cache block name, e.g. ``audio``, ``word``, ``speaker``.
        kind: what it carries; :data:`PER_FRAME_KINDS` are ``(N, width)`` features per frame, the
            others one class index per take.
        width: features per frame, or the number of classes.
        labels: class names of a category stream (``len == width``): speaker ids as strings,
            emotion names, sign glosses.
        layout: optional ``{sub-feature: (start, stop)}`` column ranges of a per-frame stream.
        normalisation: statistics of a per-frame stream the cache normalises (audio).
    """

    name: str
    kind: ConditionKind
    width: int
    labels: tuple[str, ...] = ()
    layout: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    normalisation: Normalisation | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ConditionKind(self.kind))
        object.__setattr__(self, "labels", tuple(str(label) for label in self.labels))
        object.__setattr__(self, "layout", {str(k): (int(a), int(b)) for k, (a, b) in dict(self.layout).items()})
        if self.width < 1:
            raise FormatError(f"condition {self.name!r} has width {self.width}; it must be >= 1")
        if not self.per_frame and len(self.labels) != self.width:
            raise FormatError(f"category condition {self.name!r} has {self.width} classes but {len(self.labels)} labels")
        if self.normalisation is not None and (not self.per_frame or self.normalisation.width != self.width):
            raise FormatError(f"condition {self.name!r}: statistics only for per-frame streams of the same width")

    @property
    def per_frame(self) -> bool:
        """True for per-frame feature streams (audio, words), False for one class per take."""
        return self.kind in PER_FRAME_KINDS

    def index_of(self, label) -> int:
        """Class index of ``label`` (compared as a string); ``KeyError`` listing the known labels."""
        try:
            return self.labels.index(str(label))
        except ValueError:
            shown = ", ".join(self.labels[:30]) + (" ..." if len(self.labels) > 30 else "")
            raise KeyError(f"{self.name} {label} is not known; known: {shown}") from None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind.value, "width": int(self.width), "labels": list(self.labels),
                "layout": {k: [a, b] for k, (a, b) in self.layout.items()},
                "normalisation": _normalisation_dict(self.normalisation)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "ConditionStream":
        return cls(str(payload["name"]), ConditionKind(payload["kind"]), int(payload["width"]),
                   tuple(payload.get("labels", ())), {k: tuple(v) for k, v in payload.get("layout", {}).items()},
                   _normalisation_from(payload.get("normalisation")))


#: Names of the per-frame streams the generic cache computes from a take's speech and word timings.
AUDIO_STREAM, WORD_STREAM = "audio", "word"


def speech_streams(audio_width: int, audio_layout: Mapping[str, tuple[int, int]],
                   word_width: int | None) -> tuple[ConditionStream, ...]:
    """The audio feature stream (and the word stream when ``word_width`` is given) of a speech corpus.

    Args:
        audio_width / audio_layout: audio feature channels and their sub-feature column ranges.
        word_width: word feature channels (word vector + silence flag), or None for no word stream.
    """
    streams = [ConditionStream(AUDIO_STREAM, ConditionKind.AUDIO, int(audio_width), layout=dict(audio_layout))]
    if word_width is not None:
        streams.append(ConditionStream(WORD_STREAM, ConditionKind.WORDS, int(word_width)))
    return tuple(streams)


@dataclass(frozen=True)
class MotionFormat:
    """A dataset's motion: ordered blocks, conditioning streams, frame rate and skeleton.

    Attributes:
        fps: frames per second of every block and per-frame stream.
        blocks: the motion blocks; motion is their concatenation in this order.
        conditions: the conditioning streams the data provides (an audio stream may be absent).
        skeleton: the skeleton template joint-rotation blocks animate, when there is one.
        version: :data:`FORMAT_VERSION` of the layout.
    """

    fps: float
    blocks: tuple[MotionBlock, ...]
    conditions: tuple[ConditionStream, ...] = ()
    skeleton: SkeletonTemplate | None = None
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "conditions", tuple(self.conditions))
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise FormatError(f"fps must be a positive number, got {self.fps}")
        if not self.blocks:
            raise FormatError("a motion format needs at least one block")
        names = [b.name for b in self.blocks] + [c.name for c in self.conditions]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise FormatError(f"block/condition names used twice: {', '.join(repeated)}")
        if self.version != FORMAT_VERSION:
            raise FormatError(f"motion format version {self.version} is not supported (this motiongen reads {FORMAT_VERSION})")

    # ------------------------------------------------------------------ lookup
    @property
    def width(self) -> int:
        """Channels of the concatenated motion."""
        return sum(block.width for block in self.blocks)

    def block_names(self) -> tuple[str, ...]:
        return tuple(block.name for block in self.blocks)

    def block(self, name: str) -> MotionBlock:
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(f"no motion block {name!r}; blocks: {', '.join(self.block_names())}")

    def has_condition(self, name: str) -> bool:
        return any(c.name == name for c in self.conditions)

    def condition(self, name: str) -> ConditionStream:
        for stream in self.conditions:
            if stream.name == name:
                return stream
        raise KeyError(f"no condition stream {name!r}; streams: {', '.join(c.name for c in self.conditions) or 'none'}")

    def conditions_of(self, *kinds: ConditionKind | str) -> tuple[ConditionStream, ...]:
        """The streams of the given kinds, in declared order."""
        wanted = {ConditionKind(kind) for kind in kinds}
        return tuple(c for c in self.conditions if c.kind in wanted)

    def blocks_of(self, *representations: Representation | str) -> tuple[MotionBlock, ...]:
        """The blocks of the given representations, in declared order."""
        wanted = {Representation(r) for r in representations}
        return tuple(b for b in self.blocks if b.representation in wanted)

    def slices(self) -> dict[str, slice]:
        """Block name -> channel slice of the concatenated motion."""
        slices, start = {}, 0
        for block in self.blocks:
            slices[block.name] = slice(start, start + block.width)
            start += block.width
        return slices

    # ------------------------------------------------------------------ arrays
    def split(self, motion) -> dict[str, Any]:
        """``(..., width)`` motion -> ``{block: (..., block.width)}`` views."""
        if motion.shape[-1] != self.width:
            raise ValueError(f"motion has {motion.shape[-1]} channels, the format {self.width} ({self.describe()})")
        return {name: motion[..., cut] for name, cut in self.slices().items()}

    def join(self, blocks: Mapping[str, Any]):
        """``{block: (..., block.width)}`` -> ``(..., width)`` in declared order (numpy or torch)."""
        missing = [b.name for b in self.blocks if b.name not in blocks]
        if missing:
            raise KeyError(f"missing motion block(s) {missing}; given {sorted(blocks)}")
        parts = [blocks[b.name] for b in self.blocks]
        if isinstance(parts[0], np.ndarray):
            return np.concatenate(parts, axis=-1)
        import torch

        return torch.cat(parts, dim=-1)

    def normalisation(self, name: str) -> Normalisation:
        """Statistics of a block or per-frame stream; ``KeyError`` when it has none."""
        owner = self.block(name) if name in self.block_names() else self.condition(name)
        if owner.normalisation is None:
            raise KeyError(f"{name!r} has no normalisation statistics in this motion format")
        return owner.normalisation

    def normalise(self, name: str, array):
        return self.normalisation(name).normalise(array)

    def denormalise(self, name: str, array):
        return self.normalisation(name).denormalise(array)

    def normalised_names(self) -> tuple[str, ...]:
        """Blocks and streams that carry statistics (the ones datasets normalise)."""
        return tuple(x.name for x in (*self.blocks, *self.conditions) if x.normalisation is not None)

    # ------------------------------------------------------------------ derived formats
    def with_statistics(self, stats: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> "MotionFormat":
        """A copy with ``stats`` ``{name: (mean, std)}`` set on the named blocks / per-frame streams."""
        known = set(self.block_names()) | {c.name for c in self.conditions}
        unknown = sorted(set(stats) - known)
        if unknown:
            raise FormatError(f"statistics for unknown block(s)/stream(s) {unknown}")
        blocks = tuple(replace(b, normalisation=Normalisation(*stats[b.name])) if b.name in stats else b
                       for b in self.blocks)
        conditions = tuple(replace(c, normalisation=Normalisation(*stats[c.name])) if c.name in stats else c
                           for c in self.conditions)
        return replace(self, blocks=blocks, conditions=conditions)

    def select(self, block_names: Iterable[str]) -> "MotionFormat":
        """The same format with only ``block_names`` (in the given order)."""
        return replace(self, blocks=tuple(self.block(name) for name in block_names))

    def describe(self) -> str:
        """One line: ``gesture axis_angle 141 + expression arkit_weights 52``."""
        return " + ".join(f"{b.name} {b.representation.value} {b.width}" for b in self.blocks)

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (safe inside ``torch.load(weights_only=True)`` checkpoints)."""
        return {
            "version": self.version,
            "fps": float(self.fps),
            "blocks": [b.to_dict() for b in self.blocks],
            "conditions": [c.to_dict() for c in self.conditions],
            "skeleton": None if self.skeleton is None else self.skeleton.to_dict(),
        }

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "MotionFormat":
        """Inverse of :meth:`to_dict`.

        Raises:
            FormatError: another layout version, or a missing/malformed field (named).
        """
        if not isinstance(payload, Mapping):
            raise FormatError(f"a motion format is a mapping, got {type(payload).__name__}")
        version = payload.get("version")
        if version != FORMAT_VERSION:
            raise FormatError(f"motion format version {version} is not supported (this motiongen reads {FORMAT_VERSION})")
        try:
            skeleton = payload.get("skeleton")
            return cls(
                fps=float(payload["fps"]),
                blocks=tuple(MotionBlock.from_dict(b) for b in payload["blocks"]),
                conditions=tuple(ConditionStream.from_dict(c) for c in payload.get("conditions", ())),
                skeleton=None if skeleton is None else SkeletonTemplate.from_dict(skeleton),
                version=int(version),
            )
        except FormatError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise FormatError(f"malformed motion format ({type(err).__name__}: {err})") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "MotionFormat":
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as err:
            raise FormatError(f"motion format is not JSON: {err}") from None
        return cls.from_dict(payload)

    def save(self, path: str | Path) -> None:
        """Write the JSON file atomically (:mod:`motiongen.core.atomic`)."""
        from motiongen.core.atomic import write_text

        write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "MotionFormat":
        """Read a file written by :meth:`save`; :class:`InputFileError` naming the file otherwise."""
        path = Path(path)
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise InputFileError(path, f"cannot read the motion format: {err}") from None
        except FormatError as err:
            raise InputFileError(path, str(err)) from None

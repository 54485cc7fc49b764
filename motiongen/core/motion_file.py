"""Generated motion files (``motion.npz``): the motion blocks in units plus their declared format.

Readable with the bottom layer alone (numpy + :mod:`motiongen.core`), so separate consumers (the
renderer, evaluation scripts) need nothing of the trainer. Keys of the ``.npz``:

* ``motion_file_version``: int64 scalar, :data:`MOTION_FILE_VERSION`;
* ``motion_format``: the :class:`~motiongen.core.motion_format.MotionFormat` as a JSON string
  (blocks, statistics, conditioning streams, skeleton template);
* ``block.<name>``: ``(K, F, width)`` float32 per block — ``K`` samples of ``F`` frames at
  ``format.fps``, in the block's units (denormalised);
* ``metadata``: JSON string (provenance: inputs, checkpoint, sampler, seed, warnings, config);
* ``extra.<key>``: further arrays an exporter added (e.g. BVH-ready Euler angles at the output fps).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from motiongen.core.errors import InputFileError
from motiongen.core.motion_format import FormatError, MotionFormat

MOTION_FILE_VERSION = 1
_BLOCK, _EXTRA = "block.", "extra."


class SampledBlocks:
    """Sample and frame counts of a ``blocks`` mapping ``{block name: (K, F, width)}`` (all blocks share K and F)."""

    blocks: dict[str, np.ndarray]

    @property
    def num_samples(self) -> int:
        return int(next(iter(self.blocks.values())).shape[0])

    @property
    def num_frames(self) -> int:
        return int(next(iter(self.blocks.values())).shape[1])


@dataclass
class MotionFile(SampledBlocks):
    """Contents of a motion file.

    Attributes:
        format: the motion format the blocks follow.
        blocks: ``{block name: (K, F, width) float32}`` in the block's units.
        metadata: provenance (plain JSON values).
        extras: other arrays stored by exporters.
    """

    format: MotionFormat
    blocks: dict[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, np.ndarray] = field(default_factory=dict)


def check_blocks(motion_format: MotionFormat, blocks: Mapping[str, np.ndarray]) -> str | None:
    """The reason ``blocks`` do not fit ``motion_format`` (every block ``(K, F, width)``, one K and F), or None."""
    names = set(motion_format.block_names())
    if set(blocks) != names:
        return f"blocks {sorted(blocks)} do not match the format's {sorted(names)}"
    shapes = set()
    for block in motion_format.blocks:
        array = blocks[block.name]
        if array.ndim != 3 or array.shape[2] != block.width:
            return f"block {block.name!r} has shape {array.shape}, expected (samples, frames, {block.width})"
        shapes.add(array.shape[:2])
    if len(shapes) != 1:
        return f"blocks differ in (samples, frames): {sorted(shapes)}"
    return None


def write_motion_file(path: str | Path, motion_format: MotionFormat, blocks: Mapping[str, np.ndarray],
                      metadata: Mapping[str, Any] | None = None, extras: Mapping[str, np.ndarray] | None = None) -> None:
    """Write a compressed motion file.

    Raises:
        ValueError: blocks that do not fit the format.
    """
    blocks = {name: np.asarray(array, dtype=np.float32) for name, array in blocks.items()}
    problem = check_blocks(motion_format, blocks)
    if problem:
        raise ValueError(problem)
    arrays = {f"{_BLOCK}{name}": array for name, array in blocks.items()}
    arrays.update({f"{_EXTRA}{key}": np.asarray(value) for key, value in (extras or {}).items()})
    np.savez_compressed(
        path,
        motion_file_version=np.int64(MOTION_FILE_VERSION),
        motion_format=np.array(motion_format.to_json()),
        metadata=np.array(json.dumps(dict(metadata or {}), default=str)),
        **arrays,
    )


def read_motion_file(path: str | Path) -> MotionFile:
    """Read a motion file written by :func:`write_motion_file`.

    Raises:
        InputFileError: unreadable file, another version, or contents that do not fit the stored
            format (the message names the file and the problem).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            contents = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise InputFileError(path, f"not a readable .npz motion file ({type(err).__name__}: {err})") from None
    if "motion_file_version" not in contents or "motion_format" not in contents:
        raise InputFileError(path, "no motion_file_version / motion_format: not a motiongen motion file "
                                   "(or one written before the motion format was declared)")
    version = int(contents["motion_file_version"])
    if version != MOTION_FILE_VERSION:
        raise InputFileError(path, f"motion file version {version}; this motiongen reads version {MOTION_FILE_VERSION}")
    try:
        motion_format = MotionFormat.from_json(str(contents["motion_format"]))
        metadata = json.loads(str(contents.get("metadata", "{}")))
    except (FormatError, json.JSONDecodeError) as err:
        raise InputFileError(path, str(err)) from None
    blocks = {key[len(_BLOCK):]: value for key, value in contents.items() if key.startswith(_BLOCK)}
    extras = {key[len(_EXTRA):]: value for key, value in contents.items() if key.startswith(_EXTRA)}
    problem = check_blocks(motion_format, blocks)
    if problem:
        raise InputFileError(path, problem)
    return MotionFile(motion_format, blocks, metadata, extras)

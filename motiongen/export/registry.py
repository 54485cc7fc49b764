"""Exporters declare what motion they can write; a run's outputs are chosen from its motion format.

Each :class:`Exporter` states the block representations it needs (BVH: joint rotations on a
skeleton; the ARKit files: the 52 ARKit weights). :func:`select_exporters` returns the ones the
generated motion allows — all of them by default, each impossible one with its reason (recorded in
the run's warnings) — and refuses an explicitly requested one that is impossible, naming why. The
motion file (``motion.npz``) is always written and is not an exporter.

Another package adds its exporter with :func:`register` (e.g. a landmark JSON for MediaPipe
layouts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import JOINT_ROTATIONS, MotionBlock, MotionFormat, Representation
from motiongen.formats.arkit import ARKIT_NAMES


@dataclass
class ExportJob:
    """What an exporter writes from.

    Attributes:
        staging: the (temporary) run folder to write into.
        blocks: ``{block: (K, F, width)}`` in units, at ``fps``.
        motion_format: the blocks' declared format.
        out_fps: frame rate of the exported files.
        audio: ``(wave, sample_rate)`` of the speech, when there is one (previews mux it).
        suffixes: file-name suffix per sample (``""`` for one sample, ``_0``, ``_1``... for several).
        extras: arrays an exporter adds to ``motion.npz`` (e.g. BVH-ready Euler angles).
        warnings: problems an exporter met (reported with the run).
        options: exporter settings from the caller (e.g. ``smplx_model``: an SMPL-X model folder).
    """

    staging: Path
    blocks: dict[str, np.ndarray]
    motion_format: MotionFormat
    out_fps: int
    audio: tuple[np.ndarray, int] | None = None
    suffixes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.motion_format.fps


Requirement = Callable[[MotionFormat], "str | None"]


@dataclass(frozen=True)
class Exporter:
    """An output a run can have.

    Attributes:
        name: what users ask for (``bvh``, ``arkit``, ``preview``, ...).
        files: the file names it writes (for one sample), for help texts.
        needs: representations it needs, as text for messages.
        missing: ``missing(format) -> reason | None``: why this format cannot be written.
        write: ``write(job)`` writes the files into ``job.staging``.
    """

    name: str
    files: tuple[str, ...]
    needs: str
    missing: Requirement
    write: Callable[[ExportJob], None]


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    """Add an exporter (by name; a second registration of a name replaces the first)."""
    EXPORTERS[exporter.name] = exporter
    return exporter


def skeleton_blocks(fmt: MotionFormat) -> tuple[MotionBlock, ...]:
    """Joint-rotation blocks whose joints all belong to the format's skeleton template."""
    if fmt.skeleton is None:
        return ()
    joints = set(fmt.skeleton.skeleton.names)
    return tuple(b for b in fmt.blocks_of(*JOINT_ROTATIONS) if set(b.names) <= joints)


def arkit_block(fmt: MotionFormat) -> MotionBlock | None:
    """The first block of ARKit weights holding all 52 ARKit blendshapes, or None."""
    return next((b for b in fmt.blocks_of(Representation.ARKIT_WEIGHTS) if set(ARKIT_NAMES) <= set(b.names)), None)


def arkit_curves(fmt: MotionFormat, blocks: dict[str, np.ndarray]) -> np.ndarray:
    """``(..., F, 52)`` ARKit weights in ``ARKIT_NAMES`` order from the format's ARKit block.

    Raises:
        ConfigError: the format has no block with all 52 ARKit weights (the reason is named).
    """
    reason = needs_arkit(fmt)
    if reason:
        raise ConfigError(f"no ARKit curves: {reason}")
    block = arkit_block(fmt)
    return blocks[block.name][..., [block.names.index(name) for name in ARKIT_NAMES]]


def needs_skeleton_rotations(fmt: MotionFormat) -> str | None:
    """Why BVH cannot be written from ``fmt`` (None when it can)."""
    if not fmt.blocks_of(*JOINT_ROTATIONS):
        return f"needs a block of joint rotations (axis_angle or rot6d); this motion has {fmt.describe()}"
    if fmt.skeleton is None:
        return "needs a skeleton template; the motion format declares none"
    if not skeleton_blocks(fmt):
        return "the joint-rotation blocks name joints that the skeleton template lacks"
    return None


def needs_arkit(fmt: MotionFormat) -> str | None:
    """Why ARKit files cannot be written from ``fmt`` (None when they can)."""
    blocks = fmt.blocks_of(Representation.ARKIT_WEIGHTS)
    if not blocks:
        return f"needs a block of ARKit weights; this motion has {fmt.describe()}"
    if arkit_block(fmt) is None:
        missing = [name for name in ARKIT_NAMES if name not in blocks[0].names]
        return f"needs all 52 ARKit blendshapes; block {blocks[0].name!r} lacks {len(missing)} ({', '.join(missing[:8])} ...)"
    return None


def needs_all(*requirements: Requirement) -> Requirement:
    """A requirement met when every one of ``requirements`` is."""
    def missing(fmt: MotionFormat) -> str | None:
        reasons = [reason for reason in (r(fmt) for r in requirements) if reason]
        return "; ".join(reasons) or None
    return missing


def select_exporters(fmt: MotionFormat, requested: list[str] | None) -> tuple[list[Exporter], dict[str, str]]:
    """The exporters to run for motion of ``fmt``.

    Args:
        requested: exporter names, or None for every one the format allows.

    Returns:
        ``(exporters, {name: reason})`` — the chosen ones and, with ``requested=None``, the ones
        left out with why.

    Raises:
        ConfigError: an unknown name, or a requested exporter the format does not allow (with the reason).
    """
    if requested is None:
        chosen, skipped = [], {}
        for exporter in EXPORTERS.values():
            reason = exporter.missing(fmt)
            if reason:
                skipped[exporter.name] = reason
            else:
                chosen.append(exporter)
        return chosen, skipped
    unknown = [name for name in requested if name not in EXPORTERS]
    if unknown:
        raise ConfigError(f"unknown output(s) {unknown}; known: {', '.join(EXPORTERS)}")
    impossible = {name: EXPORTERS[name].missing(fmt) for name in requested}
    impossible = {name: reason for name, reason in impossible.items() if reason}
    if impossible:
        raise ConfigError("; ".join(f"output {name} is not possible: {reason}" for name, reason in impossible.items()))
    return [EXPORTERS[name] for name in requested], {}

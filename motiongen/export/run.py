"""Write one generation run into its own folder, all files at once or none (see :mod:`.folder`).

Which files a run gets depends on its motion format (:mod:`motiongen.export.registry`); their names,
the ``_<k>`` suffix of each of ``K > 1`` samples and the keys of ``metadata.json`` are declared in
:mod:`motiongen.core.output_folder`, which readers (``render/``, the quickstart) use too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.core.motion_file import write_motion_file
from motiongen.core.motion_format import Representation
from motiongen.core.output_folder import (
    BVH_FILE,
    FACE_CURVES_FILE,
    FACE_JSON_FILE,
    LIVE_LINK_FILE,
    MOTION_FILE,
    PREVIEW_FILE,
    RunMetadata,
    sample_name,
    sample_suffix,
    write_metadata,
)
from motiongen.export.folder import atomic_run_folder
from motiongen.export.registry import (
    Exporter,
    ExportJob,
    arkit_curves,
    needs_all,
    needs_arkit,
    needs_skeleton_rotations,
    register,
    select_exporters,
    skeleton_blocks,
)
from motiongen.formats.arkit import write_beat_face_json, write_live_link_csv
from motiongen.formats.bvh import write_bvh
from motiongen.formats.joint_sets import full_skeleton_euler
from motiongen.generation.types import GeneratedMotion
from motiongen.output_folders import MARKER_NAME

log = logging.getLogger(__name__)

SUPPORTED_FPS = (30, 120)
#: Exporters that render videos/plots (left out with ``preview=False``).
PREVIEWS = ("preview", "smplx_preview", "landmarks_preview")


@dataclass
class RunFolder:
    """What :func:`write_run` produced: the folder, its files by file name, and the warnings
    (including the outputs the motion format did not allow, with the reason)."""

    folder: Path
    files: dict[str, Path]
    warnings: list[str] = field(default_factory=list)


def skeleton_axis_angle(job: ExportJob, sample: int) -> tuple[list[str], np.ndarray]:
    """Joint names and ``(F, 3J)`` axis-angle radians of every skeleton joint the motion rotates
    (6-D rotations converted), for one sample."""
    from motiongen.core.rotations import matrix_to_axis_angle, sixd_to_matrix

    names, parts = [], []
    for block in skeleton_blocks(job.motion_format):
        values = job.blocks[block.name][sample]
        if block.representation == Representation.ROT6D:
            frames = len(values)
            values = matrix_to_axis_angle(sixd_to_matrix(values.reshape(frames, -1, 6))).reshape(frames, -1)
        names.extend(block.names)
        parts.append(np.asarray(values, dtype=np.float64))
    return names, np.concatenate(parts, axis=1)


def arkit_weights(job: ExportJob, sample: int) -> np.ndarray:
    """``(F, 52)`` ARKit weights in ``ARKIT_NAMES`` order, for one sample."""
    return arkit_curves(job.motion_format, job.blocks)[sample]


def _write_bvh(job: ExportJob) -> None:
    from motiongen.core.framerate import resample_motion

    template = job.motion_format.skeleton
    eulers, roots = [], []
    for k in range(len(job.suffixes)):
        names, axis_angle = skeleton_axis_angle(job, k)
        euler, root = full_skeleton_euler(template, names, axis_angle)
        if job.out_fps != job.fps:
            euler, root = resample_motion(template.skeleton, euler, root, job.fps, job.out_fps)
        write_bvh(job.staging / sample_name(BVH_FILE, k, len(job.suffixes)), template.skeleton, euler, root, frame_time=1.0 / job.out_fps)
        eulers.append(euler)
        roots.append(root)
    job.extras.update(euler_deg=np.stack(eulers).astype(np.float32), root_translation=np.stack(roots).astype(np.float32),
                      bvh_joint_names=np.array(template.skeleton.names), out_fps=np.float64(job.out_fps))


def _write_arkit(job: ExportJob) -> None:
    from motiongen.core.framerate import resample_curves

    faces = []
    for k in range(len(job.suffixes)):
        face = arkit_weights(job, k)
        if job.out_fps != job.fps:
            face = resample_curves(face, job.fps, job.out_fps)
        write_beat_face_json(job.staging / sample_name(FACE_JSON_FILE, k, len(job.suffixes)), face, fps=job.out_fps)
        write_live_link_csv(job.staging / sample_name(LIVE_LINK_FILE, k, len(job.suffixes)), face, fps=job.out_fps)
        faces.append(face)
    job.extras["face_weights_out_fps"] = np.stack(faces).astype(np.float32)


def _write_preview(job: ExportJob) -> None:
    from motiongen.export.preview import plot_face_curves, write_preview

    template = job.motion_format.skeleton
    names, axis_angle = skeleton_axis_angle(job, 0)
    euler, root = full_skeleton_euler(template, names, axis_angle)
    face = arkit_weights(job, 0)
    write_preview(job.staging / PREVIEW_FILE, template.skeleton, euler, root, face, job.fps, job.audio)
    plot_face_curves(job.staging / FACE_CURVES_FILE, face, job.fps)


register(Exporter("bvh", (BVH_FILE,), "joint rotations on a skeleton template", needs_skeleton_rotations, _write_bvh))
register(Exporter("arkit", (FACE_JSON_FILE, LIVE_LINK_FILE), "the 52 ARKit weights", needs_arkit, _write_arkit))
register(Exporter("preview", (PREVIEW_FILE, FACE_CURVES_FILE), "joint rotations on a skeleton and the 52 ARKit weights",
                  needs_all(needs_skeleton_rotations, needs_arkit), _write_preview))
# The SMPL-X outputs (smplx, smplx_preview) register after these, so runs list them after BEAT's.
from motiongen.export import smplx_outputs  # noqa: E402,F401
# Holistic landmarks and their preview for landmark formats (Slovo's text-to-sign).
from motiongen.export import landmarks  # noqa: E402,F401


def write_run(
    out_dir: str | Path,
    generated: GeneratedMotion,
    out_fps: int = 30,
    inputs: dict[str, Any] | None = None,
    model: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    audio: tuple[np.ndarray, int] | None = None,
    outputs: list[str] | None = None,
    preview: bool = True,
    overwrite: bool = False,
    options: dict[str, Any] | None = None,
) -> RunFolder:
    """Export ``generated`` into ``out_dir`` atomically.

    Args:
        out_fps: frame rate of the exported files: 30 (the model's) or 120 (BEAT capture rate, upsampled).
        inputs: provenance of the inputs, e.g. ``{"audio": {"path": ..., "sha256": ...}}``.
        model: checkpoint provenance, e.g. ``{"checkpoint": path, "sha256": ...}``.
        config: resolved generation + training configuration (plain dict).
        audio: ``(wave, sample_rate)`` muxed into the preview.
        outputs: exporter names (``bvh``, ``arkit``, ``preview``, ...); None = every one the motion
            format allows (the others are listed in the warnings with the reason).
        preview: with ``outputs=None``, also the ``preview`` outputs (``preview``, ``smplx_preview``).
        options: exporter settings, e.g. ``{"smplx_model": folder}`` for the SMPL-X mesh preview,
            ``{"extras": assets.extras}`` (set from the assets) for outputs that read a checkpoint extra.

    Raises:
        ConfigError: unsupported fps, an unknown or impossible requested output (before anything
            is written).
    """
    if out_fps not in SUPPORTED_FPS:
        raise ConfigError(f"output fps must be one of {SUPPORTED_FPS}, got {out_fps}")
    fmt = generated.motion_format
    exporters, skipped = select_exporters(fmt, outputs)
    if outputs is None and not preview:
        exporters = [e for e in exporters if e.name not in PREVIEWS]
        for name in PREVIEWS:
            skipped.pop(name, None)
    warnings = list(generated.warnings) + [f"no {name} output: {reason}" for name, reason in skipped.items()]
    for warning in warnings[len(generated.warnings):]:
        log.info(warning)
    count = generated.num_samples
    with atomic_run_folder(out_dir, overwrite) as staging:
        job = ExportJob(staging, generated.blocks, fmt, out_fps, audio, [sample_suffix(k, count) for k in range(count)],
                        options=dict(options or {}))
        for exporter in exporters:
            exporter.write(job)
        metadata = RunMetadata(inputs=inputs or {}, model=model or {}, generation=generated.metadata, output_fps=out_fps,
                               outputs=[e.name for e in exporters], warnings=warnings + job.warnings, config=config or {})
        write_motion_file(staging / MOTION_FILE, fmt, generated.blocks, metadata.to_dict(), job.extras)
        write_metadata(staging, metadata)
        names = sorted(path.name for path in staging.iterdir() if path.name != MARKER_NAME)
    folder = Path(out_dir).resolve()
    return RunFolder(folder, {name: folder / name for name in names}, warnings + job.warnings)

"""SMPL-X outputs of a generation run: ``smplx.npz`` (BEAT2/EMAGE layout) and ``smplx_preview.mp4``.

``smplx`` is possible for motion with joint rotations over SMPL-X joints (BEAT2-trained models) or
over a skeleton template (BEAT-trained models, retargeted; :mod:`motiongen.export.smplx_export`).
``smplx_preview`` renders the first sample on the SMPL-X mesh when the run's options name a model
folder (``smplx_model``), else the skeleton with a warning saying so; it is only chosen by default
for motion that has no ARKit face (the stick-figure ``preview`` covers BEAT).
"""

from __future__ import annotations

from motiongen.core.motion_format import MotionFormat
from motiongen.core.output_folder import SMPLX_FILE, SMPLX_PREVIEW_FILE, sample_name
from motiongen.export.registry import Exporter, ExportJob, needs_arkit, register
from motiongen.export.smplx_export import smplx_motion, smplx_source


def needs_smplx(fmt: MotionFormat) -> str | None:
    """Why ``smplx.npz`` cannot be written from ``fmt`` (None when it can)."""
    if smplx_source(fmt) is None:
        return ("needs joint rotations over SMPL-X joints, or over a skeleton template with BEAT's joints "
                f"(retargeted); this motion has {fmt.describe()}")
    return None


def needs_smplx_preview(fmt: MotionFormat) -> str | None:
    """The mesh preview: SMPL-X motion, for formats the stick-figure preview cannot show."""
    reason = needs_smplx(fmt)
    if reason:
        return reason
    if needs_arkit(fmt) is None:
        return "the motion has ARKit weights: the stick-figure preview shows it (ask for smplx_preview explicitly)"
    return None


def _samples(job: ExportJob):
    for k in range(len(job.suffixes)):
        yield smplx_motion(job.motion_format, {name: values[k] for name, values in job.blocks.items()})


def _write_smplx(job: ExportJob) -> None:
    from motiongen.formats.smplx_motion import write_smplx_motion

    for k, motion in enumerate(_samples(job)):
        write_smplx_motion(job.staging / sample_name(SMPLX_FILE, k, len(job.suffixes)), motion)


def _write_smplx_preview(job: ExportJob) -> None:
    from motiongen.export.mesh_preview import write_smplx_preview

    motion = next(_samples(job))
    result = write_smplx_preview(job.staging / SMPLX_PREVIEW_FILE, motion, job.options.get("smplx_model"),
                                 audio=job.audio, flat_hand_mean=bool(job.options.get("flat_hand_mean", False)))
    job.warnings.extend(result.warnings)


register(Exporter("smplx", (SMPLX_FILE,), "joint rotations over SMPL-X joints or a skeleton template", needs_smplx,
                  _write_smplx))
register(Exporter("smplx_preview", (SMPLX_PREVIEW_FILE,), "SMPL-X motion (mesh with options.smplx_model)",
                  needs_smplx_preview, _write_smplx_preview))

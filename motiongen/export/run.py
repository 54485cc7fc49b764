"""Write one generation run into its own folder, all files at once or none (see :mod:`.folder`).

Folder layout (``K`` samples; with ``K > 1`` the per-sample files get a ``_<k>`` suffix)::

    motion.bvh            full-hierarchy BVH at the requested fps (30 or 120)
    face.json             BEAT-format ARKit blendshape JSON (time stamps in seconds)
    face_livelink.csv     Live Link Face CSV (timecode, count, 52 blendshapes, head/eye rotations)
    motion.npz            raw arrays + names, fps, input hashes, checkpoint, seed, config
    metadata.json         the same provenance, human-readable
    preview.mp4           stick figure + face with the speech (first sample, model fps; optional)
    face_curves.png       main mouth/eye blendshape curves (first sample; optional)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.errors import ConfigError
from motiongen.export.bvh_export import SkeletonTemplate, full_skeleton_euler
from motiongen.export.folder import atomic_run_folder
from motiongen.formats.arkit import ARKIT_NAMES, write_beat_face_json, write_live_link_csv
from motiongen.formats.bvh import write_bvh
from motiongen.generation.pipeline import GeneratedMotion
from motiongen.output_folders import MARKER_NAME

log = logging.getLogger(__name__)

SUPPORTED_FPS = (30, 120)


@dataclass
class RunFolder:
    """What :func:`write_run` produced: the folder and its files by file name."""

    folder: Path
    files: dict[str, Path]
    warnings: list[str] = field(default_factory=list)


def arkit_order(blendshape_names: list[str], expression: np.ndarray) -> np.ndarray:
    """Reorder ``(..., E)`` expression channels named ``blendshape_names`` into ``ARKIT_NAMES`` order."""
    missing = [name for name in ARKIT_NAMES if name not in blendshape_names]
    if missing:
        raise ConfigError(f"model expression channels lack {len(missing)} ARKit blendshapes: {', '.join(missing)}")
    return expression[..., [blendshape_names.index(name) for name in ARKIT_NAMES]]


def resample_to(gesture_euler: np.ndarray, root: np.ndarray, face: np.ndarray, skeleton, fps: float, out_fps: int):
    """Motion at ``fps`` → ``out_fps`` with issue 2's frame-rate converter (rotations by slerp)."""
    if out_fps == fps:
        return gesture_euler, root, face
    from motiongen.geometry.framerate import resample_curves, resample_motion

    euler, root = resample_motion(skeleton, gesture_euler, root, fps, out_fps)
    return euler, root, resample_curves(face, fps, out_fps)


def _suffix(k: int, count: int) -> str:
    return "" if count == 1 else f"_{k}"


def write_run(
    out_dir: str | Path,
    generated: GeneratedMotion,
    template: SkeletonTemplate,
    out_fps: int = 30,
    inputs: dict[str, Any] | None = None,
    model: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    audio: tuple[np.ndarray, int] | None = None,
    preview: bool = True,
    overwrite: bool = False,
) -> RunFolder:
    """Export ``generated`` into ``out_dir`` atomically.

    Args:
        template: skeleton and rest pose the generated joints are written onto.
        out_fps: BVH/face frame rate: 30 (the model's) or 120 (BEAT capture rate, upsampled).
        inputs: provenance of the inputs, e.g. ``{"audio": {"path": ..., "sha256": ...}}``.
        model: checkpoint provenance, e.g. ``{"checkpoint": path, "sha256": ...}``.
        config: resolved generation + training configuration (plain dict).
        audio: ``(wave, sample_rate)`` muxed into the preview.
        preview: also render ``preview.mp4`` and ``face_curves.png`` for the first sample.

    Raises:
        ConfigError: unsupported fps or missing ARKit channels (before anything is written).
    """
    if out_fps not in SUPPORTED_FPS:
        raise ConfigError(f"output fps must be one of {SUPPORTED_FPS}, got {out_fps}")
    face_all = arkit_order(generated.blendshape_names, generated.expression)
    count = generated.gesture.shape[0]
    euler_all, root_all, face_out_all = [], [], []
    with atomic_run_folder(out_dir, overwrite) as staging:
        for k in range(count):
            model_euler, model_root = full_skeleton_euler(template, generated.joint_names, generated.gesture[k])
            if k == 0:
                preview_motion = (model_euler, model_root, face_all[0])
            euler, root, face = resample_to(model_euler, model_root, face_all[k], template.skeleton, generated.fps, out_fps)
            suffix = _suffix(k, count)
            write_bvh(staging / f"motion{suffix}.bvh", template.skeleton, euler, root, frame_time=1.0 / out_fps)
            write_beat_face_json(staging / f"face{suffix}.json", face, fps=out_fps)
            write_live_link_csv(staging / f"face_livelink{suffix}.csv", face, fps=out_fps)
            euler_all.append(euler)
            root_all.append(root)
            face_out_all.append(face)
        provenance = {
            "inputs": inputs or {},
            "model": model or {},
            "generation": generated.metadata,
            "output_fps": out_fps,
            "warnings": generated.warnings,
            "config": config or {},
        }
        np.savez_compressed(
            staging / "motion.npz",
            gesture_axis_angle=generated.gesture,
            expression=face_all.astype(np.float32),
            euler_deg=np.stack(euler_all).astype(np.float32),
            root_translation=np.stack(root_all).astype(np.float32),
            face_weights_out_fps=np.stack(face_out_all).astype(np.float32),
            fps=np.float64(generated.fps),
            out_fps=np.float64(out_fps),
            joint_names=np.array(generated.joint_names),
            bvh_joint_names=np.array(template.skeleton.names),
            blendshape_names=np.array(ARKIT_NAMES),
            seed=np.int64(generated.metadata.get("seed", 0)),
            input_hashes=np.array(json.dumps({k: v.get("sha256") for k, v in (inputs or {}).items() if isinstance(v, dict)})),
            checkpoint=np.array(str((model or {}).get("checkpoint", ""))),
            checkpoint_sha256=np.array(str((model or {}).get("sha256", ""))),
            config=np.array(json.dumps(config or {}, default=str)),
            metadata=np.array(json.dumps(provenance, default=str)),
        )
        (staging / "metadata.json").write_text(json.dumps(provenance, indent=2, default=str) + "\n", encoding="utf-8")
        if preview:
            from motiongen.export.preview import plot_face_curves, write_preview

            euler, root, face = preview_motion
            write_preview(staging / "preview.mp4", template.skeleton, euler, root, face, generated.fps, audio)
            plot_face_curves(staging / "face_curves.png", face, generated.fps)
        names = sorted(path.name for path in staging.iterdir() if path.name != MARKER_NAME)
    folder = Path(out_dir).resolve()
    return RunFolder(folder, {name: folder / name for name in names}, list(generated.warnings))

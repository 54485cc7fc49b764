"""Reading a motiongen generation folder for rendering: joint positions, head rotation, ARKit weights.

A generation folder holds ``motion.bvh`` (the BEAT skeleton with the generated rotations) and
``motion.npz`` (``face_weights_out_fps`` ``(K, F, 52)`` in the order of ``blendshape_names``, at
``out_fps``, the same rate as the BVH). The first sample (K = 0) is rendered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motiongen.formats.arkit import ARKIT_NAMES
from render.errors import RenderError


@dataclass
class RenderMotion:
    """Motion ready for retargeting.

    Attributes:
        positions: ``(F, J, 3)`` global joint positions in cm (BVH world, y up).
        rotations: ``(F, J, 3, 3)`` global joint rotations.
        joint_names: the ``J`` joint names.
        weights: ``(F, 52)`` ARKit weights in ``ARKIT_NAMES`` order.
        fps: frames per second.
        audio: the speech the motion was generated from: the input file named in
            ``metadata.json`` when it exists, else the folder's ``preview.mp4`` (which carries the
            speech as its audio track, e.g. synthesised speech), else None.
    """

    positions: np.ndarray
    rotations: np.ndarray
    joint_names: list[str]
    weights: np.ndarray
    fps: float
    audio: Path | None = None


def _speech_path(folder: Path) -> Path | None:
    metadata = folder / "metadata.json"
    inputs = json.loads(metadata.read_text(encoding="utf-8")).get("inputs", {}) if metadata.is_file() else {}
    audio = inputs.get("audio", {})
    path = Path(audio.get("path", "")) if isinstance(audio, dict) and audio.get("path") else None
    if path is not None and path.is_file():
        return path
    preview = folder / "preview.mp4"
    return preview if preview.is_file() else None


def read_generation_folder(folder: str | Path) -> RenderMotion:
    """Read a motiongen output folder (or its ``motion.npz``).

    Raises:
        RenderError: the folder lacks ``motion.bvh``/``motion.npz`` or the arrays the renderer needs.
    """
    folder = Path(folder).expanduser()
    if folder.is_file() and folder.name.endswith(".npz"):
        folder = folder.parent
    bvh_path, npz_path = folder / "motion.bvh", folder / "motion.npz"
    for path in (bvh_path, npz_path):
        if not path.is_file():
            raise RenderError(f"motion folder {folder} lacks {path.name} (expected a motiongen generation output folder)")
    with np.load(npz_path, allow_pickle=False) as data:
        missing = [key for key in ("face_weights_out_fps", "blendshape_names", "out_fps") if key not in data]
        if missing:
            raise RenderError(f"{npz_path}: motion file lacks {', '.join(missing)} (the face block the renderer needs)")
        names = [str(name) for name in data["blendshape_names"]]
        faces, fps = data["face_weights_out_fps"], float(data["out_fps"])
    absent = [name for name in ARKIT_NAMES if name not in names]
    if absent:
        raise RenderError(f"{npz_path}: blendshape block lacks {len(absent)} ARKit names, e.g. {absent[0]}")
    weights = faces[0][:, [names.index(name) for name in ARKIT_NAMES]].astype(np.float64)

    from motiongen.formats.bvh import read_bvh
    from motiongen.geometry.kinematics import forward_kinematics

    bvh = read_bvh(bvh_path)
    positions, rotations = forward_kinematics(bvh.skeleton, bvh.local_rotations(), bvh.root_translation,
                                              bvh.joint_translations, return_rotations=True)
    if len(positions) != len(weights):
        raise RenderError(f"{folder}: motion.bvh has {len(positions)} frames but the face block has {len(weights)}")
    return RenderMotion(positions, rotations, list(bvh.skeleton.names), weights, fps, _speech_path(folder))

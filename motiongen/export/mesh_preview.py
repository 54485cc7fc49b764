"""SMPL-X mesh preview: the body built with the ``smplx`` package from a local model folder,
rendered headless by :mod:`motiongen.export.rasterise` and encoded as H.264 with the speech as AAC.

Layout (``2 * PANEL`` x ``PANEL`` pixels): left, the whole body under a fixed orthographic camera
(yaw 15 degrees, pitch 5, fitted to every frame's vertices, so root motion shows); right, a
front close-up of the head that follows the head joint (0.36 m across), where jaw and FLAME
expression motion is visible.

The SMPL-X model files are licensed (smpl-x.is.tue.mpg.de) and cannot be shipped; the folder comes
from config or ``--smplx-model``. Without one, :func:`write_smplx_preview` says so and writes the
skeleton preview (stick figure from the approximate SMPL-X rest skeleton, face panel driven by the
jaw) instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from motiongen.core.smplx_skeleton import (
    NUM_FLAME_EXPRESSIONS,
    NUM_SMPLX_JOINTS,
    SMPLX_APPROX_REST_OFFSETS_M,
    SMPLX_JOINT_NAMES,
    SMPLX_PARENTS,
    rest_joint_positions,
)
from motiongen.export.preview import PANEL, PreviewResult, render_frames
from motiongen.export.rasterise import shade, vertex_normals
from motiongen.export.smplx_retarget import JAW_OPEN_DEGREES, smplx_joint_positions
from motiongen.export.video import write_mp4
from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.formats.smplx_model import check_model_file, find_model_file
from motiongen.formats.smplx_motion import SmplxMotion

log = logging.getLogger(__name__)

HEAD_VIEW_METRES = 0.36
_HEAD = SMPLX_JOINT_NAMES.index("head")
_JAW = SMPLX_JOINT_NAMES.index("jaw")


@dataclass
class SmplxBody:
    """A loaded SMPL-X model: the ``smplx`` module, its faces ``(T, 3)`` and the model file."""

    model: torch.nn.Module
    faces: torch.Tensor
    path: Path

    def rest_joints(self) -> np.ndarray:
        """``(55, 3)`` rest joints (metres) of the mean shape: ``J_regressor @ v_template``."""
        joints = self.model.J_regressor @ self.model.v_template
        return joints[:NUM_SMPLX_JOINTS].double().numpy()


def load_smplx_body(model_folder: str | Path, gender: str | None = None, flat_hand_mean: bool = False) -> SmplxBody:
    """Build the SMPL-X body with ``smplx.create`` from a folder holding ``SMPLX_<GENDER>.npz``.

    Args:
        model_folder: the folder (or its parent with a ``smplx/`` sub-folder).
        gender: ``neutral``, ``NEUTRAL_2020``, ...; None picks the neutral file found.
        flat_hand_mean: False (EMAGE's setting for BEAT2) adds the model's mean hand pose to the
            hand rotations, True uses them as they are.

    Raises:
        InputFileError: no model file, or one without the SMPL-X keys and shapes.
    """
    import smplx

    path, gender = find_model_file(model_folder, gender)
    shapes = check_model_file(path)
    num_shape = shapes["shapedirs"][2] - NUM_FLAME_EXPRESSIONS
    model = smplx.create(str(path), model_type="smplx", gender=gender, ext="npz", use_pca=False,
                         num_betas=max(num_shape, 10), num_expression_coeffs=NUM_FLAME_EXPRESSIONS,
                         flat_hand_mean=flat_hand_mean, use_face_contour=False)
    model.eval()
    return SmplxBody(model=model, faces=model.faces_tensor.long(), path=path)


def body_vertices(body: SmplxBody, motion: SmplxMotion, chunk: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Posed mesh of every frame.

    Returns:
        ``(vertices (F, V, 3), joints (F, 55, 3))`` float32 metres.
    """
    model = body.model
    poses = torch.from_numpy(motion.poses).float()
    expressions = torch.from_numpy(motion.expressions).float()[:, :model.num_expression_coeffs]
    trans = torch.from_numpy(motion.trans).float()
    betas = torch.zeros(model.num_betas)
    count = min(model.num_betas, len(motion.betas))
    betas[:count] = torch.from_numpy(motion.betas[:count]).float()
    vertices, joints = [], []
    with torch.no_grad():
        for start in range(0, motion.num_frames, chunk):
            p = poses[start:start + chunk]
            n = len(p)
            out = model(betas=betas.expand(n, -1), global_orient=p[:, 0:3], body_pose=p[:, 3:66],
                        jaw_pose=p[:, 66:69], leye_pose=p[:, 69:72], reye_pose=p[:, 72:75],
                        left_hand_pose=p[:, 75:120], right_hand_pose=p[:, 120:165],
                        expression=expressions[start:start + n], transl=trans[start:start + n],
                        return_verts=True)
            vertices.append(out.vertices.numpy())
            joints.append(out.joints[:, :NUM_SMPLX_JOINTS].numpy())
    return np.concatenate(vertices), np.concatenate(joints)


def _view_matrix(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    rot_y = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    return rot_x @ rot_y


def _to_image(view: torch.Tensor, centre: torch.Tensor, scale: float, size: int) -> torch.Tensor:
    """View-space ``(..., 3)`` (y up) -> pixel x, pixel y (down), depth; ``centre`` (..., 2)."""
    x = (view[..., 0] - centre[..., 0:1]) * scale + size / 2
    y = -(view[..., 1] - centre[..., 1:2]) * scale + size / 2
    return torch.stack([x, y, view[..., 2] * scale], -1)


def render_mesh_frames(vertices: np.ndarray, faces: torch.Tensor, head: np.ndarray, size: int = PANEL,
                       chunk: int = 32):
    """Yield ``(size, 2 * size, 3)`` uint8 frames: whole body left, head close-up right.

    Args:
        vertices: ``(F, V, 3)`` metres, Y up.
        faces: ``(T, 3)`` int64 vertex indices.
        head: ``(F, 3)`` head joint positions, metres.
    """
    body_view = torch.from_numpy(_view_matrix(15.0, 5.0).T).float()
    head_view = torch.from_numpy(_view_matrix(0.0, 0.0).T).float()
    sample = torch.from_numpy(vertices[:, ::7].reshape(-1, 3)).float() @ body_view
    low, high = sample.min(0).values, sample.max(0).values
    body_scale = 0.88 * size / max(float((high - low)[:2].max()), 1e-6)
    body_centre = ((low + high) / 2)[:2]
    head_scale = size / HEAD_VIEW_METRES
    for start in range(0, len(vertices), chunk):
        v = torch.from_numpy(vertices[start:start + chunk]).float()
        normals = vertex_normals(v, faces)
        flip = torch.tensor([1.0, -1.0, 1.0])
        for k in range(len(v)):
            left = _to_image(v[k] @ body_view, body_centre, body_scale, size)
            right_centre = (torch.from_numpy(head[start + k]).float() @ head_view)[:2] + torch.tensor([0.0, 0.02])
            right = _to_image(v[k] @ head_view, right_centre, head_scale, size)
            frame = np.empty((size, 2 * size, 3), dtype=np.uint8)
            frame[:, :size] = shade(left, (normals[k] @ body_view) * flip, faces, size, size)
            frame[:, size:] = shade(right, (normals[k] @ head_view) * flip, faces, size, size)
            frame[:, size - 1:size + 1] = 200
            yield frame


def write_mesh_preview(path: str | Path, motion: SmplxMotion, body: SmplxBody,
                       audio: tuple[np.ndarray, int] | None = None, crf: int = 23) -> PreviewResult:
    """Render ``motion`` on the SMPL-X mesh to an MP4 at ``motion.fps`` with the speech muxed."""
    if motion.num_frames == 0:
        raise ValueError("need at least one frame for a preview")
    vertices, joints = body_vertices(body, motion)
    frames = render_mesh_frames(vertices, body.faces, joints[:, _HEAD])
    write_mp4(path, frames, 2 * PANEL, PANEL, motion.fps, motion.num_frames, audio=audio, crf=crf)
    return PreviewResult(path=Path(path), num_frames=motion.num_frames, fps=motion.fps,
                         audio_seconds=motion.duration if audio is not None else None)


def _skeleton_preview(path: Path, motion: SmplxMotion, audio, crf: int) -> PreviewResult:
    rest = rest_joint_positions(SMPLX_APPROX_REST_OFFSETS_M)
    positions = 100.0 * smplx_joint_positions(motion.poses, motion.trans, rest)
    face = np.zeros((motion.num_frames, len(ARKIT_NAMES)), dtype=np.float32)
    jaw_pitch = motion.poses[:, 3 * _JAW]
    face[:, ARKIT_NAMES.index("jawOpen")] = np.clip(jaw_pitch / np.radians(JAW_OPEN_DEGREES), 0, 1)
    names = [n.replace("left", "Left").replace("right", "Right") for n in SMPLX_JOINT_NAMES]
    names[_HEAD] = "Head"
    images = render_frames(positions, SMPLX_PARENTS, names, face)
    write_mp4(path, images, 2 * PANEL, PANEL, motion.fps, motion.num_frames, audio=audio, crf=crf)
    return PreviewResult(path=path, num_frames=motion.num_frames, fps=motion.fps,
                         audio_seconds=motion.duration if audio is not None else None)


def write_smplx_preview(path: str | Path, motion: SmplxMotion, model_folder: str | Path | None = None,
                        audio: tuple[np.ndarray, int] | None = None, gender: str | None = None,
                        flat_hand_mean: bool = False, crf: int = 23) -> PreviewResult:
    """Mesh preview when ``model_folder`` is given, else the skeleton preview with a warning.

    Raises:
        InputFileError: ``model_folder`` is given but holds no usable SMPL-X model file.
    """
    path = Path(path)
    if model_folder is None:
        message = ("no SMPL-X model folder given (--smplx-model or export.smplx_model); the SMPL-X model "
                   "files are licensed and must be downloaded from smpl-x.is.tue.mpg.de — wrote the "
                   "skeleton preview instead of the mesh")
        log.warning(message)
        result = _skeleton_preview(path, motion, audio, crf)
        result.warnings.append(message)
        return result
    body = load_smplx_body(model_folder, gender=gender, flat_hand_mean=flat_hand_mean)
    return write_mesh_preview(path, motion, body, audio=audio, crf=crf)

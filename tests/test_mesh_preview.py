"""SMPL-X mesh preview: body from ``smplx.create`` on a synthetic model file, software rasteriser,
MP4 with speech; the skeleton fallback without a model folder."""

from __future__ import annotations

import logging

import av
import numpy as np
import pytest
import torch

from motiongen.core.errors import InputFileError
from motiongen.export.mesh_preview import body_vertices, load_smplx_body, write_smplx_preview
from motiongen.export.rasterise import _coverage, shade, vertex_normals
from smplx_samples import synthetic_smplx_motion


def _streams(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        return video.width, video.height, frames, [s.type for s in container.streams]


def test_rasteriser_draws_the_nearest_front_face():
    # Two squares (two triangles each, counter-clockwise seen from +z) facing the viewer; the
    # nearer one (z = 5) covers the middle of the farther one (z = 1).
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    far = np.c_[square * 40 + 10, np.full(4, 1.0)]
    near = np.c_[square * 20 + 20, np.full(4, 5.0)]
    world = torch.tensor(np.concatenate([far, near]), dtype=torch.float32)
    faces = torch.tensor([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    # Image coordinates flip y, so counter-clockwise in a y-up world arrives clockwise on screen.
    screen = world * torch.tensor([1.0, -1.0, 1.0]) + torch.tensor([0.0, 64.0, 0.0])
    normals = torch.tensor([[0.0, 0.0, 1.0]]).repeat(8, 1)
    face_at = _coverage(screen, faces, 64, 64).reshape(64, 64)
    assert face_at[2, 2] == -1  # outside both
    assert face_at[64 - 15, 15] in (0, 1) and face_at[64 - 30, 30] in (2, 3)  # far only; near wins
    assert (face_at >= 0).sum() == 40 * 40  # pixel centres inside the far square's 40 x 40 area
    image = shade(screen, normals, faces, 64, 64, colour=(1.0, 0.0, 0.0), background=(0, 0, 255))
    assert tuple(image[2, 2]) == (0, 0, 255) and image[64 - 30, 30, 0] > 200
    back = shade(screen, normals, faces[:, [0, 2, 1]], 64, 64, background=(0, 0, 255))
    assert (back[..., 2] == 255).all()  # back faces are culled
    normals_out = vertex_normals(world[None], faces)
    np.testing.assert_allclose(normals_out[0, :, 2].numpy(), 1.0, atol=1e-6)


def test_mesh_preview_mp4_with_speech(smplx_model_folder, tmp_path):
    motion = synthetic_smplx_motion(12, seed=1)
    body = load_smplx_body(smplx_model_folder)
    vertices, joints = body_vertices(body, motion)
    assert vertices.shape == (12, 10475, 3) and joints.shape == (12, 55, 3)
    # The mesh follows the root translation.
    np.testing.assert_allclose(joints[:, 0] - joints[0, 0], motion.trans - motion.trans[0], atol=2e-4)
    wave = 0.1 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 200).astype(np.float32)
    result = write_smplx_preview(tmp_path / "mesh.mp4", motion, smplx_model_folder, audio=(wave, 16000))
    assert result.num_frames == 12 and not result.warnings
    width, height, frames, kinds = _streams(result.path)
    assert (width, height, frames) == (960, 480, 12) and kinds == ["video", "audio"]
    assert not list(tmp_path.glob(".*partial*"))


def test_without_a_model_folder_the_skeleton_preview_is_written(tmp_path, caplog):
    motion = synthetic_smplx_motion(10, seed=2)
    with caplog.at_level(logging.WARNING):
        result = write_smplx_preview(tmp_path / "skeleton.mp4", motion, None)
    assert "no SMPL-X model folder given" in caplog.text and "skeleton preview" in result.warnings[0]
    assert _streams(result.path)[:3] == (960, 480, 10)


def test_a_folder_without_a_model_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match=str(tmp_path)):
        write_smplx_preview(tmp_path / "x.mp4", synthetic_smplx_motion(3, seed=0), tmp_path)

"""Keypoint renderer and shared geometry of render/: shapes, identity at initialisation, learning."""

from __future__ import annotations

import math

import pytest
import torch

from render import metrics
from render.geometry import fit_similarity
from render.models.keypoint import KeypointRenderer, identity_grid


def _small_renderer(num_keypoints: int = 6) -> KeypointRenderer:
    return KeypointRenderer(num_keypoints, base_channels=8, num_down=2, num_res=1, motion_channels=8, motion_blocks=2,
                            motion_scale=0.5, sigma=0.1)


def test_fit_similarity_recovers_scale_rotation_translation():
    generator = torch.Generator().manual_seed(0)
    source = torch.randn(2, 10, 2, generator=generator)
    angle, scale = 0.3, 1.7
    matrix = scale * torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    target = source @ matrix.T + torch.tensor([0.5, -2.0])
    weights = torch.ones(2, 10)
    source[1, 3] = float("nan")
    weights[1, 3] = 0
    fitted, translation = fit_similarity(source, target, weights)
    assert torch.allclose(fitted, matrix.expand(2, 2, 2), atol=1e-4)
    assert torch.allclose(translation, torch.tensor([[0.5, -2.0]] * 2), atol=1e-4)


def test_fit_similarity_with_too_few_points_is_identity():
    source = torch.tensor([[[1.0, 2.0], [float("nan"), 0.0]]])
    matrix, _ = fit_similarity(source, source + 1, torch.ones(1, 2))
    assert torch.equal(matrix, torch.eye(2)[None])


def test_untrained_keypoint_renderer_returns_the_reference():
    torch.manual_seed(0)
    renderer = _small_renderer()
    source = torch.rand(2, 3, 32, 24)
    kp = torch.rand(2, 6, 2) * 2 - 1
    out = renderer(source, kp, kp + 0.1, torch.ones(2, 6, dtype=torch.bool), torch.rand(2, 3, 32, 24))
    assert out["prediction"].shape == source.shape
    assert out["flow"].shape == (2, 16, 12, 2)
    assert (out["prediction"] - source).abs().max() < 0.03


def test_identity_grid_samples_the_image_exactly():
    image = torch.rand(1, 3, 8, 5)
    grid = identity_grid(8, 5, image)[None]
    assert torch.allclose(torch.nn.functional.grid_sample(image, grid, align_corners=False), image, atol=1e-6)


def test_keypoint_renderer_learns_to_follow_a_moved_square():
    """A bright square moves with its keypoints; training must beat copying the source."""
    torch.manual_seed(0)
    renderer = _small_renderer(4)
    source = torch.zeros(4, 3, 32, 32)
    source[:, :, 8:16, 8:16] = 1
    target = torch.zeros_like(source)
    target[:, :, 14:22, 12:20] = 1
    corners = torch.tensor([[-0.5, -0.5], [0.0, -0.5], [-0.5, 0.0], [0.0, 0.0]]).expand(4, 4, 2)
    shift = torch.tensor([4 / 16, 6 / 16])
    condition = target.clone()
    optimiser = torch.optim.Adam(renderer.parameters(), lr=3e-3)
    valid = torch.ones(4, 4, dtype=torch.bool)
    for _ in range(60):
        out = renderer(source, corners, corners + shift, valid, condition)
        loss = metrics.l1(out["prediction"], target).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        prediction = renderer(source, corners, corners + shift, valid, condition)["prediction"]
    assert metrics.psnr(prediction, target).mean() > metrics.psnr(source, target).mean() + 3


def test_metrics_definitions():
    target = torch.full((2, 3, 16, 16), 0.5)
    prediction = target + 0.1
    assert torch.allclose(metrics.psnr(prediction, target), torch.full((2,), 20.0), atol=1e-3)
    assert torch.allclose(metrics.l1(prediction, target), torch.full((2,), 0.1))
    assert torch.allclose(metrics.ssim(target, target), torch.ones(2))
    video = torch.rand(5, 3, 16, 16)
    assert torch.allclose(metrics.flicker(video + 0.2, video), torch.zeros(4), atol=1e-6)
    assert metrics.flicker(video, video.mean(0, keepdim=True).expand_as(video)).min() > 0.1
    with pytest.raises(ValueError):
        metrics.psnr(prediction, target[:1])

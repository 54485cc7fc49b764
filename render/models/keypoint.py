"""Keypoint renderer: FOMM-style image animation driven by known 2-D landmarks.

The keypoints come from the motion (no learned detector). For a source image with keypoints
``s_k`` and a driving frame with keypoints ``d_k`` (all in ``grid_sample`` coordinates, x and y
in ``[-1, 1]``):

1. candidate backward motions ``T_k(z)`` from each driving pixel ``z`` to the source: identity
   (static background), one global similarity fitted to all keypoints (camera zoom/pan), and a
   translation ``z - d_k + s_k`` per keypoint;
2. a dense-motion hourglass sees the heat-map differences ``G(d_k) - G(s_k)`` and the source
   deformed by every candidate, and predicts soft masks (softmax over candidates) combining the
   candidates into one flow, plus an occlusion map;
3. a generator encodes the source, warps its features at every scale with the flow
   (``grid_sample``), multiplies them by the occlusion map, joins the encoded conditioning image
   (the drawn driving landmarks, so hands and the mouth interior can appear), decodes RGB and a
   blend map: ``output = blend * warped_source + (1 - blend) * decoded``.

At initialisation the masks choose the identity and the blend keeps the warped source, so an
untrained renderer returns the reference image (the copy-the-reference baseline).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from render.geometry import fit_similarity
from render.models.blocks import ConvBlock, Hourglass, ResBlock, UpBlock


def identity_grid(height: int, width: int, like: torch.Tensor) -> torch.Tensor:
    """``(H, W, 2)`` pixel-centre coordinates (x, y) in ``[-1, 1]`` (``align_corners=False``)."""
    ys = (torch.arange(height, dtype=like.dtype, device=like.device) * 2 + 1) / height - 1
    xs = (torch.arange(width, dtype=like.dtype, device=like.device) * 2 + 1) / width - 1
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)


def gaussian_heatmaps(keypoints: torch.Tensor, valid: torch.Tensor, grid: torch.Tensor, sigma: float) -> torch.Tensor:
    """``(B, K, H, W)`` Gaussians of standard deviation ``sigma`` (grid units) at ``keypoints``
    ``(B, K, 2)``; zero for keypoints whose ``valid`` ``(B, K)`` is False."""
    offset = grid[None, None] - torch.nan_to_num(keypoints)[:, :, None, None]
    return torch.exp(-offset.square().sum(-1) / (2 * sigma**2)) * valid[..., None, None]


class DenseMotion(nn.Module):
    """Flow ``(B, h, w, 2)`` (driving pixel → source position) and occlusion ``(B, 1, h, w)``.

    Args:
        num_keypoints: K driving keypoints.
        base_channels, num_blocks: size of the hourglass.
        scale: resolution of the motion field relative to the image (e.g. 0.5).
        sigma: heat-map standard deviation in grid units (image width/height = 2).
    """

    def __init__(self, num_keypoints: int, base_channels: int = 32, num_blocks: int = 3, scale: float = 0.5,
                 sigma: float = 0.03):
        super().__init__()
        self.num_candidates = num_keypoints + 2
        self.scale = scale
        self.sigma = sigma
        self.hourglass = Hourglass(num_keypoints + self.num_candidates * 3, base_channels, num_blocks)
        self.mask = nn.Conv2d(self.hourglass.out_channels, self.num_candidates, 7, padding=3)
        self.occlusion = nn.Conv2d(self.hourglass.out_channels, 1, 7, padding=3)
        nn.init.zeros_(self.mask.weight)
        with torch.no_grad():
            self.mask.bias.copy_(torch.tensor([10.0] + [0.0] * (self.num_candidates - 1)))
        nn.init.zeros_(self.occlusion.weight)
        nn.init.constant_(self.occlusion.bias, 4.0)

    def candidate_motions(self, grid: torch.Tensor, source_kp: torch.Tensor, driving_kp: torch.Tensor,
                          valid: torch.Tensor) -> torch.Tensor:
        """``(B, K + 2, h, w, 2)``: identity, global similarity, one translation per keypoint."""
        batch = source_kp.shape[0]
        identity = grid.expand(batch, *grid.shape)
        matrix, translation = fit_similarity(driving_kp, source_kp, valid.to(grid.dtype))
        similarity = torch.einsum("bij,bhwj->bhwi", matrix, identity) + translation[:, None, None]
        shift = torch.nan_to_num(source_kp - driving_kp) * valid[..., None]
        local = identity[:, None] + shift[:, :, None, None]
        return torch.cat([identity[:, None], similarity[:, None], local], 1)

    def forward(self, source: torch.Tensor, source_kp: torch.Tensor, driving_kp: torch.Tensor,
                valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        small = F.interpolate(source, scale_factor=self.scale, mode="bilinear", align_corners=False, antialias=True)
        batch, channels, height, width = small.shape
        grid = identity_grid(height, width, small)
        heat = gaussian_heatmaps(driving_kp, valid, grid, self.sigma) - gaussian_heatmaps(source_kp, valid, grid, self.sigma)
        motions = self.candidate_motions(grid, source_kp, driving_kp, valid)
        count = self.num_candidates
        deformed = F.grid_sample(small.repeat_interleave(count, 0), motions.flatten(0, 1), align_corners=False,
                                 padding_mode="border").view(batch, count * channels, height, width)
        features = self.hourglass(torch.cat([heat, deformed], 1))
        masks = torch.softmax(self.mask(features), 1)
        flow = (masks[..., None] * motions).sum(1)
        return flow, torch.sigmoid(self.occlusion(features))


class KeypointRenderer(nn.Module):
    """Render the source person in the driving pose.

    Args:
        num_keypoints: K keypoints per frame.
        base_channels, num_down, num_res: generator width, number of 2x down-samplings, residual
            blocks at the bottleneck.
        motion_channels, motion_blocks, motion_scale, sigma: the :class:`DenseMotion` network.
        condition_channels: channels of the condition image (3: drawn landmarks; the face path's
            4th is the mouth opening, :func:`render.conditioning.mouth.face_conditions`).
    """

    def __init__(self, num_keypoints: int, base_channels: int = 32, num_down: int = 2, num_res: int = 2,
                 motion_channels: int = 32, motion_blocks: int = 3, motion_scale: float = 0.5, sigma: float = 0.03,
                 max_channels: int = 256, condition_channels: int = 3):
        super().__init__()
        widths = [min(base_channels * 2**i, max_channels) for i in range(num_down + 1)]
        self.dense_motion = DenseMotion(num_keypoints, motion_channels, motion_blocks, motion_scale, sigma)
        self.source_stem = ConvBlock(3, widths[0])
        self.source_down = nn.ModuleList(ConvBlock(widths[i], widths[i + 1], 2) for i in range(num_down))
        self.condition_stem = ConvBlock(condition_channels, widths[0])
        self.condition_down = nn.ModuleList(ConvBlock(widths[i], widths[i + 1], 2) for i in range(num_down))
        self.bottleneck = nn.Sequential(nn.Conv2d(2 * widths[-1], widths[-1], 1), *[ResBlock(widths[-1]) for _ in range(num_res)])
        self.up = nn.ModuleList(UpBlock(widths[i + 1] if i == num_down - 1 else 2 * widths[i + 1], widths[i])
                                for i in reversed(range(num_down)))
        self.head = nn.Conv2d(2 * widths[0], 4, 7, padding=3)
        with torch.no_grad():
            self.head.weight.mul_(0.1)
            self.head.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 4.0]))

    @staticmethod
    def _warp(features: torch.Tensor, flow: torch.Tensor, occlusion: torch.Tensor | None) -> torch.Tensor:
        height, width = features.shape[-2:]
        if flow.shape[1:3] != (height, width):
            # Resample the displacement, not the coordinates: bilinear up-sampling clamps at the
            # border, which would shift the identity flow there.
            displacement = (flow - identity_grid(*flow.shape[1:3], flow)).permute(0, 3, 1, 2)
            displacement = F.interpolate(displacement, size=(height, width), mode="bilinear", align_corners=False)
            flow = identity_grid(height, width, flow) + displacement.permute(0, 2, 3, 1)
        warped = F.grid_sample(features, flow, align_corners=False, padding_mode="border")
        if occlusion is not None:
            warped = warped * F.interpolate(occlusion, size=(height, width), mode="bilinear", align_corners=False)
        return warped

    def forward(self, source: torch.Tensor, source_kp: torch.Tensor, driving_kp: torch.Tensor,
                valid: torch.Tensor, condition: torch.Tensor) -> dict[str, torch.Tensor]:
        """
        Args:
            source: ``(B, 3, H, W)`` reference image in ``[0, 1]``.
            source_kp, driving_kp: ``(B, K, 2)`` keypoints, x and y in ``[-1, 1]`` (NaN allowed
                where ``valid`` is False).
            valid: ``(B, K)`` keypoints present in both the source and the driving frame.
            condition: ``(B, condition_channels, H, W)`` drawn driving landmarks in ``[0, 1]``.

        Returns:
            ``prediction`` ``(B, 3, H, W)`` in ``[0, 1]``, ``flow`` ``(B, h, w, 2)``,
            ``occlusion`` ``(B, 1, h, w)``, ``blend`` ``(B, 1, H, W)``.
        """
        flow, occlusion = self.dense_motion(source, source_kp, driving_kp, valid)
        source_features = [self.source_stem(source)]
        for block in self.source_down:
            source_features.append(block(source_features[-1]))
        condition_features = self.condition_stem(condition)
        for block in self.condition_down:
            condition_features = block(condition_features)
        warped = [self._warp(features, flow, occlusion) for features in source_features]
        y = self.bottleneck(torch.cat([warped.pop(), condition_features], 1))
        for block in self.up:
            skip = warped.pop()
            y = torch.cat([block(y, skip.shape[-2:]), skip], 1)
        head = self.head(y)
        decoded = torch.sigmoid(head[:, :3])
        blend = torch.sigmoid(head[:, 3:])
        warped_source = self._warp(source, flow, None)
        prediction = blend * warped_source + (1 - blend) * decoded
        return {"prediction": prediction, "flow": flow, "occlusion": occlusion, "blend": blend}

"""Image and video metrics on frames in ``[0, 1]``.

PSNR and SSIM come from torchmetrics (Gaussian 11 x 11 window, sigma 1.5 — the usual SSIM
definition); L1 is the mean absolute error; the flicker error compares the frame-to-frame change
of the rendered video with that of the reference video. All take ``(N, 3, H, W)`` float tensors.
"""

from __future__ import annotations

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure


def _check_pair(prediction: torch.Tensor, target: torch.Tensor) -> None:
    if prediction.shape != target.shape or prediction.ndim != 4:
        raise ValueError(f"expected two (N, C, H, W) tensors of one shape, got {tuple(prediction.shape)} and {tuple(target.shape)}")


def psnr(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame PSNR in dB, ``(N,)``, for images with data range 1."""
    _check_pair(prediction, target)
    return peak_signal_noise_ratio(prediction, target, data_range=1.0, reduction="none", dim=(1, 2, 3))


def ssim(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame SSIM, ``(N,)`` (differentiable, also used as a training loss)."""
    _check_pair(prediction, target)
    return structural_similarity_index_measure(prediction, target, data_range=1.0, reduction="none")


def l1(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame mean absolute error, ``(N,)``."""
    _check_pair(prediction, target)
    return (prediction - target).abs().flatten(1).mean(1)


def flicker(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Temporal flicker error of consecutive frames, ``(N - 1,)``.

    Mean absolute difference between the rendered and the reference frame-to-frame changes
    ``|(p[t+1] - p[t]) - (y[t+1] - y[t])|``: zero when the video changes exactly as the reference
    does, large when it shimmers where the reference is still.
    """
    _check_pair(prediction, target)
    if prediction.shape[0] < 2:
        raise ValueError("flicker needs at least two consecutive frames")
    return ((prediction[1:] - prediction[:-1]) - (target[1:] - target[:-1])).abs().flatten(1).mean(1)


def landmark_error(detected: torch.Tensor, driving: torch.Tensor, image_size: tuple[int, int]) -> dict[str, float]:
    """Distance between landmarks re-detected on rendered frames and the driving landmarks.

    Args:
        detected, driving: ``(N, L, 2)`` landmark positions normalised to ``[0, 1]`` (x by width,
            y by height), NaN where missing; only landmarks present in both count.
        image_size: ``(height, width)`` in pixels of the rendered frames.

    Returns:
        ``pixels``: mean distance in pixels; ``normalised``: the same divided by the image
        diagonal; ``matched``: fraction of driving landmarks that were also detected.
    """
    if detected.shape != driving.shape:
        raise ValueError(f"landmark arrays differ in shape: {tuple(detected.shape)} vs {tuple(driving.shape)}")
    height, width = image_size
    scale = torch.tensor([width, height], dtype=detected.dtype)
    present = torch.isfinite(detected).all(-1) & torch.isfinite(driving).all(-1)
    wanted = torch.isfinite(driving).all(-1)
    if not present.any():
        return {"pixels": float("nan"), "normalised": float("nan"), "matched": 0.0}
    distance = ((detected - driving) * scale).norm(dim=-1)[present]
    pixels = float(distance.mean())
    return {
        "pixels": pixels,
        "normalised": pixels / float((height**2 + width**2) ** 0.5),
        "matched": float(present.sum()) / max(int(wanted.sum()), 1),
    }

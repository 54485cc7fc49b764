"""Lightning module of the keypoint renderer: L1 + (1 - SSIM), held-out PSNR/SSIM vs copying the reference."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from render import metrics
from render.models.keypoint import KeypointRenderer
from render.training.previews import image_grid


class KeypointModule(L.LightningModule):
    """Train :class:`KeypointRenderer` on source/driving pairs.

    Args:
        network: keyword arguments of :class:`KeypointRenderer` (``num_keypoints`` included).
        lr: Adam learning rate; ``ssim_weight``: weight of ``1 - SSIM`` next to L1.
        held_out: held-out batch from :meth:`FramePairs.held_out` for validation (or None).
        eval_every: steps between held-out scores and TensorBoard frames.
        info: renderer description stored with the checkpoint (:func:`render.training.run.renderer_info`).
    """

    def __init__(self, network: dict[str, Any], lr: float = 1e-3, ssim_weight: float = 1.0,
                 held_out: dict[str, torch.Tensor] | None = None, eval_every: int = 100, preview_frames: int = 4, info: dict | None = None):
        super().__init__()
        self.save_hyperparameters(ignore=["held_out"])
        self.renderer = KeypointRenderer(**network)
        self.held_out = held_out
        self.preview_frames = preview_frames

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.renderer(batch["source"], batch["source_kp"], batch["driving_kp"], batch["valid"], batch["condition"])

    def loss(self, prediction: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        l1 = metrics.l1(prediction, target).mean()
        structure = 1 - metrics.ssim(prediction, target).mean()
        return l1 + self.hparams.ssim_weight * structure, l1, structure

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        out = self(batch)
        loss, l1, structure = self.loss(out["prediction"], batch["target"])
        self.log_dict({"train/loss": loss, "train/l1": l1, "train/1-ssim": structure}, prog_bar=True)
        return loss

    @torch.no_grad()
    def evaluate_held_out(self) -> dict[str, float]:
        """PSNR/SSIM/L1 of the renderer and of copying the reference frame on the held-out frames."""
        batch = self.held_out
        prediction = self(batch)["prediction"].clamp(0, 1)
        target, baseline = batch["target"], batch["source"]
        return {
            "psnr": float(metrics.psnr(prediction, target).mean()),
            "ssim": float(metrics.ssim(prediction, target).mean()),
            "l1": float(metrics.l1(prediction, target).mean()),
            "baseline_psnr": float(metrics.psnr(baseline, target).mean()),
            "baseline_ssim": float(metrics.ssim(baseline, target).mean()),
            "baseline_l1": float(metrics.l1(baseline, target).mean()),
        }

    def on_train_batch_end(self, outputs, batch, batch_index) -> None:
        if self.held_out is None or self.global_step % self.hparams.eval_every:
            return
        self.eval()
        scores = self.evaluate_held_out()
        self.train()
        self.log_dict({f"held_out/{key}": value for key, value in scores.items()})
        self._log_preview()

    @torch.no_grad()
    def _log_preview(self) -> None:
        experiment = getattr(self.logger, "experiment", None)
        if experiment is None or not hasattr(experiment, "add_image"):
            return
        count = min(self.preview_frames, self.held_out["target"].shape[0])
        batch = {key: value[:count] for key, value in self.held_out.items()}
        prediction = self(batch)["prediction"].clamp(0, 1)
        grid = image_grid([batch["source"], batch["condition"], prediction, batch["target"]])
        experiment.add_image("held_out/reference_condition_rendered_truth", grid, self.global_step)

    def configure_optimizers(self):
        return torch.optim.Adam(self.renderer.parameters(), lr=self.hparams.lr, betas=(0.5, 0.999))

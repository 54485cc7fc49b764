"""Lightning module of the keypoint renderer: L1 + (1 - SSIM) on the body frame and, with a face
path, the same loss on the face crop (a second :class:`KeypointRenderer` at the crop size), with a
hand path on each hand's crop (a third, shared by both hands); held-out PSNR/SSIM vs copying the
reference during training."""

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
        face_network: keyword arguments of the face-region :class:`KeypointRenderer`, or None
            for no face path.
        face_weight: weight of the face-crop loss next to the body loss.
        mouth_weight: weight of an extra L1 term over the mouth region of the face crop
            (``face_mouth`` of the batch), so the few pixels that open and close count.
        hand_network: keyword arguments of the hand-region :class:`KeypointRenderer` (one for
            both hands), or None for no hand path (checkpoints from before the hand path load so).
        hand_weight: weight of the hand-crop loss next to the body loss.
    """

    def __init__(self, network: dict[str, Any], lr: float = 1e-3, ssim_weight: float = 1.0,
                 held_out: dict[str, torch.Tensor] | None = None, eval_every: int = 100, preview_frames: int = 4,
                 info: dict | None = None, face_network: dict[str, Any] | None = None, face_weight: float = 1.0,
                 mouth_weight: float = 0.0, hand_network: dict[str, Any] | None = None, hand_weight: float = 1.0):
        super().__init__()
        self.save_hyperparameters(ignore=["held_out"])
        self.renderer = KeypointRenderer(**network)
        self.face_renderer = KeypointRenderer(**face_network) if face_network else None
        self.hand_renderer = KeypointRenderer(**hand_network) if hand_network else None
        self.held_out = held_out
        self.preview_frames = preview_frames

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.renderer(batch["source"], batch["source_kp"], batch["driving_kp"], batch["valid"], batch["condition"])

    def face_forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.face_renderer(batch["face_source"], batch["face_source_kp"], batch["face_driving_kp"], batch["face_valid"],
                                  batch["face_condition"])

    def hand_forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.hand_renderer(batch["hand_source"], batch["hand_source_kp"], batch["hand_driving_kp"], batch["hand_valid"],
                                  batch["hand_condition"])

    def loss(self, prediction: torch.Tensor, target: torch.Tensor,
             rows: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """L1 + ``ssim_weight`` (1 - SSIM), averaged over ``rows`` (a ``(B,)`` mask; all when None)."""
        l1, structure = metrics.l1(prediction, target), 1 - metrics.ssim(prediction, target)
        weight = torch.ones_like(l1) if rows is None else rows.to(l1.dtype)
        total = weight.sum().clamp_min(1)
        l1, structure = (l1 * weight).sum() / total, (structure * weight).sum() / total
        return l1 + self.hparams.ssim_weight * structure, l1, structure

    @staticmethod
    def mouth_loss(prediction: torch.Tensor, target: torch.Tensor, region: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Mean L1 inside ``region`` ``(B, 1, H, W)`` (weights in ``[0, 1]``) over the ``rows`` ``(B,)`` kept."""
        region = region * rows.to(region.dtype)[:, None, None, None]
        return ((prediction - target).abs() * region).sum() / (3 * region.sum()).clamp_min(1)

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        out = self(batch)
        loss, l1, structure = self.loss(out["prediction"], batch["target"])
        logs = {"train/loss": loss, "train/l1": l1, "train/1-ssim": structure}
        if self.face_renderer is not None:
            face = self.face_forward(batch)["prediction"]
            face_loss, _, _ = self.loss(face, batch["face_target"], batch["face_present"])
            if self.hparams.mouth_weight:
                mouth_loss = self.mouth_loss(face, batch["face_target"], batch["face_mouth"], batch["face_present"])
                face_loss = face_loss + self.hparams.mouth_weight * mouth_loss
                logs["train/mouth_l1"] = mouth_loss
            loss = loss + self.hparams.face_weight * face_loss
            logs["train/face_loss"] = face_loss
        if self.hand_renderer is not None:
            hand_loss, _, _ = self.loss(self.hand_forward(batch)["prediction"], batch["hand_target"], batch["hand_present"])
            loss = loss + self.hparams.hand_weight * hand_loss
            logs["train/hand_loss"] = hand_loss
        self.log_dict(logs, prog_bar=True)
        return loss

    @torch.no_grad()
    def evaluate_held_out(self) -> dict[str, float]:
        """PSNR/SSIM/L1 of the renderer and of copying the reference frame on the held-out frames."""
        batch = self.held_out
        prediction = self(batch)["prediction"].clamp(0, 1)
        target, baseline = batch["target"], batch["source"]
        scores = {
            "psnr": float(metrics.psnr(prediction, target).mean()),
            "ssim": float(metrics.ssim(prediction, target).mean()),
            "l1": float(metrics.l1(prediction, target).mean()),
            "baseline_psnr": float(metrics.psnr(baseline, target).mean()),
            "baseline_ssim": float(metrics.ssim(baseline, target).mean()),
            "baseline_l1": float(metrics.l1(baseline, target).mean()),
        }
        if self.face_renderer is not None:
            rows = batch["face_present"]
            face = self.face_forward(batch)["prediction"].clamp(0, 1)[rows]
            scores["face_psnr"] = float(metrics.psnr(face, batch["face_target"][rows]).mean())
            scores["face_baseline_psnr"] = float(metrics.psnr(batch["face_source"][rows], batch["face_target"][rows]).mean())
        if self.hand_renderer is not None:
            rows = batch["hand_present"]
            hand = self.hand_forward(batch)["prediction"].clamp(0, 1)[rows]
            scores["hand_psnr"] = float(metrics.psnr(hand, batch["hand_target"][rows]).mean())
            scores["hand_baseline_psnr"] = float(metrics.psnr(batch["hand_source"][rows], batch["hand_target"][rows]).mean())
        return scores

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
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, betas=(0.5, 0.999))

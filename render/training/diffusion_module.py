"""Lightning module of the diffusion renderer: stage 1 (appearance + pose) and stage 2 (temporal).

Stage 1 trains the denoiser, ReferenceNet, pose guider and reference tokens on single frames;
stage 2 (``model.stage=2``) loads a stage-1 checkpoint (``model.stage1_checkpoint``), adds the
temporal modules and trains only them on windows of ``model.num_frames`` consecutive training
frames. Noise and timesteps are drawn from a generator seeded by (seed, step), so a resumed run
repeats an uninterrupted one. An EMA copy of the trained weights (diffusers' ``EMAModel``) is kept
in the checkpoint and used for held-out sampling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from diffusers.training_utils import EMAModel

from render import metrics
from render.errors import RenderError
from render.models.diffusion.build import build_motion_adapter, build_renderer, build_schedulers
from render.models.diffusion.objective import diffusion_loss, sample_video
from render.training.previews import image_grid


def load_stage1(renderer, path: str | Path) -> None:
    """Copy the renderer weights of a stage-1 checkpoint into ``renderer`` (before stage 2)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise RenderError(f"stage-1 checkpoint {path} does not exist (model.stage1_checkpoint)")
    state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
    weights = {key.removeprefix("renderer."): value for key, value in state.items() if key.startswith("renderer.")}
    renderer.load_state_dict(weights)


class DiffusionModule(L.LightningModule):
    """Train the diffusion renderer configured by ``model`` (the ``model/diffusion*.yaml`` group).

    Args:
        model: plain dict of the model config.
        held_out: held-out batch (``FramePairs.held_out``) for sampled PSNR/SSIM, or None.
        eval_every: steps between held-out samples and TensorBoard frames.
        seed: seeds the per-step noise generator.
        info: renderer description stored with the checkpoint.
    """

    def __init__(self, model: dict[str, Any], held_out: dict[str, torch.Tensor] | None = None, eval_every: int = 100,
                 seed: int = 0, info: dict | None = None, eval_frames: int = 4):
        super().__init__()
        self.save_hyperparameters(ignore=["held_out"])
        self.renderer = build_renderer(model)
        self.train_scheduler, self.sample_scheduler = build_schedulers(model)
        if model["stage"] == 2:
            if model.get("stage1_checkpoint"):
                load_stage1(self.renderer, model["stage1_checkpoint"])
            self.renderer.add_temporal_modules(build_motion_adapter(model, self.renderer))
        elif model["stage"] != 1:
            raise RenderError(f"model.stage must be 1 or 2, got {model['stage']}")
        self.ema = EMAModel(self.renderer.trainable_parameters(), decay=model["ema_decay"])
        self.held_out = held_out

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.hparams.seed * 1_000_003 + self.global_step)
        loss = diffusion_loss(self.renderer, self.train_scheduler, batch["target"], batch["source"], batch["condition"], generator)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def on_train_batch_end(self, outputs, batch, batch_index) -> None:
        self.ema.step(self.renderer.trainable_parameters())
        if self.held_out is not None and self.global_step % self.hparams.eval_every == 0:
            scores, grid = self._sample_held_out()
            self.log_dict({f"held_out/{key}": value for key, value in scores.items()})
            experiment = getattr(self.logger, "experiment", None)
            if experiment is not None and hasattr(experiment, "add_image"):
                experiment.add_image("held_out/reference_condition_sampled_truth", grid, self.global_step)

    @torch.no_grad()
    def _sample_held_out(self) -> tuple[dict[str, float], torch.Tensor]:
        count = min(self.hparams.eval_frames, self.held_out["target"].shape[0])
        batch = {key: value[:count] for key, value in self.held_out.items()}
        parameters = self.renderer.trainable_parameters()
        self.ema.store(parameters)
        self.ema.copy_to(parameters)
        try:
            model = self.hparams.model
            frames = torch.cat([
                sample_video(self.renderer, self.sample_scheduler, batch["source"][i], batch["condition"][i:i + 1],
                             model["sample_steps"], model["window"], model["overlap"],
                             torch.Generator().manual_seed(self.hparams.seed + i))
                for i in range(count)])
        finally:
            self.ema.restore(parameters)
        target, baseline = batch["target"], batch["source"]
        scores = {"psnr": float(metrics.psnr(frames, target).mean()), "ssim": float(metrics.ssim(frames, target).mean()),
                  "baseline_psnr": float(metrics.psnr(baseline, target).mean()),
                  "baseline_ssim": float(metrics.ssim(baseline, target).mean())}
        return scores, image_grid([batch["source"], batch["condition"], frames, target])

    def evaluate_held_out(self) -> dict[str, float]:
        """Sampled PSNR/SSIM (EMA weights) and the copy-the-reference baseline on held-out frames."""
        return self._sample_held_out()[0]

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["ema"] = self.ema.state_dict()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "ema" in checkpoint:
            self.ema.load_state_dict(checkpoint["ema"])

    def configure_optimizers(self):
        return torch.optim.AdamW(self.renderer.trainable_parameters(), lr=self.hparams.model["lr"], weight_decay=1e-2)

"""Lightning training of the UWP denoiser: x0-prediction DDPM with uncertainty-weighted task losses.

One training step, for a batch of clips (B clips × N frames at 30 fps):

1. x0 = the concatenation of the motion blocks (B, N, D), normalised (BEAT: [gesture ‖ expression]);
   seed = x0[:, :S] (the first S frames);
2. t ~ U{0..T-1}, ε ~ N(0, I), x_t = sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·ε;
3. the condition of each clip is dropped with probability ``cond_drop_prob`` (classifier-free
   guidance);
4. x̂0 = model(x_t, t, cond, uncond); Huber loss per task; total = TaskWeighting(losses).

Randomness: t, ε and the dropped rows come from a generator seeded with ``(seed, step, rank)``, and
the global RNG (dropout) is re-seeded with the same triple before every step. Every random draw of a
step is therefore a function of the step number, so a run resumed from a checkpoint at step k draws
exactly what the uninterrupted run drew after step k — no RNG state needs storing.

The EMA copy of the network (``ema_model``, an ``AveragedModel``) is updated after every optimiser
step, saved in the checkpoint and used for validation and sampling.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from motiongen.diffusion.samplers import SamplerSettings, sample_network
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import FIRST_FRAME, FRAME_MASK, mask_array_name
from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser
from motiongen.model.uncertainty import TaskWeighting, task_losses, velocity_losses
from motiongen.training.lr_schedule import warmup_cosine

_STEP_STRIDE = 1_000_003  # distinct RNG seeds for every (seed, step, rank) up to ~1e6 ranks per step


def step_seed(seed: int, step: int, rank: int) -> int:
    """Seed of the random draws of optimiser step ``step`` on ``rank`` (fits in 63 bits)."""
    return (seed * 2_654_435_761 + step * _STEP_STRIDE + rank) % (2**63 - 1)


class UWPLightningModule(pl.LightningModule):
    """Trainer-facing wrapper of :class:`UWPDenoiser`.

    Args:
        network: :class:`DenoiserConfig` fields (blocks, frame_conditions, category_conditions, ...).
        diffusion: :class:`NoiseSchedule` arguments (kind, num_steps, beta_start, beta_end).
        loss: ``weighting`` (uwp | fixed), ``fixed_weights`` {task: w}, ``init_log_var``,
            ``huber_delta``, ``velocity_weight`` (ours: each task's loss plus this times the Huber
            loss of its frame-to-frame differences, :func:`velocity_losses`; 0 = the paper's loss).
        optim: ``lr``, ``weight_decay``, ``betas``, ``warmup_steps``, ``total_steps``,
            ``min_lr_ratio``.
        ema: ``decay`` of the exponential moving average of the weights.
        cond_drop_prob: probability of dropping a clip's condition during training (CFG); which
            streams a dropped row loses is the network's ``guided`` setting.
        seed: seed of the per-step random streams.
        word_drop_prob: probability that a training clip's word streams are replaced by silence (the
            row ``word_silence`` on every frame), so speech without a transcript (live, or
            ``generate`` without one) is in distribution; 0 = never.
        word_silence: ``{word stream: (C,) silence row}`` in the stream's model units.
        class_vectors: ``{category stream: (classes, width)}`` fixed class vectors (a sign label's
            word vector) for the streams in ``network["category_vectors"]``; not a hyper-parameter:
            they are saved with the weights, so a module loaded from a checkpoint gets them back.

    Attributes: ``model``, ``ema_model`` (AveragedModel; the network is ``ema_model.module``),
    ``schedule`` (NoiseSchedule), ``uncertainty`` (TaskWeighting).
    """

    def __init__(
        self,
        network: dict,
        diffusion: dict,
        loss: dict,
        optim: dict,
        ema: dict,
        cond_drop_prob: float = 0.1,
        seed: int = 0,
        class_vectors: dict | None = None,
        word_drop_prob: float = 0.0,
        word_silence: dict | None = None,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["class_vectors"])
        if not 0.0 <= cond_drop_prob < 1.0:
            raise ConfigError(f"model.cond_drop_prob must be in [0, 1), got {cond_drop_prob}")
        if not 0.0 <= ema["decay"] < 1.0:
            raise ConfigError(f"model.ema.decay must be in [0, 1), got {ema['decay']}")
        self.network_cfg = DenoiserConfig(**network)
        self.model = UWPDenoiser(self.network_cfg)
        missing = sorted(set(self.network_cfg.category_vectors) - set(class_vectors or {}))
        if class_vectors is not None and missing:
            raise ConfigError(f"class vectors missing for {missing}")
        for name, table in (class_vectors or {}).items():
            self.model.set_class_vectors(name, torch.as_tensor(table))
        self.ema_model = AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(ema["decay"]))
        self.ema_model.requires_grad_(False)
        self.schedule = NoiseSchedule(**diffusion)
        self.uncertainty = TaskWeighting(
            list(self.network_cfg.blocks),
            loss["weighting"],
            loss.get("fixed_weights"),
            loss.get("init_log_var", 0.0),
        )
        self.slices = self.network_cfg.block_slices()
        self.huber_delta = float(loss.get("huber_delta", 1.0))
        self.velocity_weight = float(loss.get("velocity_weight", 0.0))
        self.cond_drop_prob = cond_drop_prob
        self.seed = seed
        if not 0.0 <= word_drop_prob <= 1.0:
            raise ConfigError(f"model.word_drop_prob must be in [0, 1], got {word_drop_prob}")
        if word_drop_prob > 0 and not word_silence:
            raise ConfigError("model.word_drop_prob > 0 needs a word stream in the data's motion format")
        self.word_drop_prob = word_drop_prob
        self.word_silence = {name: torch.as_tensor(row, dtype=torch.float32) for name, row in (word_silence or {}).items()}

    # ------------------------------------------------------------------ batches
    def motion(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """x0 = concatenation of the model's motion blocks, (B, N, D)."""
        missing = [name for name in self.slices if name not in batch]
        if missing:
            raise ValueError(f"batch lacks motion block(s) {missing}; it has {sorted(batch)}")
        return torch.cat([batch[name] for name in self.slices], dim=-1)

    def condition(self, batch: dict[str, torch.Tensor], x0: torch.Tensor) -> dict[str, torch.Tensor]:
        """Model condition of a batch: the network's condition streams, the seed = x0[:, :S] and, for
        whole takes, the batch's :data:`FRAME_MASK` ``(B, N)`` (the network hides the padding) and
        :data:`FIRST_FRAME` ``(B,)`` (where each clip starts in its take)."""
        cfg = self.network_cfg
        names = [*cfg.frame_conditions, *cfg.category_conditions]
        missing = [name for name in names if name not in batch]
        if missing:
            raise ValueError(f"batch lacks condition stream(s) {missing}; it has {sorted(batch)}")
        cond = {name: batch[name] for name in names}
        cond["seed"] = x0[:, : cfg.seed_frames]
        for name in (FRAME_MASK, FIRST_FRAME):
            if name in batch:
                cond[name] = batch[name]
        return cond

    def _generator(self, seed: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(seed)

    def diffusion_losses(
        self, network: torch.nn.Module, batch: dict, generator: torch.Generator, drop_prob: float
    ) -> dict[str, torch.Tensor]:
        """Per-task Huber losses of ``network`` on ``batch`` with t, ε and dropped rows from ``generator``."""
        x0 = self.motion(batch)
        batch_size = x0.shape[0]
        t = torch.randint(0, self.schedule.num_steps, (batch_size,), generator=generator, device=self.device)
        noise = torch.randn(x0.shape, generator=generator, device=self.device, dtype=x0.dtype)
        uncond = torch.rand(batch_size, generator=generator, device=self.device) < drop_prob
        x_t = self.schedule.q_sample(x0, t, noise)
        x0_hat = network(x_t, t, self.condition(batch, x0), uncond)
        weights = self.loss_weights(batch)
        losses = task_losses(x0_hat, x0, self.slices, self.huber_delta, weights)
        if self.velocity_weight:
            velocity = velocity_losses(x0_hat, x0, self.slices, self.huber_delta, weights)
            losses = {name: loss + self.velocity_weight * velocity[name] for name, loss in losses.items()}
        return losses

    def loss_weights(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Per-channel weights ``{block: (B, N, width)}`` of the values that train the model: the
        batch's ``<block>_mask`` (blocks whose format declares mask groups) times its ``frame_mask``
        (whole-take clips: 0 on padding) (see :class:`~motiongen.data.clips.ClipDataset`)."""
        frames = batch.get(FRAME_MASK)
        weights = {}
        for name, cut in self.slices.items():
            weight = batch.get(mask_array_name(name))
            if frames is not None:
                width = cut.stop - cut.start
                padding = frames[:, :, None].expand(-1, -1, width)
                weight = padding if weight is None else weight * padding
            if weight is not None:
                weights[name] = weight
        return weights

    # ------------------------------------------------------------------ training
    def on_train_batch_start(self, batch, batch_idx: int) -> None:
        torch.manual_seed(step_seed(self.seed, self.global_step, self.global_rank))

    def drop_words(self, batch: dict[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """The batch with each clip's word streams replaced by the silence row with probability
        ``word_drop_prob`` (one draw per clip, all its frames)."""
        if self.word_drop_prob <= 0:
            return batch
        batch = dict(batch)
        any_words = next(name for name in self.word_silence if name in batch)
        drop = torch.rand(batch[any_words].shape[0], generator=generator, device=self.device) < self.word_drop_prob
        for name, row in self.word_silence.items():
            if name in batch:
                silence = row.to(device=batch[name].device, dtype=batch[name].dtype)
                batch[name] = torch.where(drop[:, None, None], silence.expand_as(batch[name]), batch[name])
        return batch

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        generator = self._generator(step_seed(self.seed + 1, self.global_step, self.global_rank))
        if self.word_drop_prob > 0:  # its own stream: runs without word dropout draw exactly as before
            batch = self.drop_words(batch, self._generator(step_seed(self.seed + 2, self.global_step,
                                                                     self.global_rank)))
        losses = self.diffusion_losses(self.model, batch, generator, self.cond_drop_prob)
        total = self.uncertainty(losses)
        if not torch.isfinite(total):
            raise FloatingPointError(f"training loss is {total.item()} at step {self.global_step}: {losses}")
        batch_size = next(iter(batch.values())).shape[0]
        metrics = {"train/loss": total, **{f"train/loss_{name}": value for name, value in losses.items()}}
        for name, sigma in self.uncertainty.sigmas().items():
            metrics[f"uwp/sigma_{name}"] = sigma
        for name, weight in self.uncertainty.effective_weights(normalised=True).items():
            metrics[f"uwp/weight_{name}"] = weight
        metrics["train/lr"] = self.optimizers().param_groups[0]["lr"]
        self.log_dict(metrics, batch_size=batch_size, on_step=True, on_epoch=False)
        return total

    def on_before_optimizer_step(self, optimizer) -> None:
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        self.log("train/grad_norm", torch.nn.utils.get_total_norm(grads), on_step=True, on_epoch=False)

    def optimizer_step(self, epoch: int, batch_idx: int, optimizer, optimizer_closure=None) -> None:
        """Step the optimiser, then fold the new weights into the EMA.

        Updating here (not in ``on_train_batch_end``) puts the step's EMA update before any
        callback's ``on_train_batch_end``, so a checkpoint written there already contains it.
        """
        super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)
        self.ema_model.update_parameters(self.model)

    # ------------------------------------------------------------------ validation
    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        """Loss of the EMA network with fixed draws per batch index (comparable across evaluations)."""
        generator = self._generator(step_seed(self.seed + 2, batch_idx, self.global_rank))
        losses = self.diffusion_losses(self.ema_model.module, batch, generator, drop_prob=0.0)
        batch_size = next(iter(batch.values())).shape[0]
        metrics = {"val/loss": self.uncertainty(losses), **{f"val/loss_{k}": v for k, v in losses.items()}}
        self.log_dict(metrics, batch_size=batch_size, on_step=False, on_epoch=True, sync_dist=True)

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self):
        optim = self.hparams.optim
        decay, no_decay = [], []
        for name, parameter in self.model.named_parameters():
            (decay if parameter.ndim >= 2 and not name.startswith("categories.") else no_decay).append(parameter)
        groups = [
            {"params": decay, "weight_decay": float(optim["weight_decay"])},
            {"params": no_decay + list(self.uncertainty.parameters()), "weight_decay": 0.0},
        ]
        # fused: one kernel over all parameters (CPU and CUDA); paper size on 2 CPU threads 13 ms vs 51 ms (foreach).
        # Not under fp16's loss scaling: a fused AdamW unscales inside step(), after gradient clipping.
        fused = not self._scales_loss()
        optimizer = torch.optim.AdamW(groups, lr=float(optim["lr"]), betas=tuple(optim["betas"]),
                                      fused=fused, foreach=not fused)
        warmup, total, floor = int(optim["warmup_steps"]), int(optim["total_steps"]), float(optim["min_lr_ratio"])
        warmup_cosine(0, warmup, total, floor)  # validates the settings now, not at the first step
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_cosine(step, warmup, total, floor))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}

    def _scales_loss(self) -> bool:
        """Whether the attached trainer's precision multiplies the loss by a GradScaler (``16-mixed``)."""
        return self._trainer is not None and getattr(self.trainer.precision_plugin, "scaler", None) is not None

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None) -> None:
        """Clip the gradients with Lightning's own clipping, also for the fused AdamW under bf16.

        Lightning's ``MixedPrecision`` plugin refuses to clip for any fused optimizer, because under
        fp16 the GradScaler's unscaling would happen inside ``step()``, after clipping. bf16 and fp32
        have no scaler (the gradients here are the true ones), so they clip through the base
        :class:`~lightning.pytorch.plugins.precision.Precision` code, exactly as at 32-true; with a
        scaler (``16-mixed``, where :meth:`configure_optimizers` picks the unfused AdamW) Lightning
        unscales first and clips itself.
        """
        from lightning.pytorch.plugins.precision import Precision

        if self._scales_loss():
            self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)
        elif gradient_clip_val:
            Precision.clip_gradients(self.trainer.precision_plugin, optimizer, gradient_clip_val, gradient_clip_algorithm)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def generate(
        self,
        cond: dict[str, torch.Tensor],
        num_frames: int,
        settings: SamplerSettings,
        generator: torch.Generator,
        use_ema: bool = True,
    ) -> torch.Tensor:
        """Sample motion (B, num_frames, D) for a batch condition with the EMA (or raw) network.

        ``cond`` holds the network's condition streams (per-frame ``(B, N, C)``, categories
        ``(B,)``), ``seed (B, S, D)`` normalised motion and, for padded clips, ``frame_mask (B, N)``
        (see :meth:`condition`).
        """
        network = self.ema_model.module if use_ema else self.model
        was_training = network.training
        network.eval()
        batch = cond["seed"].shape[0]
        shape = (batch, num_frames, self.network_cfg.motion_dim)
        motion = sample_network(network, self.schedule, cond, shape, settings, generator, device=self.device)
        network.train(was_training)
        return motion

"""Latent-consistency distillation of a trained UWP denoiser into a 1-4-step student.

The recipe MotionLCM (Dai et al., 2024) applied to MLD, after latent consistency models (Luo et
al., 2023), on this project's x0-predicting denoiser and its own noise schedule. One step, for a
batch of clips (B × N frames, normalised motion x0 (B, N, D)):

1. the teacher's timestep grid: ``grid_steps`` points t_n = n·k - 1 (n = 1..grid_steps) with skip
   interval k = T / grid_steps (MotionLCM: T = 1000, k = 20); draw t_n per clip, t_{n-k} = max(t_n - k, 0);
2. x_{t_n} = q_sample(x0, t_n, ε);
3. the ODE step: the frozen teacher's x̂0 with classifier-free guidance scale w (one batched
   conditional + unconditional pass) and a deterministic DDIM move to t_{n-k}
   (:meth:`~motiongen.diffusion.schedule.NoiseSchedule.ddim_step`);
4. the consistency function f(x, t) = c_skip(t)·x + c_out(t)·F(x, t) on top of the network's x0
   output F, with diffusers' ``LCMScheduler`` boundary scalings (c_skip(0) = 1, c_out(0) = 0) —
   exactly what ``LCMScheduler.step`` applies at sampling time;
5. loss = Σ_task Huber(f_θ(x_{t_n}, t_n), f_θ⁻(x̂_{t_{n-k}}, t_{n-k})) with θ⁻ the EMA target network
   (``ema.decay``, MotionLCM 0.95), which is also what the checkpoint's ``ema_model`` holds and
   ``motiongen generate`` samples with ``sampler=lcm``; plus ``distill.velocity_weight`` × the same
   Huber loss on the frame-to-frame differences of the two outputs (ours, as the teacher's
   ``model.loss.velocity_weight``: the frame-to-frame jitter of the student's output costs there
   what it costs the teacher; null = the teacher's weight, 0 = MotionLCM's loss).

The student and the target start from the teacher's EMA weights. The teacher is not part of the
module's state (checkpoints stay student-sized); it is re-read from ``teacher`` on resume.
Randomness follows :class:`~motiongen.training.module.UWPLightningModule`: every draw of a step is a
function of ``(seed, step, rank)``, so a resumed run continues exactly.
"""

from __future__ import annotations

import torch

from motiongen.core.errors import ConfigError
from motiongen.diffusion.samplers import classifier_free_guidance
from motiongen.model.uncertainty import task_losses, velocity_losses
from motiongen.training.module import UWPLightningModule, step_seed


class ConsistencyDistillation(UWPLightningModule):
    """A student :class:`UWPLightningModule` trained by consistency distillation of ``teacher``.

    Args:
        network, diffusion, loss: the teacher's (its checkpoint's hyper-parameters).
        optim: the distillation's optimiser settings (as in training).
        ema: ``decay`` of the target network θ⁻.
        teacher: the teacher checkpoint (its ``ema_model.module`` weights are read).
        distill: ``grid_steps`` (teacher grid points; T must be a multiple), ``guidance`` (w of the
            teacher's ODE step), ``timestep_scaling`` (of the c_skip/c_out boundary scalings; the
            LCM sampler's ``options.timestep_scaling`` must match), ``velocity_weight`` (of the
            velocity term; None or absent = the teacher's ``loss.velocity_weight``).
        seed: seed of the per-step random streams.
    """

    def __init__(self, network: dict, diffusion: dict, loss: dict, optim: dict, ema: dict, teacher: str,
                 distill: dict, seed: int = 0, class_vectors: dict | None = None):
        super().__init__(network, diffusion, loss, optim, ema, cond_drop_prob=0.0, seed=seed, class_vectors=class_vectors)
        from diffusers import LCMScheduler

        steps = self.schedule.num_steps
        self.grid_steps = int(distill["grid_steps"])
        if self.grid_steps < 1 or steps % self.grid_steps:
            raise ConfigError(f"distill.grid_steps must divide the teacher's {steps} diffusion steps, got {self.grid_steps}")
        self.skip = steps // self.grid_steps
        velocity = distill.get("velocity_weight")
        self.velocity_weight = self.velocity_weight if velocity is None else float(velocity)
        if self.velocity_weight < 0:
            raise ConfigError(f"distill.velocity_weight must be >= 0, got {self.velocity_weight}")
        self.guidance = float(distill["guidance"])
        if self.guidance < 0:
            raise ConfigError(f"distill.guidance must be >= 0, got {self.guidance}")
        self.boundary = LCMScheduler(num_train_timesteps=steps, trained_betas=self.schedule.betas.numpy(),
                                     prediction_type="sample", timestep_scaling=float(distill["timestep_scaling"]),
                                     original_inference_steps=self.grid_steps)
        weights = torch.load(teacher, map_location="cpu", weights_only=True)["state_dict"]
        prefix = "ema_model.module."
        state = {name[len(prefix):]: value for name, value in weights.items() if name.startswith(prefix)}
        self.model.load_state_dict(state)
        self.ema_model.module.load_state_dict(state)
        frozen = type(self.model)(self.network_cfg)
        frozen.load_state_dict(state)
        # a plain attribute, not a registered sub-module: the teacher stays out of the checkpoint
        object.__setattr__(self, "teacher", frozen.eval().requires_grad_(False))

    def on_fit_start(self) -> None:
        self.teacher.to(self.device)

    def consistency(self, network: torch.nn.Module, x_t: torch.Tensor, t: torch.Tensor,
                    cond: dict[str, torch.Tensor]) -> torch.Tensor:
        """f(x_t, t) = c_skip(t)·x_t + c_out(t)·network(x_t, t) for rows at steps ``t`` (B,); (B, N, D)."""
        c_skip, c_out = self.boundary.get_scalings_for_boundary_condition_discrete(t.float())
        shape = (-1, *([1] * (x_t.dim() - 1)))
        return c_skip.reshape(shape).to(x_t.dtype) * x_t + c_out.reshape(shape).to(x_t.dtype) * network(x_t, t, cond, None)

    def teacher_x0(self, x_t: torch.Tensor, t: torch.Tensor, cond: dict[str, torch.Tensor]) -> torch.Tensor:
        """The teacher's guided x̂0 (B, N, D): conditional and unconditional rows in one pass when w != 1."""
        batch = x_t.shape[0]
        doubled = {name: torch.cat([value, value]) for name, value in cond.items()}

        def denoise(x, steps, uncond):
            return self.teacher(x, steps, cond if x.shape[0] == batch else doubled, uncond)

        return classifier_free_guidance(denoise, self.guidance)(x_t, t)

    def consistency_losses(self, batch: dict[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Per-task Huber losses between the online and the target consistency outputs (steps 1-5)."""
        x0 = self.motion(batch)
        cond = self.condition(batch, x0)
        rows = x0.shape[0]
        index = torch.randint(1, self.grid_steps + 1, (rows,), generator=generator, device=self.device)
        t = index * self.skip - 1
        t_prev = (t - self.skip).clamp(min=0)
        noise = torch.randn(x0.shape, generator=generator, device=self.device, dtype=x0.dtype)
        x_t = self.schedule.q_sample(x0, t, noise)
        with torch.no_grad():
            x_prev = self.schedule.ddim_step(x_t, t, self.teacher_x0(x_t, t, cond), t_prev)
            target = self.consistency(self.ema_model.module, x_prev, t_prev, cond)
        online = self.consistency(self.model, x_t, t, cond)
        weights = self.loss_weights(batch)
        losses = task_losses(online, target, self.slices, self.huber_delta, weights)
        if self.velocity_weight:
            velocity = velocity_losses(online, target, self.slices, self.huber_delta, weights)
            losses = {name: loss + self.velocity_weight * velocity[name] for name, loss in losses.items()}
        return losses

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        generator = self._generator(step_seed(self.seed + 1, self.global_step, self.global_rank))
        losses = self.consistency_losses(batch, generator)
        total = torch.stack(list(losses.values())).sum()
        if not torch.isfinite(total):
            raise FloatingPointError(f"distillation loss is {total.item()} at step {self.global_step}: {losses}")
        batch_size = next(iter(batch.values())).shape[0]
        metrics = {"distill/loss": total, **{f"distill/loss_{name}": value for name, value in losses.items()}}
        metrics["train/lr"] = self.optimizers().param_groups[0]["lr"]
        self.log_dict(metrics, batch_size=batch_size, on_step=True, on_epoch=False)
        return total

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        """The consistency loss with fixed draws per batch index (comparable across validations)."""
        generator = self._generator(step_seed(self.seed + 2, batch_idx, self.global_rank))
        losses = self.consistency_losses(batch, generator)
        batch_size = next(iter(batch.values())).shape[0]
        metrics = {"val/loss": torch.stack(list(losses.values())).sum(), **{f"val/loss_{k}": v for k, v in losses.items()}}
        self.log_dict(metrics, batch_size=batch_size, on_step=False, on_epoch=True, sync_dist=True)

"""Reverse-diffusion samplers for an x0-predicting denoiser, on diffusers' schedulers.

Every sampler takes a callable ``denoise(x_t, t) -> x0_hat`` where ``x_t`` is ``(B, N, D)`` noisy
motion and ``t`` is ``(B,)`` int64 timesteps in ``[0, T)``; it never sees the network. The update
rule is a diffusers scheduler (``DDPMScheduler``, ``DDIMScheduler``, ``DPMSolverMultistepScheduler``,
``UniPCMultistepScheduler``, ``LCMScheduler``, ...) built on the model's own betas with
``prediction_type="sample"`` (the network predicts x0). Classifier-free guidance
(:func:`classifier_free_guidance`) and the seeded ``torch.Generator`` stay outside the scheduler:
randomness comes only from the generator passed in (the initial x_T and every stochastic step's
noise), so a fixed seed reproduces a sample exactly.

One file per choice in ``conf/sampler/`` builds a :class:`SamplerSettings` with ``_target_``
(:meth:`SamplerSettings.from_config`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.core.errors import ConfigError

Denoise = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MaskedDenoise = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]

#: The diffusers schedulers the motion model is sampled with (class name -> what it is).
SCHEDULERS = {
    "DDPMScheduler": "ancestral DDPM (Ho et al., 2020)",
    "DDIMScheduler": "DDIM (Song et al., 2021)",
    "DPMSolverMultistepScheduler": "DPM-Solver++ (Lu et al., 2022)",
    "UniPCMultistepScheduler": "UniPC (Zhao et al., 2023)",
    "LCMScheduler": "latent-consistency multistep sampling (Luo et al., 2023) of a distilled student",
}


@dataclass(frozen=True)
class SamplerSettings:
    """How to run the reverse process.

    Attributes:
        kind: the sampler's name (its ``conf/sampler`` file; recorded in the metadata).
        scheduler: diffusers scheduler class name, one of :data:`SCHEDULERS`.
        options: extra constructor arguments of the scheduler (``timestep_spacing``,
            ``algorithm_type``, ``solver_order``, ...); the betas, ``num_train_timesteps`` and
            ``prediction_type="sample"`` always come from the model.
        steps: denoiser calls per window (``None``: every training timestep).
        eta: DDIM stochasticity in ``[0, 1]`` (DDIMScheduler only; 0 = deterministic given x_T).
        guidance: classifier-free guidance scale ``s``; 1 = purely conditional, 0 = unconditional.
    """

    kind: str = "ddim"
    scheduler: str = "DDIMScheduler"
    options: Mapping[str, Any] = field(default_factory=lambda: {"timestep_spacing": "trailing", "clip_sample": False})
    steps: int | None = 25
    eta: float = 0.0
    guidance: float = 1.0

    def __post_init__(self) -> None:
        if self.scheduler not in SCHEDULERS:
            raise ConfigError(f"sampler.scheduler must be one of {sorted(SCHEDULERS)}, got {self.scheduler!r}")
        if self.steps is not None and self.steps < 1:
            raise ConfigError(f"sampler.steps must be >= 1 (or null = every training timestep), got {self.steps}")
        if not 0.0 <= self.eta <= 1.0:
            raise ConfigError(f"sampler.eta must be in [0, 1], got {self.eta}")
        if self.eta and self.scheduler != "DDIMScheduler":
            raise ConfigError(f"sampler.eta applies to DDIMScheduler only; {self.kind} ({self.scheduler}) needs eta 0")
        if self.guidance < 0:
            raise ConfigError(f"sampler.guidance must be >= 0, got {self.guidance}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SamplerSettings":
        """Build the settings a ``conf/sampler`` node describes (``_target_`` this class)."""
        from motiongen.config import instantiate_settings

        return instantiate_settings(config, cls, "sampler")

    def describe(self) -> dict[str, Any]:
        """Plain-dict record of the settings (generation metadata)."""
        return {"kind": self.kind, "scheduler": self.scheduler, "options": dict(self.options), "steps": self.steps,
                "eta": self.eta, "guidance": self.guidance}


def make_scheduler(settings: SamplerSettings, schedule: NoiseSchedule):
    """The diffusers scheduler ``settings`` names on ``schedule``'s betas, its timesteps set.

    Returns a fresh scheduler (schedulers keep per-run state: step index, multistep history) whose
    ``timesteps`` are the ``settings.steps`` training timesteps to visit, descending.
    """
    import diffusers

    steps = schedule.num_steps if settings.steps is None else settings.steps
    if steps > schedule.num_steps:
        raise ConfigError(f"sampler.steps must be in [1, {schedule.num_steps}] for this model's schedule, got {steps}")
    scheduler_class = getattr(diffusers, settings.scheduler)
    reserved = {"trained_betas", "num_train_timesteps", "prediction_type"} & set(settings.options)
    if reserved:
        raise ConfigError(f"sampler.options cannot set {sorted(reserved)}: they come from the model")
    try:
        scheduler = scheduler_class(num_train_timesteps=schedule.num_steps, trained_betas=schedule.betas.numpy(),
                                    prediction_type="sample", **dict(settings.options))
        scheduler.set_timesteps(steps)
    except (TypeError, ValueError, NotImplementedError) as error:
        raise ConfigError(f"sampler {settings.kind}: {settings.scheduler}({dict(settings.options)}) with "
                          f"{steps} steps: {error}") from None
    return scheduler


def classifier_free_guidance(denoise: MaskedDenoise, scale: float) -> Denoise:
    """Guide an x0-predictor: x̂0 = x̂0(∅) + s·(x̂0(c) - x̂0(∅)).

    Args:
        denoise: ``denoise(x_t (B,N,D), t (B,), uncond (B,) bool | None) -> x0_hat (B,N,D)``;
            ``uncond=True`` rows drop the condition. For ``s != 1`` it is called once on a doubled
            batch (conditional rows first, then unconditional), so the condition it closes over
            must be tiled to ``2B`` rows when asked for ``2B``.
        scale: ``s``; 1 returns the conditional prediction with a single ``B``-row pass.
    """
    if scale == 1.0:
        return lambda x_t, t: denoise(x_t, t, None)

    def guided(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        batch = x_t.shape[0]
        uncond = torch.zeros(2 * batch, dtype=torch.bool, device=x_t.device)
        uncond[batch:] = True
        both = denoise(torch.cat([x_t, x_t]), torch.cat([t, t]), uncond)
        conditional, unconditional = both[:batch], both[batch:]
        return unconditional + scale * (conditional - unconditional)

    return guided


def sample(
    denoise: MaskedDenoise,
    schedule: NoiseSchedule,
    shape: tuple[int, int, int],
    settings: SamplerSettings,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    x_T: torch.Tensor | None = None,
) -> torch.Tensor:
    """Run the scheduler ``settings`` names on a guided ``denoise(x_t, t, uncond)``; returns x0 (B, N, D).

    ``x_T``: the starting noise of ``shape`` (drawn from ``generator`` when omitted). Each step
    calls the guided denoiser once on ``x_t`` at the scheduler's timestep and hands its x0
    prediction to ``scheduler.step``; stochastic schedulers draw their noise from ``generator``.
    """
    guided = classifier_free_guidance(denoise, settings.guidance)
    scheduler = make_scheduler(settings, schedule)
    accepts = inspect.signature(scheduler.step).parameters
    options: dict[str, Any] = {"generator": generator} if "generator" in accepts else {}
    if "eta" in accepts:
        options["eta"] = settings.eta
    x = x_T if x_T is not None else torch.randn(shape, generator=generator, dtype=dtype, device=device)
    x = x * scheduler.init_noise_sigma
    batch = shape[0]
    for step in scheduler.timesteps.tolist():
        t = torch.full((batch,), int(step), dtype=torch.long, device=device)
        x0_hat = guided(scheduler.scale_model_input(x, step), t)
        x = scheduler.step(x0_hat, step, x, return_dict=False, **options)[0]
    return x


def sample_network(
    network: Callable[..., torch.Tensor],
    schedule: NoiseSchedule,
    cond: dict[str, torch.Tensor],
    shape: tuple[int, int, int],
    settings: SamplerSettings,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    x_T: torch.Tensor | None = None,
) -> torch.Tensor:
    """Sample ``(B, N, D)`` motion from ``network(x_t, t, cond, uncond)`` for a batch condition.

    The one sampling path of generation, streaming and training previews: the condition is tiled
    once for the doubled classifier-free-guidance batch (not per step), the network runs in
    ``dtype`` (its weights' dtype; autocast covers the float32 tensors it makes itself, e.g. the
    timestep embedding) while the sampler's arithmetic stays float32.

    Args:
        cond: tensors with the batch ``B`` as their first axis (per-frame streams ``(B, N, C)``,
            categories ``(B,)``, ``seed (B, S, D)``, a padded batch's ``frame_mask (B, N)``), already
            on ``device``.
        x_T: the starting noise ``(B, N, D)`` float32 (drawn from ``generator`` when omitted).
    """
    batch = shape[0]
    single = {name: value.to(dtype) if value.is_floating_point() else value for name, value in cond.items()}
    doubled = None
    reduced = dtype != torch.float32
    device_type = torch.device(device).type

    def denoise(x_t: torch.Tensor, t: torch.Tensor, uncond: torch.Tensor | None) -> torch.Tensor:
        nonlocal doubled
        if x_t.shape[0] == batch:
            rows = single
        else:
            if doubled is None:
                doubled = {name: torch.cat([value, value]) for name, value in single.items()}
            rows = doubled
        with torch.autocast(device_type, dtype=dtype, enabled=reduced):
            return network(x_t.to(dtype), t, rows, uncond).float()

    return sample(denoise, schedule, shape, settings, generator, device=device, x_T=x_T)

"""Reverse-diffusion samplers for an x0-predicting denoiser (diffusers-style, network-agnostic).

Every sampler takes a callable ``denoise(x_t, t) -> x0_hat`` where ``x_t`` is ``(B, N, D)`` noisy
motion and ``t`` is ``(B,)`` int64 timesteps in ``[0, T)``; it never sees the network. Randomness
comes only from the ``torch.Generator`` passed in, so a fixed seed reproduces a sample exactly.

- :func:`ddpm_sample`: ancestral sampling through all ``T`` steps with the posterior variance
  β̃_t = β_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t) (Ho et al., 2020).
- :func:`ddim_sample`: DDIM on ``k`` evenly spaced steps with stochasticity ``eta`` (Song et al.,
  2021); ``eta=0`` is deterministic given x_T, ``eta=1`` matches DDPM's variance on the sub-sequence.
- :func:`classifier_free_guidance`: turns ``denoise(x_t, t, uncond)`` into a guided
  ``denoise(x_t, t)``, running the conditional and unconditional passes as one batched forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.core.errors import ConfigError

Denoise = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MaskedDenoise = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]

SAMPLER_KINDS = ("ddim", "ddpm")


@dataclass(frozen=True)
class SamplerSettings:
    """How to run the reverse process.

    Attributes:
        kind: ``"ddim"`` or ``"ddpm"``.
        steps: DDIM step count ``k`` (ignored by DDPM, which always runs all ``T`` steps).
        eta: DDIM stochasticity in ``[0, 1]``.
        guidance: classifier-free guidance scale ``s``; 1 = purely conditional, 0 = unconditional.
    """

    kind: str = "ddim"
    steps: int = 25
    eta: float = 0.0
    guidance: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in SAMPLER_KINDS:
            raise ConfigError(f"sampler.kind must be one of {SAMPLER_KINDS}, got {self.kind!r}")
        if self.steps < 1:
            raise ConfigError(f"sampler.steps must be >= 1, got {self.steps}")
        if not 0.0 <= self.eta <= 1.0:
            raise ConfigError(f"sampler.eta must be in [0, 1], got {self.eta}")
        if self.guidance < 0:
            raise ConfigError(f"sampler.guidance must be >= 0, got {self.guidance}")


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


def _initial_noise(shape, generator, x_T, dtype, device) -> torch.Tensor:
    """``x_T`` when given, else standard normal noise of ``shape`` drawn from ``generator``."""
    if x_T is not None:
        return x_T
    return torch.randn(shape, generator=generator, dtype=dtype, device=device)


def ddpm_sample(
    denoise: Denoise,
    schedule: NoiseSchedule,
    shape: tuple[int, int, int],
    generator: torch.Generator,
    x_T: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Ancestral DDPM sampling through all ``T`` steps.

    Args:
        shape: ``(B, N, D)`` of the sample.
        generator: source of all noise (initial x_T and one draw per step t > 0).
        x_T: optional starting noise of ``shape`` (drawn from ``generator`` when omitted).

    Returns:
        x0 sample ``(B, N, D)``; x_{t-1} = μ̃_t(x̂0, x_t) + sqrt(β̃_t)·z with z = 0 at t = 0.
    """
    x = _initial_noise(shape, generator, x_T, dtype, device)
    batch = shape[0]
    for step in range(schedule.num_steps - 1, -1, -1):
        t = torch.full((batch,), step, dtype=torch.long, device=device)
        mean, variance = schedule.q_posterior(denoise(x, t), x, t)
        if step > 0:
            x = mean + variance.sqrt() * torch.randn(shape, generator=generator, dtype=dtype, device=device)
        else:
            x = mean
    return x


def ddim_timesteps(num_train_steps: int, steps: int) -> torch.Tensor:
    """``steps`` evenly spaced training timesteps from ``T-1`` down to 0, as a descending (k,) int64 tensor."""
    if not 1 <= steps <= num_train_steps:
        raise ConfigError(f"sampler.steps must be in [1, {num_train_steps}] for this schedule, got {steps}")
    return torch.linspace(num_train_steps - 1, 0, steps, dtype=torch.float64).round().long()


def ddim_sample(
    denoise: Denoise,
    schedule: NoiseSchedule,
    shape: tuple[int, int, int],
    generator: torch.Generator,
    steps: int = 25,
    eta: float = 0.0,
    x_T: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """DDIM sampling on ``steps`` timesteps.

    With τ_i the chosen timesteps and ᾱ_prev the next one's ᾱ (1 after the last):
    ε̂ = (x_t - sqrt(ᾱ_t)·x̂0)/sqrt(1-ᾱ_t),
    σ = eta·sqrt((1-ᾱ_prev)/(1-ᾱ_t))·sqrt(1-ᾱ_t/ᾱ_prev),
    x_prev = sqrt(ᾱ_prev)·x̂0 + sqrt(1-ᾱ_prev-σ²)·ε̂ + σ·z.

    Returns:
        x0 sample ``(B, N, D)`` (exactly the last x̂0, since ᾱ_prev = 1 at the end).
    """
    timesteps = ddim_timesteps(schedule.num_steps, steps)
    abar = schedule.alphas_cumprod
    x = _initial_noise(shape, generator, x_T, dtype, device)
    batch = shape[0]
    for index, step in enumerate(timesteps.tolist()):
        t = torch.full((batch,), step, dtype=torch.long, device=device)
        x0_hat = denoise(x, t)
        abar_t = abar[step]
        abar_prev = abar[timesteps[index + 1]] if index + 1 < len(timesteps) else torch.tensor(1.0, dtype=torch.float64)
        eps_hat = schedule.predict_noise(x, t, x0_hat)
        sigma = eta * torch.sqrt((1 - abar_prev) / (1 - abar_t)) * torch.sqrt(1 - abar_t / abar_prev)
        direction = torch.sqrt((1 - abar_prev - sigma**2).clamp(min=0.0))
        x = float(abar_prev.sqrt()) * x0_hat + float(direction) * eps_hat
        if float(sigma) > 0:
            x = x + float(sigma) * torch.randn(shape, generator=generator, dtype=dtype, device=device)
    return x


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
    """Run the sampler ``settings`` names on a guided ``denoise(x_t, t, uncond)``; returns (B, N, D).
    ``x_T``: the starting noise of ``shape`` (drawn from ``generator`` when omitted)."""
    guided = classifier_free_guidance(denoise, settings.guidance)
    if settings.kind == "ddpm":
        return ddpm_sample(guided, schedule, shape, generator, x_T, dtype=dtype, device=device)
    return ddim_sample(guided, schedule, shape, generator, settings.steps, settings.eta, x_T, dtype=dtype, device=device)


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

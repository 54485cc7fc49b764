"""DDPM noise schedules (Ho et al., 2020; cosine from Nichol & Dhariwal, 2021).

The schedule is independent of the network: it only knows how to noise a clean sample and the
closed-form quantities samplers need. Tensors follow the layout ``(batch, frames, features)``.
"""

from __future__ import annotations

import math

import torch

from motiongen.core.errors import ConfigError


def make_betas(kind: str, num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """Return the ``(num_steps,)`` float64 beta schedule of the given kind (``linear`` or ``cosine``)."""
    if num_steps < 1:
        raise ConfigError(f"diffusion steps must be >= 1, got {num_steps}")
    if kind == "linear":
        return torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
    if kind == "cosine":
        offset = 0.008
        steps = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
        alpha_bar = torch.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2
        return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=0.999)
    raise ConfigError(f"unknown beta schedule {kind!r}; choose 'linear' or 'cosine'")


class NoiseSchedule:
    """Forward-process quantities for ``T`` steps, indexed by integer timestep ``t`` in ``[0, T)``."""

    def __init__(self, kind: str = "linear", num_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        self.kind = kind
        self.num_steps = num_steps
        self.betas = make_betas(kind, num_steps, beta_start, beta_end)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]])
        # Posterior q(x_{t-1} | x_t, x0) = N(coef_x0·x0 + coef_xt·x_t, variance) (Ho et al., eq. 6-7).
        self.posterior_variance = self.betas * (1 - self.alphas_cumprod_prev) / (1 - self.alphas_cumprod)
        self.posterior_coef_x0 = self.betas * self.alphas_cumprod_prev.sqrt() / (1 - self.alphas_cumprod)
        self.posterior_coef_xt = (1 - self.alphas_cumprod_prev) * self.alphas.sqrt() / (1 - self.alphas_cumprod)

    def _gather(self, values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """Pick ``values[t]`` per batch element, shaped to broadcast against ``like`` (B, ...)."""
        picked = values.to(like.device)[t].to(like.dtype)
        return picked.reshape(-1, *([1] * (like.dim() - 1)))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise clean motion ``x0`` (B, N, D) to step ``t`` (B,): sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·ε."""
        abar = self._gather(self.alphas_cumprod, t, x0)
        return abar.sqrt() * x0 + (1 - abar).sqrt() * noise

    def q_posterior(self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean (B, N, D) and variance (B, 1, 1) of q(x_{t-1} | x_t, x0) for steps ``t`` (B,)."""
        mean = self._gather(self.posterior_coef_x0, t, x0) * x0 + self._gather(self.posterior_coef_xt, t, x_t) * x_t
        return mean, self._gather(self.posterior_variance, t, x0)

    def predict_noise(self, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """The noise ε that takes ``x0`` to ``x_t`` at step ``t``: (x_t - sqrt(ᾱ_t)·x0) / sqrt(1-ᾱ_t)."""
        abar = self._gather(self.alphas_cumprod, t, x_t)
        return (x_t - abar.sqrt() * x0) / (1 - abar).sqrt()

    def ddim_step(self, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor, t_prev: torch.Tensor) -> torch.Tensor:
        """Deterministic DDIM move of ``x_t`` (B, N, D) from step ``t`` to ``t_prev`` (both (B,), per
        row) given the clean estimate ``x0``: sqrt(ᾱ_prev)·x0 + sqrt(1-ᾱ_prev)·ε̂ with ε̂ from
        :meth:`predict_noise` (the probability-flow ODE solver of consistency distillation; diffusers'
        ``DDIMScheduler.step`` takes one timestep for the whole batch)."""
        abar_prev = self._gather(self.alphas_cumprod, t_prev, x_t)
        return abar_prev.sqrt() * x0 + (1 - abar_prev).sqrt() * self.predict_noise(x_t, t, x0)

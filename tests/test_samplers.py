"""Sampler maths checked against closed forms, using analytic x0-predictors instead of a network.

For Gaussian data x0 ~ N(μ, s²) (per feature) the optimal x0-predictor is known in closed form:
E[x0 | x_t] = μ + sqrt(ᾱ_t)·s² / (ᾱ_t·s² + 1 - ᾱ_t) · (x_t - sqrt(ᾱ_t)·μ). A correct sampler driven
by it must reproduce N(μ, s²).
"""

from __future__ import annotations

import pytest
import torch

from motiongen.diffusion.samplers import (
    SamplerSettings,
    classifier_free_guidance,
    ddim_sample,
    ddim_timesteps,
    ddpm_sample,
    sample,
)
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.core.errors import ConfigError


def gaussian_posterior_mean(schedule: NoiseSchedule, mu: torch.Tensor, std: torch.Tensor):
    """The exact E[x0 | x_t] for x0 ~ N(mu, std²) per feature (mu, std broadcast over (B, N, D))."""

    def denoise(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        abar = schedule.alphas_cumprod[t].to(x_t.dtype).reshape(-1, 1, 1)
        gain = abar.sqrt() * std**2 / (abar * std**2 + 1 - abar)
        return mu + gain * (x_t - abar.sqrt() * mu)

    return denoise


def oracle(x0: torch.Tensor):
    """A denoiser that always returns the true clean sample."""
    return lambda x_t, t: x0.expand_as(x_t)


@pytest.fixture
def schedule() -> NoiseSchedule:
    return NoiseSchedule("linear", num_steps=200, beta_start=1e-4, beta_end=0.05)


def test_posterior_matches_bayes_rule(schedule):
    """μ̃ and β̃ equal the Gaussian product of q(x_{t-1}|x0) and q(x_t|x_{t-1})."""
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(3, 4, 2, generator=gen, dtype=torch.float64)
    x_t = torch.randn(3, 4, 2, generator=gen, dtype=torch.float64)
    for step in (1, 57, 199):
        t = torch.full((3,), step)
        mean, variance = schedule.q_posterior(x0, x_t, t)
        abar_prev = schedule.alphas_cumprod[step - 1]
        alpha, beta = schedule.alphas[step], schedule.betas[step]
        precision = 1 / (1 - abar_prev) + alpha / beta
        expected_mean = (abar_prev.sqrt() * x0 / (1 - abar_prev) + alpha.sqrt() * x_t / beta) / precision
        torch.testing.assert_close(mean, expected_mean)
        torch.testing.assert_close(variance.flatten(), torch.full((3,), float(1 / precision), dtype=torch.float64))


def test_predict_noise_inverts_q_sample(schedule):
    gen = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(2, 2, 5, 3, generator=gen, dtype=torch.float64)
    t = torch.tensor([0, 150])
    torch.testing.assert_close(schedule.predict_noise(schedule.q_sample(x0, t, eps), t, x0), eps)


@pytest.mark.parametrize("steps", [1, 5, 25, 200])
def test_ddim_eta0_with_oracle_returns_x0_exactly(schedule, steps):
    x0 = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(2))
    out = ddim_sample(oracle(x0), schedule, (2, 7, 3), torch.Generator().manual_seed(3), steps=steps, eta=0.0)
    torch.testing.assert_close(out, x0, rtol=0, atol=1e-5)


def test_ddpm_with_oracle_returns_x0(schedule):
    x0 = torch.randn(1, 5, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    out = ddpm_sample(oracle(x0), schedule, (1, 5, 2), torch.Generator().manual_seed(5), dtype=torch.float64)
    torch.testing.assert_close(out, x0)


def test_ddim_with_all_steps_and_eta1_is_ddpm(schedule):
    """DDIM(k=T, eta=1) draws the same noise in the same order and has DDPM's mean and variance."""
    denoise = gaussian_posterior_mean(schedule, torch.tensor(0.7, dtype=torch.float64), torch.tensor(0.3, dtype=torch.float64))
    shape = (4, 6, 2)
    ddpm = ddpm_sample(denoise, schedule, shape, torch.Generator().manual_seed(6), dtype=torch.float64)
    ddim = ddim_sample(denoise, schedule, shape, torch.Generator().manual_seed(6), steps=200, eta=1.0, dtype=torch.float64)
    torch.testing.assert_close(ddim, ddpm, rtol=1e-9, atol=1e-9)


def gaussian_case(schedule):
    mu = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64)
    std = torch.tensor([0.2, 1.0, 0.6], dtype=torch.float64)
    return mu, std, gaussian_posterior_mean(schedule, mu, std)


def short_schedule() -> NoiseSchedule:
    """400 steps whose ᾱ_T ≈ 5e-5, so x_T ~ N(0, I) is the true marginal up to 0.007·μ; betas stay
    small (≤ 0.05) so DDPM's per-step Gaussian approximation of the reverse process is accurate."""
    return NoiseSchedule("linear", num_steps=400, beta_start=1e-4, beta_end=0.05)


@pytest.mark.parametrize("kind, steps, eta", [("ddpm", 0, 0.0), ("ddim", 400, 0.0), ("ddim", 400, 0.5)])
def test_samplers_reproduce_gaussian_data(kind, steps, eta):
    """With all T steps (no discretisation error) the samples follow N(μ, s²)."""
    schedule = short_schedule()
    mu, std, denoise = gaussian_case(schedule)
    gen = torch.Generator().manual_seed(7)
    shape = (4000, 1, 3)
    if kind == "ddpm":
        out = ddpm_sample(denoise, schedule, shape, gen, dtype=torch.float64)
    else:
        out = ddim_sample(denoise, schedule, shape, gen, steps=steps, eta=eta, dtype=torch.float64)
    flat = out.reshape(-1, 3)
    # 4000 samples: standard error of the mean ≤ 0.016, relative standard error of the std ≈ 0.011.
    torch.testing.assert_close(flat.mean(0), mu, rtol=0, atol=0.05)
    torch.testing.assert_close(flat.std(0), std, rtol=0.05, atol=0)


def test_ddim_spread_converges_as_steps_grow():
    """Few DDIM steps shrink the spread (known discretisation bias); the error falls with more steps."""
    schedule = short_schedule()
    mu, std, denoise = gaussian_case(schedule)
    errors = []
    for steps in (5, 25, 400):
        out = ddim_sample(denoise, schedule, (4000, 1, 3), torch.Generator().manual_seed(8), steps=steps, dtype=torch.float64)
        errors.append(float((out.reshape(-1, 3).std(0) / std - 1).abs().max()))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.05


def test_ddim_timesteps_are_descending_unique_and_span_the_schedule():
    for steps in (1, 2, 25, 1000):
        ts = ddim_timesteps(1000, steps)
        assert len(ts) == steps and len(set(ts.tolist())) == steps
        assert ts[0] == 999 and (steps == 1 or ts[-1] == 0)
        assert bool((ts[:-1] > ts[1:]).all())
    with pytest.raises(ConfigError):
        ddim_timesteps(100, 101)


def conditional_linear_denoiser(calls: list[int]):
    """x0_hat = 2·x_t for conditional rows, -x_t for unconditional rows; counts forward calls."""

    def denoise(x_t, t, uncond):
        calls.append(x_t.shape[0])
        if uncond is None:
            return 2 * x_t
        return torch.where(uncond.reshape(-1, 1, 1), -x_t, 2 * x_t)

    return denoise


def test_guidance_scale_one_is_the_conditional_prediction_in_one_pass():
    calls: list[int] = []
    x = torch.randn(3, 4, 2)
    out = classifier_free_guidance(conditional_linear_denoiser(calls), 1.0)(x, torch.zeros(3, dtype=torch.long))
    torch.testing.assert_close(out, 2 * x)
    assert calls == [3]


@pytest.mark.parametrize("scale", [0.0, 0.5, 2.5])
def test_guidance_extrapolates_in_one_batched_pass(scale):
    calls: list[int] = []
    x = torch.randn(3, 4, 2)
    out = classifier_free_guidance(conditional_linear_denoiser(calls), scale)(x, torch.zeros(3, dtype=torch.long))
    torch.testing.assert_close(out, -x + scale * (2 * x - -x))
    assert calls == [6]


def test_same_seed_same_sample_and_batched_samples_differ(schedule):
    denoise = gaussian_posterior_mean(schedule, torch.tensor(0.0), torch.tensor(1.0))
    settings = SamplerSettings(kind="ddim", steps=10, eta=0.5, guidance=2.0)
    masked = lambda x, t, uncond: denoise(x, t)  # noqa: E731 - the analytic model ignores the condition
    first = sample(masked, schedule, (3, 8, 2), settings, torch.Generator().manual_seed(11))
    again = sample(masked, schedule, (3, 8, 2), settings, torch.Generator().manual_seed(11))
    other = sample(masked, schedule, (3, 8, 2), settings, torch.Generator().manual_seed(12))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.allclose(first, other)
    assert not torch.allclose(first[0], first[1])


@pytest.mark.parametrize(
    "kwargs", [{"kind": "euler"}, {"steps": 0}, {"eta": 1.5}, {"eta": -0.1}, {"guidance": -1.0}]
)
def test_bad_settings_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        SamplerSettings(**kwargs)

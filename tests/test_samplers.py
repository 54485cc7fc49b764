"""Sampler maths checked against closed forms, using analytic x0-predictors instead of a network.

For Gaussian data x0 ~ N(μ, s²) (per feature) the optimal x0-predictor is known in closed form:
E[x0 | x_t] = μ + sqrt(ᾱ_t)·s² / (ᾱ_t·s² + 1 - ᾱ_t) · (x_t - sqrt(ᾱ_t)·μ). A correct sampler driven
by it must reproduce N(μ, s²).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from motiongen.diffusion.samplers import SamplerSettings, classifier_free_guidance, make_scheduler, sample
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.core.errors import ConfigError

SAMPLER_CONFIGS = sorted((Path(__file__).resolve().parents[1] / "conf" / "sampler").glob("*.yaml"))


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


def settings_of(name: str, **changes) -> SamplerSettings:
    """The settings of ``conf/sampler/<name>.yaml`` with ``changes`` (e.g. steps) applied."""
    node = OmegaConf.load(next(path for path in SAMPLER_CONFIGS if path.stem == name))
    node.merge_with(changes)
    return SamplerSettings.from_config(node)


def run(denoise, schedule, shape, settings, seed, dtype=torch.float64):
    """``sample`` for an unconditional analytic denoiser ``denoise(x_t, t)``."""
    return sample(lambda x, t, uncond: denoise(x, t), schedule, shape, settings, torch.Generator().manual_seed(seed),
                  dtype=dtype)


def reference_ddim(denoise, schedule: NoiseSchedule, timesteps: list[int], x_T: torch.Tensor, eta: float,
                   generator: torch.Generator) -> torch.Tensor:
    """The hand-written DDIM loop the project used before diffusers (motiongen 0.x), verbatim but
    for taking its descending timesteps as an argument: ε̂ = (x_t - sqrt(ᾱ_t)·x̂0)/sqrt(1-ᾱ_t),
    σ = eta·sqrt((1-ᾱ_prev)/(1-ᾱ_t))·sqrt(1-ᾱ_t/ᾱ_prev), x_prev = sqrt(ᾱ_prev)·x̂0 +
    sqrt(1-ᾱ_prev-σ²)·ε̂ + σ·z (ᾱ_prev = 1 after the last step)."""
    abar = schedule.alphas_cumprod
    x = x_T
    for index, step in enumerate(timesteps):
        t = torch.full((x.shape[0],), step, dtype=torch.long)
        x0_hat = denoise(x, t)
        abar_t = abar[step]
        abar_prev = abar[timesteps[index + 1]] if index + 1 < len(timesteps) else torch.tensor(1.0, dtype=torch.float64)
        eps_hat = schedule.predict_noise(x, t, x0_hat)
        sigma = eta * torch.sqrt((1 - abar_prev) / (1 - abar_t)) * torch.sqrt(1 - abar_t / abar_prev)
        direction = torch.sqrt((1 - abar_prev - sigma**2).clamp(min=0.0))
        x = float(abar_prev.sqrt()) * x0_hat + float(direction) * eps_hat
        if float(sigma) > 0:
            x = x + float(sigma) * torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return x


@pytest.mark.parametrize("steps, eta", [(1, 0.0), (2, 0.0), (10, 0.0), (25, 0.0), (10, 0.5), (25, 1.0)])
def test_diffusers_ddim_reproduces_the_hand_written_ddim_from_the_same_seed(steps, eta):
    """diffusers' DDIMScheduler (trailing timesteps) = the former hand-written DDIM on the same
    timesteps, noise and x0-predictor. Tolerance 1e-5 (float32 sampling; diffusers keeps ᾱ in
    float32, the former loop in float64: 1e-6 apart after 25 steps)."""
    schedule = NoiseSchedule("linear", num_steps=1000)
    mu, std, denoise = gaussian_case(schedule)
    denoise32 = lambda x, t: denoise(x.double(), t).float()  # noqa: E731 - float32 predictions, as a network makes
    settings = settings_of("ddim", steps=steps, eta=eta)
    ours = run(denoise32, schedule, (3, 4, 3), settings, seed=9, dtype=torch.float32)
    generator = torch.Generator().manual_seed(9)
    x_T = torch.randn((3, 4, 3), generator=generator)
    timesteps = make_scheduler(settings, schedule).timesteps.tolist()
    assert timesteps[0] == 999 and len(timesteps) == steps
    former = reference_ddim(denoise32, schedule, timesteps, x_T, eta, generator)
    torch.testing.assert_close(ours, former, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name, steps", [("ddim", 1), ("ddim", 25), ("ddim", 200), ("ddpm", None), ("dpmsolver", 5),
                                         ("dpmsolver", 10), ("unipc", 5), ("lcm", 1), ("lcm", 4)])
def test_every_scheduler_with_an_oracle_returns_x0(schedule, name, steps):
    """A denoiser that knows x0 makes every sampler land on it (LCM: up to c_skip(t)·x_t ≈ 1e-6)."""
    x0 = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    out = run(oracle(x0), schedule, (2, 7, 3), settings_of(name, steps=steps), seed=3)
    torch.testing.assert_close(out, x0, rtol=0, atol=1e-4)


def test_ddim_with_all_steps_and_eta1_is_ddpm(schedule):
    """DDIM(k=T, eta=1) draws the same noise in the same order and has DDPM's mean and variance
    (up to float32 rounding: diffusers keeps ᾱ in float32, 1e-4 apart after 200 steps)."""
    denoise = gaussian_posterior_mean(schedule, torch.tensor(0.7, dtype=torch.float64), torch.tensor(0.3, dtype=torch.float64))
    shape = (4, 6, 2)
    ddpm = run(denoise, schedule, shape, settings_of("ddpm"), seed=6)
    ddim = run(denoise, schedule, shape, settings_of("ddim", steps=200, eta=1.0), seed=6)
    torch.testing.assert_close(ddim, ddpm, rtol=0, atol=3e-4)


def gaussian_case(schedule):
    mu = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64)
    std = torch.tensor([0.2, 1.0, 0.6], dtype=torch.float64)
    return mu, std, gaussian_posterior_mean(schedule, mu, std)


def short_schedule() -> NoiseSchedule:
    """400 steps whose ᾱ_T ≈ 5e-5, so x_T ~ N(0, I) is the true marginal up to 0.007·μ; betas stay
    small (≤ 0.05) so DDPM's per-step Gaussian approximation of the reverse process is accurate."""
    return NoiseSchedule("linear", num_steps=400, beta_start=1e-4, beta_end=0.05)


@pytest.mark.parametrize("name, steps, eta", [("ddpm", None, 0.0), ("ddim", 400, 0.0), ("ddim", 400, 0.5),
                                              ("dpmsolver", 50, 0.0), ("unipc", 50, 0.0)])
def test_samplers_reproduce_gaussian_data(name, steps, eta):
    """With all T steps (or a high-order solver's 50) the samples follow N(μ, s²)."""
    schedule = short_schedule()
    mu, std, denoise = gaussian_case(schedule)
    out = run(denoise, schedule, (4000, 1, 3), settings_of(name, steps=steps, eta=eta), seed=7)
    flat = out.reshape(-1, 3)
    # 4000 samples: standard error of the mean ≤ 0.016, relative standard error of the std ≈ 0.011.
    torch.testing.assert_close(flat.mean(0), mu, rtol=0, atol=0.05)
    torch.testing.assert_close(flat.std(0), std, rtol=0.05, atol=0)


@pytest.mark.parametrize("name", ["ddim", "dpmsolver", "unipc"])
def test_spread_converges_as_steps_grow(name):
    """Few steps shrink the spread (known discretisation bias); the error falls with more steps."""
    schedule = short_schedule()
    mu, std, denoise = gaussian_case(schedule)
    errors = []
    for steps in (3, 10, 400):
        out = run(denoise, schedule, (4000, 1, 3), settings_of(name, steps=steps), seed=8)
        errors.append(float((out.reshape(-1, 3).std(0) / std - 1).abs().max()))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.05


def test_high_order_solvers_beat_ddim_at_five_steps():
    """At 5 steps DPM-Solver++ and UniPC reproduce the data's spread better than DDIM."""
    schedule = short_schedule()
    mu, std, denoise = gaussian_case(schedule)
    error = {}
    for name in ("ddim", "dpmsolver", "unipc"):
        out = run(denoise, schedule, (4000, 1, 3), settings_of(name, steps=5), seed=8)
        error[name] = float((out.reshape(-1, 3).std(0) / std - 1).abs().max())
    assert error["dpmsolver"] < error["ddim"] and error["unipc"] < error["ddim"], error


@pytest.mark.parametrize("path", SAMPLER_CONFIGS, ids=lambda path: path.stem)
def test_every_sampler_file_builds_its_diffusers_scheduler(path, schedule):
    settings = SamplerSettings.from_config(OmegaConf.load(path))
    assert settings.kind == path.stem
    scheduler = make_scheduler(settings, schedule)
    assert type(scheduler).__name__ == settings.scheduler
    assert scheduler.config.prediction_type == "sample"
    torch.testing.assert_close(torch.as_tensor(scheduler.betas, dtype=torch.float64), schedule.betas, rtol=1e-6, atol=0)
    assert len(scheduler.timesteps) == (settings.steps or schedule.num_steps)


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
    "kwargs", [{"scheduler": "EulerDiscreteScheduler"}, {"steps": 0}, {"eta": 1.5}, {"eta": -0.1},
               {"guidance": -1.0}, {"scheduler": "UniPCMultistepScheduler", "eta": 0.5}]
)
def test_bad_settings_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        SamplerSettings(**kwargs)


@pytest.mark.parametrize("changes, message", [
    ({"steps": 201}, "sampler.steps must be in"),
    ({"options": {"prediction_type": "epsilon"}}, "come from the model"),
    ({"options": {"solver_order": "two"}}, "sampler ddim"),
])
def test_settings_the_schedule_or_scheduler_rejects_are_config_errors(schedule, changes, message):
    with pytest.raises(ConfigError, match=message):
        make_scheduler(SamplerSettings(**changes), schedule)


def test_from_config_names_a_wrong_field_and_a_wrong_target():
    with pytest.raises(ConfigError, match="stepz"):
        SamplerSettings.from_config({"kind": "ddim", "stepz": 3})
    with pytest.raises(ConfigError, match="_target_"):
        SamplerSettings.from_config({"_target_": "collections.OrderedDict", "kind": "ddim"})


def test_the_sampler_flag_names_every_sampler_file():
    """`generate --sampler` / `live --sampler` offer exactly the files of conf/sampler."""
    from motiongen.commands.hydra_command import SAMPLERS
    from motiongen.config import conf_dir

    assert sorted(SAMPLERS) == sorted(path.stem for path in (conf_dir() / "sampler").glob("*.yaml"))

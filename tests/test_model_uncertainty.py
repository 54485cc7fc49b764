"""Task weighting: UWP objective, gradients of the log-variances, fixed weights."""

import math

import pytest
import torch

from motiongen.core.errors import ConfigError
from motiongen.model.uncertainty import TaskWeighting, task_losses, velocity_losses


def test_uwp_starts_from_equal_weights_and_matches_the_paper_formula():
    weighting = TaskWeighting(["gesture", "expression"], "uwp")
    losses = {"gesture": torch.tensor(0.8), "expression": torch.tensor(0.2)}
    assert weighting(losses).item() == pytest.approx(0.5 * 0.8 + 0.5 * 0.2)
    assert weighting.effective_weights(normalised=False) == {"gesture": 0.5, "expression": 0.5}
    with torch.no_grad():
        weighting.log_var.copy_(torch.tensor([math.log(4.0), math.log(0.25)]))  # σ = 2, 0.5
    expected = 0.8 / (2 * 4.0) + math.log(2.0) + 0.2 / (2 * 0.25) + math.log(0.5)
    assert weighting(losses).item() == pytest.approx(expected, rel=1e-6)
    assert weighting.sigmas() == pytest.approx({"gesture": 2.0, "expression": 0.5})
    w = weighting.effective_weights()
    assert w["gesture"] == pytest.approx(0.125 / 2.125) and sum(w.values()) == pytest.approx(1.0)


def test_sigmas_receive_gradients_and_settle_at_the_task_loss():
    weighting = TaskWeighting(["gesture", "expression"], "uwp")
    optimiser = torch.optim.Adam(weighting.parameters(), lr=0.05)
    losses = {"gesture": torch.tensor(2.0), "expression": torch.tensor(0.5)}
    weighting(losses).backward()
    assert torch.allclose(weighting.log_var.grad, torch.tensor([0.5 - 0.5 * 2.0, 0.5 - 0.5 * 0.5]))
    for _ in range(600):
        optimiser.zero_grad()
        weighting(losses).backward()
        optimiser.step()
    # d/ds (½e^{-s}L + ½s) = 0  ⇔  σ² = e^s = L
    assert torch.exp(weighting.log_var).tolist() == pytest.approx([2.0, 0.5], rel=1e-2)


def test_fixed_weights_and_single_task():
    fixed = TaskWeighting(["gesture", "expression"], "fixed", {"gesture": 0.5, "expression": 0.5})
    assert list(fixed.parameters()) == []
    assert fixed({"gesture": torch.tensor(1.0), "expression": torch.tensor(3.0)}).item() == pytest.approx(2.0)
    single = TaskWeighting(["expression"], "fixed", {"expression": 1.0, "gesture": 0.5})
    assert single({"expression": torch.tensor(0.3)}).item() == pytest.approx(0.3)
    assert single.effective_weights() == {"expression": 1.0}
    with pytest.raises(ConfigError):
        TaskWeighting(["gesture"], "fixed", {"expression": 1.0})
    with pytest.raises(ConfigError):
        TaskWeighting(["gesture"], "learned")


def test_task_losses_are_huber_per_channel_slice():
    prediction = torch.zeros(2, 4, 5)
    target = torch.cat([torch.full((2, 4, 3), 0.5), torch.full((2, 4, 2), 3.0)], dim=-1)
    losses = task_losses(prediction, target, {"gesture": slice(0, 3), "expression": slice(3, 5)}, delta=1.0)
    assert losses["gesture"].item() == pytest.approx(0.5 * 0.25)
    assert losses["expression"].item() == pytest.approx(3.0 - 0.5)


def test_velocity_losses_see_jitter_that_the_value_loss_hardly_sees():
    """An error of the same RMS costs ~2x in the velocity loss when it is frame-to-frame noise and
    ~nothing when it is a constant offset; a difference counts only where both frames are observed."""
    x0 = torch.zeros(4, 200, 3)
    slices = {"gesture": slice(0, 3)}
    jitter = 0.1 * torch.randn(4, 200, 3, generator=torch.Generator().manual_seed(0))
    offset = torch.full_like(x0, float(jitter.pow(2).mean().sqrt()))
    values = [task_losses(x0 + e, x0, slices)["gesture"] for e in (jitter, offset)]
    velocity = [velocity_losses(x0 + e, x0, slices)["gesture"] for e in (jitter, offset)]
    torch.testing.assert_close(values[0], values[1], rtol=0.02, atol=0)
    assert velocity[0] == pytest.approx(2 * values[0].item(), rel=0.05) and velocity[1] < 1e-9
    mask = torch.ones(4, 200, 3)
    mask[:, 100:] = 0
    masked = velocity_losses(x0 + jitter, x0, slices, weights={"gesture": mask})["gesture"]
    expected = velocity_losses(x0[:, :100] + jitter[:, :100], x0[:, :100], slices)["gesture"]
    torch.testing.assert_close(masked, expected)

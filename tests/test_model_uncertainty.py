"""Task weighting: UWP objective, gradients of the log-variances, fixed weights."""

import math

import pytest
import torch

from motiongen.core.errors import ConfigError
from motiongen.model.uncertainty import TaskWeighting, task_losses


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

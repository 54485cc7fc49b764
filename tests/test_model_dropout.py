"""ByteDropout: drop rate, unbiased scaling, gradients, eval identity, reproducibility."""

import pytest
import torch

from motiongen.core.errors import ConfigError
from motiongen.model.dropout import ByteDropout


def test_drop_rate_and_scaling_match_the_effective_probability():
    drop = ByteDropout(0.1).train()
    torch.manual_seed(0)
    out = drop(torch.ones(400_000))
    dropped = (out == 0).float().mean().item()
    assert drop.p_effective == 26 / 256
    assert dropped == pytest.approx(drop.p_effective, abs=2e-3)
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - drop.p_effective)))
    assert out.mean().item() == pytest.approx(1.0, abs=5e-3)  # expectation preserved


def test_every_byte_position_drops_at_the_same_rate():
    drop = ByteDropout(0.5).train()
    torch.manual_seed(1)
    out = drop(torch.ones(80_000, 8))  # consecutive elements come from the 8 bytes of one random word
    assert torch.allclose((out == 0).float().mean(0), torch.full((8,), 0.5), atol=0.02)


def test_gradient_is_the_mask_times_the_scale_and_eval_is_identity():
    drop = ByteDropout(0.3)
    x = torch.randn(7, 33, 5, dtype=torch.bfloat16, requires_grad=True)
    torch.manual_seed(2)
    out = drop.train()(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    out.float().sum().backward()
    keep = out != 0
    scale = torch.tensor(1 / (1 - drop.p_effective), dtype=torch.bfloat16)
    assert torch.equal(x.grad, torch.where(keep, scale, torch.tensor(0.0, dtype=torch.bfloat16)))
    assert torch.equal(drop.eval()(x), x)
    assert torch.equal(ByteDropout(0.0).train()(x), x)


def test_same_seed_same_mask():
    drop = ByteDropout(0.1).train()
    x = torch.randn(3, 11)
    torch.manual_seed(5)
    first = drop(x)
    torch.manual_seed(5)
    assert torch.equal(drop(x), first)


@pytest.mark.parametrize("p", [-0.1, 1.0])
def test_invalid_probability_is_a_config_error(p):
    with pytest.raises(ConfigError, match="dropout probability"):
        ByteDropout(p)


def test_residual_add_draws_the_same_mask_and_gradients_as_dropout_then_add():
    drop = ByteDropout(0.2).train()
    residual = torch.randn(4, 9, 6, requires_grad=True)
    branch = torch.randn(4, 9, 6, requires_grad=True)
    torch.manual_seed(7)
    fused = drop.residual_add(residual, branch)
    fused.backward(torch.ones_like(fused))
    grads = residual.grad.clone(), branch.grad.clone()
    residual.grad = branch.grad = None
    torch.manual_seed(7)
    plain = residual + drop(branch)
    plain.backward(torch.ones_like(plain))
    assert torch.allclose(fused, plain, atol=1e-6)
    assert torch.equal(grads[0], residual.grad) and torch.allclose(grads[1], branch.grad)
    assert 0 < (branch.grad == 0).float().mean() < 0.5
    assert torch.equal(drop.eval().residual_add(residual, branch), residual + branch)

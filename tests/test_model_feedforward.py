"""FeedForward: same function and gradients as Linear → GELU → Linear, in float64 and under bf16 autocast."""

import torch
from torch import nn

from motiongen.model.feedforward import FeedForward


def _plain_copy(block: FeedForward) -> nn.Sequential:
    plain = nn.Sequential(nn.Linear(1, 1), nn.GELU(), nn.Linear(1, 1))
    plain[0], plain[2] = nn.Linear(*block[0].weight.shape[::-1]), nn.Linear(*block[2].weight.shape[::-1])
    plain.load_state_dict(block.state_dict())
    return plain.to(block[0].weight.dtype)


def test_gradients_are_exact_in_float64():
    torch.manual_seed(0)
    block = FeedForward(6, 10).double()
    x = torch.randn(2, 5, 6, dtype=torch.float64, requires_grad=True)
    params = [p for p in block.parameters()]
    assert torch.autograd.gradcheck(lambda inp, *w: block(inp), (x, *params))
    assert list(block.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_matches_the_plain_layers_under_bf16_autocast_and_without_gradients():
    torch.manual_seed(1)
    block = FeedForward(16, 40)
    plain = _plain_copy(block)
    x = torch.randn(3, 30, 16, requires_grad=True)
    x_plain = x.detach().clone().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, reference = block(x), plain(x_plain)
    assert out.dtype == reference.dtype == torch.bfloat16
    assert torch.allclose(out.float(), reference.float(), atol=2e-2)
    grad = torch.randn_like(out)
    out.backward(grad)
    reference.backward(grad)
    assert torch.equal(x.grad, x_plain.grad)  # same products in the same dtypes as autograd
    for ours, theirs in zip(block.parameters(), plain.parameters()):
        assert ours.grad.dtype == torch.float32
        assert torch.equal(ours.grad, theirs.grad)
    with torch.no_grad():
        assert torch.equal(block(x), plain(x))

"""The fast hand-written paths and the plain-PyTorch reference paths (``model.network.kernels``)
compute the same values and gradients; ``auto`` picks the reference off the CPU; and the
cross-local attention's heads each mix every modality."""

from __future__ import annotations

import pytest
import torch

from motiongen.core.errors import ConfigError
from motiongen.model import attention
from motiongen.model.attention import CrossLocalAttention, LocalWindow, RotaryAttention, TransformerBlock
from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser
from motiongen.model.dropout import ByteDropout
from motiongen.model.feedforward import FeedForward
from motiongen.model.kernels import use_reference


def pair(make, seed: int = 0):
    """The same module twice (same weights): fast and reference kernels, float64."""
    torch.manual_seed(seed)
    fast = make("fast").double()
    reference = make("reference").double()
    reference.load_state_dict(fast.state_dict())
    return fast, reference


def assert_same_values_and_gradients(fast, reference, *inputs):
    fast_inputs = [x.clone().requires_grad_() for x in inputs]
    reference_inputs = [x.clone().requires_grad_() for x in inputs]
    out_fast, out_reference = fast(*fast_inputs), reference(*reference_inputs)
    torch.testing.assert_close(out_fast, out_reference, atol=1e-10, rtol=1e-8)
    grad = torch.randn_like(out_fast)
    fast_params = [p for p in fast.parameters() if p.requires_grad]
    reference_params = [p for p in reference.parameters() if p.requires_grad]
    ours = torch.autograd.grad(out_fast, fast_inputs + fast_params, grad, allow_unused=True)
    theirs = torch.autograd.grad(out_reference, reference_inputs + reference_params, grad, allow_unused=True)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-8)


def test_global_attention_fast_equals_sdpa():
    fast, reference = pair(lambda k: RotaryAttention(24, 3, k))
    assert_same_values_and_gradients(fast, reference, torch.randn(2, 17, 24, dtype=torch.float64))


def test_cross_local_attention_fast_equals_sdpa():
    local = LocalWindow(window=5, look_backward=1, look_forward=1)
    fast, reference = pair(lambda k: CrossLocalAttention(32, 4, local, k))
    assert_same_values_and_gradients(fast, reference, torch.randn(3, 23, 32, dtype=torch.float64))


def padding(batch: int, frames: int, lengths: list[int]) -> torch.Tensor:
    """``(batch, frames)`` bool real-frame flags of clips of ``lengths`` padded to ``frames``."""
    return torch.arange(frames) < torch.tensor(lengths)[:, None]


def test_masked_attention_fast_equals_sdpa_with_padded_clips():
    """The key padding mask of whole-take batches, including padded frames whose local window holds
    padding only (the long tail of the first clip)."""
    valid = padding(3, 23, [6, 23, 14])
    for make in (lambda k: RotaryAttention(24, 3, k), lambda k: CrossLocalAttention(24, 3, LocalWindow(4, 1, 1), k)):
        fast, reference = pair(make)
        assert_same_values_and_gradients(_Wrap(lambda x: fast(x, valid), fast), _Wrap(lambda x: reference(x, valid), reference),
                                         torch.randn(3, 23, 24, dtype=torch.float64))


def test_feed_forward_fast_equals_autograd_gelu():
    fast, reference = pair(lambda k: FeedForward(12, 40, k))
    assert_same_values_and_gradients(fast, reference, torch.randn(2, 9, 12, dtype=torch.float64))


def test_transformer_layer_fast_equals_reference_without_dropout():
    fast, reference = pair(lambda k: TransformerBlock(16, 2, 48, dropout=0.0, kernels=k))
    assert_same_values_and_gradients(fast.train(), reference.train(), torch.randn(2, 21, 16, dtype=torch.float64))


def tiny_denoiser(kernels: str) -> UWPDenoiser:
    cfg = DenoiserConfig(blocks={"gesture": 9, "expression": 7}, frame_conditions={"audio": 11, "word": 5},
                         category_conditions={"speaker": 3}, seed_frames=4, latent_dim=32, feature_dim=8, seed_dim=8,
                         num_layers=2, num_heads=4, ff_dim=48, dropout=0.0, local_heads=4, window=5, kernels=kernels)
    return UWPDenoiser(cfg)


def denoiser_inputs(batch: int = 3, frames: int = 20, dtype=torch.float64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    cond = {"audio": torch.randn(batch, frames, 11, generator=g, dtype=dtype),
            "word": torch.randn(batch, frames, 5, generator=g, dtype=dtype),
            "speaker": torch.arange(batch) % 3, "seed": torch.randn(batch, 4, 16, generator=g, dtype=dtype)}
    return torch.randn(batch, frames, 16, generator=g, dtype=dtype), torch.tensor([3, 50, 90])[:batch], cond


@pytest.mark.parametrize("padded", [False, True])
def test_whole_denoiser_fast_equals_reference(padded):
    fast, reference = pair(tiny_denoiser)
    x_t, t, cond = denoiser_inputs()
    if padded:
        cond["frame_mask"] = padding(3, 20, [20, 7, 12]).double()

    def run(model):
        return lambda x: model(x, t, cond, torch.tensor([False, True, False]))

    assert_same_values_and_gradients(_Wrap(run(fast), fast), _Wrap(run(reference), reference), x_t)


class _Wrap(torch.nn.Module):
    """A module view of ``fn(x)`` whose parameters are ``owner``'s (for the gradient comparison)."""

    def __init__(self, fn, owner):
        super().__init__()
        self.fn, self.owner = fn, owner

    def forward(self, x):
        return self.fn(x)


def test_reference_dropout_is_pytorch_dropout_and_fast_dropout_has_the_same_expectation():
    x = torch.ones(200_000)
    reference = ByteDropout(0.1, "reference").train()
    torch.manual_seed(3)
    expected = torch.nn.functional.dropout(x, 0.1, training=True)
    torch.manual_seed(3)
    assert torch.equal(reference(x), expected)
    torch.manual_seed(3)
    assert torch.equal(reference.residual_add(x, x), x + expected)
    fast = ByteDropout(0.1, "fast").train()
    assert fast(x).mean().item() == pytest.approx(1.0, abs=5e-3)
    assert (fast(x) == 0).float().mean().item() == pytest.approx(0.1, abs=5e-3)
    assert torch.equal(reference.eval()(x), x) and torch.equal(fast.eval()(x), x)


def test_auto_means_fast_on_cpu_and_reference_elsewhere(monkeypatch):
    assert not use_reference("auto", torch.device("cpu")) and use_reference("auto", torch.device("cuda"))
    assert use_reference("reference", torch.device("cpu")) and not use_reference("fast", torch.device("cuda"))
    with pytest.raises(ConfigError, match="kernels"):
        tiny_denoiser("fused")

    class Refuse:
        @staticmethod
        def apply(*args):
            raise AssertionError("the hand-written attention ran with kernels=reference")

    monkeypatch.setattr(attention, "_SelfSimilarityAttention", Refuse)
    model = tiny_denoiser("reference").double()
    x_t, t, cond = denoiser_inputs()
    model(x_t, t, cond).sum().backward()
    with pytest.raises(AssertionError, match="hand-written"):
        tiny_denoiser("auto").double()(x_t, t, cond)


def test_every_cross_local_head_mixes_audio_and_noisy_motion():
    """Each head's channels (the tokens its queries, keys and values are made of, before the
    per-token LayerNorm) must depend on the audio features and on the noisy motion. With the
    960-channel token split into heads directly, one head held only the style code, one only the
    noise code: their gradients with respect to audio (or noise) were exactly zero."""
    torch.manual_seed(0)
    model = tiny_denoiser("auto")
    x_t, t, cond = denoiser_inputs(dtype=torch.float32)
    x_t.requires_grad_()
    cond["audio"].requires_grad_()
    captured = []
    hook = model.cross_local.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
    model(x_t, t, cond)
    hook.remove()
    tokens = captured[0]  # (tasks · B, N, C)
    heads = tokens.unflatten(-1, (model.cross_local.num_heads, -1))
    probe = torch.randn_like(heads)
    for head in range(heads.shape[-2]):
        query = (heads[..., head, :] * probe[..., head, :]).sum()
        grad_audio, grad_noise = torch.autograd.grad(query, [cond["audio"], x_t], retain_graph=True)
        assert grad_audio.abs().sum() > 0, f"head {head} never sees the audio"
        assert grad_noise.abs().sum() > 0, f"head {head} never sees the noisy motion"

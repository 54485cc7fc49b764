"""Rotary, block-local and global attention: masks, locality, relative positions, fused == naive."""

import pytest
import torch

from motiongen.core.errors import ConfigError
from motiongen.model.attention import CrossLocalAttention, LocalWindow, RotaryAttention, RotaryEmbedding, attend


def test_block_local_mask_lets_each_block_see_its_neighbour_blocks_only():
    mask = LocalWindow(window=4, look_backward=1, look_forward=2).mask(20)
    assert mask.shape == (20, 20) and mask.dtype == torch.bool
    query_block, key_block = torch.meshgrid(torch.arange(20) // 4, torch.arange(20) // 4, indexing="ij")
    expected = (key_block >= query_block - 1) & (key_block <= query_block + 2)
    assert torch.equal(mask, expected)
    assert mask[0, 11] and not mask[0, 12] and not mask[8, 3] and mask[8, 4]


@pytest.mark.parametrize("bad", [dict(window=0), dict(window=4, look_backward=-1), dict(window=4, look_forward=-2)])
def test_invalid_windows_are_config_errors(bad):
    with pytest.raises(ConfigError):
        LocalWindow(**bad)


def test_rotary_scores_depend_only_on_the_frame_offset():
    rotary = RotaryEmbedding(8)
    q, k = torch.randn(8), torch.randn(8)
    frames = torch.zeros(1, 1, 30, 8)

    def score(i, j):
        qs, ks = frames.clone(), frames.clone()
        qs[..., i, :], ks[..., j, :] = q, k
        return (rotary(qs)[0, 0, i] * rotary(ks)[0, 0, j]).sum()

    assert torch.allclose(score(3, 7), score(13, 17), atol=1e-5)
    assert torch.allclose(score(20, 2), score(25, 7), atol=1e-5)
    assert not torch.allclose(score(3, 7), score(3, 9), atol=1e-3)


def test_cross_local_output_ignores_frames_outside_the_window():
    torch.manual_seed(0)
    layer = CrossLocalAttention(dim=32, num_heads=4, local=LocalWindow(window=5, look_backward=1, look_forward=1)).eval()
    x = torch.randn(2, 40, 32)
    changed = x.clone()
    changed[:, 25:] += torch.randn(2, 15, 32)  # blocks 5..7; blocks 0..3 only see up to block 4 (frame 24)
    before, after = layer(x), layer(changed)
    assert torch.equal(before[:, :20], after[:, :20])
    assert not torch.allclose(before[:, 20:25], after[:, 20:25])


def test_fused_local_attention_matches_a_naive_windowed_reference():
    torch.manual_seed(1)
    window = LocalWindow(window=6, look_backward=1, look_forward=0)
    layer = CrossLocalAttention(dim=16, num_heads=2, local=window).eval()
    x = torch.randn(3, 27, 16)
    heads = layer.norm(x).view(3, 27, 2, 8).transpose(1, 2)
    rotated = RotaryEmbedding(8)(heads)
    reference = torch.empty_like(heads)
    for i in range(27):
        visible = [j for j in range(27) if window.mask(27)[i, j]]
        scores = rotated[:, :, i : i + 1] @ rotated[:, :, visible].transpose(-1, -2) / 8**0.5
        reference[:, :, i] = (scores.softmax(-1) @ heads[:, :, visible])[:, :, 0]
    expected = x + reference.transpose(1, 2).reshape(3, 27, 16)
    assert torch.allclose(layer(x), expected, atol=1e-5)


def test_global_attention_matches_a_reference_built_from_its_own_projections():
    torch.manual_seed(6)
    layer = RotaryAttention(dim=16, num_heads=2).eval()
    x = torch.randn(2, 12, 16)
    query, key, value = layer.qkv(x).view(2, 12, 3, 2, 8).permute(2, 0, 3, 1, 4)
    plain = RotaryEmbedding(8)
    expected = torch.nn.functional.scaled_dot_product_attention(plain(query), plain(key), value)
    assert torch.allclose(layer(x), layer.out(expected.transpose(1, 2).reshape(2, 12, 16)), atol=1e-5)


def test_global_rotary_attention_mixes_all_frames_and_keeps_shape():
    torch.manual_seed(2)
    layer = RotaryAttention(dim=24, num_heads=3).eval()
    x = torch.randn(2, 50, 24)
    changed = x.clone()
    changed[:, -1] += 1.0
    out = layer(x)
    assert out.shape == x.shape
    assert not torch.allclose(out[:, 0], layer(changed)[:, 0])


def test_odd_head_width_is_rejected():
    with pytest.raises(ConfigError):
        RotaryAttention(dim=30, num_heads=2)


def _rotated_reference(x: torch.Tensor, inv_freq: torch.Tensor) -> torch.Tensor:
    """Rotary by its definition: pair (i, i + d/2) of frame n turned by n·θ_i (float64)."""
    half = x.shape[-1] // 2
    angles = torch.outer(torch.arange(x.shape[-2], dtype=torch.float64), inv_freq.double())
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * angles.cos() - second * angles.sin(), second * angles.cos() + first * angles.sin()], -1)


def test_rotation_matches_its_definition_on_strided_input_and_has_the_exact_gradient():
    torch.manual_seed(3)
    rotary = RotaryEmbedding(8)
    x = torch.randn(2, 6, 3, 8, dtype=torch.float64, requires_grad=True)
    view = x.transpose(1, 2)  # (B, H, N, d) view of a (B, N, H, d) tensor, as the cross-local layer passes it
    rotated = rotary(view)
    assert rotated.is_contiguous()
    assert torch.allclose(rotated, _rotated_reference(view, rotary.inv_freq), atol=1e-6)
    assert torch.autograd.gradcheck(lambda t: rotary(t.transpose(1, 2)), (x,))


def test_fused_qkv_rotation_rotates_query_and_key_and_passes_value_through():
    torch.manual_seed(4)
    rotary = RotaryEmbedding(8)
    qkv = torch.randn(2, 5, 3, 2, 8, dtype=torch.float64, requires_grad=True)  # (B, N, 3, H, d)
    query, key, value = rotary.rotate_qkv(qkv)
    heads = qkv.permute(2, 0, 3, 1, 4)
    assert torch.allclose(query, _rotated_reference(heads[0], rotary.inv_freq), atol=1e-6)
    assert torch.allclose(key, _rotated_reference(heads[1], rotary.inv_freq), atol=1e-6)
    assert torch.equal(value, heads[2])
    assert torch.autograd.gradcheck(lambda t: rotary.rotate_qkv(t), (qkv,))
    only_value = torch.autograd.grad(rotary.rotate_qkv(qkv)[2].sum(), qkv)[0]
    assert torch.equal(only_value[:, :, :2], torch.zeros_like(only_value[:, :, :2]))


def test_attention_with_a_mask_bias_matches_pytorch_reference_and_bf16_stays_close():
    torch.manual_seed(5)
    window = LocalWindow(window=5, look_backward=1, look_forward=1)
    q, k, v = (torch.randn(2, 3, 30, 16, dtype=torch.float64, requires_grad=True) for _ in range(3))
    bias = window.bias(30, dtype=torch.float64)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=window.mask(30))
    assert torch.allclose(attend(q, k, v, bias), expected, atol=1e-10)
    assert torch.allclose(attend(q, k, v), torch.nn.functional.scaled_dot_product_attention(q, k, v), atol=1e-10)
    assert torch.autograd.gradcheck(lambda a, b, c: attend(a, b, c, bias), (q, k, v))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = attend(q.float(), k.float(), v.float(), bias.float())
    assert low.dtype == torch.bfloat16
    assert (low.double() - expected).abs().max() < 0.05


def test_cross_local_hand_written_backward_matches_autograd_of_the_same_attention():
    torch.manual_seed(7)
    layer = CrossLocalAttention(dim=16, num_heads=2, local=LocalWindow(window=4, look_backward=1, look_forward=1)).double()
    x = torch.randn(3, 20, 16, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))

    def autograd_reference(inputs: torch.Tensor) -> torch.Tensor:
        heads = layer.norm(inputs).view(3, 20, 2, 8).transpose(1, 2)
        rotated = layer.rotary(heads)
        attended = attend(rotated, rotated, heads, layer.local.bias(20, dtype=torch.float64), scale=1.0)
        return inputs + attended.transpose(1, 2).reshape(3, 20, 16)

    gradient = torch.randn(3, 20, 16, dtype=torch.float64)
    ours = torch.autograd.grad(layer(x), [x, layer.norm.weight], gradient)
    reference = torch.autograd.grad(autograd_reference(x), [x, layer.norm.weight], gradient)
    assert torch.allclose(layer(x), autograd_reference(x), atol=1e-12)
    for a, b in zip(ours, reference):
        assert torch.allclose(a, b, atol=1e-10)

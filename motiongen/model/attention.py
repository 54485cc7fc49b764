"""Attention over motion frames with rotary relative positions: global self-attention and block-local cross-attention.

Tensors follow ``(batch, frames, channels)``. Positions are frame indices at the model's frame
rate; rotary encoding (Su et al., RoFormer) rotates each query/key pair of channels by an angle
proportional to its frame index, so attention scores depend only on the frame *offset*.

Block-local attention follows the Reformer / ``local-attention`` layout: frames are cut into
consecutive windows of ``window`` frames and every frame of window ``b`` attends to all frames of
windows ``b - look_backward … b + look_forward``. It runs as one fused
:func:`torch.nn.functional.scaled_dot_product_attention` call with a cached boolean ``(N, N)``
mask (no Python loop over windows).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from motiongen.errors import ConfigError
from motiongen.model.dropout import ByteDropout


def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Fused ``scaled_dot_product_attention`` over ``(B, H, N, head_dim)``; on CPU always in float32.

    Under bf16 autocast on CPU the inputs are up-cast and the fused float32 flash kernel runs: it
    never materialises the (B, H, N, N) scores and beat both bf16 kernels in single-thread fwd+bwd
    on this project's Sapphire Rapids VM — trunk layer (32 clips × 8 heads × 150 frames × 48):
    fp32 flash 110 ms, bf16 math 165 ms, bf16 flash 290 ms; cross-local (64 × 8 × 150 × 120, block
    mask): fp32 flash 564 ms, bf16 math 927 ms, bf16 flash 713 ms. Elsewhere (CUDA) autocast
    decides. Returns float32 on CPU, else the kernel's dtype.
    """
    if query.device.type != "cpu":
        return F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
    with torch.autocast("cpu", enabled=False):
        return F.scaled_dot_product_attention(query.float(), key.float(), value.float(), attn_mask=mask)


@dataclass(frozen=True)
class LocalWindow:
    """Block-local attention pattern.

    Attributes:
        window: frames per block (> 0).
        look_backward: how many preceding blocks each block sees (>= 0).
        look_forward: how many following blocks each block sees (>= 0).
    """

    window: int
    look_backward: int = 1
    look_forward: int = 1

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ConfigError(f"cross_local.window must be >= 1 frame, got {self.window}")
        if self.look_backward < 0 or self.look_forward < 0:
            raise ConfigError(
                f"cross_local.look_backward/look_forward must be >= 0, got {self.look_backward}/{self.look_forward}"
            )

    def mask(self, num_frames: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """Return the ``(N, N)`` bool mask; ``mask[i, j]`` is True when frame ``i`` may attend to ``j``."""
        block = torch.arange(num_frames, device=device) // self.window
        offset = block[None, :] - block[:, None]
        return (offset >= -self.look_backward) & (offset <= self.look_forward)


class RotaryEmbedding(nn.Module):
    """Rotary position encoding for ``head_dim`` channels (``head_dim`` even).

    ``forward(x)`` rotates ``x`` of shape ``(B, H, N, head_dim)`` by frame index ``0..N-1``.
    Cos/sin tables are cached per (frames, device, dtype) so they are built once, not per step.
    """

    def __init__(self, head_dim: int, base: float = 10000.0):
        super().__init__()
        if head_dim % 2:
            raise ConfigError(f"rotary encoding needs an even head dimension, got {head_dim}")
        inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self._tables: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _cos_sin(self, num_frames: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        key = (num_frames, device, dtype)
        if key not in self._tables:
            frames = torch.arange(num_frames, device=device, dtype=torch.float32)
            angles = torch.outer(frames, self.inv_freq.to(device))
            sin = angles.sin()
            self._tables[key] = (torch.cat([angles.cos()] * 2, dim=-1).to(dtype), torch.cat([-sin, sin], dim=-1).to(dtype))
        return self._tables[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate channel pairs (i, i + head_dim/2): [a, b] → [a·cos - b·sin, b·cos + a·sin].

        The sign lives in the cached sin table, so the swap is one ``cat`` without a negation pass.
        """
        cos, signed_sin = self._cos_sin(x.shape[-2], x.device, x.dtype)
        first, second = x.chunk(2, dim=-1)
        return x * cos + torch.cat([second, first], dim=-1) * signed_sin


class RotaryAttention(nn.Module):
    """Multi-head self-attention over all frames with rotary positions.

    Args:
        dim: channels of the input and output.
        num_heads: heads; ``dim / num_heads`` must be an even integer.

    ``forward(x (B, N, dim)) -> (B, N, dim)``. There is no dropout on attention probabilities:
    it would force PyTorch's unfused (math) attention path, which materialises the (B, H, N, N)
    probabilities; regularisation comes from the residual/FFN dropout of :class:`TransformerBlock`.
    """

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        if dim % num_heads:
            raise ConfigError(f"attention width {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.rotary = RotaryEmbedding(self.head_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames, dim = x.shape
        qkv = self.qkv(x).view(batch, frames, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        query, key = self.rotary(qkv[:2]).unbind(0)  # one rotation pass for both
        attended = attend(query, key, qkv[2])
        return self.out(attended.transpose(1, 2).reshape(batch, frames, dim))


class TransformerBlock(nn.Module):
    """Pre-norm transformer layer: ``x + Drop(Attn(LN(x)))`` then ``x + Drop(FFN(LN(x)))`` (GELU), shapes ``(B, N, dim)``.

    Dropout sits only on the two residual branches (``dim`` wide), not inside the FFN: on CPU each
    dropout mask costs an RNG pass, and the ``ff_dim``-wide one was the most expensive op of a
    training step after the matrix products (profiled with torch.profiler). The residual-branch
    masks use :class:`~motiongen.model.dropout.ByteDropout` (4x cheaper masks on CPU).
    """

    def __init__(self, dim: int, num_heads: int, ff_dim: int, dropout: float = 0.0):
        super().__init__()
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = RotaryAttention(dim, num_heads)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff_dim), nn.GELU(), nn.Linear(ff_dim, dim))
        self.drop = ByteDropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.attn_norm(x)))
        return x + self.drop(self.ff(self.ff_norm(x)))


class CrossLocalAttention(nn.Module):
    """Cross-local attention over per-frame concatenated multi-modal features.

    Each frame's token is the concatenation of several learned feature blocks (speaker/timestep,
    audio+word, seed, noisy motion). Like the ``local-attention`` module used by
    DiffuseStyleGesture, queries, keys and values are the (normalised) tokens themselves, with no
    extra projection: the feature blocks are already learned projections, and a 960-channel
    Q/K/V/out projection would cost more than the whole 8-layer trunk. The heads split the token
    channels; rotary encoding makes the scores depend on the frame offset; the block-local mask
    limits each frame to its neighbouring windows. Residual: ``x + Attn_local(LN(x))``, shapes
    ``(B, N, dim)``.
    """

    def __init__(self, dim: int, num_heads: int, local: LocalWindow):
        super().__init__()
        if dim % num_heads:
            raise ConfigError(f"cross-local token width {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.local = local
        self.norm = nn.LayerNorm(dim)
        self.rotary = RotaryEmbedding(self.head_dim)
        self._masks: dict[tuple, torch.Tensor] = {}

    def _mask(self, num_frames: int, device: torch.device) -> torch.Tensor:
        key = (num_frames, device)
        if key not in self._masks:
            self._masks[key] = self.local.mask(num_frames, device)
        return self._masks[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames, dim = x.shape
        heads = self.norm(x).view(batch, frames, self.num_heads, self.head_dim).transpose(1, 2)
        rotated = self.rotary(heads)
        attended = attend(rotated, rotated, heads, self._mask(frames, x.device))
        return x + attended.transpose(1, 2).reshape(batch, frames, dim)

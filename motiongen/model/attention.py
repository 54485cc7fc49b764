"""Attention over motion frames with rotary relative positions: global self-attention and block-local cross-attention.

Tensors follow ``(batch, frames, channels)``. Positions are frame indices at the model's frame
rate; rotary encoding (Su et al., RoFormer) rotates each query/key pair of channels by an angle
proportional to its frame index, so attention scores depend only on the frame *offset*.

Block-local attention follows the Reformer / ``local-attention`` layout: frames are cut into
consecutive windows of ``window`` frames and every frame of window ``b`` attends to all frames of
windows ``b - look_backward … b + look_forward``. It runs as one batched attention over all frames
with a cached additive ``(N, N)`` mask (no Python loop over windows); see :func:`attend`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from motiongen.core.errors import ConfigError
from motiongen.model.dropout import ByteDropout
from motiongen.model.feedforward import FeedForward
from motiongen.model.kernels import use_reference


def attend(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    bias: torch.Tensor | None = None,
    scale: float | None = None,
) -> torch.Tensor:
    """``softmax(scale·q·kᵀ + bias)·v`` over ``(B, H, N, head_dim)``; ``bias`` is an additive mask
    (0 where allowed, -inf elsewhere) shared by the clips, ``(N, N)``, or per clip, ``(B, 1, 1, N)``
    (keys only, see :func:`key_padding_bias`) or ``(B, 1, N, N)``; None = no mask. Every query row
    must allow at least one key. ``scale`` defaults to ``1/√head_dim`` (pass 1 when the query and
    key are already scaled, which spares the backward two products by the scale).
    Returns ``(B, H, N, head_dim)`` in the inputs' dtype.

    On CPU the scores are materialised with two batched matrix products in the inputs' dtype
    (bf16 AMX under autocast; the scale and the mask are fused into one ``baddbmm``): at this
    model's sizes the (N, N) scores are small (150 × 150 per head) and this beat PyTorch's fused
    CPU kernels, which have no bf16 AMX path. ``python tools/bench_attention.py`` (forward +
    backward, 2 threads, bf16 autocast): trunk layer (32 clips × 4 heads × 150 frames × 96) fused
    fp32 flash 61 ms, fused bf16 95 ms, this 25 ms; masked cross-local (64 × 4 × 150 × 240, the head width before the token projection) 313,
    251 and 91 ms. A block-gathered variant (``unfold`` of the neighbouring windows, 3.3× fewer
    products) measured 396 ms for the cross-local case: its strided backward dominates, so the mask
    stays dense. Elsewhere (CUDA) the
    fused :func:`torch.nn.functional.scaled_dot_product_attention` runs.
    """
    scale = query.shape[-1] ** -0.5 if scale is None else scale
    if query.device.type != "cpu":
        return F.scaled_dot_product_attention(query, key, value, attn_mask=bias, scale=scale)
    batch, heads, frames, head_dim = query.shape
    scores = torch.baddbmm(
        flat_bias(bias, batch, heads) if bias is not None else query.new_zeros(1, 1, 1),
        query.reshape(batch * heads, frames, head_dim),
        key.reshape(batch * heads, frames, head_dim).transpose(1, 2),
        alpha=scale,
    )
    probabilities = torch.softmax(scores, dim=-1).view(batch, heads, frames, frames)
    return torch.matmul(probabilities, value)


def flat_bias(bias: torch.Tensor, batch: int, heads: int) -> torch.Tensor:
    """An additive mask as ``baddbmm``'s input over ``(B·H, N, N)`` scores: ``(N, N)`` unchanged,
    a per-clip ``(B, 1, Nq, N)`` repeated for the heads as ``(B·H, Nq, N)`` (``Nq`` 1 or N)."""
    if bias.dim() == 2:
        return bias
    return bias.expand(batch, heads, -1, -1).reshape(batch * heads, bias.shape[-2], bias.shape[-1])


def key_padding_bias(valid: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``valid (B, N)`` bool (True on a clip's frames, False on its padding) → the additive
    ``(B, 1, 1, N)`` mask that hides the padded frames as keys: 0 on valid keys, -inf on padded ones.
    Every query, padded or not, then sees the clip's valid frames only, so a clip's outputs do not
    depend on how much padding its batch gives it (a clip needs at least one valid frame)."""
    return torch.zeros(valid.shape, device=valid.device, dtype=dtype).masked_fill(~valid, float("-inf"))[:, None, None]


def padded_local_bias(bias: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """A shared ``(N, N)`` additive bias with each clip's padded keys hidden from every frame but
    themselves, ``(B, 1, N, N)``, for ``valid (B, N)`` bool. A padded frame keeps itself as a key:
    one far from its clip would otherwise have no key left in a local window (a NaN softmax row)."""
    hidden = ~valid[:, None, :] & ~torch.eye(valid.shape[1], dtype=torch.bool, device=valid.device)
    return bias.masked_fill(hidden, float("-inf"))[:, None]


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

    def bias(self, num_frames: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The mask as an additive ``(N, N)`` score bias: 0 where allowed, -inf elsewhere."""
        allowed = self.mask(num_frames, device)
        return torch.zeros(allowed.shape, device=device, dtype=dtype).masked_fill(~allowed, float("-inf"))


def _rotate(x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """``x·cos + swap(x)·signed_sin`` over a contiguous ``(..., N, head_dim)``; ``swap`` exchanges the channel halves.

    Three dense passes (product, half swap, fused multiply-add) into ``out`` when given.
    """
    swapped = x.unflatten(-1, (2, x.shape[-1] // 2)).flip(-2).flatten(-2)
    return torch.addcmul(x * cos, swapped, signed_sin, out=out)


class _Rotate(torch.autograd.Function):
    """Rotary rotation of a ``(..., N, head_dim)`` tensor (any strides) into a new contiguous one.

    The rotation is orthogonal, so the backward is the same three passes with the sine negated.
    Written by hand because autograd's version of ``x·cos + cat(halves)·sin`` spends four passes
    forward and five plus a strided gradient accumulation backward (profiled: rotary was about
    24 ms of a 170 ms trunk layer at batch 32).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor, back_sin: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(cos, back_sin)
        return _rotate(x.contiguous(), cos, signed_sin)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        cos, back_sin = ctx.saved_tensors
        return _rotate(grad.contiguous(), cos, back_sin), None, None, None


class _RotateQKV(torch.autograd.Function):
    """Fused QKV projection output ``(B, N, 3, H, head_dim)`` → rotated query, rotated key and value, each
    a contiguous ``(B, H, N, head_dim)`` (head-major copies, then the rotation of query and key together).
    """

    @staticmethod
    def forward(ctx, qkv: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor, back_sin: torch.Tensor):
        # separate copies: a value that viewed a (3, ...) buffer would keep the unrotated query and
        # key alive until the backward (the products save the value)
        query, key = _rotate(qkv[:, :, :2].permute(2, 0, 3, 1, 4).contiguous(), cos, signed_sin).unbind(0)
        value = qkv[:, :, 2].transpose(1, 2).contiguous()
        ctx.save_for_backward(cos, back_sin)
        return query, key, value

    @staticmethod
    def backward(ctx, grad_query, grad_key, grad_value):
        cos, back_sin = ctx.saved_tensors
        reference = next(g for g in (grad_query, grad_key, grad_value) if g is not None)
        grad_heads = reference.new_empty((3, *reference.shape))
        for index, grad in enumerate((grad_query, grad_key)):
            if grad is None:
                grad_heads[index].zero_()
            else:
                _rotate(grad.contiguous(), cos, back_sin, out=grad_heads[index])
        if grad_value is None:
            grad_heads[2].zero_()
        else:
            grad_heads[2].copy_(grad_value)
        return grad_heads.permute(1, 3, 0, 2, 4), None, None, None


class _SelfSimilarityAttention(torch.autograd.Function):
    """``softmax(R(h)·R(h)ᵀ + bias)·h`` for ``h (B, H, N, d)`` contiguous and an additive ``bias`` of
    ``(N, N)`` or ``(B·H, N, N)`` (:func:`flat_bias`), where ``R`` is the (scaled)
    rotary rotation — the cross-local attention, whose queries and keys are the same rotated tokens
    and whose values are the tokens themselves. CPU forward and backward by hand:

    - the score gradient reaches the rotated tokens through both roles; as ``(dS + dSᵀ)·R(h)`` it
      is one batched product instead of two products and a sum of the two ``(B, H, N, d)`` results;
    - the rotation's backward is accumulated in place into the values' gradient.

    Autograd's version of the same graph spent two extra full-size additions and a product per step
    (profiled at 64 × 4 × 150 × 240, the head width before the token projection).
    """

    @staticmethod
    def forward(ctx, heads, cos, signed_sin, back_sin, bias):
        batch, num_heads, frames, head_dim = heads.shape
        flat = heads.view(batch * num_heads, frames, head_dim)
        rotated = _rotate(flat, cos, signed_sin)
        probabilities = torch.softmax(torch.baddbmm(bias, rotated, rotated.transpose(1, 2)), dim=-1)
        ctx.save_for_backward(flat, rotated, probabilities, cos, back_sin)
        ctx.heads_shape = heads.shape
        return torch.bmm(probabilities, flat).view(heads.shape)

    @staticmethod
    def backward(ctx, grad_out):
        flat, rotated, probabilities, cos, back_sin = ctx.saved_tensors
        grad_out = grad_out.reshape(flat.shape).to(flat.dtype)
        grad_heads = torch.bmm(probabilities.transpose(1, 2), grad_out)
        grad_scores = torch._softmax_backward_data(
            torch.bmm(grad_out, flat.transpose(1, 2)), probabilities, -1, probabilities.dtype
        )
        grad_rotated = torch.bmm(grad_scores + grad_scores.transpose(1, 2), rotated)
        swapped = grad_rotated.unflatten(-1, (2, grad_rotated.shape[-1] // 2)).flip(-2).flatten(-2)
        grad_heads.addcmul_(grad_rotated, cos).addcmul_(swapped, back_sin)
        return grad_heads.view(ctx.heads_shape), None, None, None, None


class RotaryEmbedding(nn.Module):
    """Rotary position encoding for ``head_dim`` channels (``head_dim`` even).

    Rotates channel pairs (i, i + head_dim/2) of frame ``n``: [a, b] → [a·cos(nθ_i) - b·sin(nθ_i),
    b·cos(nθ_i) + a·sin(nθ_i)]. ``forward(x)`` takes ``(..., N, head_dim)`` of any strides and returns a
    contiguous rotated tensor; ``rotate_qkv`` does the same for a fused QKV projection. ``scale``
    multiplies the rotated query and key (``head_dim ** -0.25`` folds attention's ``1/√head_dim``
    into the rotation for free). Cos/sin tables are cached per (frames, device, dtype) so they are
    built once, not per step.
    """

    def __init__(self, head_dim: int, base: float = 10000.0, scale: float = 1.0):
        super().__init__()
        if head_dim % 2:
            raise ConfigError(f"rotary encoding needs an even head dimension, got {head_dim}")
        self.scale = scale
        inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self._tables: dict[tuple, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def tables(self, num_frames: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
        """``(cos, signed_sin, -signed_sin)``, each ``(N, head_dim)`` and times ``scale``; signed_sin = [-sin, sin]
        over the halves."""
        key = (num_frames, device, dtype)
        if key not in self._tables:
            frames = torch.arange(num_frames, device=device, dtype=torch.float32)
            angles = torch.outer(frames, self.inv_freq.to(device))
            sin = angles.sin()
            signed_sin = (self.scale * torch.cat([-sin, sin], dim=-1)).to(dtype)
            cos = (self.scale * torch.cat([angles.cos()] * 2, dim=-1)).to(dtype)
            self._tables[key] = (cos, signed_sin, -signed_sin)
        return self._tables[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Rotate.apply(x, *self.tables(x.shape[-2], x.device, x.dtype))

    def rotate_qkv(self, qkv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``qkv (B, N, 3, H, head_dim)`` → rotated query, rotated key, value, each contiguous ``(B, H, N, head_dim)``."""
        return _RotateQKV.apply(qkv, *self.tables(qkv.shape[1], qkv.device, qkv.dtype))


class RotaryAttention(nn.Module):
    """Multi-head self-attention over all frames with rotary positions.

    Args:
        dim: channels of the input and output.
        num_heads: heads; ``dim / num_heads`` must be an even integer.
        kernels: ``fast`` (hand-written rotation backward, :func:`attend`), ``reference`` (plain
            autograd rotation and :func:`torch.nn.functional.scaled_dot_product_attention`) or
            ``auto`` (fast on CPU, reference elsewhere); see :mod:`motiongen.model.kernels`.

    ``forward(x (B, N, dim), valid (B, N) bool | None) -> (B, N, dim)``; ``valid`` marks each clip's
    frames in a padded batch (False on padding, hidden as keys: :func:`key_padding_bias`); None = all
    frames are real. There is no dropout on attention probabilities:
    it would force PyTorch's unfused (math) attention path, which materialises the (B, H, N, N)
    probabilities; regularisation comes from the residual/FFN dropout of :class:`TransformerBlock`.
    """

    def __init__(self, dim: int, num_heads: int, kernels: str = "auto"):
        super().__init__()
        if dim % num_heads:
            raise ConfigError(f"attention width {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.kernels = kernels
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.rotary = RotaryEmbedding(self.head_dim, scale=self.head_dim**-0.25)

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        batch, frames, dim = x.shape
        qkv = self.qkv(x).view(batch, frames, 3, self.num_heads, self.head_dim)
        bias = None if valid is None else key_padding_bias(valid, qkv.dtype)
        if use_reference(self.kernels, x.device):
            query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            cos, signed_sin, _ = self.rotary.tables(frames, x.device, qkv.dtype)
            query, key = _rotate(query, cos, signed_sin), _rotate(key, cos, signed_sin)
            attended = F.scaled_dot_product_attention(query, key, value, attn_mask=bias, scale=1.0)
        else:
            attended = attend(*self.rotary.rotate_qkv(qkv), bias=bias, scale=1.0)  # 1/√head_dim is in the rotation
        return self.out(attended.transpose(1, 2).reshape(batch, frames, dim))


class TransformerBlock(nn.Module):
    """Pre-norm transformer layer: ``x + Drop(Attn(LN(x)))`` then ``x + Drop(FFN(LN(x)))`` (GELU), shapes ``(B, N, dim)``.

    Dropout sits only on the two residual branches (``dim`` wide), not inside the FFN: on CPU each
    dropout mask costs an RNG pass, and the ``ff_dim``-wide one was the most expensive op of a
    training step after the matrix products (profiled with torch.profiler). The residual-branch
    masks use :class:`~motiongen.model.dropout.ByteDropout` (4x cheaper masks on CPU). ``kernels``
    selects the fast or the plain-PyTorch path of every part (:mod:`motiongen.model.kernels`).
    ``valid (B, N) bool | None``: the real frames of padded clips (see :class:`RotaryAttention`).
    """

    def __init__(self, dim: int, num_heads: int, ff_dim: int, dropout: float = 0.0, kernels: str = "auto"):
        super().__init__()
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = RotaryAttention(dim, num_heads, kernels)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, ff_dim, kernels)
        self.drop = ByteDropout(dropout, kernels)

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        x = self.drop.residual_add(x, self.attn(self.attn_norm(x), valid))
        return self.drop.residual_add(x, self.ff(self.ff_norm(x)))


class CrossLocalAttention(nn.Module):
    """Cross-local attention over per-frame multi-modal tokens that are already mixed.

    The denoiser projects each frame's concatenated token [Z_s, Z_f, Z_k, Z_noise] to ``dim``
    channels first (as DiffuseStyleGesture+'s ``input_process2``), so every head sees all
    modalities. Like the ``local-attention`` module DSG+ uses, queries, keys and values are the
    (normalised) tokens themselves, with no further projection; rotary encoding makes the scores
    depend on the frame offset; the block-local mask limits each frame to its neighbouring windows.
    Residual (ours): ``h + Attn_local(LN(h))``, shapes ``(B, N, dim)``.

    ``forward(x, valid (B, N) bool | None)``: in a padded batch, ``valid`` is False on each clip's
    padding; padded frames are then hidden as keys from every frame but themselves (a padded frame
    far from the clip would otherwise have no key left in its window and a NaN softmax row), so a
    clip's frames see exactly what they would see without the padding.

    ``kernels``: ``fast`` runs the hand-written attention (:class:`_SelfSimilarityAttention`),
    ``reference`` plain autograd rotation + :func:`torch.nn.functional.scaled_dot_product_attention`,
    ``auto`` the fast one on CPU and the reference elsewhere (:mod:`motiongen.model.kernels`).
    """

    def __init__(self, dim: int, num_heads: int, local: LocalWindow, kernels: str = "auto"):
        super().__init__()
        if dim % num_heads:
            raise ConfigError(f"cross-local attention width {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.local = local
        self.kernels = kernels
        self.norm = nn.LayerNorm(dim)
        self.rotary = RotaryEmbedding(self.head_dim, scale=self.head_dim**-0.25)
        self._biases: dict[tuple, torch.Tensor] = {}

    def _bias(self, num_frames: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        key = (num_frames, device, dtype)
        if key not in self._biases:
            self._biases[key] = self.local.bias(num_frames, device, dtype)
        return self._biases[key]

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        batch, frames, dim = x.shape
        # one head-major copy serves as the values and as the rotation's (already dense) input
        heads = self.norm(x).view(batch, frames, self.num_heads, self.head_dim).transpose(1, 2).contiguous()
        if valid is None:
            bias = self._bias(frames, x.device, heads.dtype)
        else:
            bias = padded_local_bias(self._bias(frames, x.device, heads.dtype), valid)
        tables = self.rotary.tables(frames, x.device, heads.dtype)
        if use_reference(self.kernels, x.device):
            rotated = _rotate(heads, tables[0], tables[1])
            attended = F.scaled_dot_product_attention(rotated, rotated, heads, attn_mask=bias, scale=1.0)
        else:
            attended = _SelfSimilarityAttention.apply(heads, *tables, flat_bias(bias, batch, self.num_heads))
        return x + attended.transpose(1, 2).reshape(batch, frames, dim)

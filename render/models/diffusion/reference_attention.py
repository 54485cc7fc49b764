"""ReferenceNet ↔ denoiser coupling through diffusers attention processors.

The ReferenceNet (a ``UNet2DConditionModel`` run once on the reference image at timestep 0)
records the input of every spatial self-attention layer (``attn1``, already layer-normalised by
its transformer block) in a :class:`ReferenceBank`. The denoiser's self-attention layer of the
same name then attends over its own tokens *and* the recorded reference tokens: keys and values
are computed from ``[hidden ‖ reference]`` by the denoiser's own projections. Both sides run the
library's :class:`~diffusers.models.attention_processor.AttnProcessor2_0` (fused SDPA); the
processors here only choose what it attends over.
"""

from __future__ import annotations

import torch
from diffusers.models.attention_processor import AttnProcessor2_0


class ReferenceBank:
    """Reference tokens by layer name, ``{name: (B, L, C)}``, filled by one ReferenceNet pass."""

    def __init__(self):
        self.tokens: dict[str, torch.Tensor] = {}

    def clear(self) -> None:
        self.tokens.clear()


class ReferenceWriteProcessor:
    """ReferenceNet self-attention: store the layer input, then attend as usual."""

    def __init__(self, bank: ReferenceBank, name: str):
        self.bank = bank
        self.name = name
        self.inner = AttnProcessor2_0()

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        self.bank.tokens[self.name] = hidden_states
        return self.inner(attn, hidden_states, encoder_hidden_states, attention_mask, temb)


class ReferenceReadProcessor:
    """Denoiser self-attention: keys/values over the layer's tokens and the stored reference tokens.

    With temporal models the denoiser batch is ``B * F`` (frames inner); the ``B`` reference
    entries are repeated per frame. Without stored tokens it is plain self-attention.
    """

    def __init__(self, bank: ReferenceBank, name: str):
        self.bank = bank
        self.name = name
        self.inner = AttnProcessor2_0()

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        reference = self.bank.tokens.get(self.name)
        if reference is None:
            return self.inner(attn, hidden_states, None, attention_mask, temb)
        if hidden_states.ndim != 3:
            raise ValueError(f"reference attention expects (batch, tokens, channels) inputs, got {tuple(hidden_states.shape)}")
        repeat = hidden_states.shape[0] // reference.shape[0]
        if repeat * reference.shape[0] != hidden_states.shape[0]:
            raise ValueError(f"denoiser batch {hidden_states.shape[0]} is not a multiple of the reference batch {reference.shape[0]}")
        reference = reference.repeat_interleave(repeat, 0)
        return self.inner(attn, hidden_states, torch.cat([hidden_states, reference], 1), attention_mask, temb)


def spatial_self_attention_names(unet) -> list[str]:
    """Processor names of the spatial self-attention layers (``attn1`` outside motion modules)."""
    return [name for name in unet.attn_processors if name.endswith("attn1.processor") and "motion_modules" not in name]


def install_reference_processors(reference_net, denoiser, bank: ReferenceBank) -> None:
    """Writer processors on the ReferenceNet, readers on the denoiser (others: the library default).

    Raises:
        ValueError: the two networks' spatial self-attention layers differ.
    """
    written = spatial_self_attention_names(reference_net)
    read = spatial_self_attention_names(denoiser)
    if sorted(written) != sorted(read):
        raise ValueError("ReferenceNet and denoiser have different spatial self-attention layers")
    reference_net.set_attn_processor({name: ReferenceWriteProcessor(bank, name) if name in written else AttnProcessor2_0()
                                      for name in reference_net.attn_processors})
    denoiser.set_attn_processor({name: ReferenceReadProcessor(bank, name) if name in read else AttnProcessor2_0()
                                 for name in denoiser.attn_processors})

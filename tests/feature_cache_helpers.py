"""Builders for the feature/cache tests: a tiny random-init WavLM saved with ``save_pretrained`` and
format-exact synthetic BEAT takes (BVH, ARKit face JSON, wav, TextGrid)."""

from __future__ import annotations

from pathlib import Path


def save_tiny_wavlm(folder: Path) -> Path:
    """A randomly initialised 2-layer WavLM (hidden size 32, the released models' 320-sample stride
    and 400-sample receptive field) written with ``save_pretrained`` to ``folder``."""
    import torch
    from transformers import WavLMConfig, WavLMModel

    config = WavLMConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        do_stable_layer_norm=True,
        num_buckets=32,
        max_bucket_distance=200,
    )
    torch.manual_seed(0)
    WavLMModel(config).save_pretrained(folder)
    return folder

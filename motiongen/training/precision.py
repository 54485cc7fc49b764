"""Choosing Lightning's ``precision`` for ``trainer.precision: auto``."""

from __future__ import annotations

import torch


def resolve_precision(requested: str | int, accelerator: str) -> str | int:
    """Return a Lightning precision string; anything but ``"auto"`` is returned unchanged.

    ``auto`` picks bf16 autocast where the hardware runs bf16 matrix products natively — CUDA GPUs
    with bf16 support (Ampere+) and CPUs with AMX-BF16 or AVX512-BF16 — fp16 autocast on older
    CUDA GPUs, and full fp32 otherwise.
    """
    if requested != "auto":
        return requested
    use_cuda = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    if use_cuda:
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    if torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported():
        return "bf16-mixed"
    return "32-true"

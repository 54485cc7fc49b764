"""Which implementation the model's layers run: the hand-written fast CPU paths or plain PyTorch.

``model.network.kernels``:

* ``fast`` — the measured CPU paths: hand-written autograd functions for the rotary rotation and
  the cross-local attention, batched-matrix-product attention (:func:`~motiongen.model.attention.attend`),
  the feed-forward block that recomputes GELU in its backward, byte-mask dropout;
* ``reference`` — plain PyTorch with autograd: :func:`torch.nn.functional.scaled_dot_product_attention`,
  :func:`torch.nn.functional.dropout` (``nn.Dropout``), ``nn.GELU`` between the linear layers;
* ``auto`` (default) — ``fast`` on CPU, ``reference`` on any other device (CUDA), where the fused
  library kernels are the fast ones.

Both compute the same function; ``tests/test_model_kernels.py`` checks values and gradients.
"""

from __future__ import annotations

import torch

from motiongen.core.errors import ConfigError

KERNELS = ("auto", "fast", "reference")


def check_kernels(kernels: str) -> str:
    if kernels not in KERNELS:
        raise ConfigError(f"model.network.kernels must be one of {KERNELS}, got {kernels!r}")
    return kernels


def use_reference(kernels: str, device: torch.device) -> bool:
    """True when the plain-PyTorch path should run for a tensor on ``device``."""
    return kernels == "reference" or (kernels == "auto" and device.type != "cpu")

"""Runtime settings of inference: the dtype of the model's weights (:func:`set_precision`) and the
CPU threads of the network (:func:`inference_threads`)."""

from __future__ import annotations

import torch

from motiongen.core.errors import ConfigError
from motiongen.generation.types import GenerationAssets

PRECISIONS = ("auto", "float32", "bfloat16")


def fast_bfloat16() -> bool:
    """True when oneDNN runs bfloat16 matrix products natively on this CPU (AVX512-BF16 / AMX).

    Uses ``torch.ops.mkldnn._is_mkldnn_bf16_supported`` (PyTorch's own check, private API);
    any failure of that check counts as "no".
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def set_precision(assets: GenerationAssets, precision: str) -> torch.dtype:
    """Cast the model's weights for inference: ``float32``, ``bfloat16`` or ``auto`` (bfloat16 when
    :func:`fast_bfloat16`, else float32). Returns the chosen dtype (also stored in ``assets.dtype``).

    Measured with ``tools/bench_generate.py``: bfloat16 on an AMX CPU runs the paper-size denoiser
    about 2-3x faster than float32, with ~1 % relative deviation of x̂0.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    use_bf16 = precision == "bfloat16" or (precision == "auto" and fast_bfloat16())
    assets.dtype = torch.bfloat16 if use_bf16 else torch.float32
    assets.model.to(assets.dtype)
    return assets.dtype


def inference_threads(setting: int | str | None) -> int:
    """CPU threads for the network: an explicit count, or ``"auto"``/None = the cores idle right now,
    ``cpu_count - ceil(1-minute load average)``, at least 1.

    Measured with ``tools/bench_generate.py`` on a 2-core machine shared with other jobs (load 5-7):
    2 threads ran the paper-size denoiser 2-8x *slower* than 1 thread (oversubscription), while
    on idle cores a second thread helps; so the count follows the current load.
    """
    import math
    import os

    cores = os.cpu_count() or 1
    if setting is None or setting == "auto":
        return max(1, cores - math.ceil(os.getloadavg()[0]))
    if int(setting) < 1:
        raise ConfigError(f"threads must be >= 1 or 'auto', got {setting}")
    return int(setting)

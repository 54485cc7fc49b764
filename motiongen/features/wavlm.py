"""WavLM hidden states per motion frame, computed over long audio in bounded memory.

The model is loaded with ``transformers.WavLMModel.from_pretrained(id_or_local_dir)`` — a Hugging
Face id (``microsoft/wavlm-large``) or a folder written by ``save_pretrained`` — once per process.

Long audio is cut into cores of ``chunk_seconds``; each core is run with ``overlap_seconds`` of
extra audio on both sides so the frames near its edges see context, and only the frames whose
centres fall inside the core are kept. Memory is therefore set by the chunk length (one forward pass
plus the kept ``(T, hidden)`` float32 layer), not by the take length. WavLM frame ``i`` of an input
starting at sample ``a`` is centred on sample ``a + i * stride + (receptive_field - 1) / 2``
(stride 320 and receptive field 400 samples for the released models, derived from the model's
convolution config); the kept frames are linearly interpolated to the motion frame times ``k / fps``.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.features.recipe import WAVLM_SAMPLE_RATE, WavLMSpec

log = logging.getLogger(__name__)


def wavlm_load_error(spec: WavLMSpec, err: Exception) -> ConfigError:
    """The error raised when ``spec.model`` cannot be loaded: names it and says what to do."""
    return ConfigError(
        f"cannot load the WavLM model {spec.model!r} (data.features.wavlm.model): "
        f"{type(err).__name__}: {err}. Without internet access, download it once elsewhere (e.g. "
        f"`huggingface-cli download microsoft/wavlm-large --local-dir /path/to/wavlm-large`), copy the "
        f"folder here and set data.features.wavlm.model=/path/to/wavlm-large; or choose the "
        f"spectral-only recipe (no WavLM, 109-d audio features) with data/features=spectral"
    )


@lru_cache(maxsize=2)
def load_wavlm(spec: WavLMSpec):
    """Load (once per process) the WavLM named by ``spec`` in eval mode on its device and dtype.

    Raises:
        ConfigError: the model cannot be loaded (offline, wrong path, not a WavLM checkpoint) or
            ``spec.layer`` does not exist in it; the message says how to fix it.
    """
    import torch
    from transformers import WavLMModel

    try:
        model = WavLMModel.from_pretrained(spec.model, local_files_only=spec.local_files_only)
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        raise wavlm_load_error(spec, err) from None
    layers = model.config.num_hidden_layers
    if not -(layers + 1) <= spec.layer <= layers:
        raise ConfigError(
            f"data.features.wavlm.layer={spec.layer} does not exist in {spec.model!r}: it has "
            f"{layers} transformer layers (valid: 0..{layers} or -1..-{layers + 1})"
        )
    model = model.to(device=spec.device, dtype=getattr(torch, spec.dtype)).eval()
    log.info("loaded WavLM %s (%d layers, hidden size %d) on %s", spec.model, layers, model.config.hidden_size, spec.device)
    return model


def frame_geometry(model) -> tuple[int, int]:
    """``(stride, receptive_field)`` in samples of the model's convolutional feature encoder."""
    stride, field = 1, 1
    for kernel, step in zip(model.config.conv_kernel, model.config.conv_stride):
        field += (kernel - 1) * stride
        stride *= step
    return stride, field


def _hidden_states(model, wave: np.ndarray, layer: int) -> np.ndarray:
    """``(T, hidden)`` float32 hidden states of one chunk at ``layer``."""
    import torch

    parameter = next(model.parameters())
    inputs = torch.from_numpy(np.ascontiguousarray(wave)).to(device=parameter.device, dtype=parameter.dtype)
    with torch.inference_mode():
        output = model(inputs[None], output_hidden_states=True)
    return output.hidden_states[layer][0].float().cpu().numpy()


def interpolate_rows(times: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``(T, D)`` rows sampled at ascending ``times`` to ``query`` times
    (clamped to the first / last row outside the range): ``(len(query), D)`` float32."""
    if len(times) == 1:
        return np.repeat(values, len(query), axis=0).astype(np.float32)
    right = np.clip(np.searchsorted(times, query), 1, len(times) - 1)
    left = right - 1
    weight = np.clip((query - times[left]) / (times[right] - times[left]), 0.0, 1.0)[:, None]
    return (values[left] * (1.0 - weight) + values[right] * weight).astype(np.float32)


def wavlm_features(
    wave: np.ndarray, sample_rate: int, num_frames: int, fps: float, spec: WavLMSpec
) -> np.ndarray:
    """WavLM hidden states at the motion frame times.

    Args:
        wave: ``(S,)`` float32 mono audio at ``sample_rate`` (must be 16 kHz, WavLM's rate).
        num_frames: motion frames wanted; frame ``k`` is at ``k / fps`` seconds.
        spec: model, layer, chunking, device.

    Returns:
        ``(num_frames, hidden_size)`` float32.

    Raises:
        ConfigError: model cannot be loaded, or ``sample_rate`` is not 16 kHz.
    """
    if sample_rate != WAVLM_SAMPLE_RATE:
        raise ConfigError(f"WavLM needs {WAVLM_SAMPLE_RATE} Hz audio; data.features.sample_rate is {sample_rate}")
    model = load_wavlm(spec)
    stride, field = frame_geometry(model)
    wave = wave.astype(np.float32, copy=False)
    if spec.normalize:
        wave = (wave - wave.mean()) / np.sqrt(wave.var() + 1e-7)
    core = max(stride, int(round(spec.chunk_seconds * sample_rate)))
    overlap = int(round(spec.overlap_seconds * sample_rate))
    times: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    for start in range(0, max(len(wave), 1), core):
        stop = min(start + core, len(wave))
        first, last = max(0, start - overlap), min(len(wave), stop + overlap)
        chunk = wave[first:last]
        if len(chunk) < field:
            chunk = np.pad(chunk, (0, field - len(chunk)))
        hidden = _hidden_states(model, chunk, spec.layer)
        centres = first + np.arange(len(hidden)) * stride + (field - 1) / 2
        keep = (centres >= start) & ((centres < stop) | (stop == len(wave)))
        if not keep.any():  # a core shorter than one WavLM frame: keep its nearest frame
            keep[np.argmin(np.abs(centres - (start + stop) / 2))] = True
        times.append(centres[keep] / sample_rate)
        rows.append(hidden[keep])
    return interpolate_rows(np.concatenate(times), np.concatenate(rows), np.arange(num_frames) / fps)

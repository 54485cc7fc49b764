"""Per-frame audio and word features of one recording — the same code for the cache and generation.

Row ``k`` of every output describes motion frame ``k``, centred on ``k / fps`` seconds.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from motiongen.features import onsets, pitch, spectral
from motiongen.features.recipe import AudioRecipe
from motiongen.features.words import WordVectors
from motiongen.formats.audio import resample
from motiongen.formats.textgrid import Interval

# Frames analysed at once: bounds the memory of the FFT stacks (about 60 MB per 2048 frames)
# whatever the length of the audio; 2048 frames = 68 s at 30 fps.
FRAME_BLOCK = 2048


def time_derivative(values: np.ndarray, fps: float, valid: np.ndarray | None = None) -> np.ndarray:
    """Central-difference derivative per second of a ``(F,)`` series; 0 where ``valid`` is False on
    the frame or either neighbour (so voiced/unvoiced jumps of F0 do not become spikes)."""
    if len(values) < 2:
        return np.zeros_like(values)
    derivative = np.gradient(values.astype(np.float64)) * fps
    if valid is not None:
        padded = np.pad(valid, 1, mode="edge")
        derivative = np.where(padded[:-2] & valid & padded[2:], derivative, 0.0)
    return derivative.astype(np.float32)


def frame_block(wave: np.ndarray, centres: np.ndarray, recipe: AudioRecipe):
    """MFCC, log-mel, F0, voicing and energy of the frames centred on ``centres``."""
    frames = spectral.frame_signal(wave, centres, recipe.frame_length)
    power = spectral.power_spectrum(frames)
    log_mel = spectral.log_mel(power, recipe, recipe.mel)
    mfcc_mel = log_mel if recipe.mfcc_mel == recipe.mel else spectral.log_mel(power, recipe, recipe.mfcc_mel)
    p = recipe.prosody
    f0, voiced = pitch.yin(frames, recipe.sample_rate, p.f0_min, p.f0_max, p.yin_threshold)
    return (spectral.mfcc_from_log_mel(mfcc_mel, recipe.n_mfcc), log_mel, f0, voiced,
            spectral.rms_energy_db(frames, p.energy_floor_db))


def extract_audio_features(
    wave: np.ndarray, sr: int, num_frames: int, recipe: AudioRecipe
) -> np.ndarray:
    """Audio features per motion frame.

    Args:
        wave: ``(S,)`` float mono audio at ``sr`` Hz (resampled to ``recipe.sample_rate`` if needed).
        sr: sample rate of ``wave`` in Hz.
        num_frames: rows wanted at ``recipe.fps``; frames past the audio's end see silence.
        recipe: see :class:`~motiongen.features.recipe.AudioRecipe`.

    Returns:
        ``(num_frames, D)`` float32 in the block order of ``recipe.layout()``: MFCC, log-mel (dB),
        prosody (F0 Hz, dF0/dt Hz/s, energy dB, d energy/dt dB/s), [WavLM], onset flag. D = 109 for
        the spectral recipe, 1133 with WavLM-Large.

    Raises:
        ConfigError: the recipe's WavLM cannot be loaded.
    """
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise ValueError(f"wave must be mono (S,), got shape {wave.shape}")
    if sr != recipe.sample_rate:
        wave = resample(wave, sr, recipe.sample_rate)
    rate = recipe.sample_rate
    centres = spectral.frame_centres(num_frames, rate, recipe.fps)
    pieces = [frame_block(wave, centres[i : i + FRAME_BLOCK], recipe) for i in range(0, max(num_frames, 1), FRAME_BLOCK)]
    mfcc, log_mel, f0, voiced, energy = (np.concatenate(parts) for parts in zip(*pieces))
    prosody = np.stack(
        [f0, time_derivative(f0, recipe.fps, voiced), energy, time_derivative(energy, recipe.fps)], axis=1
    )
    blocks = [mfcc, log_mel, prosody]
    if recipe.wavlm is not None:
        from motiongen.features.wavlm import wavlm_features

        blocks.append(wavlm_features(wave, rate, num_frames, recipe.fps, recipe.wavlm))
    blocks.append(onsets.onset_flags(onsets.onset_times(wave, rate, recipe.onset), num_frames, recipe.fps))
    return np.concatenate(blocks, axis=1).astype(np.float32, copy=False)


def extract_word_features(
    intervals: Sequence[Interval], num_frames: int, fps: float, vectors: WordVectors, first_frame: int = 0
) -> np.ndarray:
    """Word features per motion frame.

    Args:
        intervals: the TextGrid ``words`` tier (seconds; ``label == ""`` is silence), in time order.
        num_frames: rows wanted; frame ``k`` is at ``k / fps`` seconds.
        first_frame: index of the first row's frame (rows ``first_frame .. first_frame + num_frames - 1``;
            a window of a longer take gets exactly the take's rows; frames before 0 are silence).
        vectors: word vectors (:class:`~motiongen.features.words.WordTable` or
            :class:`~motiongen.features.words.FastTextModel`).

    Returns:
        ``(num_frames, vectors.dim + 1)`` float32: columns ``[:dim]`` hold the vector of the word
        whose half-open interval ``[start, end)`` contains ``k / fps`` (zeros for silence and for
        words without a vector), column ``dim`` is the silence flag (1 where no word is spoken).
    """
    spoken = [interval for interval in intervals if interval.label]
    out = np.zeros((num_frames, vectors.dim + 1), dtype=np.float32)
    out[:, vectors.dim] = 1.0
    if not spoken or num_frames == 0:
        return out
    starts = np.array([interval.start for interval in spoken])
    ends = np.array([interval.end for interval in spoken])
    word_vectors, _ = vectors.lookup([interval.label for interval in spoken])
    times = np.arange(first_frame, first_frame + num_frames) / fps
    which = np.searchsorted(starts, times, side="right") - 1
    inside = (which >= 0) & (times < ends[np.maximum(which, 0)])
    out[inside, : vectors.dim] = word_vectors[which[inside]]
    out[inside, vectors.dim] = 0.0
    return out

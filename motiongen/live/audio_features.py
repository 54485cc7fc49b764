"""Audio features computed incrementally as samples arrive, equal to the offline features.

:class:`StreamingAudioFeatures` takes blocks of samples at the recipe's rate and releases each
feature row as soon as the audio it depends on has arrived:

* MFCC, log-mel, F0/voicing and energy of frame ``k`` need the analysis window centred on sample
  ``c_k = round(k · sr / fps)``, i.e. samples up to ``c_k + frame_length / 2`` (32 ms ahead with the
  spectral recipe);
* the F0 and energy time derivatives are central differences, so row ``k`` also waits for frame
  ``k + 1`` (one more frame, 33 ms at 30 fps).

Those columns are computed with the offline code (:func:`motiongen.features.pipeline.frame_block`,
:func:`~motiongen.features.pipeline.time_derivative`) on the same windows, so they equal the
offline features of the same audio (the tests check it); at :meth:`StreamingAudioFeatures.finish`
the last rows see the same end padding as offline.

The onset flag cannot be computed causally as offline: librosa's onset strength clips the log-mel
at 80 dB below the loudest bin of the whole recording and the peak picker normalises the envelope
by its global range. Live, onsets are detected on the last ``onset_context_seconds`` of audio each
time rows are released, and a row's flag is set when an onset lies nearest to its frame; the tests
measure how often these flags agree with the offline ones. WavLM recipes are not supported live.
"""

from __future__ import annotations

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.features import onsets, spectral
from motiongen.features.pipeline import frame_block, time_derivative
from motiongen.features.recipe import AudioRecipe

ONSET_CONTEXT_SECONDS = 1.0


class GrowingArray:
    """Rows appended at amortised O(1) cost (capacity doubles); :attr:`view` is the filled part."""

    def __init__(self, width: tuple[int, ...], dtype, capacity: int = 1024):
        self._data = np.zeros((capacity, *width), dtype=dtype)
        self.size = 0

    def extend(self, rows: np.ndarray) -> None:
        needed = self.size + len(rows)
        if needed > len(self._data):
            grown = np.zeros((max(needed, 2 * len(self._data)), *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : needed] = rows
        self.size = needed

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.size]


class StreamingAudioFeatures:
    """Feature rows of a growing recording.

    Args:
        recipe: the model's audio recipe (spectral only); samples must be at ``recipe.sample_rate``.
        onset_context_seconds: audio the live onset detector looks back over.

    """

    def __init__(self, recipe: AudioRecipe, onset_context_seconds: float = ONSET_CONTEXT_SECONDS):
        if recipe.wavlm is not None:
            raise ConfigError(f"live generation computes spectral features only; the model's recipe "
                              f"{recipe.name!r} uses WavLM ({recipe.wavlm.model})")
        self.recipe = recipe
        self.half = recipe.frame_length // 2
        self.onset_context = int(onset_context_seconds * recipe.sample_rate)
        self._wave = GrowingArray((), np.float32, recipe.sample_rate * 10)
        dims = recipe.block_dims()
        # per computed frame: mfcc, log_mel, f0, voiced, energy
        self._raw = (GrowingArray((dims["mfcc"],), np.float32), GrowingArray((dims["log_mel"],), np.float32),
                     GrowingArray((), np.float32), GrowingArray((), bool), GrowingArray((), np.float32))
        self._envelope_range = (np.inf, -np.inf)
        self._rows = GrowingArray((sum(dims.values()),), np.float32)
        self.finished = False

    @property
    def rows(self) -> np.ndarray:
        """``(R, D)`` float32, every row released so far (row ``k`` = motion frame ``k``)."""
        return self._rows.view

    @property
    def wave(self) -> np.ndarray:
        """``(S,)`` the samples received so far."""
        return self._wave.view

    @property
    def num_samples(self) -> int:
        return self._wave.size

    @property
    def _raw_frames(self) -> int:
        return self._raw[0].size

    @property
    def lookahead_seconds(self) -> float:
        """Audio past a frame's centre needed before its row is released."""
        return self.half / self.recipe.sample_rate + 1.0 / self.recipe.fps

    def _centre(self, frame: int) -> int:
        return int(spectral.frame_centres(frame + 1, self.recipe.sample_rate, self.recipe.fps)[-1])

    def _compute_raw(self, stop: int, final: bool) -> None:
        """Raw per-frame values of frames ``[_raw_frames, stop)``."""
        start = self._raw_frames
        if stop <= start:
            return
        centres = spectral.frame_centres(stop, self.recipe.sample_rate, self.recipe.fps)[start:]
        offset = 0 if final else max(0, int(centres[0]) - self.half)
        # a segment longer than half a window, so frame_signal reflects at the start as offline does;
        # the windows of non-final frames end inside it and never see its end padding
        end = max(int(centres[-1]) + self.half, offset + self.recipe.frame_length + 1)
        segment = self.wave[offset:] if final else self.wave[offset:end]
        for store, values in zip(self._raw, frame_block(segment, centres - offset, self.recipe)):
            store.extend(values)

    def _onsets(self) -> set[int]:
        """Motion frames nearest to the onsets found in the last ``onset_context`` samples. The
        envelope is normalised by its minimum and maximum over everything heard so far (offline:
        over the whole recording)."""
        spec = self.recipe.onset
        start = max(0, self.num_samples - self.onset_context) // spec.hop_length * spec.hop_length
        envelope = onsets.onset_envelope(self.wave[start:], self.recipe.sample_rate, spec)
        if len(envelope) == 0:
            return set()
        self._envelope_range = (min(self._envelope_range[0], envelope.min()), max(self._envelope_range[1], envelope.max()))
        peaks = onsets.pick_onsets(envelope, self.recipe.sample_rate, spec, *self._envelope_range)
        times = (start + peaks * spec.hop_length) / self.recipe.sample_rate
        return set(np.rint(times * self.recipe.fps).astype(int).tolist())

    def _release(self, stop: int) -> np.ndarray:
        """Rows ``[len(rows), stop)``; raw values must exist up to ``stop + 1`` (or the end)."""
        first = len(self.rows)
        if stop <= first:
            return np.zeros((0, self._rows.view.shape[1]), dtype=np.float32)
        mfcc, log_mel, f0, voiced, energy = (store.view for store in self._raw)
        lo = max(0, first - 1)
        hi = min(self._raw_frames, stop + 1)
        fps = self.recipe.fps
        df0 = time_derivative(f0[lo:hi], fps, voiced[lo:hi])
        denergy = time_derivative(energy[lo:hi], fps)
        take = slice(first - lo, stop - lo)
        prosody = np.stack([f0[first:stop], df0[take], energy[first:stop], denergy[take]], axis=1)
        onset_frames = self._onsets()
        flags = np.array([[1.0 if k in onset_frames else 0.0] for k in range(first, stop)], dtype=np.float32)
        new = np.concatenate([mfcc[first:stop], log_mel[first:stop], prosody, flags], axis=1).astype(np.float32)
        self._rows.extend(new)
        return new

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Add ``(n,)`` samples; returns the rows released by them ``(r, D)`` (possibly none)."""
        if self.finished:
            raise RuntimeError("push after finish")
        self._wave.extend(np.asarray(samples, dtype=np.float32).reshape(-1))
        # frames whose window ends inside the audio: c_k + half <= num_samples
        ready = int(np.floor((self.num_samples - self.half) * self.recipe.fps / self.recipe.sample_rate + 1e-9)) + 1
        while ready > 0 and self._centre(ready - 1) + self.half > self.num_samples:
            ready -= 1
        if self.num_samples <= self.recipe.frame_length:
            ready = 0
        self._compute_raw(ready, final=False)
        return self._release(max(0, ready - 1))

    def finish(self, num_frames: int | None = None) -> np.ndarray:
        """The audio has ended: release the remaining rows up to ``num_frames`` (default: every
        frame whose centre lies in the audio), with the offline end padding."""
        total = spectral.num_frames_for(self.num_samples, self.recipe.sample_rate, self.recipe.fps)
        total = total if num_frames is None else num_frames
        self.finished = True
        self._compute_raw(total, final=True)
        return self._release(total)

"""Speech audio loading: wav / flac / mp3 (16-bit, 24-bit, float; any channel count) to mono float32.

Decoding uses ``soundfile`` (libsndfile), which reads PCM and float WAV, FLAC and — with libsndfile
>= 1.1, as bundled in the soundfile wheels — MP3. When the libsndfile in use cannot decode an MP3,
the file is decoded with PyAV (FFmpeg) instead.

Channels are mixed to mono by their mean. Resampling uses ``soxr`` (libsoxr, "HQ" quality): a
band-limited polyphase resampler with a steep anti-aliasing filter that handles any rate ratio
(44.1 kHz -> 16 kHz included) in a single fast C pass; it is the resampler librosa itself uses
by default, so features match what librosa-based code computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from motiongen.core.errors import InputFileError

AUDIO_SUFFIXES: tuple[str, ...] = (".wav", ".flac", ".mp3")
DEFAULT_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds before any conversion.

    Attributes:
        sample_rate: Hz.
        channels: channel count.
        num_samples: samples per channel.
        encoding: e.g. ``WAV PCM_24``, ``FLAC PCM_16``, ``MP3 MPEG_LAYER_III`` or ``mp3 (PyAV)``.
    """

    sample_rate: int
    channels: int
    num_samples: int
    encoding: str

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.num_samples / self.sample_rate


def _decode_with_av(path: Path) -> tuple[np.ndarray, int]:
    """Decode the first audio stream with PyAV; return ``(channels, samples)`` float32 and the rate."""
    import av

    with av.open(str(path)) as container:
        streams = [stream for stream in container.streams if stream.type == "audio"]
        if not streams:
            raise InputFileError(path, "no audio stream")
        stream = streams[0]
        resampler = av.AudioResampler(format="fltp")
        chunks = [
            out.to_ndarray()
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray() for out in resampler.resample(None)]
        rate = int(stream.codec_context.sample_rate or stream.rate)
        channels = len(stream.layout.channels)
    if not chunks:
        return np.zeros((channels, 0), dtype=np.float32), rate
    return np.concatenate(chunks, axis=1).astype(np.float32, copy=False), rate


def _mp3_supported_by_soundfile() -> bool:
    return "MP3" in sf.available_formats()


def decode_audio(path: str | Path) -> tuple[np.ndarray, AudioInfo]:
    """Decode a file at its own rate: ``(samples, channels)`` float32 in [-1, 1] and its :class:`AudioInfo`.

    Raises:
        InputFileError: missing file, unsupported or corrupt content.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    is_mp3 = path.suffix.lower() == ".mp3"
    if not is_mp3 or _mp3_supported_by_soundfile():
        try:
            with sf.SoundFile(path) as handle:
                data = handle.read(dtype="float32", always_2d=True)
                info = AudioInfo(handle.samplerate, handle.channels, data.shape[0], f"{handle.format} {handle.subtype}")
            return data, info
        except (sf.SoundFileError, RuntimeError, ValueError) as err:
            if not is_mp3:
                raise InputFileError(path, f"cannot decode audio: {err}") from None
    try:
        planar, rate = _decode_with_av(path)
    except InputFileError:
        raise
    except Exception as err:  # PyAV raises FFmpegError subclasses and ValueError for bad input
        raise InputFileError(path, f"cannot decode audio with soundfile or PyAV: {err}") from None
    return planar.T, AudioInfo(rate, planar.shape[0], planar.shape[1], "mp3 (PyAV)")


def resample(wave: np.ndarray, source_rate: int, target_rate: int, librosa_length: bool = False) -> np.ndarray:
    """Resample a mono ``(S,)`` float32 wave from ``source_rate`` to ``target_rate`` Hz with soxr HQ
    (the one resampler of motiongen: feature extraction, previews and the metrics).

    Args:
        librosa_length: return ``ceil(S · target_rate / source_rate)`` samples (soxr's output
            zero-padded or cut), which is exactly what ``librosa.resample(res_type="soxr_hq")``
            and ``librosa.load(sr=...)`` return: the resampling of the published metric code
            (:mod:`motiongen.evaluation.metrics.beat_align`). Otherwise soxr's own length.
    """
    if source_rate == target_rate:
        return wave
    import soxr

    resampled = soxr.resample(wave, source_rate, target_rate, quality="HQ").astype(np.float32, copy=False)
    if not librosa_length:
        return resampled
    size = int(np.ceil(len(wave) * float(target_rate) / source_rate))
    return np.pad(resampled[:size], (0, max(0, size - len(resampled))))


def _load_mono(path: Path) -> tuple[np.ndarray, AudioInfo]:
    """Decode, validate and mix down: ``(S,)`` float32 at the file's rate and its :class:`AudioInfo`."""
    data, info = decode_audio(path)
    if info.num_samples == 0:
        raise InputFileError(path, "no audio samples (empty file)")
    if not np.isfinite(data).all():
        raise InputFileError(path, "audio holds NaN or inf samples")
    mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    return np.ascontiguousarray(mono), info


def load_audio(path: str | Path, target_sr: int | None = DEFAULT_SAMPLE_RATE) -> tuple[np.ndarray, int]:
    """Load speech audio as mono float32 at ``target_sr``.

    Args:
        path: a wav, flac or mp3 file (16-bit/24-bit PCM or float; mono, stereo or more channels).
        target_sr: output sample rate in Hz; None keeps the file's rate.

    Returns:
        ``(wave, sample_rate)``: ``wave`` is ``(S,)`` float32, nominally in [-1, 1]. Silent audio is
        returned as it is (all zeros); :func:`describe_audio` reports it.

    Raises:
        InputFileError: missing, unreadable or corrupt file, no samples, NaN/inf samples.
    """
    if target_sr is not None and target_sr <= 0:
        raise ValueError(f"target_sr must be positive, got {target_sr}")
    mono, info = _load_mono(Path(path))
    if target_sr is None:
        return mono, info.sample_rate
    return resample(mono, info.sample_rate, int(target_sr)), int(target_sr)


@dataclass(frozen=True)
class AudioSummary:
    """What :func:`describe_audio` found: the source :class:`AudioInfo`, the peak absolute sample
    value (0 to 1 for PCM) and recorded warnings (silence)."""

    info: AudioInfo
    peak: float
    warnings: list[str]


def describe_audio(path: str | Path) -> AudioSummary:
    """Decode the whole file (so corruption is found) and summarise it; silence is a warning, not an error.

    Raises:
        InputFileError: as :func:`load_audio`.
    """
    mono, info = _load_mono(Path(path))
    peak = float(np.max(np.abs(mono)))
    warnings = [] if peak > 0 else [f"silent audio: every sample is 0 over {info.duration:.2f} s"]
    return AudioSummary(info, peak, warnings)

"""H.264 MP4 writing with the speech muxed as AAC, through PyAV's bundled encoders (no system
ffmpeg needed). Shared by the skeleton/face preview and the SMPL-X mesh preview."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np

from motiongen.core.atomic import atomic_path

AAC_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


def audio_for_video(wave: np.ndarray, sample_rate: int, seconds: float) -> tuple[np.ndarray, int]:
    """Mono float32 audio at an AAC sample rate, cut or zero-padded to exactly ``seconds``."""
    from motiongen.formats.audio import resample

    wave = np.asarray(wave, dtype=np.float32).reshape(-1)
    if sample_rate not in AAC_SAMPLE_RATES:
        wave, sample_rate = resample(wave, sample_rate, 48000).astype(np.float32), 48000
    target = int(round(seconds * sample_rate))
    if len(wave) < target:
        wave = np.pad(wave, (0, target - len(wave)))
    return np.clip(wave[:target], -1.0, 1.0), sample_rate


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], width: int, height: int, fps: float,
              num_frames: int, audio: tuple[np.ndarray, int] | None = None, crf: int = 23) -> Path:
    """Encode RGB frames (each ``(height, width, 3)`` uint8) as H.264 with optional AAC speech.

    Args:
        path: output ``.mp4``; written under a temporary name and renamed when complete, so a
            failure never leaves a half-written file.
        frames: iterable of ``num_frames`` images.
        fps: video frame rate.
        audio: optional (wave (S,) float, sample rate Hz); cut or zero-padded to the video length
            and resampled to 48 kHz when its rate is not an AAC rate.
        crf: libx264 constant rate factor (lower = better quality, bigger file).
    """
    import av

    path = Path(path)
    seconds = num_frames / fps
    with atomic_path(path, suffix=".mp4") as tmp, av.open(str(tmp), mode="w") as container:
        video = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": str(crf), "preset": "ultrafast"}
        sound = None
        if audio is not None:
            wave, sample_rate = audio_for_video(audio[0], int(audio[1]), seconds)
            sound = container.add_stream("aac", rate=sample_rate, layout="mono")
        for image in frames:
            container.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(video.encode(None))
        if sound is not None:
            frame = av.AudioFrame.from_ndarray(wave[None, :], format="fltp", layout="mono")
            frame.sample_rate = sample_rate
            container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path

"""Reading the reference image and writing the rendered MP4 (H.264 + AAC speech) with PyAV.

The MP4 is written to a hidden temporary file beside the destination and renamed into place at the
end, so a failure never leaves a half-written video.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from motiongen.core.atomic import atomic_path
from render.errors import RenderError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def read_reference(path: str | Path, frame: int = 0) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB from an image file, or frame ``frame`` of a video file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise RenderError(f"reference image {path} does not exist")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                return np.asarray(image.convert("RGB"))
        except (UnidentifiedImageError, OSError) as error:
            raise RenderError(f"reference image {path} cannot be read: {error}") from error
    from motiongen.formats.video import iter_video_frames

    for index, rgb in enumerate(iter_video_frames(path)):
        if index == frame:
            return rgb
    raise RenderError(f"reference video {path} has no frame {frame}")


def read_audio_track(path: str | Path) -> tuple[np.ndarray, int] | None:
    """Mono float32 samples and rate of a video file's first audio track (None without one)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
        rate = stream.codec_context.sample_rate
    if not chunks:
        return None
    # Planar frames are (channels, samples); packed ones (1, samples * channels).
    channels = stream.codec_context.channels
    samples = np.concatenate([chunk if chunk.shape[0] == channels else chunk.reshape(-1, channels).T for chunk in chunks], 1)
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples / np.iinfo(samples.dtype).max
    return samples.mean(0).astype(np.float32), int(rate)


def _audio_frames(wave: np.ndarray, sample_rate: int, frame_size: int):
    samples = np.ascontiguousarray(wave, dtype=np.float32)
    for start in range(0, len(samples), frame_size):
        chunk = samples[start:start + frame_size][None]
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        yield frame


def write_mp4(path: str | Path, frames: np.ndarray, fps: float, audio: tuple[np.ndarray, int] | None = None) -> Path:
    """Write ``(F, H, W, 3)`` uint8 frames (even H and W) at ``fps``, with mono ``audio`` muxed
    (trimmed to the video's length), atomically."""
    path = Path(path)
    with atomic_path(path, suffix=".mp4") as partial, av.open(str(partial), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=round(fps))
        video.height, video.width = frames.shape[1:3]
        video.pix_fmt = "yuv420p"
        sound = None
        if audio is not None:
            wave, rate = audio
            wave = wave[: int(round(len(frames) / fps * rate))]
            sound = container.add_stream("aac", rate=rate, layout="mono")
        for rgb in frames:
            container.mux(video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")))
        container.mux(video.encode())
        if sound is not None:
            for frame in _audio_frames(wave, rate, 1024):
                container.mux(sound.encode(frame))
            container.mux(sound.encode())
    return path

"""Helpers for tests that need video files: the real Slovo sample, and small videos written with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SLOVO_SAMPLE = "slovo/f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


def write_video(path: Path, frames: np.ndarray, fps: int = 30, codec: str = "mpeg4") -> Path:
    """Encode ``(T, H, W, 3)`` uint8 RGB frames (H, W even) into ``path`` with PyAV."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def gradient_frames(count: int, height: int = 64, width: int = 48) -> np.ndarray:
    """``(count, height, width, 3)`` uint8 frames of a moving colour gradient (no person in them)."""
    t = np.arange(count)[:, None, None]
    y = np.arange(height)[None, :, None]
    x = np.arange(width)[None, None, :]
    red = (x * 4 + t * 3) % 256
    green = (y * 3 + t) % 256
    blue = (x + y + 0 * t) % 256
    return np.stack(np.broadcast_arrays(red, green, blue), axis=-1).astype(np.uint8)

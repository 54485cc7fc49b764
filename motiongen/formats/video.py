"""Video decoding with PyAV (FFmpeg): frames as RGB arrays, plus the stream's shape and rate.

Only pictures and timing leave this module: container metadata (titles, devices, GPS location
tags — the Slovo sample carries one) is never read into motiongen's data.

Frames come out as stored in the stream. A display rotation recorded by the container (phones
write one instead of rotating the pixels) is reported in :attr:`VideoInfo.rotation_degrees` and
not applied; ``motiongen inspect`` lists it as a problem.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from motiongen.core.errors import InputFileError

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream of a file.

    Attributes:
        fps: frames per second (the stream's average rate).
        width, height: pixels of a decoded frame.
        frame_count: frames in the stream (the header's count; counted by decoding when the
            container does not state it).
        rotation_degrees: display rotation the container asks for (0 when none; not applied).
        codec: decoder name, e.g. ``h264``.
    """

    fps: float
    width: int
    height: int
    frame_count: int
    rotation_degrees: int
    codec: str

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def _open(path: Path):
    import av

    if not path.is_file():
        raise InputFileError(path, "file not found")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise InputFileError(path, f"not a readable video ({error})") from error
    if not container.streams.video:
        container.close()
        raise InputFileError(path, "no video stream")
    return container


def _decode_error(path: Path, index: int, error: Exception) -> InputFileError:
    return InputFileError(path, f"video decoding failed at frame {index} ({error})")


def _start(path: Path, container, threads: int = 1, decoder_options: Mapping[str, str] | None = None):
    """Decode the first frame of an open container: ``(VideoInfo, first frame, decoder iterator)``;
    ``frame_count`` is the header's (0 when the container does not state it). Closes the container
    and raises :class:`InputFileError` when nothing decodes, ``ValueError`` when the decoder does
    not know one of ``decoder_options``."""
    import av

    try:
        stream = container.streams.video[0]
        stream.thread_count = max(1, int(threads))
        stream.codec_context.options = {str(k): str(v) for k, v in (decoder_options or {}).items()}
        decoded = container.decode(stream)
        first = next(decoded, None)
        if first is None:
            raise InputFileError(path, "the video has no frames")
        unknown = stream.codec_context.options  # FFmpeg hands back the options its decoder did not take
        if unknown:
            raise ValueError(f"{path}: the {stream.codec_context.name} decoder has no option(s) {sorted(unknown)}")
    except av.error.FFmpegError as error:
        container.close()
        raise _decode_error(path, 0, error) from error
    except BaseException:
        container.close()
        raise
    info = VideoInfo(
        float(stream.average_rate or stream.guessed_rate or 0), first.width, first.height, int(stream.frames or 0),
        int(round(getattr(first, "rotation", 0) or 0)) % 360, stream.codec_context.name,
    )
    return info, first, decoded


def probe_video(path: str | Path) -> VideoInfo:
    """Read the stream's rate, size and frame count (decodes the first frame; all frames only when
    the container does not state the count).

    Raises:
        InputFileError: missing file, no video stream, undecodable content or zero frames.
    """
    import av

    path = Path(path)
    container = _open(path)
    info, _, decoded = _start(path, container)
    with container:
        if info.frame_count:
            return info
        try:
            return replace(info, frame_count=1 + sum(1 for _ in decoded))
        except av.error.FFmpegError as error:
            raise _decode_error(path, 0, error) from error


def open_video(
    path: str | Path, *, threads: int = 1, decoder_options: Mapping[str, str] | None = None
) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """Open a video once: its :class:`VideoInfo` and an iterator over every frame as
    ``(height, width, 3)`` uint8 RGB (the file is closed when the iterator ends or is dropped).

    Unlike :func:`probe_video`, ``frame_count`` is the header's count and 0 when the container
    does not state it (the frames are not decoded twice).

    Args:
        threads: FFmpeg decoder threads (1 keeps a worker process to one core; parallelism over
            videos comes from the caller).
        decoder_options: FFmpeg decoder options (``AVCodecContext`` / decoder private options),
            e.g. ``{"skip_loop_filter": "all"}``; None or empty: exact decoding.

    Raises:
        InputFileError: unreadable file or no frames (here); a frame that fails to decode (while
            iterating, naming its index).
        ValueError: the decoder does not know an option; an invalid option value fails as a
            decoding error at frame 0.
    """
    import av

    path = Path(path)
    container = _open(path)
    info, first, decoded = _start(path, container, threads, decoder_options)

    def frames() -> Iterator[np.ndarray]:
        index = 0
        with container:
            try:
                yield first.to_ndarray(format="rgb24")
                for index, frame in enumerate(decoded, start=1):
                    yield frame.to_ndarray(format="rgb24")
            except av.error.FFmpegError as error:
                raise _decode_error(path, index + 1, error) from error

    return info, frames()


def iter_video_frames(path: str | Path, *, threads: int = 1) -> Iterator[np.ndarray]:
    """Yield every frame of the first video stream as ``(height, width, 3)`` uint8 RGB.

    Args:
        threads: FFmpeg decoder threads (as :func:`open_video`).

    Raises:
        InputFileError: unreadable file, no frames, or a frame that fails to decode (names its index).
    """
    _, frames = open_video(path, threads=threads)
    yield from frames


def prefetch(frames: Iterator[np.ndarray], depth: int = 8) -> Iterator[np.ndarray]:
    """Run a frame iterator in a background thread, ``depth`` frames ahead.

    FFmpeg decodes without holding the GIL, so decoding overlaps with the consumer's work (landmark
    inference). An exception raised by the producer is re-raised in the consumer.
    """
    buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        buffer.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(done)
        except BaseException as error:  # handed to the consumer, which re-raises it
            buffer.put(error)

    worker = threading.Thread(target=produce, name="video-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def read_video_frames(path: str | Path, *, max_frames: int | None = None) -> np.ndarray:
    """All frames (or the first ``max_frames``) as ``(T, height, width, 3)`` uint8 RGB.

    Raises:
        InputFileError: as :func:`iter_video_frames`, or a video without frames.
    """
    frames = []
    for frame in iter_video_frames(path):
        if max_frames is not None and len(frames) >= max_frames:
            break
        frames.append(frame)
    if not frames:
        raise InputFileError(path, "the video has no frames")
    return np.stack(frames)

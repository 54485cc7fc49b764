"""A live session: audio in, chunks generated as it arrives, frames sent at a steady frame rate.

Three threads: the audio source hands blocks over (:mod:`motiongen.live.audio_io`); the session's
loop turns them into feature rows (:mod:`motiongen.live.audio_features`), runs a generation step
(:mod:`motiongen.live.causal`) whenever a chunk's rows are complete, and encodes every output's
payloads of the new frames; the :class:`FrameClock` thread sends frame ``i`` at
``t0 + delay + i / fps`` (``t0``: when the first audio sample was captured), or at once when it
was not ready then (a late frame). No frame is skipped, so none is dropped; late ones are counted.

With a word recogniser (``words``, :class:`motiongen.text.asr.StreamingWords`), every block is also
fed to it and every generation step reads the words it has settled so far; when the audio ends
the recogniser is finished and the last chunks read all its words.

Latency of a block of audio: from its arrival to the sending of the first frame it affects (the
first frame whose analysis window, or whose F0/energy derivative, contains its first sample).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.features import spectral
from motiongen.generation.sampling import denormalise
from motiongen.generation.types import GenerationAssets
from motiongen.live.audio_features import StreamingAudioFeatures
from motiongen.live.causal import CausalGenerator
from motiongen.live.frames import FrameBatch, FrameBuilder
from motiongen.text.asr import StreamingWords

log = logging.getLogger(__name__)


class Sink(Protocol):
    """An output: ``prepare`` encodes a batch (session thread), ``emit`` sends one frame's payload
    (clock thread)."""

    name: str

    def prepare(self, batch: FrameBatch) -> list[Any]: ...

    def emit(self, payload: Any) -> None: ...


class UdpSink:
    """Frames encoded by ``encoder.encode_batch`` sent with a :class:`~motiongen.live.targets.UdpSender`."""

    def __init__(self, name: str, encoder, sender):
        self.name, self.encoder, self.sender = name, encoder, sender

    def prepare(self, batch: FrameBatch) -> list[bytes]:
        return self.encoder.encode_batch(batch)

    def emit(self, payload: bytes) -> None:
        self.sender.send(payload)


class FrameClock:
    """Sends queued frames in order, frame ``i`` at ``t0 + delay + i / fps``; records send times."""

    def __init__(self, sinks: list[Sink], fps: float, delay: float):
        self.sinks, self.fps, self.delay = sinks, fps, delay
        self.t0: float | None = None
        self.frames: list[list[Any]] = []  # per frame: one payload per sink
        self.sent: list[float] = []
        self.due: list[float] = []
        self._closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="frame-clock", daemon=True)

    def start(self, t0: float) -> None:
        self.t0 = t0
        self._thread.start()

    def add(self, payloads: list[list[Any]]) -> None:
        """Payloads of the next frames, ``[frame][sink]``."""
        with self._ready:
            self.frames.extend(payloads)
            self._ready.notify()

    def close(self) -> None:
        """No more frames: wait until every queued frame is sent."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        index = 0
        while True:
            with self._ready:
                while index >= len(self.frames) and not self._closed:
                    self._ready.wait()
                if index >= len(self.frames):
                    return
                payloads = self.frames[index]
            due = self.t0 + self.delay + index / self.fps
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            for sink, payload in zip(self.sinks, payloads):
                sink.emit(payload)
            self.due.append(due)
            self.sent.append(time.perf_counter())
            index += 1


@dataclass
class LiveReport:
    """What a session did.

    Attributes:
        frames: frames sent.
        generated: frames generated (a frame generated but never sent is dropped).
        latencies: ``(B,)`` seconds from each audio block's arrival to the first frame it affects.
        lateness: ``(F,)`` seconds each frame was sent after its due time (0 when on time).
        cpu_seconds / wall_seconds: process CPU time and wall time of the session.
        step_seconds: wall time of each generation step.
        paced_by: what paced the audio (sound card, system clock, consumer).
    """

    frames: int
    generated: int
    latencies: np.ndarray
    lateness: np.ndarray
    cpu_seconds: float
    wall_seconds: float
    step_seconds: list[float] = field(default_factory=list)
    paced_by: str = ""
    fps: float = 30.0

    def summary(self) -> dict[str, Any]:
        lat = self.latencies * 1000 if len(self.latencies) else np.zeros(1)
        return {
            "frames_sent": self.frames,
            "latency_ms": {"p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)),
                           "max": float(lat.max())},
            "late_frames": int((self.lateness > 0.5 / self.fps).sum()),
            "dropped_frames": self.generated - self.frames,
            "cpu_cores": self.cpu_seconds / max(self.wall_seconds, 1e-9),
            "step_ms_p95": float(np.percentile(np.array(self.step_seconds) * 1000, 95)) if self.step_seconds else 0.0,
            "paced_by": self.paced_by,
        }


class LiveSession:
    """One session of ``generator`` on ``features``, sending to ``sinks`` with ``delay`` seconds of
    buffer; ``words``: a streaming recogniser whose settled words the steps read (None: silence)."""

    def __init__(self, assets: GenerationAssets, generator: CausalGenerator, features: StreamingAudioFeatures,
                 sinks: list[Sink], delay: float, words: StreamingWords | None = None):
        if words is not None and features.recipe.sample_rate != words.sample_rate:
            raise ConfigError(f"live.words=recognise needs {words.sample_rate} Hz audio features (pocketsphinx's "
                              f"model); this checkpoint's recipe reads {features.recipe.sample_rate} Hz")
        self.assets, self.generator, self.features, self.sinks = assets, generator, features, sinks
        self.words = words
        self.builder = FrameBuilder(assets.motion_format)
        self.clock = FrameClock(sinks, assets.fps, delay)
        self.batches: list[FrameBatch] = []
        self.step_seconds: list[float] = []

    def _generate(self, final: bool = False) -> None:
        rows = self.features.rows
        chunk = self.generator.chunk_frames
        words = None  # read from the recogniser once per call, and only when a step runs
        while self.generator.done + chunk <= len(rows) or (final and self.generator.done < len(rows)):
            start = self.generator.done
            began = time.perf_counter()
            if words is None:
                words = [] if self.words is None else self.words.finish() if final else self.words.words()
            new = self.generator.step(rows, min(len(rows), start + chunk), words)
            blocks = {name: values[0] for name, values in denormalise(self.assets, new[None]).items()}
            batch = self.builder.build(start, blocks)
            per_sink = [sink.prepare(batch) for sink in self.sinks]
            self.clock.add([list(frame) for frame in zip(*per_sink)] if per_sink else [[] for _ in range(len(batch))])
            self.batches.append(batch)
            self.step_seconds.append(time.perf_counter() - began)

    def run(self, source, num_frames: int | None = None) -> LiveReport:
        """Stream ``source`` to the end (or until interrupted); ``num_frames``: frames of the
        whole take (default: every frame whose centre lies in the audio)."""
        blocks: queue.Queue = queue.Queue()
        arrivals: list[tuple[int, float]] = []
        received = 0
        from threadpoolctl import threadpool_limits

        cpu0, wall0 = time.process_time(), time.perf_counter()
        rate = self.features.recipe.sample_rate
        # One BLAS thread: the feature products are small, and OpenBLAS's second thread spins between
        # them; on a loaded machine that starved the session (tools/bench_live.py, 60 s, load ~5:
        # latency p50 52 s with the default two threads, 225 ms with one).
        with threadpool_limits(limits=1, user_api="blas"):
            source.start(lambda samples, arrival: blocks.put((samples, arrival)))
            try:
                while True:
                    try:
                        samples, arrival = blocks.get(timeout=0.02)
                    except queue.Empty:
                        if source.finished.is_set() and blocks.empty():
                            break
                        continue
                    if self.clock.t0 is None:
                        self.clock.start(arrival - len(samples) / rate)
                    arrivals.append((received, arrival))
                    received += len(samples)
                    self.features.push(samples)
                    if self.words is not None:
                        self.words.push(samples)
                    self._generate()  # after every block: a backlog of blocks never holds a ready chunk back
            except KeyboardInterrupt:
                log.info("interrupted: finishing the frames of the audio heard so far")
            finally:
                source.stop()
            self.features.finish(num_frames)
            self._generate(final=True)
        self.clock.close()
        return LiveReport(len(self.clock.sent), sum(len(b) for b in self.batches), self._latencies(arrivals),
                          self._lateness(),
                          time.process_time() - cpu0, time.perf_counter() - wall0, self.step_seconds,
                          getattr(source, "paced_by", "microphone"), self.assets.fps)

    def _lateness(self) -> np.ndarray:
        return np.maximum(np.array(self.clock.sent) - np.array(self.clock.due), 0.0)

    def _latencies(self, arrivals: list[tuple[int, float]]) -> np.ndarray:
        """Per block: send time of the first frame it affects minus its arrival."""
        if not arrivals or not self.clock.sent:
            return np.zeros(0)
        recipe = self.features.recipe
        sent = np.array(self.clock.sent)
        centres = spectral.frame_centres(len(sent), recipe.sample_rate, recipe.fps)
        first_sample = np.array([a[0] for a in arrivals])
        # first frame whose window [c - half, c + half) reaches the block's first sample, minus one
        # (that frame's neighbour's derivative reads it too)
        frame = np.searchsorted(centres + recipe.frame_length // 2, first_sample, side="right")
        frame = np.maximum(frame - 1, 0)
        inside = frame < len(sent)
        return sent[frame[inside]] - np.array([a[1] for a in arrivals])[inside]

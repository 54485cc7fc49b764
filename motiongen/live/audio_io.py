"""Speech arriving in real time: a microphone (sounddevice / PortAudio) or a file played at real-time pace.

Both sources call ``callback(samples (n,) float32, arrival_seconds)`` from their own thread with
consecutive blocks of mono audio at the requested rate; ``arrival_seconds`` is
``time.perf_counter()`` when the block was handed over. :class:`MicrophoneSource` is a
``sounddevice.InputStream``; :class:`FileSource` plays the file through a
``sounddevice.OutputStream`` when ``play`` is asked and an output device exists (the sound card's
clock paces it and each block is delivered as it is played), else it hands the blocks over on the
system clock at the same pace (servers and CI have no sound card). ``realtime=False`` delivers the
blocks as fast as they are consumed (offline runs, tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from motiongen.core.errors import ConfigError

AudioCallback = Callable[[np.ndarray, float], None]
DEFAULT_BLOCK = 512  # samples per block: 32 ms at 16 kHz


def _sounddevice():
    """The sounddevice module, or a ConfigError naming what is missing."""
    try:
        import sounddevice
    except OSError as err:  # the wheel loads the PortAudio shared library at import
        raise ConfigError(f"sounddevice cannot load PortAudio ({err}); install it (Debian/Ubuntu: "
                          "apt-get install libportaudio2)") from None
    return sounddevice


def input_devices() -> list[str]:
    """``"index: name"`` of every input device PortAudio sees."""
    sd = _sounddevice()
    return [f"{i}: {d['name']}" for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


class MicrophoneSource:
    """A PortAudio input device at ``sample_rate`` Hz, mono."""

    def __init__(self, sample_rate: int, device: int | None = None, blocksize: int = DEFAULT_BLOCK):
        self.sample_rate, self.device, self.blocksize = sample_rate, device, blocksize
        self._stream = None
        self.finished = threading.Event()

    def start(self, callback: AudioCallback) -> None:
        sd = _sounddevice()
        devices = input_devices()
        if not devices:
            raise ConfigError("--mic: PortAudio finds no input device on this machine (use --audio FILE)")

        def on_block(indata, frames, time_info, status):
            callback(indata[:, 0].copy(), time.perf_counter())

        try:
            self._stream = sd.InputStream(samplerate=self.sample_rate, blocksize=self.blocksize, channels=1,
                                          dtype="float32", device=self.device, callback=on_block)
        except (sd.PortAudioError, ValueError) as err:
            raise ConfigError(f"--mic --device {self.device}: {err}; input devices: {'; '.join(devices)}") from None
        self._stream.start()

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
        self.finished.set()


class FileSource:
    """A recording handed over block by block at real-time pace (see the module docstring).

    Args:
        wave: ``(S,)`` float32 mono samples at ``sample_rate``.
        play: also play it on the default output device when there is one.
        realtime: False hands the blocks over without waiting.
    """

    def __init__(self, wave: np.ndarray, sample_rate: int, blocksize: int = DEFAULT_BLOCK, play: bool = False,
                 realtime: bool = True):
        self.wave = np.asarray(wave, dtype=np.float32)
        self.sample_rate, self.blocksize, self.play, self.realtime = sample_rate, blocksize, play, realtime
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream = None
        self.paced_by = "system clock" if realtime else "consumer"

    def _blocks(self):
        for start in range(0, len(self.wave), self.blocksize):
            yield self.wave[start : start + self.blocksize]

    def _output_stream(self, callback: AudioCallback):
        sd = _sounddevice()
        if not any(d["max_output_channels"] > 0 for d in sd.query_devices()):
            return None
        blocks = self._blocks()

        def on_block(outdata, frames, time_info, status):
            block = next(blocks, None)
            if block is None:
                outdata[:] = 0
                self.finished.set()
                raise sd.CallbackStop
            outdata[: len(block), 0] = block
            outdata[len(block) :] = 0
            callback(block.copy(), time.perf_counter())

        return sd.OutputStream(samplerate=self.sample_rate, blocksize=self.blocksize, channels=1, dtype="float32",
                               callback=on_block, finished_callback=self.finished.set)

    def _run(self, callback: AudioCallback) -> None:
        started = time.perf_counter()
        for index, block in enumerate(self._blocks()):
            if self._stop.is_set():
                break
            if self.realtime:
                due = started + (index * self.blocksize + len(block)) / self.sample_rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            callback(block.copy(), time.perf_counter())
        self.finished.set()

    def start(self, callback: AudioCallback) -> None:
        if self.play and self.realtime:
            self._stream = self._output_stream(callback)
            if self._stream is not None:
                self.paced_by = "sound card"
                self._stream.start()
                return
        self._thread = threading.Thread(target=self._run, args=(callback,), name="file-audio", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
        if self._thread is not None:
            self._thread.join()
        self.finished.set()

"""Training throughput: ``train/samples_per_sec`` over all ranks, measured in wall-clock time."""

from __future__ import annotations

import time
from collections import deque

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback


class SamplesPerSecond(Callback):
    """Log clips per second (all ranks together), averaged over the last ``window`` steps.

    Each interval runs from one batch end to the next and so includes data loading: it is the rate
    a user gets, not only the network's. The value is logged every step; Lightning writes it at its
    ``log_every_n_steps`` cadence.
    """

    def __init__(self, window: int = 20) -> None:
        self._last_end: float | None = None
        self._intervals: deque[tuple[int, float]] = deque(maxlen=window)

    def on_train_start(self, trainer: pl.Trainer, pl_module) -> None:
        self._last_end = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        now = time.perf_counter()
        samples = next(iter(batch.values())).shape[0] * trainer.world_size
        self._intervals.append((samples, now - self._last_end))
        self._last_end = now
        total_samples = sum(count for count, _ in self._intervals)
        total_time = sum(seconds for _, seconds in self._intervals)
        pl_module.log("train/samples_per_sec", total_samples / total_time, on_step=True, on_epoch=False, rank_zero_only=True)

"""Atomic periodic checkpoints: a crash while writing never leaves a truncated ``.ckpt`` behind.

Every ``every_n_steps`` optimiser steps (and when training ends) the full training state — model,
EMA, uncertainty parameters, optimiser, LR scheduler, loop progress — is written by
``trainer.save_checkpoint`` to a hidden temporary file in the same folder, flushed to disk and
renamed onto ``step00001234.ckpt`` in one step (:func:`motiongen.core.atomic.commit`).
``last.ckpt`` is then replaced the same way (hard link, or copy where links are not supported), and
only the newest ``keep_last`` step files are kept. Only global rank 0 touches the files, so a DDP
run writes one checkpoint per save, not one per rank.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback

from motiongen.core.atomic import commit
from motiongen.core.errors import ConfigError

log = logging.getLogger(__name__)

LAST_NAME = "last.ckpt"


def checkpoint_name(step: int) -> str:
    return f"step{step:08d}.ckpt"


def _replace_last(source: Path, last: Path) -> None:
    staging = last.with_name(f".{last.name}.tmp")
    staging.unlink(missing_ok=True)
    try:
        os.link(source, staging)
    except OSError:
        shutil.copy2(source, staging)
    commit(staging, last)


class AtomicCheckpoint(Callback):
    """Write ``dirpath/stepNNNNNNNN.ckpt`` atomically every ``every_n_steps`` steps and at the end.

    Args:
        dirpath: checkpoint folder (created on rank 0).
        every_n_steps: save period in optimiser steps (>= 1).
        keep_last: step checkpoints kept (>= 1); older ones are deleted.
    """

    def __init__(self, dirpath: str | Path, every_n_steps: int, keep_last: int = 3):
        if every_n_steps < 1 or keep_last < 1:
            raise ConfigError(f"checkpoint every_n_steps and keep_last must be >= 1, got {every_n_steps}, {keep_last}")
        self.dirpath = Path(dirpath)
        self.every_n_steps = every_n_steps
        self.keep_last = keep_last
        self._last_saved_step = -1

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step % self.every_n_steps == 0 and step != self._last_saved_step:
            self.save(trainer, step)

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        if trainer.global_step != self._last_saved_step:
            self.save(trainer, trainer.global_step)

    def save(self, trainer: pl.Trainer, step: int) -> Path:
        """Save the training state at ``step``; every rank must call it (it synchronises ranks)."""
        final = self.dirpath / checkpoint_name(step)
        staging = self.dirpath / f".{final.name}.tmp"
        if trainer.is_global_zero:
            self.dirpath.mkdir(parents=True, exist_ok=True)
        trainer.save_checkpoint(staging, weights_only=False)  # the whole state: resuming needs the optimiser and loops
        if trainer.is_global_zero:
            commit(staging, final)
            _replace_last(final, self.dirpath / LAST_NAME)
            self._prune()
            log.info("checkpoint written: %s", final)
        trainer.strategy.barrier("AtomicCheckpoint.save")
        self._last_saved_step = step
        return final

    def _prune(self) -> None:
        steps = sorted(self.dirpath.glob("step*.ckpt"))
        for old in steps[: -self.keep_last]:
            old.unlink()

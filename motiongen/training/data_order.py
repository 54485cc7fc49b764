"""Resumable, rank-sharded training order: which clip every rank reads at every optimiser step.

The order is a pure function of ``(seed, step, rank)``. All ranks share one global stream made of
consecutive random permutations of the dataset (permutation ``e`` seeded with ``seed + e``); the
global batch of step ``s`` is the slice ``[s·G, (s+1)·G)`` of that stream with
``G = batch_size · world_size``, and rank ``r`` reads its ``r``-th ``batch_size`` chunk. Starting
the sampler at ``start_step`` (the restored ``trainer.global_step``) therefore continues exactly
where an interrupted run stopped, with no sampler state to save.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler

from motiongen.core.errors import ConfigError


class StepSampler(Sampler[int]):
    """Infinite sampler of dataset indices for one rank, starting at optimiser step ``start_step``.

    It has no ``__len__``: training length is set by ``trainer.max_steps`` (iteration-based, as in
    the paper's 180k iterations), so an "epoch" boundary never interrupts the stream.
    """

    def __init__(self, num_items: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1, start_step: int = 0):
        if num_items < 1:
            raise ConfigError("the training split has no clips: nothing to sample")
        if batch_size < 1 or world_size < 1 or not 0 <= rank < world_size or start_step < 0:
            raise ConfigError(
                f"invalid sampler setting batch_size={batch_size} rank={rank} world_size={world_size} start_step={start_step}"
            )
        self.num_items = num_items
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.start_step = start_step
        self._epoch = -1
        self._permutation = torch.empty(0, dtype=torch.long)

    def _index_at(self, position: int) -> int:
        epoch, offset = divmod(position, self.num_items)
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            self._permutation = torch.randperm(self.num_items, generator=generator)
            self._epoch = epoch
        return int(self._permutation[offset])

    def indices_for_step(self, step: int) -> list[int]:
        """The ``batch_size`` dataset indices this rank reads at optimiser step ``step``."""
        first = step * self.batch_size * self.world_size + self.rank * self.batch_size
        return [self._index_at(first + i) for i in range(self.batch_size)]

    def __iter__(self) -> Iterator[int]:
        step = self.start_step
        while True:
            yield from self.indices_for_step(step)
            step += 1

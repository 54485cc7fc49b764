"""LightningDataModule over the clip cache (``motiongen.data.clips.ClipDataset``).

Items are dicts of tensors keyed by the cache's motion format (the cache contract, see
:class:`~motiongen.data.clips.ClipDataset`): every motion block and per-frame stream ``(N, width)``,
every category stream an int64 scalar, with ``N = clip_frames`` at the format's fps. Training batches follow :class:`StepSampler` (resumable, sharded by
rank); validation is read in order, split across ranks.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from motiongen.core.errors import ConfigError
from motiongen.training.data_order import StepSampler


class ClipDataModule(pl.LightningDataModule):
    """Train/val clip loaders.

    Args:
        cache_dir: feature cache folder (``motiongen preprocess``); read with ``ClipDataset``.
        batch_size: clips per rank per optimiser step.
        clip_frames / clip_stride / seed_frames / whole_takes: ``ClipDataset`` windowing (frames at 30 fps).
        num_workers: DataLoader worker processes.
        seed: seed of the training order.
        datasets: ready-made ``{"train": Dataset, "val": Dataset}`` yielding the same dicts, used
            instead of ``cache_dir`` (custom corpora, tests).
    """

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        batch_size: int = 32,
        clip_frames: int = 150,
        clip_stride: int = 30,
        seed_frames: int = 30,
        whole_takes: bool = False,
        num_workers: int = 0,
        seed: int = 0,
        datasets: dict[str, Dataset] | None = None,
    ):
        super().__init__()
        if cache_dir is None and datasets is None:
            raise ConfigError("data.cache_dir is not set: run `motiongen preprocess` and pass data.cache_dir=<folder>")
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.batch_size = batch_size
        self.clip_frames = clip_frames
        self.clip_stride = clip_stride
        self.seed_frames = seed_frames
        self.whole_takes = whole_takes
        self.num_workers = num_workers
        self.seed = seed
        self.datasets = dict(datasets) if datasets is not None else None

    def setup(self, stage: str | None = None) -> None:
        if self.datasets is not None:
            return
        from motiongen.data.clips import ClipDataset

        self.datasets = {
            split: ClipDataset(self.cache_dir, split, clip_frames=self.clip_frames, stride=self.clip_stride,
                                seed_frames=self.seed_frames, whole_takes=self.whole_takes)
            for split in ("train", "val")
        }

    def _rank_and_world(self) -> tuple[int, int, int]:
        trainer = self.trainer
        if trainer is None:
            return 0, 1, 0
        return trainer.global_rank, trainer.world_size, trainer.global_step

    def _loader(self, dataset: Dataset, sampler) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            generator=torch.Generator().manual_seed(self.seed),
            drop_last=False,
        )

    def train_dataloader(self) -> DataLoader:
        rank, world, step = self._rank_and_world()
        sampler = StepSampler(len(self.datasets["train"]), self.batch_size, self.seed, rank, world, start_step=step)
        return self._loader(self.datasets["train"], sampler)

    def val_dataloader(self) -> DataLoader:
        rank, world, _ = self._rank_and_world()
        dataset = self.datasets["val"]
        if len(dataset) == 0:
            raise ConfigError("the validation split has no clips (check the cache's splits or clip_frames)")
        sampler = DistributedSampler(dataset, world, rank, shuffle=False) if world > 1 else None
        return self._loader(dataset, sampler)

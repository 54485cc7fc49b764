"""What a built cache holds, and the normalisation that training and generation must share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.cache.store import MANIFEST, STATS, open_block
from motiongen.cache.stats import load_stats
from motiongen.errors import InputFileError

#: Blocks :class:`~motiongen.data.clips.ClipDataset` normalises with :attr:`CacheInfo.stats`;
#: generation must normalise its audio condition the same way and denormalise its motion output.
NORMALISED_BLOCKS: tuple[str, ...] = ("gesture", "expression", "audio")


@dataclass(frozen=True)
class TakeInfo:
    """One cached take: split, speaker id, emotion class, length in frames, recorded warnings."""

    take_id: str
    split: str
    speaker_id: int
    emotion: int
    num_frames: int
    warnings: tuple[str, ...] = ()


@dataclass
class CacheInfo:
    """A loaded cache manifest.

    Attributes:
        cache_dir: the cache folder.
        dims: ``{'gesture', 'expression', 'audio', 'word'}`` -> feature width.
        fps: frame rate of every block.
        speakers: BEAT speaker ids; the position in this list is the model's speaker index.
        num_emotions: number of emotion classes (8 for BEAT).
        joint_names: joints of the gesture block (3 axis-angle values each, in this order).
        blendshape_names: ARKit names of the expression block's columns.
        audio_layout: ``{sub-block: (start, stop)}`` columns of the audio block (mfcc, log_mel, ...).
        stats: ``{block: (mean (D,), std (D,))}`` float32 from the train split.
        takes: every cached take.
        manifest: the raw manifest (recipe, word source, settings, build facts).
    """

    cache_dir: Path
    dims: dict[str, int]
    fps: float
    speakers: list[int]
    num_emotions: int
    joint_names: list[str]
    blendshape_names: list[str]
    audio_layout: dict[str, tuple[int, int]]
    stats: dict[str, tuple[np.ndarray, np.ndarray]]
    takes: list[TakeInfo]
    manifest: dict = field(repr=False)

    normalised_blocks: tuple[str, ...] = NORMALISED_BLOCKS

    @classmethod
    def load(cls, cache_dir: str | Path) -> "CacheInfo":
        """Read ``manifest.json`` and ``stats.npz`` of a cache built by ``motiongen preprocess``.

        Raises:
            InputFileError: no cache there (or an unreadable manifest / statistics file).
        """
        cache_dir = Path(cache_dir)
        path = cache_dir / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(path, "no cache manifest here: run `motiongen preprocess` first") from None
        except (OSError, json.JSONDecodeError) as err:
            raise InputFileError(path, f"unreadable cache manifest: {err}") from None
        try:
            stats = load_stats(cache_dir / STATS)
        except (OSError, ValueError, KeyError) as err:
            raise InputFileError(cache_dir / STATS, f"unreadable normalisation statistics: {err}") from None
        takes = [
            TakeInfo(take_id, t["split"], int(t["speaker_id"]), int(t["emotion"]), int(t["num_frames"]), tuple(t["warnings"]))
            for take_id, t in sorted(manifest["takes"].items())
        ]
        return cls(
            cache_dir=cache_dir,
            dims={block: int(d) for block, d in manifest["dims"].items()},
            fps=float(manifest["fps"]),
            speakers=[int(s) for s in manifest["speakers"]],
            num_emotions=int(manifest["num_emotions"]),
            joint_names=list(manifest["joint_names"]),
            blendshape_names=list(manifest["blendshape_names"]),
            audio_layout={name: (int(a), int(b)) for name, (a, b) in manifest["audio_layout"].items()},
            stats=stats,
            takes=takes,
            manifest=manifest,
        )

    def speaker_index(self, speaker_id: int) -> int:
        """Model speaker index of a BEAT speaker id (raises ValueError if not in :attr:`speakers`)."""
        return self.speakers.index(int(speaker_id))

    def takes_in(self, split: str) -> list[TakeInfo]:
        """Cached takes of ``split`` ('train', 'val', 'test'), in take-id order."""
        return [take for take in self.takes if take.split == split]

    def block(self, take_id: str, name: str) -> np.ndarray:
        """Memory-mapped raw (unnormalised) ``(N, D)`` float32 block of a take."""
        return open_block(self.cache_dir, take_id, name)

    def normalise(self, block: str, array):
        """``(array - mean) / std`` over the last axis (numpy array or torch tensor)."""
        mean, std = self._stats_like(block, array)
        return (array - mean) / std

    def denormalise(self, block: str, array):
        """Inverse of :meth:`normalise`: ``array * std + mean``."""
        mean, std = self._stats_like(block, array)
        return array * std + mean

    def _stats_like(self, block: str, array):
        if block not in self.stats:
            raise KeyError(f"no statistics for block {block!r}; blocks: {sorted(self.stats)}")
        mean, std = self.stats[block]
        if array.shape[-1] != mean.shape[0]:
            raise ValueError(f"{block} arrays have {mean.shape[0]} features, got shape {tuple(array.shape)}")
        if isinstance(array, np.ndarray):
            return mean.astype(array.dtype, copy=False), std.astype(array.dtype, copy=False)
        import torch

        return (torch.as_tensor(mean, dtype=array.dtype, device=array.device),
                torch.as_tensor(std, dtype=array.dtype, device=array.device))

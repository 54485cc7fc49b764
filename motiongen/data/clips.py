"""Fixed-length training clips cut from the cached takes, read through memory maps.

Windows (default): clip ``i`` is ``clip_frames`` consecutive frames of one take, starting at a
multiple of ``stride``; takes shorter than one clip give none (listed in :attr:`ClipDataset.warnings`).
Whole takes (``whole_takes=True``, for corpora of short trimmed clips such as Slovo's signs): one
clip per take from its first frame, padded at the end to ``clip_frames`` (items carry
``frame_mask``, 0 on padding, which the loss respects and which hides the padded frames from the
network's attention, so a clip trains as if it were alone). A take longer than ``clip_frames`` is
not cut: it gives windows of ``clip_frames`` every ``stride`` frames, the last one ending at the
take's last frame, so every frame is trained on; items carry ``first_frame``, the window's start in
its take, which places the network's absolute frame positions in the sign. Such takes are listed
in the warnings and counted in the log. Only the clip index
(two int32 arrays) lives in memory; frames are copied out of the take's ``.npy`` memory maps on
access, and at most :data:`OPEN_TAKES` takes are mapped at a time, so resident memory does not grow
with the size of the corpus (``tools/bench_dataset_memory.py`` measures it).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from motiongen.cache.info import CacheInfo
from motiongen.cache.store import open_block
from motiongen.cache.writer import stored_names
from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import FIRST_FRAME, FRAME_MASK

log = logging.getLogger(__name__)

OPEN_TAKES = 8  # memory-mapped takes kept open per process (each maps its block files)


class ClipDataset(Dataset):
    """Windows of ``clip_frames`` frames over the takes of one split.

    Args:
        cache_dir: a cache built by ``motiongen preprocess``.
        split: 'train', 'val' or 'test'.
        clip_frames: N, frames per clip (150 = 5 s at 30 fps).
        stride: frames between the starts of consecutive clips of a take.
        seed_frames: S, the first S frames of each clip's motion blocks are the seed motion.
        whole_takes: one clip per take from its first frame, padded to ``clip_frames``; longer takes
            give overlapping windows that cover them (every ``stride`` frames, the last one ending
            with the take); takes of at most ``seed_frames`` frames give none.

    Items are dicts of tensors keyed by the names of the cache's motion format
    (:attr:`CacheInfo.format`): every motion block ``(N, width)`` float32 normalised with the
    cache's train statistics; every per-frame condition stream ``(N, width)`` float32 (normalised
    when the format has statistics for it, e.g. audio; word vectors as stored); every category
    stream an int64 scalar class index (e.g. ``speaker``); for every block with mask groups,
    ``<block>_mask`` ``(N, width)`` float32 per-channel weights (1 observed, 0 not; the loss uses them);
    with ``whole_takes``, :data:`FRAME_MASK` ``(N,)`` float32 (1 on the take's frames, 0 on padding,
    where every other array is 0) and :data:`FIRST_FRAME` (int64 scalar, the clip's first frame in
    its take).

    Attributes: ``warnings`` (takes without clips, takes split into windows), ``long_takes`` (ids of
    the whole takes longer than ``clip_frames``).
    """

    def __init__(self, cache_dir: str | Path, split: str, clip_frames: int = 150, stride: int = 30, seed_frames: int = 30,
                 whole_takes: bool = False):
        if clip_frames < 1 or stride < 1:
            raise ConfigError(f"clip_frames and stride must be >= 1, got {clip_frames} and {stride}")
        if not 0 <= seed_frames < clip_frames:
            raise ConfigError(f"seed_frames must be in [0, clip_frames={clip_frames}), got {seed_frames}")
        self.info = CacheInfo.load(cache_dir)
        self.split = split
        self.clip_frames = int(clip_frames)
        self.stride = int(stride)
        self.seed_frames = int(seed_frames)
        self.whole_takes = bool(whole_takes)
        self.takes = self.info.takes_in(split)
        self.warnings: list[str] = []
        self.long_takes: list[str] = []
        take_rows, starts = [], []
        for row, take in enumerate(self.takes):
            take_starts, message = self._clips_of(take.take_id, take.num_frames)
            if message:
                self.warnings.append(message)
                log.warning(message)
            if self.whole_takes and take.num_frames > self.clip_frames:
                self.long_takes.append(take.take_id)
            take_rows.append(np.full(len(take_starts), row, dtype=np.int32))
            starts.append(take_starts)
        if self.long_takes:
            log.warning(f"{split}: {len(self.long_takes)} of {len(self.takes)} takes are longer than clip_frames "
                        f"({self.clip_frames}) and are trained as overlapping windows (listed above)")
        self._take_of_clip = np.concatenate(take_rows) if take_rows else np.zeros(0, np.int32)
        self._start_of_clip = np.concatenate(starts) if starts else np.zeros(0, np.int32)
        motion_format = self.info.format
        self._arrays = stored_names(motion_format)
        self._normalised = set(motion_format.normalised_names())
        self._masked = [block for block in motion_format.blocks if block.mask_name]
        self._categories = {
            stream.name: np.array([self.info.category_index(t, stream.name) for t in self.takes], dtype=np.int64)
            for stream in motion_format.conditions if not stream.per_frame
        }
        self._open: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()

    def _clips_of(self, take_id: str, frames: int) -> tuple[np.ndarray, str | None]:
        """First frames (int32) of the clips of a take of ``frames`` frames, and the warning about
        it (None if none)."""
        none = np.zeros(0, np.int32)
        if self.whole_takes:
            if frames <= self.seed_frames:
                return none, f"take {take_id} ({frames} frames) is not longer than the seed ({self.seed_frames}); no clip"
            if frames > self.clip_frames:
                last = frames - self.clip_frames
                starts = np.unique(np.append(np.arange(0, last, self.stride), last)).astype(np.int32)
                return starts, (f"take {take_id} ({frames} frames) is longer than clip_frames ({self.clip_frames}): "
                                f"{len(starts)} windows starting at frames {starts.tolist()}")
            return np.zeros(1, np.int32), None
        if frames < self.clip_frames:
            return none, f"take {take_id} ({frames} frames) is shorter than one clip ({self.clip_frames}); no clips"
        return np.arange((frames - self.clip_frames) // self.stride + 1, dtype=np.int32) * self.stride, None

    def __len__(self) -> int:
        return len(self._start_of_clip)

    def clip_source(self, index: int) -> tuple[str, int]:
        """``(take_id, first frame)`` of clip ``index``."""
        return self.takes[self._take_of_clip[index]].take_id, int(self._start_of_clip[index])

    def _maps(self, row: int) -> dict[str, np.ndarray]:
        maps = self._open.get(row)
        if maps is None:
            take_id = self.takes[row].take_id
            maps = {name: open_block(self.info.cache_dir, take_id, name) for name in self._arrays}
            self._open[row] = maps
            while len(self._open) > OPEN_TAKES:
                self._open.popitem(last=False)
        else:
            self._open.move_to_end(row)
        return maps

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"clip {index} out of range ({len(self)} clips)")
        row = int(self._take_of_clip[index])
        start = int(self._start_of_clip[index])
        window = slice(start, start + self.clip_frames)
        maps = self._maps(row)
        item = {}
        for name in self._arrays:
            values = np.array(maps[name][window], dtype=np.float32)
            if name in self._normalised:
                values = self.info.normalise(name, values)
            item[name] = torch.from_numpy(self._padded(values))
        for block in self._masked:
            item[block.mask_name] = torch.from_numpy(block.channel_mask(item[block.mask_name].numpy()))
        for name, indices in self._categories.items():
            item[name] = torch.tensor(indices[row], dtype=torch.int64)
        if self.whole_takes:
            real = min(self.takes[row].num_frames - start, self.clip_frames)
            item[FRAME_MASK] = (torch.arange(self.clip_frames) < real).float()
            item[FIRST_FRAME] = torch.tensor(start, dtype=torch.int64)
        return item

    def _padded(self, values: np.ndarray) -> np.ndarray:
        """``values`` (n, w) padded with zeros to ``clip_frames`` rows (whole takes only)."""
        if len(values) == self.clip_frames:
            return values
        return np.concatenate([values, np.zeros((self.clip_frames - len(values), values.shape[1]), np.float32)])

    def __getstate__(self):  # DataLoader workers open their own memory maps
        state = self.__dict__.copy()
        state["_open"] = OrderedDict()
        return state

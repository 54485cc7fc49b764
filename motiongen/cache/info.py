"""What a built cache holds: its declared motion format (with the normalisation that training and
generation must share) and its takes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.cache.store import CACHE_FORMAT, MANIFEST, MOTION_FORMAT, open_block
from motiongen.core.errors import InputFileError
from motiongen.core.motion_format import MotionFormat


@dataclass(frozen=True)
class TakeInfo:
    """One cached take: split, length in frames, category labels per stream, recorded warnings."""

    take_id: str
    split: str
    num_frames: int
    categories: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass
class CacheInfo:
    """A loaded cache.

    Attributes:
        cache_dir: the cache folder.
        format: the declared motion format, with the train-split statistics.
        takes: every cached take.
        manifest: the raw manifest (settings, build facts, corpus-specific facts).
    """

    cache_dir: Path
    format: MotionFormat
    takes: list[TakeInfo]
    manifest: dict = field(repr=False)

    @classmethod
    def load(cls, cache_dir: str | Path) -> "CacheInfo":
        """Read ``manifest.json`` and ``motion_format.json`` of a built cache.

        Raises:
            InputFileError: no cache there, a cache of another layout version (rebuild it), or an
                unreadable manifest / motion format.
        """
        cache_dir = Path(cache_dir)
        path = cache_dir / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(path, "no cache manifest here: run `motiongen preprocess` first") from None
        except (OSError, json.JSONDecodeError) as err:
            raise InputFileError(path, f"unreadable cache manifest: {err}") from None
        if manifest.get("cache_format") != CACHE_FORMAT:
            raise InputFileError(path, f"cache layout version {manifest.get('cache_format')}; this motiongen reads "
                                       f"version {CACHE_FORMAT}: run `motiongen preprocess` again to rebuild it")
        motion_format = MotionFormat.load(cache_dir / MOTION_FORMAT)
        try:
            takes = [
                TakeInfo(take_id, t["split"], int(t["num_frames"]), dict(t.get("categories", {})), tuple(t["warnings"]))
                for take_id, t in sorted(manifest["takes"].items())
            ]
        except (KeyError, TypeError, ValueError) as err:
            raise InputFileError(path, f"malformed take list in the manifest ({type(err).__name__}: {err})") from None
        return cls(cache_dir=cache_dir, format=motion_format, takes=takes, manifest=manifest)

    @property
    def fps(self) -> float:
        return self.format.fps

    def takes_in(self, split: str) -> list[TakeInfo]:
        """Cached takes of ``split`` ('train', 'val', 'test'), in take-id order."""
        return [take for take in self.takes if take.split == split]

    def category_index(self, take: TakeInfo, stream: str) -> int:
        """Class index of ``take`` in category stream ``stream`` (e.g. the model's speaker index)."""
        return self.format.condition(stream).index_of(take.categories[stream])

    def block(self, take_id: str, name: str) -> np.ndarray:
        """Memory-mapped raw (unnormalised) ``(N, D)`` float32 block or per-frame stream of a take."""
        return open_block(self.cache_dir, take_id, name)

    def normalise(self, name: str, array):
        """``(array - mean) / std`` over the last axis (numpy array or torch tensor)."""
        return self.format.normalise(name, array)

    def denormalise(self, name: str, array):
        """Inverse of :meth:`normalise`: ``array * std + mean``."""
        return self.format.denormalise(name, array)


def corpus_record(data) -> dict:
    """What a cache manifest records of its corpus (``manifest["corpus"]``): the name, the resolved
    folder and the whole data config (resolved), from which :func:`corpus_of_cache` rebuilds the corpus."""
    from omegaconf import OmegaConf

    node = OmegaConf.create(OmegaConf.to_container(data, resolve=True) if OmegaConf.is_config(data) else dict(data))
    folder = str(Path(str(node.root)).expanduser().resolve())
    return {**dict(name=str(node.name), root=folder), "data": OmegaConf.to_container(node)}


def corpus_of_cache(cache: "str | Path | CacheInfo"):
    """The :class:`~motiongen.datasets.base.Corpus` a cache was built from (its recorded data config;
    a cache that recorded none gives :class:`~motiongen.datasets.recorded.UnnamedCorpus` with the
    recorded name and folder).

    Raises:
        InputFileError: no readable cache there.
        ConfigError: the recorded corpus class cannot be imported.
    """
    from motiongen.datasets.recorded import recorded_corpus

    info = cache if isinstance(cache, CacheInfo) else CacheInfo.load(cache)
    recorded = dict(info.manifest.get("corpus") or {})
    data = recorded.pop("data", None)
    if data is None and recorded.get("target"):
        recorded["_target_"] = recorded.pop("target")
    return recorded_corpus(data or recorded)

"""Writing a cache for any declared motion format.

A dataset reader declares its :class:`~motiongen.core.motion_format.MotionFormat` (blocks and
conditioning streams, no statistics yet) and hands the per-take arrays to :class:`CacheWriter`;
:func:`finish_cache` then computes the normalisation statistics over the train split, stores them
in the format (``motion_format.json``) and in ``stats.npz``, and writes the manifest. BEAT's
parallel, resumable build (:mod:`motiongen.cache.build`) writes its takes with the same
:func:`~motiongen.cache.store.write_take` and finishes with the same :func:`finish_cache`.

Normalised with the train statistics: every motion block and every audio stream (word vectors and
category streams are used as stored).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from motiongen import __version__
from motiongen.cache.stats import compute_stats, load_stats, save_stats
from motiongen.cache.store import (
    CACHE_FORMAT,
    MANIFEST,
    MOTION_FORMAT,
    STATS,
    claim_cache_folder,
    remove_leftovers,
    settings_hash,
    write_json_atomic,
    write_take,
)
from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, MotionFormat

SPLITS: tuple[str, ...] = ("train", "val", "test")


def normalised_names(motion_format: MotionFormat) -> tuple[str, ...]:
    """Blocks and streams the cache normalises: every motion block and every audio stream."""
    return motion_format.block_names() + tuple(c.name for c in motion_format.conditions_of(ConditionKind.AUDIO))


def stored_names(motion_format: MotionFormat) -> tuple[str, ...]:
    """Arrays each take entry stores: every motion block, every per-frame condition stream and the
    observed flags ``<block>_mask`` of blocks with mask groups."""
    masks = tuple(b.mask_name for b in motion_format.blocks if b.mask_name)
    return motion_format.block_names() + tuple(c.name for c in motion_format.conditions if c.per_frame) + masks


def _previous_manifest(cache_dir: Path) -> dict | None:
    try:
        return json.loads((cache_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def finish_cache(cache_dir: str | Path, motion_format: MotionFormat, manifest: dict, std_floor: float) -> MotionFormat:
    """Compute (or reuse) train-split statistics, then write ``stats.npz``, ``motion_format.json``
    and ``manifest.json``.

    Args:
        motion_format: the declared format, without statistics.
        manifest: at least ``takes`` (``{take_id: {"split", "num_frames", "categories", "warnings",
            "sources"}}``) and ``settings_hash``; ``cache_format``, ``package_version``, ``fps`` and
            the statistics facts are added here.
        std_floor: per-channel std floor (constant channels).

    Returns:
        The format with statistics (what ``motion_format.json`` now holds).

    Raises:
        ConfigError: no take in the train split.
    """
    cache_dir = Path(cache_dir)
    train = sorted(t for t, facts in manifest["takes"].items() if facts["split"] == "train")
    if not train:
        raise ConfigError(
            "no cached take is in the train split, so normalisation statistics cannot be computed; "
            "assign train takes (for BEAT with data.split_csv: take_id,split rows)"
        )
    names = normalised_names(motion_format)
    key = settings_hash({
        "takes": {t: [manifest["takes"][t].get("sources", {}), manifest["settings_hash"]] for t in train},
        "std_floor": std_floor,
        "names": list(names),
    })
    previous = _previous_manifest(cache_dir)
    if previous and previous.get("stats", {}).get("key") == key and (cache_dir / STATS).is_file():
        stats = load_stats(cache_dir / STATS)
    else:
        stats = compute_stats(cache_dir, train, names, std_floor)
        save_stats(cache_dir / STATS, stats)
    declared = motion_format.with_statistics({name: stats[name] for name in names})
    manifest.update({
        "cache_format": CACHE_FORMAT,
        "package_version": __version__,
        "fps": declared.fps,
        "motion_format": MOTION_FORMAT,
        "stats": {"file": STATS, "split": "train", "takes": train, "std_floor": std_floor, "key": key},
        "split_counts": {s: sum(1 for t in manifest["takes"].values() if t["split"] == s) for s in SPLITS},
    })
    declared.save(cache_dir / MOTION_FORMAT)
    write_json_atomic(cache_dir / MANIFEST, manifest)
    return declared


def check_take_arrays(take_id: str, arrays: Mapping[str, np.ndarray], widths: Mapping[str, int] | None = None) -> int:
    """Check one take's arrays before they are stored: each ``(frames, width)``, finite, all of one
    non-zero length, and (when ``widths`` is given) of the declared width. Every corpus's takes pass
    through here (:class:`CacheWriter` and the parallel builder's workers).

    Returns:
        The number of frames.

    Raises:
        ConfigError: naming the take and the array.
    """
    lengths = set()
    for name, array in arrays.items():
        array = np.asarray(array)
        width = widths.get(name) if widths is not None else None
        if array.ndim != 2 or (width is not None and array.shape[1] != width):
            raise ConfigError(f"take {take_id}: {name} has shape {array.shape}, expected (frames, {width or 'width'})")
        if not np.all(np.isfinite(array)):
            raise ConfigError(f"take {take_id}: {name} holds NaN or infinite values")
        lengths.add(array.shape[0])
    if len(lengths) != 1 or 0 in lengths:
        raise ConfigError(f"take {take_id}: arrays differ in length or are empty: "
                          f"{ {name: len(array) for name, array in arrays.items()} }")
    return lengths.pop()


def check_declared_widths(motion_format: MotionFormat, dims: Mapping[str, int], where: str) -> None:
    """The widths the takes were stored with must be the ones ``motion_format`` declares.

    Raises:
        ConfigError: naming ``where`` (the corpus) and the disagreeing arrays.
    """
    declared = {**{b.name: b.width for b in motion_format.blocks},
                **{c.name: c.width for c in motion_format.conditions if c.per_frame},
                **{b.mask_name: len(b.mask_groups) for b in motion_format.blocks if b.mask_name}}
    if declared != dict(dims):
        raise ConfigError(f"{where}: the declared format's arrays {declared} differ from the stored takes' {dict(dims)}")


class CacheWriter:
    """Write a cache take by take for a declared motion format (any dataset reader).

    ``write_take`` validates and atomically stores one take; ``finish`` computes the statistics
    and writes the manifest. Example (three blocks, no audio)::

        writer = CacheWriter(cache_dir, motion_format, settings={"source": "landmarks v1"})
        writer.write_take("clip1", {"body": body, "hands": hands, "face": face}, split="train",
                          categories={"speaker": "u17", "sign": "hello"})
        info = writer.finish()

    Args:
        cache_dir: the cache folder: new, empty or an earlier motiongen cache (created and marked;
            :func:`motiongen.cache.store.claim_cache_folder` raises ConfigError for any other folder).
        motion_format: the declared format (statistics are computed by :meth:`finish`).
        settings: JSON-serialisable settings that decided the arrays (recorded and hashed).
        corpus: free-form facts about the source corpus (name, root), recorded in the manifest.
    """

    def __init__(self, cache_dir: str | Path, motion_format: MotionFormat, settings: Mapping[str, Any] | None = None,
                 corpus: Mapping[str, Any] | None = None):
        self.cache_dir = claim_cache_folder(cache_dir)
        remove_leftovers(self.cache_dir)
        self.format = motion_format
        self.settings = dict(settings or {})
        self.settings_hash = settings_hash({"cache_format": CACHE_FORMAT, "format": motion_format.to_dict(),
                                            **self.settings})
        self.corpus = dict(corpus or {})
        self.takes: dict[str, dict[str, Any]] = {}

    def write_take(self, take_id: str, arrays: Mapping[str, np.ndarray], split: str,
                   categories: Mapping[str, Any] | None = None, warnings: Sequence[str] = (),
                   sources: Mapping[str, Any] | None = None) -> None:
        """Store one take.

        Args:
            arrays: ``{name: (N, width)}`` for every motion block and per-frame condition stream, and
                ``{<block>_mask: (N, groups)}`` (1 observed, 0 not) for blocks with mask groups.
            split: ``train``, ``val`` or ``test``.
            categories: ``{stream: label}`` for every category stream of the format.
            warnings: problems met while reading the take (kept in the manifest).
            sources: fingerprints of the source files (for provenance).

        Raises:
            ConfigError: a missing/unknown/misshaped array, an unknown split or category label.
        """
        if split not in SPLITS:
            raise ConfigError(f"take {take_id}: split {split!r} is not one of {SPLITS}")
        expected = stored_names(self.format)
        if set(arrays) != set(expected):
            raise ConfigError(f"take {take_id}: arrays {sorted(arrays)} do not match the format's {sorted(expected)}")
        widths = {**{b.name: b.width for b in self.format.blocks}, **{c.name: c.width for c in self.format.conditions},
                  **{b.mask_name: len(b.mask_groups) for b in self.format.blocks if b.mask_name}}
        num_frames = check_take_arrays(take_id, {name: arrays[name] for name in expected}, widths)
        labels = {}
        categories = dict(categories or {})
        for stream in self.format.conditions:
            if stream.per_frame:
                continue
            if stream.name not in categories:
                raise ConfigError(f"take {take_id}: no {stream.name} given (category stream of the format)")
            try:
                stream.index_of(categories[stream.name])
            except KeyError as err:
                raise ConfigError(f"take {take_id}: {err.args[0]}") from None
            labels[stream.name] = str(categories[stream.name])
        entry = {
            "take_id": take_id, "num_frames": num_frames, "categories": labels, "warnings": list(warnings),
            "sources": dict(sources or {}), "settings_hash": self.settings_hash, "package_version": __version__,
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        write_take(self.cache_dir, take_id, {name: arrays[name] for name in expected}, entry)
        self.takes[take_id] = {"split": split, "num_frames": num_frames, "categories": labels,
                               "warnings": list(warnings), "sources": dict(sources or {})}

    def finish(self, std_floor: float = 1e-3):
        """Statistics over the train takes, ``motion_format.json``, ``stats.npz``, ``manifest.json``;
        returns the :class:`~motiongen.cache.info.CacheInfo` of the finished cache."""
        from motiongen.cache.info import CacheInfo

        manifest = {"settings": self.settings, "settings_hash": self.settings_hash, "corpus": self.corpus,
                    "takes": dict(sorted(self.takes.items()))}
        finish_cache(self.cache_dir, self.format, manifest, std_floor)
        return CacheInfo.load(self.cache_dir)

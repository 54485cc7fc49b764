"""Turn one take of any corpus into its cache entry — the unit of work of every executor
(in-process, worker processes, Ray tasks).

The corpus reads the take's motion blocks (:meth:`motiongen.datasets.base.Corpus.read_take`); for
a speech corpus this module adds, at the same frame rate (frame ``k`` at ``k / fps`` seconds):

* ``audio``: :func:`motiongen.features.pipeline.extract_audio_features` of the take's speech;
* ``word``: :func:`motiongen.features.pipeline.extract_word_features` of its word intervals.

Every stream starts at time 0 of the take and all are trimmed to the shortest; every trim is
recorded in the entry's warnings. A transcript shorter than the take leaves the remaining frames
silent (also recorded).
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from motiongen import __version__
from motiongen.core.sources import fingerprint
from motiongen.cache.store import write_take
from motiongen.cache.writer import check_take_arrays
from motiongen.core.errors import ConfigError, MotiongenError
from motiongen.core.motion_format import AUDIO_STREAM, WORD_STREAM
from motiongen.features.recipe import AudioRecipe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TakeJob:
    """One take to (re)compute.

    Attributes:
        corpus: the corpus that reads it (pickled to worker processes).
        take: what the corpus found for it.
        cache_dir: the cache folder.
        fps: motion frame rate of the cache.
        recipe: audio feature recipe, or None for a corpus without speech.
        word_table: path of the corpus word-vector table, or None without transcripts.
        settings_hash: hash of every setting that decides the arrays (stored in the entry).
    """

    corpus: Any
    take: Any
    cache_dir: str
    fps: float
    recipe: AudioRecipe | None
    word_table: str | None
    settings_hash: str

    @property
    def take_id(self) -> str:
        return self.take.take_id


@dataclass
class TakeResult:
    """Outcome of :func:`process_take`.

    ``status`` is ``"processed"`` or ``"failed"``; ``fatal`` marks failures that would hit every
    take the same way (a configuration error), which stop the build.
    """

    take_id: str
    status: str
    reason: str = ""
    num_frames: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    fatal: bool = False


@lru_cache(maxsize=2)
def _word_table(path: str):
    from motiongen.features.words import WordTable

    return WordTable.load(path)


def _masks_of(blocks: dict[str, np.ndarray]) -> set[str]:
    from motiongen.core.motion_format import mask_array_name

    return {name for name in blocks if any(mask_array_name(other) == name for other in blocks if other != name)}


def _compute(job: TakeJob, warnings: list[str]) -> tuple[dict[str, np.ndarray], dict]:
    from motiongen.features.pipeline import extract_audio_features, extract_word_features
    from motiongen.features.spectral import num_frames_for
    from motiongen.formats.audio import load_audio

    fps = job.fps
    motion = job.corpus.read_take(job.take, fps)
    warnings.extend(motion.warnings)
    masks = _masks_of(motion.blocks)
    lengths = {name: len(array) for name, array in motion.blocks.items() if name not in masks}
    wave = rate = None
    if job.recipe is not None:
        if motion.speech is None:
            raise MotiongenError("the corpus gave no speech for this take, and the cache computes audio features")
        wave, rate = load_audio(motion.speech, target_sr=job.recipe.sample_rate)
        lengths[AUDIO_STREAM] = num_frames_for(len(wave), rate, fps)
    num_frames = min(lengths.values())
    if num_frames == 0:
        raise MotiongenError(f"no frames in common: {lengths}")
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} {count}" for name, count in lengths.items())
        warnings.append(
            f"streams trimmed to the common length {num_frames} frames ({num_frames / fps:.2f} s) from {detail} frames"
        )
    arrays = {name: np.asarray(array, dtype=np.float32)[:num_frames] for name, array in motion.blocks.items()}
    if job.recipe is not None:
        arrays[AUDIO_STREAM] = extract_audio_features(wave, rate, num_frames, job.recipe)
    if job.word_table is not None:
        words = job.corpus.words(job.take)
        duration = max((interval.end for interval in words), default=0.0)
        if duration + 1.0 / fps < num_frames / fps:
            warnings.append(
                f"transcript covers {duration:.2f} s of {num_frames / fps:.2f} s; later frames are marked silent"
            )
        table = _word_table(job.word_table)
        spoken = sorted({i.label for i in words if i.label and i.start < num_frames / fps})
        missing = [word for word, found in zip(spoken, table.lookup(spoken)[1]) if not found]
        if missing:
            warnings.append(f"{len(missing)} word(s) without a vector (zero features): {', '.join(missing[:20])}")
        arrays[WORD_STREAM] = extract_word_features(words, num_frames, fps, table)
    try:
        check_take_arrays(job.take_id, arrays)
    except ConfigError as err:  # bad data in this take only: the take fails, the build goes on
        raise MotiongenError(str(err)) from None
    categories = {**dict(job.take.categories), **motion.categories}
    return arrays, {"num_frames": num_frames, "lengths": lengths, "categories": categories, "speech": motion.speech}


def process_take(job: TakeJob) -> TakeResult:
    """Compute and atomically store one take's entry. Never raises: a failure is returned as a
    :class:`TakeResult` with the reason (``fatal`` for configuration errors)."""
    started = time.perf_counter()
    warnings: list[str] = []
    try:
        sources = {role: fingerprint(path) for role, path in job.take.files.items()}
        arrays, facts = _compute(job, warnings)
        entry = {
            "take_id": job.take_id,
            "split": job.take.split,
            "categories": facts["categories"],
            "num_frames": facts["num_frames"],
            "lengths": facts["lengths"],
            "fps": job.fps,
            "dims": {name: int(array.shape[1]) for name, array in arrays.items()},
            "sources": sources,
            "speech": facts["speech"],
            "settings_hash": job.settings_hash,
            "warnings": warnings,
            "package_version": __version__,
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        write_take(Path(job.cache_dir), job.take_id, arrays, entry)
    except ConfigError as err:
        return TakeResult(job.take_id, "failed", str(err), warnings=warnings, fatal=True,
                          seconds=time.perf_counter() - started)
    except (MotiongenError, OSError, ValueError, KeyError) as err:
        log.warning("take %s failed: %s", job.take_id, err)
        return TakeResult(job.take_id, "failed", f"{type(err).__name__}: {err}", warnings=warnings,
                          seconds=time.perf_counter() - started)
    except Exception as err:  # a bug or a library failure on odd data must not stop the other takes
        log.error("take %s failed unexpectedly:\n%s", job.take_id, traceback.format_exc())
        return TakeResult(job.take_id, "failed", f"unexpected {type(err).__name__}: {err}", warnings=warnings,
                          seconds=time.perf_counter() - started)
    for message in warnings:
        log.info("take %s: %s", job.take_id, message)
    return TakeResult(job.take_id, "processed", num_frames=facts["num_frames"], warnings=warnings,
                      seconds=time.perf_counter() - started)

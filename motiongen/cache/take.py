"""Turn one BEAT take into its cache entry — the unit of work of every executor (in-process, worker
processes, Ray tasks). The arrays are the blocks of :mod:`motiongen.corpus.beat_format`.

Streams per take, all at the motion frame rate ``fps`` (frame ``k`` at ``k / fps`` seconds):

* ``gesture``: local rotations of the configured joints as axis-angle ``(N, 3K)`` radians, from the
  BVH decimated to ``fps`` (:func:`motiongen.core.framerate.resample_motion`);
* ``expression``: the 52 ARKit weights ``(N, 52)`` from the face JSON, resampled by time stamp;
* ``audio``: :func:`motiongen.features.pipeline.extract_audio_features`;
* ``word``: :func:`motiongen.features.pipeline.extract_word_features` on the TextGrid ``words`` tier.

They all start at time 0 of the take and are trimmed to the shortest of gesture, expression and
audio; every trim is recorded in the entry's warnings. A transcript shorter than the take leaves
the remaining frames silent (also recorded).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np

from motiongen import __version__
from motiongen.cache.sources import fingerprint
from motiongen.cache.store import CACHE_FORMAT, write_take
from motiongen.corpus.beat_format import AUDIO, EXPRESSION, GESTURE, WORDS
from motiongen.corpus.emotions import take_emotion
from motiongen.core.errors import ConfigError, MotiongenError
from motiongen.features.recipe import AudioRecipe

log = logging.getLogger(__name__)

#: Modalities a take needs to enter the cache, with what each provides.
REQUIRED_MODALITIES: dict[str, str] = {
    "bvh": "motion capture (.bvh)",
    "json": "face ARKit blendshapes (.json)",
    "wav": "speech audio (.wav)",
    "TextGrid": "word alignment (.TextGrid)",
}
#: Sources whose change invalidates an entry (the emotion label file is optional).
SOURCE_MODALITIES: tuple[str, ...] = ("bvh", "json", "wav", "TextGrid", "csv")


@dataclass(frozen=True)
class TakeSettings:
    """Everything besides the source files that decides a take's arrays (hashed into the entry).

    Attributes:
        recipe: audio feature recipe.
        joint_names: joints of the gesture block, in order.
        fps: motion frame rate of the cache.
        allow_truncated: read truncated BVH files (with a warning).
        word_table: path of the corpus word-vector table (``.npz``).
        word_source: identity of the vectors the table came from (file path/size/mtime or the
            fallback model's digest).
    """

    recipe: AudioRecipe
    joint_names: tuple[str, ...]
    fps: float
    allow_truncated: bool
    word_table: str
    word_source: str

    def to_dict(self) -> dict:
        return {
            "cache_format": CACHE_FORMAT,
            "recipe": self.recipe.to_dict(),
            "joint_names": list(self.joint_names),
            "fps": self.fps,
            "allow_truncated": self.allow_truncated,
            "word_source": self.word_source,
        }


@dataclass(frozen=True)
class TakeJob:
    """One take to (re)compute: its identity, its source files and where the cache lives."""

    take_id: str
    speaker_id: int
    take_type: int
    take_index: int
    files: dict[str, str]
    cache_dir: str
    settings: TakeSettings
    settings_hash: str


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


def _gesture(job: TakeJob, warnings: list[str]) -> np.ndarray:
    from motiongen.formats.bvh import TruncatedBvhError, read_bvh
    from motiongen.formats.joint_sets import motion_to_axis_angle
    from motiongen.core.framerate import resample_motion

    try:
        motion = read_bvh(job.files["bvh"], allow_truncated=job.settings.allow_truncated)
    except TruncatedBvhError as err:
        raise err.with_remedy("set data.allow_truncated=true to cache the complete rows") from None
    warnings.extend(motion.warnings)
    euler, root = resample_motion(
        motion.skeleton, motion.euler_deg, motion.root_translation, motion.fps, job.settings.fps
    )
    decimated = dataclasses.replace(
        motion, euler_deg=euler, root_translation=root, frame_time=1.0 / job.settings.fps, joint_translations={}
    )
    return motion_to_axis_angle(decimated, list(job.settings.joint_names))


def _expression(job: TakeJob, warnings: list[str]) -> np.ndarray:
    from motiongen.formats.arkit import read_beat_face_json

    curves = read_beat_face_json(job.files["json"], target_fps=job.settings.fps)
    warnings.extend(curves.warnings)
    return curves.weights


def _compute(job: TakeJob, warnings: list[str]) -> tuple[dict[str, np.ndarray], dict]:
    from motiongen.features.pipeline import extract_audio_features, extract_word_features
    from motiongen.features.spectral import num_frames_for
    from motiongen.formats.audio import load_audio
    from motiongen.formats.textgrid import read_textgrid

    settings = job.settings
    fps = settings.fps
    gesture = _gesture(job, warnings)
    expression = _expression(job, warnings)
    wave, rate = load_audio(job.files["wav"], target_sr=settings.recipe.sample_rate)
    audio_frames = num_frames_for(len(wave), rate, fps)
    lengths = {GESTURE: len(gesture), EXPRESSION: len(expression), AUDIO: audio_frames}
    num_frames = min(lengths.values())
    if num_frames == 0:
        raise MotiongenError(f"no frames in common: {lengths}")
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} {count}" for name, count in lengths.items())
        warnings.append(
            f"streams trimmed to the common length {num_frames} frames ({num_frames / fps:.2f} s) from {detail} frames"
        )
    grid = read_textgrid(job.files["TextGrid"])
    warnings.extend(grid.warnings)
    if grid.duration + 1.0 / fps < num_frames / fps:
        warnings.append(
            f"transcript covers {grid.duration:.2f} s of {num_frames / fps:.2f} s; later frames are marked silent"
        )
    table = _word_table(settings.word_table)
    words = grid["words"]
    spoken = sorted({interval.label for interval in words if interval.label and interval.start < num_frames / fps})
    missing = [word for word, found in zip(spoken, table.lookup(spoken)[1]) if not found]
    if missing:
        warnings.append(f"{len(missing)} word(s) without a vector (zero features): {', '.join(missing[:20])}")
    arrays = {
        GESTURE: gesture[:num_frames],
        EXPRESSION: expression[:num_frames],
        AUDIO: extract_audio_features(wave, rate, num_frames, settings.recipe),
        WORDS: extract_word_features(words, num_frames, fps, table),
    }
    emotion = take_emotion(job.files.get("csv"), job.take_type, job.take_index, warnings)
    return arrays, {"num_frames": num_frames, "lengths": lengths, "emotion": emotion}


def process_take(job: TakeJob) -> TakeResult:
    """Compute and atomically store one take's entry. Never raises: a failure is returned as a
    :class:`TakeResult` with the reason (``fatal`` for configuration errors)."""
    started = time.perf_counter()
    warnings: list[str] = []
    try:
        sources = {modality: fingerprint(path) for modality, path in job.files.items() if modality in SOURCE_MODALITIES}
        arrays, facts = _compute(job, warnings)
        entry = {
            "take_id": job.take_id,
            "speaker_id": job.speaker_id,
            "emotion": facts["emotion"],
            "num_frames": facts["num_frames"],
            "lengths": facts["lengths"],
            "fps": job.settings.fps,
            "dims": {block: int(array.shape[1]) for block, array in arrays.items()},
            "sources": sources,
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

"""Build or update the training cache of a BEAT2 corpus (``motiongen preprocess data=beat2``).

Per take, at the corpus frame rate (30 fps): the blocks of :mod:`motiongen.corpus.beat2_format`
(``body`` rotations of the configured SMPL-X joints, ``face`` FLAME expressions, optional ``root``
translation) from ``smplxflame_30/<take>.npz``, ``audio`` features from ``wave16k/<take>.wav`` and
``word`` vectors from ``textgrid/<take>.TextGrid``, trimmed to their common length (recorded).
The speaker comes from the take name, the split from ``train_test_split.csv``, the emotion from
``emo/<take>.csv`` when present, else from BEAT's recording protocol.

Takes missing a required modality, outside ``data.speakers`` or without a split are listed as
skipped with the reason; a failing take is listed as failed and never stops the others. A take
whose sources and settings are unchanged is reused (resumable). Statistics, format and manifest
are written by :func:`motiongen.cache.writer.finish_cache` like for BEAT.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from motiongen import __version__
from motiongen.cache.build import SUMMARY, BuildSummary
from motiongen.cache.manifest import cached_take_facts, corpus_manifest
from motiongen.cache.sources import fingerprint, sources_unchanged
from motiongen.cache.store import (
    claim_cache_folder,
    read_entry,
    remove_leftovers,
    settings_hash,
    write_json_atomic,
    write_take,
)
from motiongen.cache.word_table import prepare_word_table
from motiongen.cache.writer import finish_cache
from motiongen.core.errors import ConfigError, MotiongenError
from motiongen.core.motion_format import MotionFormat
from motiongen.core.rotations import axis_angle_to_matrix, matrix_to_6d
from motiongen.core.smplx_skeleton import resolve_joint_selection, smplx_joint_indices
from motiongen.corpus.emotions import EMOTIONS, take_emotion
from motiongen.corpus.beat2_format import AUDIO, BODY, EMOTION, FACE, ROOT, SPEAKER, WORDS, beat2_motion_format
from motiongen.features.recipe import recipe_from_config

log = logging.getLogger(__name__)

#: Modalities a take needs to enter the cache.
REQUIRED = {"smplx": "SMPL-X motion (smplxflame_30/*.npz)", "wav": "speech (wave16k/*.wav)",
            "TextGrid": "word alignment (textgrid/*.TextGrid)"}
SOURCES = ("smplx", "wav", "TextGrid", "emo")


def _body(poses: np.ndarray, joints: np.ndarray, rotation: str) -> np.ndarray:
    """``(F, 165)`` axis-angle -> ``(F, 3K)`` axis-angle or ``(F, 6K)`` 6-D of the selected joints."""
    selected = poses.reshape(len(poses), -1, 3)[:, joints]
    if rotation == "rot6d":
        return matrix_to_6d(axis_angle_to_matrix(selected)).reshape(len(poses), -1).astype(np.float32)
    return selected.reshape(len(poses), -1).astype(np.float32)


def _take_arrays(take, settings: dict, recipe, table, warnings: list[str]) -> dict[str, np.ndarray]:
    from motiongen.features.pipeline import extract_audio_features, extract_word_features
    from motiongen.features.spectral import num_frames_for
    from motiongen.formats.audio import load_audio
    from motiongen.formats.smplx_motion import read_smplx_motion
    from motiongen.formats.textgrid import read_textgrid

    fps = settings["fps"]
    motion = read_smplx_motion(take.files["smplx"])
    warnings.extend(motion.warnings)
    step = motion.fps / fps
    if abs(step - round(step)) > 1e-6 or round(step) < 1:
        raise MotiongenError(f"{take.files['smplx']}: {motion.fps} fps is not a whole multiple of data.motion_fps {fps}")
    step = int(round(step))
    poses, expressions, trans = motion.poses[::step], motion.expressions[::step], motion.trans[::step]
    wave, rate = load_audio(take.files["wav"], target_sr=recipe.sample_rate)
    lengths = {"smplx": len(poses), AUDIO: num_frames_for(len(wave), rate, fps)}
    frames = min(lengths.values())
    if frames == 0:
        raise MotiongenError(f"no frames in common: {lengths}")
    if len(set(lengths.values())) > 1:
        warnings.append(f"streams trimmed to the common length {frames} frames from "
                        + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    grid = read_textgrid(take.files["TextGrid"])
    warnings.extend(grid.warnings)
    arrays = {
        BODY: _body(poses[:frames], np.asarray(settings["joint_indices"]), settings["rotation"]),
        FACE: expressions[:frames].astype(np.float32),
        AUDIO: extract_audio_features(wave, rate, frames, recipe),
        WORDS: extract_word_features(grid["words"], frames, fps, table),
    }
    if settings["translation"]:
        arrays[ROOT] = trans[:frames].astype(np.float32)
    return arrays


def _select(corpus, speakers, include_additional: bool, summary: BuildSummary) -> list:
    """``[(take, split)]`` of the takes to cache; every other take is listed as skipped with why."""
    selected = []
    for take in corpus:
        missing = [what for modality, what in REQUIRED.items() if modality not in take.files]
        split = take.split(include_additional)
        if speakers is not None and take.speaker_id not in speakers:
            summary.skipped[take.take_id] = f"speaker {take.speaker_id} is not in data.speakers {speakers}"
        elif missing:
            summary.skipped[take.take_id] = "missing " + ", ".join(missing)
        elif split is None:
            reason = ("'additional' take (data.include_additional=false)" if take.split_type == "additional"
                      else "not listed in the split CSV")
            summary.skipped[take.take_id] = f"no train/val/test split: {reason}"
        else:
            selected.append((take, split))
    return selected


def _transcribed(selected, summary: BuildSummary) -> dict:
    """``{take_id: ((take, split), words)}`` for the takes whose TextGrid reads (the others fail here)."""
    from motiongen.formats.textgrid import read_textgrid

    out = {}
    for take, split in selected:
        try:
            words = [i.label for i in read_textgrid(take.files["TextGrid"])["words"] if i.label]
        except MotiongenError as err:
            summary.failed[take.take_id] = f"{type(err).__name__}: {err}"
            continue
        out[take.take_id] = ((take, split), words)
    return out


def _cache_take(take, cache_dir: Path, settings: dict, digest: str, recipe, table, summary: BuildSummary) -> None:
    """Reuse the take's entry when its sources and settings are unchanged, else compute and store
    it; a failure is recorded in ``summary.failed`` (never raised)."""
    files = {m: str(p) for m, p in take.files.items() if m in SOURCES}
    entry = read_entry(cache_dir, take.take_id)
    if entry and entry.get("settings_hash") == digest and sources_unchanged(entry.get("sources", {}), files):
        summary.up_to_date.append(take.take_id)
        return
    warnings: list[str] = []
    begun = time.perf_counter()
    try:
        sources = {modality: fingerprint(path) for modality, path in files.items()}
        emotion = EMOTIONS[take_emotion(take.files.get("emo"), take.take_type, take.start, warnings)]
        arrays = _take_arrays(take, settings, recipe, table, warnings)
    except (MotiongenError, OSError, ValueError, KeyError) as err:
        log.warning("take %s failed: %s", take.take_id, err)
        summary.failed[take.take_id] = f"{type(err).__name__}: {err}"
        return
    frames = len(arrays[BODY])
    write_take(cache_dir, take.take_id, arrays, {
        "take_id": take.take_id, "speaker_id": take.speaker_id, "emotion": emotion, "num_frames": frames,
        "fps": settings["fps"], "dims": {name: int(a.shape[1]) for name, a in arrays.items()},
        "sources": sources, "settings_hash": digest, "warnings": warnings, "package_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    summary.processed[take.take_id] = {"frames": frames, "seconds": round(time.perf_counter() - begun, 3),
                                       "warnings": warnings}


def build_beat2_cache(cfg, progress: bool = True) -> BuildSummary:
    """Build or update the BEAT2 cache described by a composed config (``data=beat2``).

    Raises:
        ConfigError: unusable configuration (unknown joints or rotation, no train take, ...).
        InputFileError: the root is not a BEAT2 folder or the split CSV is unreadable.
    """
    from omegaconf import OmegaConf
    from tqdm import tqdm

    from motiongen.corpus.beat2 import discover_beat2
    from motiongen.features.words import WordTable

    started = time.perf_counter()
    data = cfg.data
    if OmegaConf.is_missing(data, "root") or not data.root:
        raise ConfigError("data.root is not set: give the BEAT2 folder, e.g. motiongen preprocess data=beat2 "
                          "data.root=/data/beat_english_v2.0.0")
    try:
        joint_names = resolve_joint_selection(OmegaConf.to_object(data.smplx_joints)
                                              if OmegaConf.is_config(data.smplx_joints) else str(data.smplx_joints))
    except KeyError as err:
        raise ConfigError(f"data.smplx_joints: {err.args[0]}") from None
    rotation = str(data.rotation)
    if rotation not in ("axis_angle", "rot6d"):
        raise ConfigError(f"data.rotation must be axis_angle or rot6d, got {rotation!r}")
    cache_dir = Path(str(data.cache_dir)).expanduser().resolve()
    claim_cache_folder(cache_dir)
    summary = BuildSummary(cache_dir=str(cache_dir))
    (cache_dir / SUMMARY).unlink(missing_ok=True)
    if remove_leftovers(cache_dir):
        summary.warnings.append("removed partial entries of an interrupted run")
    recipe = recipe_from_config(data.features, data.motion_fps)
    corpus = discover_beat2(str(data.root), data.split_csv)
    summary.warnings.extend(f"{path}: {message}" for path, message in corpus.problems)
    speakers = None if data.speakers is None else [int(s) for s in data.speakers]
    transcribed = _transcribed(_select(corpus, speakers, bool(data.include_additional), summary), summary)
    selected = [pair for pair, _ in transcribed.values()]
    transcripts = {take_id: words for take_id, (_, words) in transcribed.items()}
    train_takes = [take.take_id for take, split in selected if split == "train"]
    words = prepare_word_table(data.words, transcripts, cache_dir, train_takes)
    summary.warnings.extend(words.warnings)
    table = WordTable.load(words.path)
    settings = {
        "reader": "beat2", "recipe": recipe.to_dict(), "fps": float(data.motion_fps), "joints": list(joint_names),
        "joint_indices": smplx_joint_indices(joint_names).tolist(), "rotation": rotation,
        "translation": bool(data.translation), "word_source": words.source,
    }
    digest = settings_hash(settings)
    try:
        for take, _ in tqdm(selected, desc="preprocess", unit="take", disable=not progress):
            _cache_take(take, cache_dir, settings, digest, recipe, table, summary)
        manifest, motion_format = _declare(cfg, cache_dir, selected, settings, digest, recipe, words,
                                           summary, speakers)
        finish_cache(cache_dir, motion_format, manifest, float(data.std_floor))
    finally:
        summary.seconds = round(time.perf_counter() - started, 3)
        write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
    return summary


def _declare(cfg, cache_dir: Path, selected, settings: dict, digest: str, recipe, words, summary,
             speakers) -> tuple[dict, MotionFormat]:
    """The manifest's take list and the declared BEAT2 motion format of the cached takes."""
    takes, dims = cached_take_facts(
        cache_dir, [(take.take_id, split) for take, split in selected], digest, summary.failed,
        lambda entry: {SPEAKER: str(entry["speaker_id"]), EMOTION: entry["emotion"]},
    )
    speaker_ids = speakers or sorted({facts["speaker_id"] for facts in takes.values()})
    wavlm_dim = dims[AUDIO] - sum(recipe.block_dims(0).values()) if recipe.wavlm is not None else None
    motion_format = beat2_motion_format(settings["fps"], settings["joints"], settings["rotation"],
                                        settings["translation"], dims[AUDIO], recipe.layout(wavlm_dim), dims[WORDS],
                                        speaker_ids)
    manifest = corpus_manifest(cfg, settings, digest, words, takes)
    return manifest, motion_format

"""``motiongen train-evaluator``: train the FGD/FD feature extractors and the sync scorer on a cache.

Files land in ``<cache>/evaluators/``: ``gesture_features.pt`` (joint-rotation block),
``face_features.pt`` (ARKit-weights block) and ``sync.pt`` (log-mel vs the face block's mouth
channels). Each is trained on the cache's train split (the sync scorer's accuracy is measured on the
val split) and named by its hash (:mod:`motiongen.evaluation.evaluator_files`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motiongen.cache.info import CacheInfo
from motiongen.evaluation.corpus import (
    FACE,
    GESTURE,
    block_sequences,
    evaluation_takes,
    motion_roles,
    require_role,
    require_skeleton,
)
from motiongen.evaluation.evaluator_files import evaluator_dir, save_evaluator
from motiongen.evaluation.extractor import FACE_WINDOW_S, GESTURE_WINDOW_S
from motiongen.evaluation.windows import window_frames

log = logging.getLogger(__name__)

GESTURE_FILE = "gesture_features.pt"
FACE_FILE = "face_features.pt"
SYNC_FILE = "sync.pt"


@dataclass
class EvaluatorSettings:
    """Training settings (``conf/train_evaluator.yaml``)."""

    feature_steps: int = 2000
    sync_steps: int = 2000
    batch_size: int = 64
    sync_batch_size: int = 32
    lr: float = 1e-3
    feature_dim: int = 32
    seed: int = 0


def _provenance(info: CacheInfo) -> dict:
    return {"cache_dir": str(Path(info.cache_dir).resolve()), "cache_settings": str(info.manifest.get("settings_hash", "")),
            "train_takes": len(info.takes_in("train")), "fps": info.fps}


def train_feature_extractors(cache_dir: str | Path, settings: EvaluatorSettings, progress: bool = True) -> dict:
    """Train and save the gesture and face extractors the cache has blocks for; returns
    ``{role: {"path", "hash", "info"}}``."""
    from motiongen.evaluation.extractor_training import train_autoencoder
    from motiongen.evaluation.positions import upper_body_mean_speed

    info = CacheInfo.load(cache_dir)
    roles = motion_roles(info)
    results = {}
    for role, window_s, filename in ((GESTURE, GESTURE_WINDOW_S, GESTURE_FILE), (FACE, FACE_WINDOW_S, FACE_FILE)):
        block = getattr(roles, role)
        if block is None:
            log.warning("no %s block in %s: no %s extractor", role, cache_dir, role)
            continue
        started = time.perf_counter()
        sequences = block_sequences(info, "train", block)
        window = window_frames(window_s, info.fps)
        model, facts = train_autoencoder(sequences, window, settings.feature_steps, settings.batch_size, settings.lr,
                                         settings.seed, settings.feature_dim, progress=progress)
        facts.update(_provenance(info), role=role, block=block, window_seconds=window_s, window_frames=window)
        if role == GESTURE:
            template = require_skeleton(info)
            try:
                facts["upper_body_mean_speed_cm_s"] = upper_body_mean_speed(template, roles.joint_names, sequences,
                                                                            info.fps)
            except ValueError as err:
                log.warning("BC will not be computable: %s", err)
        facts["train_seconds"] = time.perf_counter() - started
        path = evaluator_dir(cache_dir) / filename
        digest = save_evaluator(path, "motion_features", model.describe(), model, facts)
        results[role] = {"path": str(path), "hash": digest, "info": facts}
        log.info("%s feature extractor %s written to %s", role, digest, path)
    return results


def sync_takes(info: CacheInfo, split: str, face_block: str, mouth: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(log-mel (M, 80), mouth curves (T, Cm))]`` of the takes of ``split``."""
    from motiongen.evaluation.sync import log_mel
    from motiongen.formats.audio import load_audio

    out = []
    for take in evaluation_takes(info, split) if info.takes_in(split) else []:
        wave, rate = load_audio(take.audio, target_sr=16_000)
        out.append((log_mel(wave, rate), np.asarray(info.block(take.take_id, face_block))[:, mouth]))
    return out


def train_sync(cache_dir: str | Path, settings: EvaluatorSettings, progress: bool = True) -> dict:
    """Train and save the sync scorer; returns ``{"sync": {"path", "hash", "info"}}``."""
    from motiongen.evaluation.metrics.face import mouth_channels
    from motiongen.evaluation.sync import train_sync_scorer

    info = CacheInfo.load(cache_dir)
    roles = motion_roles(info)
    face = require_role(roles, FACE)
    mouth = mouth_channels(list(roles.face_channels))
    started = time.perf_counter()
    train, held_out = sync_takes(info, "train", face, mouth), sync_takes(info, "val", face, mouth)
    scorer, facts = train_sync_scorer(train, info.fps, settings.sync_steps, held_out, settings.sync_batch_size,
                                      settings.lr, settings.seed, progress)
    facts.update(_provenance(info), block=face, mouth_channels=[roles.face_channels[i] for i in mouth],
                 train_seconds=time.perf_counter() - started)
    path = evaluator_dir(cache_dir) / SYNC_FILE
    digest = save_evaluator(path, "sync", scorer.describe(), scorer, facts)
    log.info("sync scorer %s written to %s (held-out sync accuracy %.3f)", digest, path, facts["sync_accuracy"])
    return {"sync": {"path": str(path), "hash": digest, "info": facts}}

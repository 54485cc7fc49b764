"""Build or update the training cache of a Slovo corpus (what ``motiongen preprocess data=slovo`` runs).

Two stages:

1. Landmarks (:mod:`motiongen.cache.landmarks`): MediaPipe Holistic on every annotated video, in
   parallel (worker processes or Ray tasks), one atomic ``.npz`` per video; videos whose entry
   holds the same settings and an unchanged source are not recomputed (resume).
2. Motion blocks (:mod:`motiongen.datasets.slovo.motion`, declared by
   :mod:`motiongen.datasets.slovo.format`): derived from the stored landmarks in this process (a few
   milliseconds per video) and written with :class:`~motiongen.cache.writer.CacheWriter`, which
   computes the train statistics and the manifest; with ``data.label_vectors`` (Russian fastText
   vectors, e.g. ``cc.ru.300.bin``) each sign label's word vector is stored beside them
   (:mod:`motiongen.cache.label_vectors`).
3. Face-mesh model (:mod:`motiongen.datasets.slovo.face_mesh_file`): the face block's weights -> the 468-point
   face mesh, fitted on the train videos' real meshes (ridge ``data.face_mesh_ridge``), its error
   measured on the validation videos, stored as ``face_mesh.npz``.

Bad inputs are reported per item and never stop the others: unreadable or zero-frame videos and
videos without a person are failed (with the reason); annotation rows without a file, files without
a row, frame counts that disagree with the annotation or the official ``slovo_mediapipe.json``, and
implausible hand detections treated as missing (``data.hand_limits``; counted per video and hand,
with the frames) are warnings. The summary (``preprocess_summary.json``) lists all of them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from motiongen.cache.build import SUMMARY, BuildSummary
from motiongen.cache.executors import run_in_process, run_in_processes, run_on_ray
from motiongen.cache.label_vectors import LABEL_VECTORS, compute_label_vectors, write_label_vectors
from motiongen.cache.landmarks import (
    VideoJob,
    entry_is_current,
    entry_path,
    landmark_settings,
    process_video,
    read_landmark_entry,
    remove_partial_entries,
)
from motiongen.cache.store import claim_cache_folder, write_json_atomic
from motiongen.cache.writer import CacheWriter
from motiongen.core.errors import ConfigError, InputFileError, MotiongenError
from motiongen.core.holistic_layout import HAND_PARTS
from motiongen.datasets.slovo.face_mesh import FaceMeshFit, MeshError, clip_face_frames
from motiongen.datasets.slovo.face_mesh_file import FACE_MESH, describe_fit, write_face_mesh
from motiongen.datasets.slovo.format import SIGN
from motiongen.datasets.slovo.motion import FACE_WEIGHTS
from motiongen.datasets.slovo.videos import OFFICIAL_LANDMARKS, read_official_hands

log = logging.getLogger(__name__)


def _results(jobs: list[VideoJob], cfg):
    from omegaconf import OmegaConf

    address = OmegaConf.select(cfg, "ray.address")
    workers = int(cfg.data.workers)
    if workers < 1:
        raise ConfigError(f"data.workers must be >= 1, got {workers}")
    if address:
        return run_on_ray(jobs, str(address), workers, task=process_video)
    if workers == 1 or len(jobs) <= 1:
        return run_in_process(jobs, task=process_video)
    return run_in_processes(jobs, workers, uses_torch=False, task=process_video)


def _extract(jobs: list[VideoJob], cfg, summary: BuildSummary, progress: bool) -> None:
    from tqdm import tqdm

    if not jobs:
        return
    results = _results(jobs, cfg)
    with tqdm(total=len(jobs), desc="landmarks", unit="video", disable=not progress) as bar:
        for result in results:
            bar.update(1)
            if result.status == "processed":
                summary.processed[result.take_id] = {"frames": result.num_frames, "seconds": round(result.seconds, 3),
                                                     "warnings": result.warnings}
            else:
                summary.failed[result.take_id] = result.reason


def _official_mismatches(root: Path, frame_counts: dict[str, int]) -> list[str]:
    """Videos whose frame count differs from the official landmark file's (when the corpus has one)."""
    path = root / OFFICIAL_LANDMARKS
    if not path.is_file():
        return []
    try:
        official = read_official_hands(path)
    except MotiongenError as err:
        return [str(err)]
    return [f"{path}: {video_id} has {len(official[video_id])} frames, the video {frames}"
            for video_id, frames in sorted(frame_counts.items())
            if video_id in official and len(official[video_id]) != frames]


def _store_label_vectors(cache_dir: Path, data, labels: tuple[str, ...], summary: BuildSummary) -> None:
    """Write the labels' word vectors when ``data.label_vectors`` names fastText vectors; else remove
    the ones an earlier build of this cache wrote (they would no longer be asked for)."""
    if data.label_vectors is None:
        (cache_dir / LABEL_VECTORS).unlink(missing_ok=True)
        return
    vectors, warnings = compute_label_vectors(str(data.label_vectors), SIGN, labels)
    summary.warnings.extend(warnings)
    write_label_vectors(cache_dir, vectors)


def _fit_face_mesh(cache_dir: Path, clips: dict[str, list], ridge: float, summary: BuildSummary) -> None:
    """Fit the face-mesh model on ``clips["train"]`` and measure it on ``clips["val"]`` (else
    ``clips["test"]``); each clip is ``(landmark entry, face weights (T, W))``."""
    def frames(entry, weights):
        return clip_face_frames(entry.landmarks, entry.present, entry.meta["width"], entry.meta["height"], weights)

    fit = FaceMeshFit(FACE_WEIGHTS)
    for entry, weights in clips["train"]:
        fit.add(*frames(entry, weights))
    if fit.count == 0:
        summary.warnings.append("face-mesh model not fitted: no train frame has a face; generation will write no face mesh")
        (cache_dir / FACE_MESH).unlink(missing_ok=True)
        return
    model = fit.solve(ridge)
    split = "val" if clips["val"] else "test"
    error = MeshError(model)
    for entry, weights in clips[split]:
        mesh, _, face_weights = frames(entry, weights)
        error.add(mesh, face_weights)
    model.facts["heldout"] = {"split": split, **error.facts()}
    write_face_mesh(cache_dir, model)
    summary.notes.append(describe_fit(model))


def build_slovo_cache(cfg, progress: bool = True) -> BuildSummary:
    """Build or update the cache of ``cfg.data`` (a ``data=slovo`` config); see the module docstring.

    Raises:
        ConfigError: a setting that cannot work, or no video could be cached.
    """
    from motiongen.cache.info import corpus_record
    from motiongen.datasets.slovo import SlovoCorpus

    started = time.perf_counter()
    data = cfg.data
    corpus = SlovoCorpus(data)
    corpus.check_settings()
    cache_dir = Path(str(data.cache_dir)).expanduser().resolve()
    if data.label_vectors is not None and not Path(str(data.label_vectors)).expanduser().is_file():
        raise InputFileError(Path(str(data.label_vectors)), "data.label_vectors: fastText vectors not found")
    found = corpus.discover()
    summary = BuildSummary(str(cache_dir))
    summary.warnings.extend(found.warnings)
    settings = landmark_settings(**corpus.landmark_thresholds())
    claim_cache_folder(cache_dir)
    remove_partial_entries(cache_dir)
    jobs = [VideoJob(t.take_id, t.files["video"], str(cache_dir), settings, t.facts["length"] if t.facts["length"] > 0 else None)
            for t in found.takes]
    queued = []
    for job in jobs:
        (summary.up_to_date.append(job.take_id) if entry_is_current(job) else queued.append(job))
    _extract(queued, cfg, summary, progress)

    usable = [t for t in found.takes if t.take_id not in summary.failed]
    if not usable:
        write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
        raise ConfigError("no Slovo video could be cached; see the failed list")
    entries = {t.take_id: read_landmark_entry(entry_path(cache_dir, t.take_id)) for t in usable}
    fps = float(np.median([entry.meta["fps"] for entry in entries.values()]))
    summary.warnings.extend(_official_mismatches(corpus.root, {k: e.meta["num_frames"] for k, e in entries.items()}))
    writer = CacheWriter(
        cache_dir, corpus.motion_format(fps, {t.take_id: {"categories": t.categories} for t in usable})[0],
        settings={"landmarks": settings, **corpus.settings()}, corpus=corpus_record(data),
    )
    face_clips: dict[str, list] = {"train": [], "val": [], "test": []}
    for take in usable:
        entry = entries[take.take_id]
        if abs(entry.meta["fps"] - fps) > 1e-3:
            summary.failed[take.take_id] = f"{entry.meta['fps']} fps; the corpus runs at {fps} fps"
            continue
        try:
            motion, face_weights = corpus.take_from_landmarks(take, entry.landmarks, entry.present,
                                                              entry.meta["width"], entry.meta["height"])
        except ValueError as err:
            summary.failed[take.take_id] = str(err)
            continue
        summary.warnings.extend(f"{take.take_id}: {note}" for note in motion.warnings if note.startswith(HAND_PARTS))
        face_clips[take.split].append((entry, face_weights))
        writer.write_take(take.take_id, motion.blocks, split=take.split, categories=motion.categories,
                          warnings=list(entry.meta["warnings"]) + motion.warnings,
                          sources={"video": entry.meta["source"]})
    labels = writer.format.condition(SIGN).labels
    _store_label_vectors(cache_dir, data, labels, summary)
    _fit_face_mesh(cache_dir, face_clips, float(data.face_mesh_ridge), summary)
    writer.finish(std_floor=float(data.std_floor))
    summary.seconds = time.perf_counter() - started
    write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
    return summary

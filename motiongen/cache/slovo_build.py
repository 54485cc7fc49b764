"""Build or update the training cache of a Slovo corpus (what ``motiongen preprocess data=slovo`` runs).

Two stages:

1. Landmarks (:mod:`motiongen.cache.landmarks`): MediaPipe Holistic on every annotated video, in
   parallel (worker processes or Ray tasks), one atomic ``.npz`` per video; videos whose entry
   holds the same settings and an unchanged source are not recomputed (resume).
2. Motion blocks (:mod:`motiongen.corpus.slovo_motion`, declared by
   :mod:`motiongen.corpus.slovo_format`): derived from the stored landmarks in this process (a few
   milliseconds per video) and written with :class:`~motiongen.cache.writer.CacheWriter`, which
   computes the train statistics and the manifest; with ``data.label_vectors`` (Russian fastText
   vectors, e.g. ``cc.ru.300.bin``) each sign label's word vector is stored beside them
   (:mod:`motiongen.cache.label_vectors`).
3. Face-mesh model (:mod:`motiongen.cache.face_mesh`): the face block's weights -> the 468-point
   face mesh, fitted on the train videos' real meshes (ridge ``data.face_mesh_ridge``), its error
   measured on the validation videos, stored as ``face_mesh.npz``.

Bad inputs are reported per item and never stop the others: unreadable or zero-frame videos and
videos without a person are failed (with the reason); annotation rows without a file, files without
a row, frame counts that disagree with the annotation or the official ``slovo_mediapipe.json``, and
implausible hand detections treated as missing (``data.hand_limits``; counted per video and hand,
with the frames) are warnings. The summary (``preprocess_summary.json``) lists all of them.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from motiongen.cache.build import SUMMARY, BuildSummary
from motiongen.cache.executors import run_in_process, run_in_processes, run_on_ray
from motiongen.cache.face_mesh import FACE_MESH, describe_fit, write_face_mesh
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
from motiongen.core.holistic_layout import HAND_PARTS, PARTS
from motiongen.corpus.slovo import SlovoVideo, discover_slovo, read_official_hands
from motiongen.corpus.slovo_format import BODY, FACE, HANDS, SIGN, SPEAKER, block_masks, slovo_motion_format
from motiongen.corpus.slovo_face_mesh import FaceMeshFit, MeshError, clip_face_frames
from motiongen.corpus.slovo_motion import FACE_WEIGHTS, HandLimits, slovo_blocks

log = logging.getLogger(__name__)

SEGMENTS = ("video", "sign")


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


def _official_mismatches(corpus, frame_counts: dict[str, int]) -> list[str]:
    if corpus.official_landmarks is None:
        return []
    try:
        official = read_official_hands(corpus.official_landmarks)
    except MotiongenError as err:
        return [str(err)]
    return [f"{corpus.official_landmarks}: {video_id} has {len(official[video_id])} frames, the video {frames}"
            for video_id, frames in sorted(frame_counts.items())
            if video_id in official and len(official[video_id]) != frames]


def _segment(video: SlovoVideo, frames: int, segment: str, context: int) -> tuple[slice, list[str]]:
    if segment == "video":
        return slice(0, frames), []
    if not 0 <= video.begin <= video.end < frames:
        return slice(0, frames), [f"begin..end {video.begin}..{video.end} outside the {frames} frames; whole video used"]
    return slice(max(0, video.begin - context), min(frames, video.end + 1 + context)), []


def hand_limits(data) -> HandLimits:
    """``data.hand_limits`` as :class:`HandLimits`.

    Raises:
        ConfigError: a bound that cannot work.
    """
    limits = data.hand_limits
    try:
        return HandLimits(float(limits.max_fingertip_palms), float(limits.max_wrist_offset),
                          tuple(float(v) for v in limits.palm_shoulders))
    except (ValueError, TypeError) as err:
        raise ConfigError(f"data.hand_limits: {err}") from err


def _frame_ranges(frames: np.ndarray) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts, ends = frames[np.r_[0, breaks + 1]], frames[np.r_[breaks, len(frames) - 1]]
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts.tolist(), ends.tolist()))


def rejected_hand_notes(rejected: np.ndarray, present: np.ndarray, limits: HandLimits) -> list[str]:
    """One line per hand with rejected detections: how many of the detected frames, and which.

    Args:
        rejected: ``(T, 2)`` bool (left, right hand). present: ``(T, 4)`` bool per part.
    """
    notes = []
    for column, hand in enumerate(HAND_PARTS):
        frames = np.flatnonzero(rejected[:, column])
        if frames.size:
            detected = int(present[:, PARTS.index(hand)].sum())
            notes.append(f"{hand}: {frames.size} of {detected} detected frames implausible (outside data.hand_limits "
                         f"{limits.to_dict()}), treated as missing: frames {_frame_ranges(frames)}")
    return notes


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
    from omegaconf import OmegaConf

    started = time.perf_counter()
    data = cfg.data
    if OmegaConf.is_missing(data, "root") or not data.root:
        raise ConfigError("data.root is not set: give the Slovo folder, e.g. motiongen preprocess data=slovo "
                          "data.root=/data/slovo")
    if str(data.segment) not in SEGMENTS:
        raise ConfigError(f"data.segment must be one of {SEGMENTS}, got {data.segment!r}")
    cache_dir = Path(str(data.cache_dir)).expanduser().resolve()
    if data.label_vectors is not None and not Path(str(data.label_vectors)).expanduser().is_file():
        raise InputFileError(Path(str(data.label_vectors)), "data.label_vectors: fastText vectors not found")
    corpus = discover_slovo(str(data.root), annotations=data.annotations, keep_no_event=bool(data.keep_no_event),
                            val_fraction=float(data.val_fraction), seed=int(data.split_seed),
                            val_signers=None if data.val_signers is None else [str(s) for s in data.val_signers])
    summary = BuildSummary(str(cache_dir))
    summary.warnings.extend(f"{where}: {message}" for where, message in corpus.problems)
    settings = landmark_settings(float(data.min_detection_confidence), float(data.min_tracking_confidence))
    claim_cache_folder(cache_dir)
    remove_partial_entries(cache_dir)
    jobs = [VideoJob(v.attachment_id, str(v.path), str(cache_dir), settings, v.length if v.length > 0 else None)
            for v in corpus.videos]
    queued = []
    for job in jobs:
        (summary.up_to_date.append(job.take_id) if entry_is_current(job) else queued.append(job))
    _extract(queued, cfg, summary, progress)

    usable = [v for v in corpus.videos if v.attachment_id not in summary.failed]
    if not usable:
        write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
        raise ConfigError("no Slovo video could be cached; see the failed list")
    entries = {v.attachment_id: read_landmark_entry(entry_path(cache_dir, v.attachment_id)) for v in usable}
    fps = float(np.median([entry.meta["fps"] for entry in entries.values()]))
    summary.warnings.extend(_official_mismatches(corpus, {k: e.meta["num_frames"] for k, e in entries.items()}))
    labels = tuple(sorted({v.label for v in usable}))
    signers = tuple(sorted({v.signer for v in usable}))
    limits = hand_limits(data)
    writer = CacheWriter(
        cache_dir, slovo_motion_format(fps, labels, signers),
        settings={"landmarks": settings, "segment": str(data.segment), "context_frames": int(data.context_frames),
                  "hand_limits": limits.to_dict()},
        corpus={"name": str(data.name), "root": str(Path(str(data.root)).resolve())},
    )
    face_clips: dict[str, list] = {"train": [], "val": [], "test": []}
    for video in usable:
        entry = entries[video.attachment_id]
        if abs(entry.meta["fps"] - fps) > 1e-3:
            summary.failed[video.attachment_id] = f"{entry.meta['fps']} fps; the corpus runs at {fps} fps"
            continue
        try:
            blocks, scale = slovo_blocks(entry.landmarks, entry.present, entry.meta["width"], entry.meta["height"], limits)
        except ValueError as err:
            summary.failed[video.attachment_id] = str(err)
            continue
        rejected = rejected_hand_notes(scale.rejected_hands, entry.present, limits)
        summary.warnings.extend(f"{video.attachment_id}: {note}" for note in rejected)
        face_clips[video.split].append((entry, blocks[FACE]))
        window, notes = _segment(video, len(entry.landmarks), str(data.segment), int(data.context_frames))
        writer.write_take(
            video.attachment_id,
            {**{name: blocks[name][window] for name in (BODY, HANDS, FACE)},
             **{name: flags[window] for name, flags in block_masks(blocks["mask"]).items()}},
            split=video.split,
            categories={SPEAKER: video.signer, SIGN: video.label},
            warnings=list(entry.meta["warnings"]) + list(video.problems) + notes + rejected,
            sources={"video": entry.meta["source"]},
        )
    _store_label_vectors(cache_dir, data, labels, summary)
    _fit_face_mesh(cache_dir, face_clips, float(data.face_mesh_ridge), summary)
    writer.finish(std_floor=float(data.std_floor))
    summary.seconds = time.perf_counter() - started
    write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
    return summary

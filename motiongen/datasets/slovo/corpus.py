"""The Slovo corpus behind the :class:`~motiongen.datasets.base.Corpus` interface (``data=slovo``),
cached by the generic builder (:func:`motiongen.cache.build.build_cache`).

Takes are the annotated videos of :mod:`motiongen.datasets.slovo.videos`; each take's motion blocks
(:mod:`motiongen.datasets.slovo.motion`, declared by :mod:`motiongen.datasets.slovo.format`) come
from its MediaPipe Holistic landmarks, kept in the landmark store
(:mod:`motiongen.datasets.slovo.landmarks`, ``<cache_dir>/landmarks/``) so a change of the block
settings never re-runs MediaPipe; the sign label and the signer are category streams. After the
takes, :meth:`SlovoCorpus.finish` fits the face-mesh model (:mod:`motiongen.datasets.slovo.face_mesh_file`),
which checkpoints carry as the extra ``face_mesh``; evaluation uses the sign-production suite and
the isolated-sign classifier; :func:`sign_frames` is the one length rule of a generated sign.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.core.errors import ConfigError, MotiongenError
from motiongen.core.motion_format import MotionFormat
from motiongen.datasets.base import Corpus, Discovery, TakeMotion, TakeSource
from motiongen.datasets.slovo.format import BODY, FACE, HANDS, SIGN, SPEAKER, block_masks, slovo_motion_format
from motiongen.datasets.slovo.landmarks import (
    VideoJob,
    current_landmarks,
    entry_path,
    landmark_settings,
    read_landmark_entry,
    remove_partial_entries,
)
from motiongen.datasets.slovo.motion import HandLimits, slovo_blocks
from motiongen.datasets.slovo.videos import OFFICIAL_LANDMARKS, read_official_hands

SEGMENTS = ("video", "sign")


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


def segment_window(facts: Mapping[str, Any], frames: int, segment: str, context: int) -> tuple[slice, list[str]]:
    """The frames of a video that form its take: all of them (``segment: video``), or the annotated
    sign ``begin..end`` plus ``context`` frames each side (``segment: sign``); and a note when the
    annotation does not fit the video (then the whole video is used)."""
    if segment == "video":
        return slice(0, frames), []
    begin, end = int(facts["begin"]), int(facts["end"])
    if not 0 <= begin <= end < frames:
        return slice(0, frames), [f"begin..end {begin}..{end} outside the {frames} frames; whole video used"]
    return slice(max(0, begin - context), min(frames, end + 1 + context)), []


class SlovoCorpus(Corpus):
    """Slovo, the Russian Sign Language corpus (settings: ``conf/data/slovo.yaml``)."""

    evaluation_suite = "sign"
    evaluator = "sign_classifier"

    def check_settings(self) -> None:
        """Raises ConfigError for settings that would fail every take (no root, unknown segment)."""
        from omegaconf import OmegaConf

        if OmegaConf.is_missing(self.data, "root") or not self.data.root:
            raise ConfigError(f"data.root is not set: give the {self.name} folder, e.g. motiongen preprocess "
                              f"data={self.name} data.root=/data/{self.name}")
        if str(self.data.segment) not in SEGMENTS:
            raise ConfigError(f"data.segment must be one of {SEGMENTS}, got {self.data.segment!r}")

    def folder(self):
        """The annotated videos with their splits (:func:`~motiongen.datasets.slovo.videos.discover_slovo`)."""
        from motiongen.datasets.slovo.videos import discover_slovo

        data = self.data
        return discover_slovo(str(self.root), annotations=data.annotations, keep_no_event=bool(data.keep_no_event),
                              val_fraction=float(data.val_fraction), seed=int(data.split_seed),
                              val_signers=None if data.val_signers is None else [str(s) for s in data.val_signers])

    def discover(self) -> Discovery:
        self.check_settings()
        folder = self.folder()
        takes = [TakeSource(v.attachment_id, v.split, {"video": str(v.path)}, {SPEAKER: v.signer, SIGN: v.label},
                            {"length": v.length, "begin": v.begin, "end": v.end, "problems": list(v.problems)})
                 for v in folder.videos]
        return Discovery(takes, warnings=[f"{where}: {message}" for where, message in folder.problems])

    def landmark_thresholds(self) -> dict[str, float]:
        """MediaPipe Holistic's detection and tracking thresholds (``data.min_*_confidence``)."""
        return {"min_detection_confidence": float(self.data.min_detection_confidence),
                "min_tracking_confidence": float(self.data.min_tracking_confidence)}

    @property
    def cache_dir(self) -> Path:
        """The cache folder (``data.cache_dir``); the landmark store is its ``landmarks/``."""
        return Path(str(self.data.cache_dir)).expanduser().resolve()

    def video_job(self, take: TakeSource) -> VideoJob:
        """The landmark-store job of a take's video."""
        length = int(take.facts.get("length", 0))
        return VideoJob(take.take_id, take.files["video"], str(self.cache_dir),
                        landmark_settings(**self.landmark_thresholds()), length if length > 0 else None)

    def settings(self) -> dict[str, Any]:
        return {"landmarks": landmark_settings(**self.landmark_thresholds()), "segment": str(self.data.segment),
                "context_frames": int(self.data.context_frames), "hand_limits": hand_limits(self.data).to_dict()}

    def take_from_landmarks(self, take: TakeSource, landmarks: np.ndarray, present: np.ndarray, width: int,
                            height: int) -> tuple[TakeMotion, np.ndarray]:
        """A take's blocks from its video's Holistic landmarks (all frames, the video's rate).

        Args:
            landmarks: ``(T, 543, 3)`` normalised image coordinates, NaN where missing.
            present: ``(T, 4)`` bool per Holistic part.

        Returns:
            ``(take motion, face weights (T, W) of every frame)`` (the weights fit the face-mesh model).

        Raises:
            ValueError: the landmarks cannot give blocks (e.g. no pose).
        """
        from motiongen.datasets.slovo.motion import rejected_hand_notes

        limits = hand_limits(self.data)
        blocks, scale = slovo_blocks(landmarks, present, width, height, limits)
        rejected = rejected_hand_notes(scale.rejected_hands, present, limits)
        window, notes = segment_window(take.facts, len(landmarks), str(self.data.segment),
                                       int(self.data.context_frames))
        arrays = {**{name: blocks[name][window] for name in (BODY, HANDS, FACE)},
                  **{name: flags[window] for name, flags in block_masks(blocks["mask"]).items()}}
        warnings = list(take.facts.get("problems", ())) + notes + rejected
        return TakeMotion(arrays, categories=dict(take.categories), warnings=warnings), blocks[FACE]

    def read_take(self, take: TakeSource, fps: float) -> TakeMotion:
        """The take's blocks from its video's landmarks: the stored entry when current, else
        MediaPipe Holistic on the video (:func:`~motiongen.datasets.slovo.landmarks.current_landmarks`).

        Raises:
            MotiongenError: an unreadable video, no person found, or a frame rate other than ``fps``.
        """
        video = take.files["video"]
        entry = current_landmarks(self.video_job(take))
        if abs(entry.meta["fps"] - fps) > 1e-3:
            raise MotiongenError(f"{video}: {entry.meta['fps']} fps; data.motion_fps is {fps}")
        try:
            motion, _ = self.take_from_landmarks(take, entry.landmarks, entry.present, entry.meta["width"],
                                                 entry.meta["height"])
        except ValueError as err:
            raise MotiongenError(f"{video}: {err}") from None
        motion.warnings[:0] = list(entry.meta["warnings"])
        return motion

    def motion_format(self, fps: float, takes: Mapping[str, Mapping[str, Any]]) -> tuple[MotionFormat, list[str]]:
        labels = sorted({take["categories"][SIGN] for take in takes.values()})
        signers = sorted({take["categories"][SPEAKER] for take in takes.values()})
        return slovo_motion_format(fps, labels, signers), []

    def finish(self, cache_dir: Path, takes: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """Fit the face-mesh model on the cached takes' videos (train; measured on val, else test)
        and compare the frame counts with the official landmark file; returns the notes."""
        from motiongen.datasets.slovo.face_mesh_file import fit_face_mesh
        from motiongen.datasets.slovo.motion import FACE_WEIGHTS

        remove_partial_entries(self.cache_dir)
        entries = {take_id: read_landmark_entry(entry_path(self.cache_dir, take_id)) for take_id in takes}
        clips: dict[str, list] = {}
        limits = hand_limits(self.data)
        for take_id, entry in entries.items():
            blocks, _ = slovo_blocks(entry.landmarks, entry.present, entry.meta["width"], entry.meta["height"], limits)
            clips.setdefault(takes[take_id]["split"], []).append((entry, blocks[FACE]))
        notes = official_mismatches(self.root, {take_id: e.meta["num_frames"] for take_id, e in entries.items()})
        return notes + fit_face_mesh(cache_dir, clips, FACE_WEIGHTS, float(self.data.face_mesh_ridge))

    @classmethod
    def recognises(cls, folder: Path) -> bool:
        from motiongen.datasets.slovo.inspect import looks_like_slovo

        return looks_like_slovo(folder)

    def inspect(self, progress=None):
        from motiongen.datasets.slovo.inspect import inspect_slovo

        return inspect_slovo(self, progress)

    def checkpoint_extras(self, cache_dir: Path) -> dict[str, dict[str, np.ndarray]]:
        """``{"face_mesh": arrays}`` when the cache has a face-mesh model."""
        from motiongen.datasets.slovo.face_mesh_file import EXTRA, read_face_mesh

        model = read_face_mesh(cache_dir)
        return {} if model is None else {EXTRA: model.to_arrays()}

    def generation_frames(self, categories: Mapping[str, str], requested: int | None,
                          typical: Mapping[str, Mapping[str, int]], window_frames: int, seed_frames: int
                          ) -> tuple[int | None, str | None]:
        """The length of a generated sign (module rule, :func:`sign_frames`)."""
        return sign_frames(categories.get(SIGN), requested, typical.get(SIGN, {}), window_frames, seed_frames)


def official_mismatches(root: Path, frame_counts: Mapping[str, int]) -> list[str]:
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


def sign_frames(label: str | None, requested: int | None, typical: Mapping[str, int], window_frames: int,
                seed_frames: int) -> tuple[int, str | None]:
    """The one rule for a generated sign's length (``motiongen generate --sign`` and the evaluation).

    The wanted length is ``requested`` (frames) when given, else the median length of the label's
    training takes when the checkpoint records it, else one training window. A model with seed frames
    continues window after window, so it generates the wanted length; a model without seed frames
    generates one window, so the length is capped at ``window_frames`` and the note says so.

    Returns:
        ``(frames, note)``; ``note`` is None unless the length was capped.
    """
    wanted = int(requested) if requested is not None else int(typical.get(label, window_frames))
    if seed_frames > 0 or wanted <= window_frames:
        return wanted, None
    source = "asked" if requested is not None else "the median of its training takes"
    return window_frames, (f"sign {label!r}: {wanted} frames ({source}), longer than the model's {window_frames}-frame "
                           f"window (a model without seed frames generates one window); generated its first "
                           f"{window_frames} frames")

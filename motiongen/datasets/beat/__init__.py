"""BEAT v0.2.1 (English): BVH motion capture, ARKit face JSON, speech, TextGrid words, emotion labels.

:class:`BeatCorpus` is what ``conf/data/beat.yaml`` names with ``_target_``. Per take, at the cache's
frame rate: ``gesture`` (local rotations of the ``data.joints`` set as axis-angle radians, from the BVH
decimated to the frame rate) and ``expression`` (the 52 ARKit weights of the face JSON, resampled by
time stamp); speech from the ``.wav``, words from the TextGrid ``words`` tier, the speaker from the
file name and the emotion from the ``.csv`` labels (else BEAT's recording protocol).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import MotionFormat
from motiongen.datasets.base import Corpus, Discovery, TakeMotion, TakeSource
from motiongen.datasets.beat.emotions import EMOTIONS, take_emotion
from motiongen.datasets.beat.format import EMOTION, EXPRESSION, GESTURE, SPEAKER, beat_corpus_format, beat_skeleton_template

#: Modalities a take needs to enter the cache, with what each provides.
REQUIRED_MODALITIES: dict[str, str] = {
    "bvh": "motion capture (.bvh)",
    "json": "face ARKit blendshapes (.json)",
    "wav": "speech audio (.wav)",
    "TextGrid": "word alignment (.TextGrid)",
}
#: Sources whose change invalidates a cached take (the emotion label file is optional).
SOURCE_MODALITIES: tuple[str, ...] = ("bvh", "json", "wav", "TextGrid", "csv")


def _root_set(data) -> None:
    from omegaconf import OmegaConf

    if OmegaConf.is_missing(data, "root") or not data.root:
        raise ConfigError("data.root is not set: give the corpus folder, e.g. motiongen preprocess data.root=/data/beat_english_v0.2.1")


class BeatCorpus(Corpus):
    """The BEAT corpus behind the :class:`~motiongen.datasets.base.Corpus` interface."""

    def discover(self) -> Discovery:
        from motiongen.datasets.beat.takes import assign_splits, discover_beat

        _root_set(self.data)
        folder = discover_beat(str(self.data.root))
        splits = assign_splits(folder, self.data.split_csv)
        found = Discovery(takes=[], warnings=[f"{path}: {message}" for path, message in folder.problems])
        found.warnings.extend(splits.warnings)
        speakers = self.speakers()
        for take in folder:
            missing = [what for modality, what in REQUIRED_MODALITIES.items() if modality not in take.files]
            if speakers is not None and take.speaker_id not in speakers:
                found.skipped[take.take_id] = f"speaker {take.speaker_id} is not in data.speakers {speakers}"
            elif missing:
                found.skipped[take.take_id] = "missing " + ", ".join(missing)
            elif take.take_id not in splits:
                reason = splits.unassigned.get(take.take_id, "no split")
                found.skipped[take.take_id] = f"no train/val/test split ({reason}); assign one in data.split_csv"
            else:
                found.takes.append(TakeSource(
                    take.take_id, splits[take.take_id],
                    {m: str(p) for m, p in take.files.items() if m in SOURCE_MODALITIES},
                    {SPEAKER: str(take.speaker_id)}, {"take_type": take.take_type, "start": take.start},
                ))
        return found

    def joint_names(self) -> list[str]:
        """The gesture block's joints: ``data.joints``, a packaged set's name or a list of names."""
        from motiongen.skeletons import resolve_joint_names

        return resolve_joint_names(self.data.joints)

    def speakers(self) -> list[int] | None:
        """``data.speakers`` as ints (None = every speaker found)."""
        return None if self.data.speakers is None else [int(s) for s in self.data.speakers]

    def settings(self) -> dict[str, Any]:
        return {"joint_names": self.joint_names(),
                "allow_truncated": bool(self.data.allow_truncated)}

    def words(self, take: TakeSource):
        from motiongen.formats.textgrid import read_textgrid

        return read_textgrid(take.files["TextGrid"])["words"]

    def read_take(self, take: TakeSource, fps: float) -> TakeMotion:
        warnings: list[str] = []
        gesture = self._gesture(take.files["bvh"], fps, warnings)
        expression = self._expression(take.files["json"], fps, warnings)
        emotion = take_emotion(take.files.get("csv"), int(take.facts["take_type"]), int(take.facts["start"]), warnings)
        return TakeMotion({GESTURE: gesture, EXPRESSION: expression}, speech=take.files["wav"],
                          categories={EMOTION: EMOTIONS[emotion]}, warnings=warnings)

    def _gesture(self, path: str, fps: float, warnings: list[str]) -> np.ndarray:
        from motiongen.core.framerate import resample_motion
        from motiongen.formats.bvh import TruncatedBvhError, read_bvh
        from motiongen.formats.joint_sets import motion_to_axis_angle

        try:
            motion = read_bvh(path, allow_truncated=bool(self.data.allow_truncated))
        except TruncatedBvhError as err:
            raise err.with_remedy("set data.allow_truncated=true to cache the complete rows") from None
        warnings.extend(motion.warnings)
        euler, root = resample_motion(motion.skeleton, motion.euler_deg, motion.root_translation, motion.fps, fps)
        decimated = dataclasses.replace(motion, euler_deg=euler, root_translation=root, frame_time=1.0 / fps,
                                        joint_translations={})
        return motion_to_axis_angle(decimated, self.joint_names())

    @staticmethod
    def _expression(path: str, fps: float, warnings: list[str]) -> np.ndarray:
        from motiongen.formats.arkit import read_beat_face_json

        curves = read_beat_face_json(path, target_fps=fps)
        warnings.extend(curves.warnings)
        return curves.weights

    @classmethod
    def recognises(cls, folder: Path) -> bool:
        from motiongen.datasets.beat.inspect import looks_like_beat

        return looks_like_beat(folder)

    def inspect(self, progress=None):
        from motiongen.datasets.beat.inspect import inspect_beat

        return inspect_beat(self.root, self.data.get("split_csv"), progress)

    def semantic_segments(self, take_id: str, sources: Mapping[str, Mapping[str, Any]]) -> list | None:
        """BEAT's semantic-relevance labels (``<take>.txt`` beside the take's wav), or None."""
        from motiongen.datasets.beat.semantic import read_semantic_labels

        path = Path(sources["wav"]["path"]).with_suffix(".txt") if "wav" in sources else None
        return read_semantic_labels(path).segments if path is not None and path.is_file() else None

    def motion_format(self, fps: float, takes: Mapping[str, Mapping[str, Any]]) -> tuple[MotionFormat, list[str]]:
        speakers = self.speakers() or sorted({int(facts["categories"][SPEAKER]) for facts in takes.values()})
        train_bvh = [facts["sources"]["bvh"]["path"] for facts in takes.values() if facts["split"] == "train"]
        template, warnings = beat_skeleton_template(train_bvh)
        return beat_corpus_format(fps, self.joint_names(), template, speakers), warnings

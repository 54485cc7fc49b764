"""BEAT2 (BEAT as SMPL-X body + FLAME face, 30 fps): https://huggingface.co/datasets/H-Liu1997/BEAT2

:class:`Beat2Corpus` is what ``conf/data/beat2.yaml`` names with ``_target_``. Per take, at the
cache's frame rate: ``body`` (rotations of the configured SMPL-X joints, axis-angle or 6-D) and
``face`` (FLAME expressions) from ``smplxflame_30/<take>.npz``, optional ``root`` translation;
speech from ``wave16k/<take>.wav``, words from ``textgrid/<take>.TextGrid``. The speaker comes from
the take name, the split from ``train_test_split.csv``, the emotion from ``emo/<take>.csv`` when
present, else from BEAT's recording protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.core.errors import ConfigError, MotiongenError
from motiongen.core.motion_format import MotionFormat
from motiongen.core.rotations import axis_angle_to_matrix, matrix_to_6d
from motiongen.core.smplx_skeleton import smplx_joint_indices
from motiongen.skeletons import resolve_joint_selection
from motiongen.datasets.base import Corpus, Discovery, TakeMotion, TakeSource
from motiongen.datasets.beat.emotions import EMOTIONS, take_emotion
from motiongen.datasets.beat2.format import BODY, EMOTION, FACE, ROOT, SPEAKER, beat2_corpus_format

#: Modalities a take needs to enter the cache.
REQUIRED = {"smplx": "SMPL-X motion (smplxflame_30/*.npz)", "wav": "speech (wave16k/*.wav)",
            "TextGrid": "word alignment (textgrid/*.TextGrid)"}
SOURCES = ("smplx", "wav", "TextGrid", "emo")
ROTATIONS = ("axis_angle", "rot6d")


def body_rotations(poses: np.ndarray, joints: np.ndarray, rotation: str) -> np.ndarray:
    """``(F, 165)`` axis-angle -> ``(F, 3K)`` axis-angle or ``(F, 6K)`` 6-D of the selected joints."""
    selected = poses.reshape(len(poses), -1, 3)[:, joints]
    if rotation == "rot6d":
        return matrix_to_6d(axis_angle_to_matrix(selected)).reshape(len(poses), -1).astype(np.float32)
    return selected.reshape(len(poses), -1).astype(np.float32)


class Beat2Corpus(Corpus):
    """The BEAT2 corpus behind the :class:`~motiongen.datasets.base.Corpus` interface.

    Raises (on construction):
        ConfigError: unknown ``data.smplx_joints`` or ``data.rotation``.
    """

    def __init__(self, data: Any):
        from omegaconf import OmegaConf

        super().__init__(data)
        selection = data.smplx_joints
        try:
            self.joint_names = resolve_joint_selection(OmegaConf.to_object(selection) if OmegaConf.is_config(selection)
                                                       else str(selection))
        except KeyError as err:
            raise ConfigError(f"data.smplx_joints: {err.args[0]}") from None
        self.rotation = str(data.rotation)
        if self.rotation not in ROTATIONS:
            raise ConfigError(f"data.rotation must be axis_angle or rot6d, got {self.rotation!r}")

    def discover(self) -> Discovery:
        from omegaconf import OmegaConf

        from motiongen.datasets.beat2.takes import discover_beat2

        if OmegaConf.is_missing(self.data, "root") or not self.data.root:
            raise ConfigError("data.root is not set: give the BEAT2 folder, e.g. motiongen preprocess data=beat2 "
                              "data.root=/data/beat_english_v2.0.0")
        folder = discover_beat2(str(self.data.root), self.data.split_csv)
        found = Discovery(takes=[], warnings=[f"{path}: {message}" for path, message in folder.problems])
        speakers = None if self.data.speakers is None else [int(s) for s in self.data.speakers]
        include_additional = bool(self.data.include_additional)
        for take in folder:
            missing = [what for modality, what in REQUIRED.items() if modality not in take.files]
            split = take.split(include_additional)
            if speakers is not None and take.speaker_id not in speakers:
                found.skipped[take.take_id] = f"speaker {take.speaker_id} is not in data.speakers {speakers}"
            elif missing:
                found.skipped[take.take_id] = "missing " + ", ".join(missing)
            elif split is None:
                reason = ("'additional' take (data.include_additional=false)" if take.split_type == "additional"
                          else "not listed in the split CSV")
                found.skipped[take.take_id] = f"no train/val/test split: {reason}"
            else:
                found.takes.append(TakeSource(
                    take.take_id, split, {m: str(p) for m, p in take.files.items() if m in SOURCES},
                    {SPEAKER: str(take.speaker_id)}, {"take_type": take.take_type, "start": take.start},
                ))
        return found

    def settings(self) -> dict[str, Any]:
        return {"joints": list(self.joint_names), "rotation": self.rotation, "translation": bool(self.data.translation)}

    def words(self, take: TakeSource):
        from motiongen.formats.textgrid import read_textgrid

        return read_textgrid(take.files["TextGrid"])["words"]

    def read_take(self, take: TakeSource, fps: float) -> TakeMotion:
        from motiongen.formats.smplx_motion import read_smplx_motion

        warnings: list[str] = []
        motion = read_smplx_motion(take.files["smplx"])
        warnings.extend(motion.warnings)
        step = motion.fps / fps
        if abs(step - round(step)) > 1e-6 or round(step) < 1:
            raise MotiongenError(f"{take.files['smplx']}: {motion.fps} fps is not a whole multiple of data.motion_fps {fps}")
        step = int(round(step))
        blocks = {
            BODY: body_rotations(motion.poses[::step], smplx_joint_indices(self.joint_names), self.rotation),
            FACE: motion.expressions[::step].astype(np.float32),
        }
        if bool(self.data.translation):
            blocks[ROOT] = motion.trans[::step].astype(np.float32)
        emotion = take_emotion(take.files.get("emo"), int(take.facts["take_type"]), int(take.facts["start"]), warnings)
        return TakeMotion(blocks, speech=take.files["wav"], categories={EMOTION: EMOTIONS[emotion]}, warnings=warnings)

    @classmethod
    def recognises(cls, folder: Path) -> bool:
        from motiongen.datasets.beat2.takes import is_beat2_folder

        return is_beat2_folder(folder)

    def inspect(self, progress=None):
        from motiongen.datasets.beat2.inspect import inspect_beat2

        return inspect_beat2(self.root, self.data.get("split_csv"), progress)

    def motion_format(self, fps: float, takes: Mapping[str, Mapping[str, Any]]) -> tuple[MotionFormat, list[str]]:
        speakers = ([int(s) for s in self.data.speakers] if self.data.speakers is not None
                    else sorted({int(facts["categories"][SPEAKER]) for facts in takes.values()}))
        return beat2_corpus_format(fps, self.joint_names, self.rotation, bool(self.data.translation), speakers), []

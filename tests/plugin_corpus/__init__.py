"""A corpus defined only under ``tests/`` (its own folder layout, block names and category): it
plugs into motiongen through ``data._target_`` and the config search path, nothing else.

Layout: ``<root>/<split>/<performer>-<n>/{motion.npz, speech.wav, words.tsv}`` — ``motion.npz``
holds ``arm`` (two joints' axis-angle rotations, radians) and ``mouth`` (the 52 ARKit weights) at
``fps``; ``words.tsv`` has ``start<TAB>end<TAB>word`` rows in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from motiongen.core.errors import InputFileError, MotiongenError
from motiongen.core.motion_format import ConditionKind, ConditionStream, MotionBlock, MotionFormat, Representation
from motiongen.datasets.base import Corpus, Discovery, TakeMotion, TakeSource
from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.formats.textgrid import Interval

ARM_JOINTS = ("Shoulder", "Elbow")
SPLITS = ("train", "val", "test")


class PluginCorpus(Corpus):
    """Reads the layout of the module docstring."""

    def discover(self) -> Discovery:
        root = Path(str(self.data.root))
        if not root.is_dir():
            raise InputFileError(root, "not a folder")
        found = Discovery(takes=[])
        for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
            split, take_id = folder.parent.name, folder.name
            files = {name: folder / f"{name}.{ext}" for name, ext in (("motion", "npz"), ("speech", "wav"), ("words", "tsv"))}
            if split not in SPLITS:
                found.warnings.append(f"{folder}: {split} is not a split folder ({', '.join(SPLITS)})")
            elif not all(path.is_file() for path in files.values()):
                found.skipped[take_id] = "missing " + ", ".join(n for n, p in files.items() if not p.is_file())
            else:
                found.takes.append(TakeSource(take_id, split, {n: str(p) for n, p in files.items()},
                                              {"performer": take_id.split("-")[0]}))
        return found

    def settings(self) -> dict[str, Any]:
        return {"layout": 1}

    def words(self, take: TakeSource):
        rows = [line.split("\t") for line in Path(take.files["words"]).read_text(encoding="utf-8").splitlines() if line]
        try:
            return [Interval(float(a), float(b), word) for a, b, word in rows]
        except ValueError as err:
            raise MotiongenError(f"{take.files['words']}: {err}") from None

    def read_take(self, take: TakeSource, fps: float) -> TakeMotion:
        with np.load(take.files["motion"]) as motion:
            step = int(round(float(motion["fps"]) / fps))
            return TakeMotion({"arm": motion["arm"][::step], "mouth": motion["mouth"][::step]},
                              speech=take.files["speech"])

    def motion_format(self, fps: float, takes: Mapping[str, Mapping[str, Any]]) -> tuple[MotionFormat, list[str]]:
        performers = sorted({facts["categories"]["performer"] for facts in takes.values()})
        return MotionFormat(
            fps=fps,
            blocks=(MotionBlock("arm", Representation.AXIS_ANGLE, tuple(self.data.get("arm_joints", ARM_JOINTS)), "rad"),
                    MotionBlock("mouth", Representation.ARKIT_WEIGHTS, tuple(ARKIT_NAMES), "weight")),
            conditions=(ConditionStream("performer", ConditionKind.SPEAKER, len(performers), labels=performers),),
        ), []


def write_plugin_corpus(root: Path, fps: float = 30.0, seconds: float = 4.0) -> Path:
    """Write six takes (four train, one val, one test) of two performers: smooth arm swings and a
    mouth that opens with the speech's loudness."""
    import soundfile

    rng = np.random.default_rng(0)
    rate, frames = 16_000, int(seconds * fps)
    for index, (split, performer) in enumerate([("train", "ana"), ("train", "bo"), ("train", "ana"), ("train", "bo"),
                                                ("val", "ana"), ("test", "bo")]):
        folder = root / split / f"{performer}-{index}"
        folder.mkdir(parents=True)
        t = np.arange(frames) / fps
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * (0.7 + 0.1 * index) * t)
        arm = np.stack([0.6 * np.sin(2 * np.pi * 0.5 * t + k + index) for k in range(6)], axis=1)
        mouth = np.zeros((frames, len(ARKIT_NAMES)))
        mouth[:, ARKIT_NAMES.index("jawOpen")] = 0.6 * envelope
        np.savez(folder / "motion.npz", arm=arm.astype(np.float32), mouth=mouth.astype(np.float32), fps=fps)
        ts = np.arange(int(seconds * rate)) / rate
        wave = np.interp(ts, t, envelope) * np.sin(2 * np.pi * 180 * ts) + 0.01 * rng.standard_normal(len(ts))
        soundfile.write(folder / "speech.wav", (0.3 * wave).astype(np.float32), rate)
        words = ["hello", "there", "people", "of", "motion"]
        step = seconds / len(words)
        (folder / "words.tsv").write_text(
            "".join(f"{i * step:.2f}\t{(i + 1) * step:.2f}\t{word}\n" for i, word in enumerate(words)), encoding="utf-8")
    return root

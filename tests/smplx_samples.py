"""Synthetic BEAT2 takes in the real layout (SMPL-X/FLAME npz, 16 kHz wav, TextGrid, split CSV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from motiongen.core.smplx_skeleton import NUM_FLAME_EXPRESSIONS, NUM_SMPLX_BETAS, NUM_SMPLX_JOINTS
from motiongen.formats.smplx_motion import SmplxMotion, write_smplx_motion
from motiongen.formats.textgrid import Interval
from motiongen.quickstart.corpus import write_textgrid

FPS = 30
SAMPLE_RATE = 16000
WORDS = ("so", "today", "we", "talk", "about", "moving", "hands", "while", "speaking")


def synthetic_smplx_motion(frames: int, seed: int) -> SmplxMotion:
    """Smooth random SMPL-X motion: every joint swings a few degrees, the jaw follows a 4 Hz
    syllable rhythm, expressions drift, the root sways by centimetres."""
    rng = np.random.default_rng(seed)
    time = np.arange(frames) / FPS
    rate = rng.uniform(0.3, 1.5, (NUM_SMPLX_JOINTS, 3))
    phase = rng.uniform(0, 2 * np.pi, (NUM_SMPLX_JOINTS, 3))
    poses = 0.12 * np.sin(2 * np.pi * rate * time[:, None, None] + phase)
    poses[:, 22, 0] = 0.15 * (1 + np.sin(2 * np.pi * 4 * time))
    expressions = 0.5 * np.sin(2 * np.pi * rng.uniform(0.2, 2, NUM_FLAME_EXPRESSIONS) * time[:, None])
    trans = np.stack([0.02 * np.sin(time), 0.0 * time, 0.01 * np.cos(time)], 1)
    betas = 0.3 * rng.standard_normal(NUM_SMPLX_BETAS)
    return SmplxMotion(poses=poses.reshape(frames, -1), expressions=expressions, trans=trans, betas=betas)


def write_beat2_take(root: Path, take_id: str, seconds: float, seed: int,
                     modalities=("smplx", "wav", "TextGrid")) -> None:
    """Write one take's files under ``root`` in BEAT2's sub-folders."""
    frames = int(round(seconds * FPS))
    if "smplx" in modalities:
        (root / "smplxflame_30").mkdir(parents=True, exist_ok=True)
        write_smplx_motion(root / "smplxflame_30" / f"{take_id}.npz", synthetic_smplx_motion(frames, seed))
    if "wav" in modalities:
        (root / "wave16k").mkdir(parents=True, exist_ok=True)
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t))
        wave = 0.2 * envelope * np.sin(2 * np.pi * (140 + 30 * np.sin(t)) * t)
        soundfile.write(root / "wave16k" / f"{take_id}.wav", wave.astype(np.float32), SAMPLE_RATE,
                        subtype="PCM_16")
    if "TextGrid" in modalities:
        (root / "textgrid").mkdir(parents=True, exist_ok=True)
        step = seconds / (len(WORDS) + 1)
        words = [Interval(step * (i + 0.5), step * (i + 1.3), w) for i, w in enumerate(WORDS)]
        phones = [Interval(i.start, i.end, "AH0") for i in words]
        write_textgrid(root / "textgrid" / f"{take_id}.TextGrid", {"words": words, "phones": phones}, seconds)


def write_beat2_corpus(root: Path, takes: dict[str, str], seconds: float = 4.0,
                       modalities=("smplx", "wav", "TextGrid")) -> Path:
    """BEAT2 folder with ``takes`` = ``{take_id: split type}`` and its ``train_test_split.csv``."""
    root.mkdir(parents=True, exist_ok=True)
    for seed, take_id in enumerate(takes):
        write_beat2_take(root, take_id, seconds, seed, modalities)
    rows = ["id,type"] + [f"{take_id},{split}" for take_id, split in takes.items()]
    (root / "train_test_split.csv").write_text("\n".join(rows) + "\n")
    return root

"""How the window joins change the quickstart's motion: its sentence regenerated from existing quickstart runs.

For each quickstart output folder (one per seed, e.g. ``tools/bench_quickstart.py --seeds 0 1 2``
writes ``OUT/seed0`` ...), the folder's checkpoint animates the quickstart's sentence with the
quickstart's sampler and seed, once with the joins of :mod:`motiongen.generation.windows`
(skeletal channels inertialized, the face crossfaded) and once with every channel crossfaded (the
former join), and the script prints the quickstart report's figures for each: the generated
``jawOpen``'s r with the sentence's ground-truth jaw, and the arms' angular speed and
acceleration as ratios of the training takes' — per folder and as mean ± std over the folders.

    python tools/bench_window_joins.py /tmp/ablation/seed0 /tmp/ablation/seed1 /tmp/ablation/seed2
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np
import torch


def sentence_rows(folder: Path, seed: int) -> dict[bool, object]:
    """The quickstart sentence from ``folder``'s checkpoint, one speech for both joins:
    ``{crossfade every channel: SamplingRow}`` (jaw r, arm ratios)."""
    from omegaconf import OmegaConf

    from motiongen.generation import pipeline
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.pipeline import generate
    from motiongen.quickstart.lipsync import procedural_jaw
    from motiongen.quickstart.pipeline import QuickstartOptions, _generate_overrides, _request, _training_rotations
    from motiongen.quickstart.student import score
    from motiongen.tts.espeak import synthesize

    options = QuickstartOptions(out=folder, seed=seed)
    assets = load_assets(folder / "runs" / "checkpoints" / "last.ckpt")
    _, request, _ = _request(options, assets, _generate_overrides(options))
    speech = synthesize(options.text, voice=options.voice)
    corpus = _training_rotations(OmegaConf.create(assets.config))
    rows = {}
    for crossfade_all in (True, False):
        joins = (lambda fmt: torch.zeros(fmt.width, dtype=torch.bool)) if crossfade_all else pipeline.inertialized_channels
        with mock.patch.object(pipeline, "inertialized_channels", joins):
            generated = generate(assets, request)
        frames = generated.blocks[next(iter(generated.blocks))].shape[1]
        truth = procedural_jaw(speech.wave, speech.sample_rate, speech.phones, assets.fps, frames)
        rows[crossfade_all] = score(folder.name, "teacher", (), generated, generated.metadata["sampling_seconds"],
                                    request.speech.duration, truth, corpus)
    return rows


def main() -> None:
    import os
    import re

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="quickstart output folders; one named seedN ran with --seed N (else seed 0)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    labels = {True: "every channel crossfaded (former)", False: "skeleton inertialized, face crossfaded"}
    rows = {True: [], False: []}
    for folder in args.folders:
        found = re.fullmatch(r"seed(\d+)", folder.name)
        for crossfade_all, row in sentence_rows(folder, int(found.group(1)) if found else 0).items():
            rows[crossfade_all].append(row)
            print(f"{labels[crossfade_all]:40s} {folder}: jawOpen r {row.jaw_r:.3f}, arm speed {row.arm_speed_ratio:.2f}, "
                  f"arm acceleration {row.arm_acceleration_ratio:.2f} (ratios of the training takes')")
    results = {labels[key]: np.array([[r.jaw_r, r.arm_speed_ratio, r.arm_acceleration_ratio] for r in value])
               for key, value in rows.items()}
    print("\n| join | jawOpen r | arm speed / corpus | arm acceleration / corpus |\n|---|---|---|---|")
    for label, values in results.items():
        mean, std = values.mean(axis=0), values.std(axis=0)
        print(f"| {label} | {mean[0]:.3f} ± {std[0]:.3f} | {mean[1]:.2f} ± {std[1]:.2f} | {mean[2]:.2f} ± {std[2]:.2f} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Evaluation time for N minutes of test speech at the paper's size (``motiongen evaluate`` stages).

* speech features: the audio conditioning of the evaluated speech through the product's
  ``extract_audio_features`` with the paper's recipe (spectral + WavLM-Large layer features; the
  WavLM has WavLM-Large's dimensions with random weights, as ``tools/bench_preprocess.py --wavlm
  large``: its speed does not depend on the weights) on ``--feature-seconds``, scaled to the evaluated
  length, plus loading the model once; computed once per take and shared by every evaluated checkpoint;
* sampling: the paper-size UWP denoiser (random weights; speed does not depend on them) through
  the product's windowed DDIM path on ``--sample-seconds`` of conditioning (as
  ``tools/bench_generate.py``), scaled linearly to the evaluated length;
* ground truth: onsets (BEAT and EMAGE), log-mel, forward kinematics of the 47 BEAT joints and
  the real features, on the full length of speech-like audio and motion;
* metrics: every metric of one generated set (FGD/FD/WInD features, diversity, L1div, BeatAlign,
  BC, SRGR, face MSE/LVD, sync scorer over ±15 frames) on the full length.

The extractors and the sync scorer have their paper-size shapes (141 gesture channels over 68-frame
windows, 52 ARKit channels over 60-frame windows, 0.2 s sync windows) with random weights.

    python tools/bench_evaluate.py                    # 10 minutes, DDIM-25, 1 thread
    python tools/bench_evaluate.py --minutes 2 --sample-seconds 20 --threads 2
    python tools/bench_evaluate.py --audio-recipe spectral   # caches built with data/features=spectral
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from docs_section import add_docs_flag, recorded

sys.path.insert(0, str(Path(__file__).resolve().parent))

FPS = 30.0
SR = 16_000
TAKE_SECONDS = 60.0


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """Voiced tone in 4 Hz syllable bursts with pauses (16 kHz)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.3 * t)
    voice = np.sin(2 * np.pi * np.cumsum(pitch) / SR)
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (np.mod(t, 0.75) < 0.5)
    return (0.3 * voice * envelope + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


def motion(frames: int, channels: int, seed: int, scale: float, offset: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / FPS
    return (offset + scale * np.sin(2 * np.pi * rng.uniform(0.3, 2.0, channels) * t + rng.uniform(0, 6, channels))
            ).astype(np.float32)


def speech_features_seconds(recipe_name: str, seconds: float) -> tuple[float, float, float]:
    """Wall and CPU seconds of the audio features of ``seconds`` of speech, and the WavLM load time."""
    from bench_preprocess import save_wavlm

    from motiongen.config import compose
    from motiongen.features.pipeline import extract_audio_features
    from motiongen.features.recipe import recipe_from_config
    from motiongen.features.wavlm import load_wavlm

    wave = speech_like(seconds, 7)
    with tempfile.TemporaryDirectory() as tmp:
        overrides = [f"data/features={recipe_name}"]
        if recipe_name == "uwp":
            overrides.append(f"data.features.wavlm.model={save_wavlm('large', Path(tmp))}")
        recipe = recipe_from_config(compose("config", overrides).data.features, FPS)
        started = time.perf_counter()
        if recipe.wavlm is not None:
            load_wavlm(recipe.wavlm)
        load_s = time.perf_counter() - started
        started, cpu_started = time.perf_counter(), time.process_time()
        extract_audio_features(wave, SR, int(seconds * FPS), recipe)
        return time.perf_counter() - started, time.process_time() - cpu_started, load_s


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    torch.set_num_threads(args.threads)
    print(f"load average before: {os.getloadavg()} (cpus: {os.cpu_count()}, threads {args.threads}); "
          "on a shared machine the wall-clock figures are upper bounds")

    from bench_generate import paper_model, run_case

    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.evaluation.corpus import MotionRoles
    from motiongen.evaluation.extractor import FACE_WINDOW_S, GESTURE_WINDOW_S, ExtractorConfig, MotionAutoencoder
    from motiongen.evaluation.metrics import mouth_channels, upper_body_joints
    from motiongen.evaluation.run import EvaluationSettings, assemble_reference, reference_take
    from motiongen.evaluation.scoring import Evaluators, score_row
    from motiongen.evaluation.sync import SyncConfig, SyncScorer
    from motiongen.evaluation.windows import window_frames
    from motiongen.core.skeleton import SkeletonTemplate
    from motiongen.formats.arkit import ARKIT_NAMES
    from motiongen.skeletons import load_joint_set
    from motiongen.skeletons import load_beat75_template

    seconds = args.minutes * 60
    spent, spent_cpu, load_s = speech_features_seconds(args.audio_recipe, args.feature_seconds)
    features_s = load_s + spent * seconds / args.feature_seconds
    features_cpu = spent_cpu * seconds / args.feature_seconds
    print(f"speech features ({args.audio_recipe} recipe): {args.feature_seconds:g} s of speech in {spent:.1f} s -> "
          f"{features_s:.1f} s for {args.minutes:g} min incl. {load_s:.1f} s loading WavLM ({features_cpu:.1f} CPU-s)",
          flush=True)
    settings = SamplerSettings(kind="ddim", steps=args.steps, eta=0.0, guidance=1.0)
    model, cfg = paper_model()
    sampled = run_case(model, cfg, torch.float32, args.threads, args.sample_seconds, settings, None)
    sampling_s = sampled["total_s"] * seconds / args.sample_seconds
    sampling_cpu = seconds / sampled["speed_x_cpu"]
    print(f"sampling (paper-size model, DDIM-{args.steps}, float32): {args.sample_seconds:g} s of speech in "
          f"{sampled['total_s']:.1f} s -> {sampling_s:.1f} s for {args.minutes:g} min ({sampling_cpu:.1f} CPU-s)",
          flush=True)

    joints = load_joint_set("beat47_upper")
    names = list(ARKIT_NAMES)
    template = SkeletonTemplate.from_motion(load_beat75_template())
    roles = MotionRoles("gesture", "face", tuple(joints), tuple(names))
    torch.manual_seed(0)
    evaluators = Evaluators(
        gesture=MotionAutoencoder(ExtractorConfig(3 * len(joints), window_frames(GESTURE_WINDOW_S, FPS))).eval(),
        face=MotionAutoencoder(ExtractorConfig(len(names), window_frames(FACE_WINDOW_S, FPS))).eval(),
        sync=SyncScorer(SyncConfig(len(mouth_channels(names)), FPS)).eval(),
        info={"gesture": {}})
    takes = int(np.ceil(seconds / TAKE_SECONDS))
    frames = int(TAKE_SECONDS * FPS)
    started, cpu_started = time.perf_counter(), time.process_time()
    reference_takes = []
    for i in range(takes):
        wave = speech_like(TAKE_SECONDS, i)
        gesture = motion(frames, 3 * len(joints), i, 0.3)
        face = np.clip(motion(frames, len(names), 100 + i, 0.2, 0.3), 0, 1)
        semantic = np.repeat(np.random.default_rng(i).uniform(0, 1, frames // 30 + 1), 30)[:frames]
        reference_takes.append(reference_take(f"take{i}", wave, SR, gesture, face, semantic, FPS, True))
    bc_joints = upper_body_joints(template.skeleton.names)
    reference = assemble_reference(FPS, reference_takes, evaluators, roles, EvaluationSettings(),
                                   lambda x: (x - x.mean(0)) / (x.std(0) + 1e-3), bc_joints, np.full(len(bc_joints), 20.0))
    ground_truth_s, ground_truth_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"ground truth ({takes} takes of {TAKE_SECONDS:g} s: onsets, log-mel, kinematics, features): "
          f"{ground_truth_s:.1f} s ({ground_truth_cpu:.1f} CPU-s)", flush=True)

    gestures = [t.gesture[None] + np.float32(0.05) for t in reference_takes]
    faces = [np.clip(t.face[None] + np.float32(0.02), 0, 1) for t in reference_takes]
    started, cpu_started = time.perf_counter(), time.process_time()
    row = score_row(reference, evaluators, gestures, faces, template, joints)
    metrics_s, metrics_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"metrics of one generated set ({len(row)} numbers): {metrics_s:.1f} s ({metrics_cpu:.1f} CPU-s)", flush=True)
    total = features_s + sampling_s + ground_truth_s + metrics_s
    print(f"evaluation of {args.minutes:g} min of test speech at the paper's size: {total:.1f} s "
          f"(speech features {features_s:.1f} + sampling {sampling_s:.1f} + ground truth {ground_truth_s:.1f} + "
          f"metrics {metrics_s:.1f}); one more checkpoint adds {sampling_s + metrics_s:.1f} s (the speech features are "
          f"shared by every checkpoint) | CPU "
          f"seconds of this process: {features_cpu + sampling_cpu + ground_truth_cpu + metrics_cpu:.1f}")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="test speech to evaluate")
    parser.add_argument("--sample-seconds", type=float, default=60.0,
                        help="speech actually sampled with the paper-size model (scaled to --minutes)")
    parser.add_argument("--steps", type=int, default=25, help="DDIM steps")
    parser.add_argument("--audio-recipe", choices=("uwp", "spectral"), default="uwp",
                        help="audio features of the speech (uwp: the paper's, with WavLM-Large)")
    parser.add_argument("--feature-seconds", type=float, default=30.0,
                        help="speech whose audio features are actually computed (scaled to --minutes)")
    parser.add_argument("--threads", type=int, default=1)
    add_docs_flag(parser)
    args = parser.parse_args()
    with recorded("bench_evaluate.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

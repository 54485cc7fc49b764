"""Benchmark: preprocessing cost per minute of BEAT on ONE core, and the WavLM cost separately.

Usage (from the repository root)::

    /work/venv/bin/python tools/bench_preprocess.py [--repeats 5] [--wavlm none|tiny|large] [--wavlm-seconds 60]

The take: the real 68 s BEAT wav ``2_scott_0_3_3.wav`` (24-bit) and its TextGrid from
``../shared/data/beat``; a BVH of the same length made of the real ``2_scott_0_1_1.bvh`` header and
its 957 real frame rows repeated (the real file is truncated to 8 s); a format-exact BEAT face JSON
(60 fps, 52 names) of the same length. They are symlinked/written into a temporary BEAT tree.

Timed (best of ``--repeats``, after one warm-up run that pays the imports): the whole per-take
function of the cache builder (``process_take``: read BVH -> 30 fps -> axis-angle of the 47-joint
set, read and resample the face JSON, load and resample the audio, spectral features, TextGrid and
word features, atomic write) with the spectral recipe, plus a per-stage breakdown. The word-vector
table is built once per corpus, not per take; its cost is printed separately.

WavLM (``--wavlm``): ``large`` builds a randomly initialised model with WavLM-Large's dimensions
(24 layers, hidden 1024, 315 M parameters; the real weights cannot be downloaded here, and speed and
memory do not depend on the weight values), saves it with ``save_pretrained`` and runs the real
chunked extraction on ``--wavlm-seconds`` of the wav (repeated as needed) in a fresh process, so its
peak RSS is that of the extraction alone; ``tiny`` uses the 2-layer test model (its time says
nothing about WavLM-Large; it shows the chunking overhead and that memory does not grow with length).

The process pins itself to one CPU and every numeric library to one thread.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("MOTIONGEN_SAMPLES_DIR", REPO.parent / "shared" / "data"))
TAKE = "2_scott_0_3_3"


def pin_one_core() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    import torch

    torch.set_num_threads(1)
    return cpu


def long_bvh(source: Path, target: Path, seconds: float) -> int:
    """Write ``target``: ``source``'s header and its complete frame rows repeated to ``seconds``."""
    lines = source.read_text().splitlines()
    motion = next(i for i, line in enumerate(lines) if line.strip() == "MOTION")
    header, rows = lines[: motion + 1], lines[motion + 3 :]
    width = len(rows[0].split())
    rows = [row for row in rows if len(row.split()) == width]
    frame_time = float(lines[motion + 2].split(":")[1])
    frames = int(round(seconds / frame_time))
    tiled = (rows * (frames // len(rows) + 1))[:frames]
    target.write_text("\n".join(header + [f"Frames: {frames}", f"Frame Time: {frame_time:.6f}", *tiled]) + "\n")
    return frames


def make_take(folder: Path) -> tuple[dict[str, str], float]:
    import soundfile as sf

    sys.path.insert(0, str(REPO / "tests"))
    from feature_cache_helpers import write_face_json

    wav, grid = SAMPLES / "beat" / f"{TAKE}.wav", SAMPLES / "beat" / f"{TAKE}.TextGrid"
    for path in (wav, grid, SAMPLES / "beat" / "2_scott_0_1_1.bvh"):
        if not path.is_file():
            sys.exit(f"sample file {path} not found (set MOTIONGEN_SAMPLES_DIR)")
    seconds = sf.info(str(wav)).duration
    files = {"wav": folder / f"{TAKE}.wav", "TextGrid": folder / f"{TAKE}.TextGrid",
             "bvh": folder / f"{TAKE}.bvh", "json": folder / f"{TAKE}.json"}
    files["wav"].symlink_to(wav)
    files["TextGrid"].symlink_to(grid)
    long_bvh(SAMPLES / "beat" / "2_scott_0_1_1.bvh", files["bvh"], seconds)
    write_face_json(files["json"], seconds, seed=0)
    return {k: str(v) for k, v in files.items()}, seconds


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM = peak RSS), in MB.
    (``ru_maxrss`` is not used: Linux carries it over from the parent through fork + exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def best_of(repeats: int, function) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_spectral(repeats: int, workdir: Path) -> None:
    from motiongen.cache.take import TakeJob, process_take
    from motiongen.datasets import corpus_from_config
    from motiongen.datasets.base import TakeSource
    from motiongen.skeletons import load_joint_set
    from motiongen.cache.word_table import prepare_word_table
    from motiongen.config import compose
    from motiongen.features.pipeline import extract_audio_features, extract_word_features
    from motiongen.features.recipe import recipe_from_config
    from motiongen.formats.arkit import read_beat_face_json
    from motiongen.formats.audio import load_audio
    from motiongen.formats.bvh import read_bvh
    from motiongen.formats.joint_sets import motion_to_axis_angle
    from motiongen.formats.textgrid import read_textgrid
    from motiongen.features.words import WordTable
    from motiongen.core.framerate import resample_motion
    import dataclasses

    folder = workdir / "beat" / "2"
    folder.mkdir(parents=True)
    files, seconds = make_take(folder)
    cfg = compose("config", ["data/features=spectral", f"data.root={workdir / 'beat'}"])
    recipe = recipe_from_config(cfg.data.features, cfg.data.motion_fps)
    words = [i.label for i in read_textgrid(files["TextGrid"])["words"] if i.label]
    started = time.perf_counter()
    prepared = prepare_word_table(cfg.data.words, {TAKE: words}, workdir / "cache", [TAKE])
    table_path = prepared.path
    table_seconds = time.perf_counter() - started
    joint_names = load_joint_set(str(cfg.data.joints))
    take = TakeSource(TAKE, "train", {m: str(p) for m, p in files.items()}, {"speaker": "2"}, {"take_type": 0, "start": 3})
    job = TakeJob(corpus_from_config(cfg.data), take, str(workdir / "cache"), 30.0, recipe, str(table_path), "bench")
    result = process_take(job)  # warm-up: imports, first-call caches
    if result.status != "processed":
        sys.exit(f"process_take failed: {result.reason}")
    frames = result.num_frames
    total = best_of(repeats, lambda: process_take(job))
    minutes = seconds / 60.0

    def gesture():
        motion = read_bvh(files["bvh"])
        euler, root = resample_motion(motion.skeleton, motion.euler_deg, motion.root_translation, motion.fps, 30.0)
        motion_to_axis_angle(dataclasses.replace(motion, euler_deg=euler, root_translation=root, frame_time=1 / 30),
                             joint_names)

    wave, rate = load_audio(files["wav"])
    table = WordTable.load(table_path)
    stages = {
        "BVH read + 120->30 fps + axis-angle (47 joints)": gesture,
        "face JSON read + 60->30 fps": lambda: read_beat_face_json(files["json"], target_fps=30),
        "audio load (24-bit wav)": lambda: load_audio(files["wav"]),
        "audio features (spectral, 109-d)": lambda: extract_audio_features(wave, rate, frames, recipe),
        "TextGrid + word features": lambda: extract_word_features(read_textgrid(files["TextGrid"])["words"], frames, 30.0, table),
    }
    print(f"take: {seconds:.1f} s of BEAT ({frames} frames at 30 fps), spectral recipe, one core")
    print(f"  whole take (process_take, incl. atomic write): {total:.3f} s  ->  {total / minutes:.3f} s per minute of BEAT (goal <= 1.5)")
    for name, function in stages.items():
        spent = best_of(repeats, function)
        print(f"    {name:<50s} {spent:.3f} s  ({spent / minutes:.3f} s/min)")
    print(f"  word table for the corpus vocabulary ({len(set(words))} words, fallback fastText, once per corpus): {table_seconds:.2f} s")


def large_config():
    from transformers import WavLMConfig

    return WavLMConfig(
        hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
        conv_dim=(512,) * 7, do_stable_layer_norm=True, feat_extract_norm="layer", num_buckets=320,
        max_bucket_distance=800,
    )


def save_wavlm(kind: str, workdir: Path) -> Path:
    """Write the benchmark model with ``save_pretrained`` and return its folder."""
    import torch
    from transformers import WavLMModel

    model_dir = workdir / f"wavlm-{kind}"
    if kind == "large":
        torch.manual_seed(0)
        WavLMModel(large_config()).save_pretrained(model_dir)
    else:
        sys.path.insert(0, str(REPO / "tests"))
        from feature_cache_helpers import save_tiny_wavlm

        save_tiny_wavlm(model_dir)
    return model_dir


def bench_wavlm(kind: str, model_dir: Path, seconds: float) -> None:
    """Child process: load the model through the real path and extract ``seconds`` of features."""
    from motiongen.config import compose
    from motiongen.features.recipe import recipe_from_config
    from motiongen.features.wavlm import load_wavlm, wavlm_features
    from motiongen.formats.audio import load_audio

    cfg = compose("config", ["data/features=uwp", f"data.features.wavlm.model={model_dir}"])
    spec = recipe_from_config(cfg.data.features, 30).wavlm
    rss_imports = status_mb("VmHWM")
    model = load_wavlm(spec)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    hidden = model.config.hidden_size
    wave, rate = load_audio(SAMPLES / "beat" / f"{TAKE}.wav")
    wave = np.tile(wave, int(np.ceil(seconds * rate / len(wave))))[: int(seconds * rate)]
    started = time.perf_counter()
    features = wavlm_features(wave, rate, int(seconds * 30), 30.0, spec)
    spent = time.perf_counter() - started
    peak = status_mb("VmHWM")
    label = "WavLM-Large-sized random-init" if kind == "large" else "tiny 2-layer test model (NOT WavLM-Large)"
    print(f"WavLM: {label}, {params:.0f} M parameters (hidden {hidden}), layer {spec.layer}, chunks "
          f"{spec.chunk_seconds:g} s + {spec.overlap_seconds:g} s overlap each side, one core")
    print(f"  {seconds:.0f} s of audio -> {features.shape} in {spent:.1f} s  ->  {spent / (seconds / 60):.1f} s per minute of audio")
    kept_10min = (600 * 50 + 600 * 30) * hidden * 4 / 2**20
    print(f"  peak RSS {peak:.0f} MB (after imports {rss_imports:.0f} MB); memory that grows with the take: the kept "
          f"layer, {kept_10min:.0f} MB for 10 minutes (50 Hz rows + 30 fps output); the rest is the model and one chunk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--wavlm", choices=("none", "tiny", "large"), default="none")
    parser.add_argument("--wavlm-seconds", type=float, default=60.0)
    parser.add_argument("--wavlm-model-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cpu = pin_one_core()
    if args.wavlm_model_dir:  # child process of a --wavlm run: fresh memory accounting
        bench_wavlm(args.wavlm, args.wavlm_model_dir, args.wavlm_seconds)
        return
    print(f"pinned to CPU {cpu}; numeric libraries single-threaded")
    with tempfile.TemporaryDirectory() as tmp:
        bench_spectral(args.repeats, Path(tmp))
        if args.wavlm != "none":
            model_dir = save_wavlm(args.wavlm, Path(tmp))
            subprocess.run([sys.executable, __file__, "--wavlm", args.wavlm, "--wavlm-seconds", str(args.wavlm_seconds),
                            "--wavlm-model-dir", str(model_dir)], check=True)


if __name__ == "__main__":
    main()

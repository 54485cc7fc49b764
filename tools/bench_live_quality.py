"""Quality of live against offline generation of the same audio, and of the word sources: one table,
every row over several seeds, scored with ``motiongen evaluate``'s code (the ground truth scored
against itself on top).

Each row is a checkpoint generated in one mode:

* ``offline``: ``motiongen evaluate``'s own sampling of every take of the split (windowed
  generation of the whole file, offline audio features), with the words of ``transcript`` (the
  take's TextGrid), ``recognised`` (pocketsphinx on the take's audio, no transcript) or
  ``silence`` (the silence/unknown word vector on every frame);
* ``live``: ``motiongen live --audio <take's speech> --record DIR --seed S`` run through the CLI at
  real-time pace for every take (incremental features, causal chunks, no words), and the recorded
  run folders scored (:mod:`motiongen.evaluation.recorded`); ``live-unblended``: the same with
  ``blend_chunks=false`` (chunks joined without fading out the step at their start).

Every row is scored once per seed (the sampling noise) and printed as mean ± std: FGD, BC, L1div,
face MSE, face LVD, sync confidence (and its ratio to the first row's), the arms' speed and
acceleration over the ground truth's (as ``tools/bench_sampling.py``). Also printed: pocketsphinx's
word error rate on the split's speech against the TextGrids, and the machine load.

    python tools/bench_live_quality.py --checkpoint live=runs/live_tiny/checkpoints/last.ckpt \\
        --checkpoint student=runs/distill_live/checkpoints/last.ckpt --work /tmp/live-quality
    python tools/bench_live_quality.py --checkpoint live=CKPT --rows live:offline:ddim:4:transcript live:live:ddim:4

Rows are ``name:mode:sampler:steps[:words[:smoothing]]`` with ``name`` a ``--checkpoint`` alias (words: offline
rows only, default ``transcript`` (also when empty); live rows hear no words) and ``smoothing`` the
generation's smoothing prior (``motiongen.generation.smoothing``; zero-phase offline, causal live):
``none``, ``lowpass`` (``conf/smoothing/lowpass.yaml``), ``lowpass@F`` (cutoff F Hz) or, when left
out, the checkpoint's own, e.g. ``live:live:ddim:4::lowpass``. ``--work`` keeps the live record
folders (one per row, seed and take); ``--out`` also writes the printed Markdown to a file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

MODES = ("offline", "live", "live-unblended")
WORDS = ("transcript", "recognised", "silence")
COLUMNS = (("fgd", "FGD", 3), ("bc", "BC", 3), ("l1div", "L1div", 2), ("face_mse", "face MSE", 4),
           ("face_lvd", "face LVD", 4), ("sync_confidence", "sync conf.", 2), ("arm_speed", "arm speed / GT", 2),
           ("arm_accel", "arm accel. / GT", 2))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", action="append", required=True, metavar="NAME=PATH",
                        help="a checkpoint and the name rows use for it (repeatable)")
    parser.add_argument("--rows", nargs="+", default=None,
                        help="name:mode:sampler:steps[:words] (default: the first checkpoint offline with each word "
                             "source and live, DDIM 4)")
    parser.add_argument("--seeds", type=int, default=3, help="sampling seeds per row (mean ± std)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--cache", type=Path, default=None,
                        help="the cache to score on (default: the first checkpoint's training cache)")
    parser.add_argument("--chunk-frames", type=int, default=5, help="live rows: new frames per step")
    parser.add_argument("--work", type=Path, required=True, help="folder for the live rows' record folders")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report here")
    return parser.parse_args()


def parse_row(text: str, names: set[str]) -> tuple[str, str, str, int, str, str]:
    parts = text.split(":")
    if len(parts) not in (4, 5, 6) or parts[0] not in names or parts[1] not in MODES or not parts[3].isdigit():
        sys.exit(f"bench_live_quality: row {text!r} is not name:mode:sampler:steps[:words[:smoothing]] with name in "
                 f"{sorted(names)}, mode in {MODES}")
    words = (parts[4] if len(parts) >= 5 else "") or ("transcript" if parts[1] == "offline" else "silence")
    smoothing = parts[5] if len(parts) == 6 else ""
    if words not in WORDS or (parts[1] != "offline" and words != "silence"):
        sys.exit(f"bench_live_quality: row {text!r}: words must be one of {WORDS} (live rows: silence, no transcript live)")
    return parts[0], parts[1], parts[2], int(parts[3]), words, smoothing


def smoothing_overrides(spec: str) -> list[str]:
    """Hydra overrides of a row's smoothing field (``none``, ``lowpass``, ``lowpass@F``; empty: none given)."""
    if not spec:
        return []
    kind, _, cutoff = spec.partition("@")
    return [f"smoothing={kind}"] + ([f"smoothing.cutoff_hz={cutoff}"] if cutoff else [])


def smoothing_config(spec: str) -> dict | None:
    """The ``conf/smoothing`` node of a row's smoothing field; None: the checkpoint's own."""
    from omegaconf import OmegaConf

    from motiongen.config import compose

    return OmegaConf.to_container(compose("generate", smoothing_overrides(spec)).smoothing) if spec else None


def word_speeches(speeches: list, words: str) -> list:
    """The takes' speech with the words of ``words``."""
    from motiongen.text.asr import recognise_words

    if words == "transcript":
        return speeches
    if words == "silence":
        return [replace(s, words=None, word_source="none (silence vectors)") for s in speeches]
    return [replace(s, words=recognise_words(s.wave, s.sample_rate), word_source="recognised by pocketsphinx")
            for s in speeches]


def live_folders(checkpoint: str, takes: list, sampler: str, steps: int, seed: int, chunk: int, work: Path,
                 blend: bool, smoothing: str = "") -> list[Path]:
    """``motiongen live --record`` of every take's speech, through the CLI at real-time pace."""
    from motiongen.cli import main

    folders = []
    for take in takes:
        folder = work / f"seed{seed}" / take.take_id
        code = main(["live", "--checkpoint", checkpoint, "--audio", str(take.audio), "--record", str(folder),
                     "--overwrite", "--seed", str(seed), "--sampler", sampler, "--steps", str(steps),
                     "--chunk-frames", str(chunk), "--threads", "1", f"blend_chunks={str(blend).lower()}",
                     *smoothing_overrides(smoothing)])
        if code != 0:
            sys.exit(f"bench_live_quality: motiongen live failed on {take.audio} (exit {code})")
        folders.append(folder)
    return folders


def sampler_config(name: str, steps: int) -> dict:
    from omegaconf import OmegaConf

    from motiongen.config import compose

    return OmegaConf.to_container(compose("generate", [f"sampler={name}", f"sampler.steps={steps}"]).sampler)


def cell(scores: list[dict], key: str, digits: int) -> str:
    values = [s.get(key) for s in scores]
    if not all(isinstance(v, float) for v in values):
        return "—"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def main() -> None:
    import torch

    from motiongen.cache.info import CacheInfo
    from motiongen.evaluation.corpus import evaluation_takes, motion_roles, require_skeleton
    from motiongen.evaluation.recorded import recorded_takes
    from motiongen.evaluation.run import (
        EvaluationSettings,
        _speech,
        build_reference,
        ceiling_rows,
        generate_takes,
        load_evaluators,
    )
    from motiongen.evaluation.scoring import arm_ratios, score_row
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.inputs import sha256_file
    from motiongen.log_setup import configure_logging
    from motiongen.text.asr import word_error_rate

    configure_logging(logging.ERROR)
    args = parse()
    torch.set_num_threads(args.threads)
    checkpoints = dict(item.split("=", 1) for item in args.checkpoint)
    first = next(iter(checkpoints))
    texts = args.rows or [f"{first}:offline:ddim:4:{words}" for words in WORDS] + [f"{first}:live:ddim:4"]
    rows = [parse_row(text, set(checkpoints)) for text in texts]
    cache_dir = args.cache or Path(load_assets(checkpoints[first]).config["data"]["cache_dir"])
    info = CacheInfo.load(cache_dir)
    roles = motion_roles(info)
    evaluators = load_evaluators(cache_dir, roles)
    takes = evaluation_takes(info, args.split, None)
    template = require_skeleton(info)
    reference = build_reference(info, roles, takes, evaluators, EvaluationSettings(split=args.split), template,
                                progress=False)
    frames = [ref.frames for ref in reference.takes]
    speeches = [_speech(take, ref.frames, reference.fps) for take, ref in zip(takes, reference.takes)]
    by_words = {words: word_speeches(speeches, words) for words in WORDS}
    seconds = sum(frames) / reference.fps
    truth = [ref.gesture for ref in reference.takes]
    spoken = [w.label.lower() for take in takes if take.words is not None for w in take.words if w.label.strip()]
    heard = [w.label for s in by_words["recognised"] for w in s.words]
    wer = word_error_rate(spoken, heard) if spoken else float("nan")
    load_before = os.getloadavg()
    results = []
    for name, mode, sampler, steps, words, smoothing in rows:
        scores = []
        for seed in range(args.seeds):
            if mode != "offline":
                folders = live_folders(checkpoints[name], takes, sampler, steps, seed, args.chunk_frames,
                                       args.work / f"{name}-{mode}-{sampler}{steps}-{smoothing or 'ckpt'}",
                                       mode == "live", smoothing)
                gestures, faces = recorded_takes(folders, takes, frames, roles)
            else:
                settings = EvaluationSettings(split=args.split, seed=seed, sampler=sampler_config(sampler, steps),
                                              smoothing=smoothing_config(smoothing))
                gestures, faces, _ = generate_takes(Path(checkpoints[name]), takes, reference, roles, settings, False,
                                                    speeches=by_words[words])
            row = score_row(reference, evaluators, gestures, faces, template, roles.joint_names)
            row["arm_speed"], row["arm_accel"] = arm_ratios(gestures, truth, roles.joint_names, reference.fps)
            scores.append(row)
        label = f"{name} {mode} {sampler}-{steps}, words: {words}" + (f", smoothing: {smoothing}" if smoothing else "")
        results.append((label, scores))
        print(f"{label}: " + ", ".join(f"{key} {np.mean([s[key] for s in scores]):.4g}" for key, _, _ in COLUMNS
                                       if isinstance(scores[0].get(key), float)), flush=True)
    base_sync = np.mean([s["sync_confidence"] for s in results[0][1]])
    lines = [
        "# Live against offline generation, and the word sources (generated by tools/bench_live_quality.py)",
        "",
        f"Command: `python tools/bench_live_quality.py {' '.join(sys.argv[1:])}`",
        "",
        f"{args.split} split of `{Path(cache_dir).name}` ({len(takes)} takes, {seconds:.1f} s of speech), {args.seeds} "
        f"seeds per row (mean ± std), {args.threads} thread(s); live rows at real-time pace, "
        f"{args.chunk_frames} frames per chunk; load average before {load_before[0]:.2f}, after "
        f"{os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores. Checkpoints: "
        + ", ".join(f"{name} = `{Path(path).name}` sha256 {sha256_file(path)[:12]}" for name, path in checkpoints.items())
        + f". pocketsphinx word error rate on this speech against the TextGrids: {wer:.1%} ({len(spoken)} words). "
        "Arm ratios are over the same takes' ground truth; sync ratio = the row's sync confidence over the first row's. "
        "Rows without a smoothing use the checkpoint's own (none for checkpoints older than the setting); "
        "`lowpass` is the Butterworth prior on the body (ours; zero-phase offline, causal live).",
        "",
        "| row | " + " | ".join(title for _, title, _ in COLUMNS) + " | sync / row 1 |",
        "|---|" + "---|" * (len(COLUMNS) + 1),
    ]
    truth_row = {**ceiling_rows(reference, evaluators, template, roles.joint_names)[0], "arm_speed": 1.0, "arm_accel": 1.0}
    for label, scores in [("ground truth (real vs real)", [truth_row]), *results]:
        ratio = np.mean([s["sync_confidence"] for s in scores]) / base_sync
        lines.append(f"| {label} | " + " | ".join(cell(scores, key, digits) for key, _, digits in COLUMNS)
                     + f" | {ratio:.2f} |")
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.out is not None:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()

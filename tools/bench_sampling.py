"""Quality and speed of the samplers and the distilled student: one table, every row over several seeds.

Each row is a checkpoint sampled with one sampler (a ``conf/sampler`` file and step count) at one
precision; it is scored on a split of the checkpoints' cache with ``motiongen evaluate``'s own code
(the cache's evaluator networks from ``motiongen train-evaluator``), once per seed (the sampling
noise), and printed as mean ± std over the seeds:

* FGD, BC, L1div, face MSE, face LVD and sync confidence (see ``docs/metrics.md``);
* the arms' mean angular speed and acceleration (RightArm, RightForeArm, LeftArm, LeftForeArm) as
  ratios of the same takes' ground truth (acceleration far above 1 = frame-to-frame jitter);
* wall seconds of sampling per second of speech (this process, ``--threads`` threads).

    python tools/bench_sampling.py --checkpoint teacher=quickstart/runs/checkpoints/last.ckpt \\
        --checkpoint student=runs/distill_tiny_cpu/checkpoints/last.ckpt --docs
    python tools/bench_sampling.py --checkpoint teacher=CKPT --rows teacher:ddim:25 teacher:ddim:25:bfloat16 --seeds 5

Rows are ``name:sampler:steps[:precision[:smoothing]]`` with ``name`` a ``--checkpoint`` alias,
``precision`` ``float32`` (also when empty) or ``bfloat16``, and ``smoothing`` the generation's
smoothing prior (``motiongen.generation.smoothing``): ``none``, ``lowpass`` (``conf/smoothing/lowpass.yaml``),
``lowpass@F`` (its cutoff set to F Hz) or, when left out, the checkpoint's own, e.g.
``teacher:dpmsolver:10::lowpass@6``; the row's label names the smoothing when the row sets it. The default rows
are the teacher's DDIM-25, the DDIM baselines at 10, 5, 4, 2 and 1 steps, DPM-Solver++ 10 and 5,
UniPC 5, the student's LCM 4, 2 and 1, and DDIM-25 / LCM-2 in bfloat16. ``--docs`` writes the
printed Markdown (with the command, the machine load and the checkpoints' hashes) into this
script's section of ``docs/benchmarks.md`` (``tools/docs_section.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from docs_section import add_docs_flag, write_section

DEFAULT_ROWS = ("teacher:ddim:25", "teacher:ddim:10", "teacher:ddim:5", "teacher:ddim:4", "teacher:ddim:2",
                "teacher:ddim:1", "teacher:dpmsolver:10", "teacher:dpmsolver:5", "teacher:unipc:5",
                "student:lcm:4", "student:lcm:2", "student:lcm:1", "teacher:ddim:25:bfloat16", "student:lcm:2:bfloat16")
COLUMNS = (("fgd", "FGD", 3), ("bc", "BC", 3), ("l1div", "L1div", 2), ("face_mse", "face MSE", 4),
           ("face_lvd", "face LVD", 4), ("sync_confidence", "sync conf.", 2), ("arm_speed", "arm speed / GT", 2),
           ("arm_accel", "arm accel. / GT", 2), ("seconds_per_second", "wall s per s of speech", 3))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", action="append", required=True, metavar="NAME=PATH",
                        help="a checkpoint and the name rows use for it (repeatable)")
    parser.add_argument("--rows", nargs="+", default=list(DEFAULT_ROWS),
                        help="name:sampler:steps[:precision[:smoothing]], smoothing none | lowpass | lowpass@HZ")
    parser.add_argument("--seeds", type=int, default=5, help="sampling seeds per row (mean ± std)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--cache", type=Path, default=None,
                        help="the cache to score on (default: the first checkpoint's training cache)")
    parser.add_argument("--threads", type=int, default=1)
    add_docs_flag(parser)
    return parser.parse_args()


def sampler_config(name: str, steps: int) -> dict:
    from omegaconf import OmegaConf

    from motiongen.config import compose

    return OmegaConf.to_container(compose("generate", [f"sampler={name}", f"sampler.steps={steps}"]).sampler)


def smoothing_config(spec: str) -> dict | None:
    """The ``conf/smoothing`` node of a row's smoothing field (``none``, ``lowpass``, ``lowpass@F``);
    None for an empty field (the checkpoint's own)."""
    from omegaconf import OmegaConf

    from motiongen.config import compose

    if not spec:
        return None
    kind, _, cutoff = spec.partition("@")
    overrides = [f"smoothing={kind}"] + ([f"smoothing.cutoff_hz={cutoff}"] if cutoff else [])
    return OmegaConf.to_container(compose("generate", overrides).smoothing)


def smoothing_label(config: dict | None) -> str:
    """`` + lowpass 6 Hz`` / `` + no smoothing`` for a row that sets it, else empty."""
    if config is None:
        return ""
    return " + no smoothing" if config["kind"] == "none" else f" + {config['kind']} {config['cutoff_hz']:g} Hz"


def main() -> None:
    import torch

    from motiongen.cache.info import CacheInfo
    from motiongen.evaluation.corpus import evaluation_takes, motion_roles, require_skeleton
    from motiongen.evaluation.run import EvaluationSettings, _speech, build_reference, generate_takes, load_evaluators
    from motiongen.evaluation.scoring import arm_ratios, score_row
    from motiongen.generation.checkpoint import load_assets
    from motiongen.core.hashing import sha256_file
    from motiongen.log_setup import configure_logging

    import logging

    configure_logging(logging.ERROR)
    args = parse()
    torch.set_num_threads(args.threads)
    checkpoints = dict(item.split("=", 1) for item in args.checkpoint)
    rows = [row.split(":") for row in args.rows]
    if any(not 3 <= len(row) <= 5 for row in rows):
        sys.exit("bench_sampling: rows are name:sampler:steps[:precision[:smoothing]]")
    missing = sorted({row[0] for row in rows} - set(checkpoints))
    if missing:
        sys.exit(f"bench_sampling: rows name {missing}, give them with --checkpoint NAME=PATH")
    first = next(iter(checkpoints.values()))
    cache_dir = args.cache or Path(load_assets(first).config["data"]["cache_dir"])
    info = CacheInfo.load(cache_dir)
    roles = motion_roles(info)
    evaluators = load_evaluators(cache_dir, roles)
    takes = evaluation_takes(info, args.split, None)
    template = require_skeleton(info)
    base = EvaluationSettings(split=args.split)
    reference = build_reference(info, roles, takes, evaluators, base, template, progress=False)
    speeches = [_speech(take, ref.frames, reference.fps) for take, ref in zip(takes, reference.takes)]
    seconds = sum(ref.frames for ref in reference.takes) / reference.fps
    truth = [ref.gesture for ref in reference.takes]
    load_before = os.getloadavg()
    results = []
    for name, sampler, steps, *extra in rows:
        precision = (extra[0] if extra else "") or "float32"
        smoothing = smoothing_config(extra[1] if len(extra) > 1 else "")
        scores = []
        for seed in range(args.seeds):
            settings = EvaluationSettings(split=args.split, seed=seed, precision=precision,
                                          sampler=sampler_config(sampler, int(steps)), smoothing=smoothing)
            started = time.perf_counter()
            gestures, faces, _ = generate_takes(Path(checkpoints[name]), takes, reference, roles, settings, False,
                                                speeches=speeches)
            wall = time.perf_counter() - started
            row = score_row(reference, evaluators, gestures, faces, template, roles.joint_names)
            row["arm_speed"], row["arm_accel"] = arm_ratios(gestures, truth, roles.joint_names, reference.fps)
            row["seconds_per_second"] = wall / seconds
            scores.append(row)
        label = (f"{name} {sampler}-{steps}" + ("" if precision == "float32" else f" {precision}")
                 + smoothing_label(smoothing))
        results.append((label, scores))
        print(f"{label}: " + ", ".join(f"{key} {np.mean([s[key] for s in scores]):.4g}" for key, _, _ in COLUMNS
                                       if isinstance(scores[0].get(key), float)), flush=True)
    lines = [
        f"Command: `python tools/bench_sampling.py {' '.join(sys.argv[1:])}`",
        "",
        f"{args.split} split of `{cache_dir.name}` ({len(takes)} takes, {seconds:.1f} s of speech), {args.seeds} seeds "
        f"per row (mean ± std), {args.threads} thread(s); load average before {load_before[0]:.2f}, after "
        f"{os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores. Checkpoints: "
        + ", ".join(f"{name} = `{Path(path).name}` sha256 {sha256_file(path, 12)}" for name, path in checkpoints.items())
        + ". Arm ratios are over the same takes' ground truth. Rows without `+ ...` use the checkpoint's own "
        "smoothing (none for checkpoints older than the setting); `+ lowpass F Hz` is the zero-phase "
        "Butterworth prior on the body (ours, docs/sampling.md).",
        "",
        "| row | " + " | ".join(title for _, title, _ in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for label, scores in results:
        cells = []
        for key, _, digits in COLUMNS:
            values = [s.get(key) for s in scores]
            if not all(isinstance(v, float) for v in values):
                cells.append("—")
                continue
            cells.append(f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.docs:
        print(f"wrote the table into {write_section('bench_sampling.py', report).name}")


if __name__ == "__main__":
    main()

"""What the quickstart's settings buy: lip sync, body motion energy and time, per setting.

Runs ``motiongen quickstart`` (the same :func:`run_quickstart`) once per setting into one output
folder, so the corpus and the feature cache are built once and reused; each run retrains from
scratch. Prints, per setting, the lip-sync table's r with the ground-truth jaw (trained, untrained,
audio-regression baseline), the generated arms' and all joints' angular speed relative to the
training takes (and the arms' angular acceleration relative to theirs: far above 1 is jitter),
and the run's wall and CPU seconds (on a busy machine the CPU seconds of this
process, not the wall time, tell what an idle machine would take). The numbers quoted next to
``DEFAULT_STEPS`` / the tiny experiment come from this script.

    python tools/bench_quickstart.py                                  # the default quickstart
    python tools/bench_quickstart.py --steps 200 600 1200             # training length
    python tools/bench_quickstart.py --steps 600 --set "model.network.latent_dim=128" --set ""
    python tools/bench_quickstart.py --seeds 0 1 2 --set "" --set "model.loss.velocity_weight=1"   # mean ± std over seeds

With several ``--seeds`` every seed (corpus, training and sampling) gets its own subfolder of
``--out`` and each setting ends with a mean ± std line over the seeds.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("quickstart-bench"), help="output folder (reused between runs)")
    parser.add_argument("--steps", type=int, nargs="+", default=[None], help="training steps (default: the quickstart's)")
    parser.add_argument("--set", action="append", default=None, dest="settings",
                        help="space-separated Hydra overrides of one setting (repeatable; \"\" = none)")
    parser.add_argument("--generate-set", action="append", default=None, dest="generate_settings",
                        help="space-separated overrides of conf/generate.yaml for one setting (repeatable), "
                        "e.g. \"sampler.eta=1.0\"; every training setting is sampled with each")
    parser.add_argument("--fast", action="store_true", help="the --fast corpus (5 takes)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of corpus, training and sampling")
    return parser.parse_args()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(u.ru_utime + u.ru_stime for u in usage)


def measure(args: argparse.Namespace, steps: int | None, setting: str, sampling: str, seed: int) -> tuple[str, dict]:
    """Run the quickstart once; one summary line and its figures (jaw r, arm speed and acceleration ratios)."""
    from motiongen.quickstart.pipeline import QuickstartOptions, run_quickstart

    wall, cpu = time.perf_counter(), cpu_seconds()
    out = args.out if len(args.seeds) == 1 else args.out / f"seed{seed}"
    report = run_quickstart(QuickstartOptions(out=out, steps=steps, fast=args.fast, seed=seed, progress=False,
                                              overrides=tuple(setting.split()), generate_overrides=tuple(sampling.split())))
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    r = {row.name: row.r_truth for row in report.lipsync}
    energy = {row.joint: row.ratio for row in report.energy}
    all_joints = next(value for name, value in energy.items() if name.startswith("all "))
    arms = next(row for row in report.energy if row.joint.startswith("arms"))
    jitter = arms.generated_acceleration / arms.corpus_acceleration
    label = " ".join(part for part in (setting, sampling) if part) or "(defaults)"
    figures = {"jaw r": r["trained"], "arm speed ratio": report.arm_energy_ratio, "arm acceleration ratio": jitter}
    return (f"seed {seed} steps {report.training_steps:5d} {label:40s} | jaw r trained {r['trained']:.3f} untrained {r['untrained']:.3f} "
            f"audio-regression {r['audio regression']:.3f} | energy arms {100 * report.arm_energy_ratio:4.0f} % "
            f"all {100 * all_joints:4.0f} % (arm acceleration x{jitter:.1f}) | training {report.training_seconds:5.0f} s, "
            f"run {wall:5.0f} s wall, {cpu:5.0f} s CPU"), figures


def mean_line(label: str, runs: list[dict]) -> str:
    """``label | figure mean ± std (n seeds)`` for every figure of ``runs``."""
    import numpy as np

    parts = [f"{name} {np.mean([run[name] for run in runs]):.3f} ± {np.std([run[name] for run in runs]):.3f}"
             for name in runs[0]]
    return f"mean over {len(runs)} seeds {label or '(defaults)':40s} | " + " | ".join(parts)


def main() -> None:
    import logging

    from motiongen.log_setup import configure_logging

    configure_logging(logging.ERROR)
    args = parse()
    settings = args.settings or [""]
    print(f"load average before: {os.getloadavg()}")
    lines = []
    for steps in args.steps:
        for setting in settings:
            for sampling in args.generate_settings or [""]:
                runs = []
                for seed in args.seeds:
                    line, figures = measure(args, steps, setting, sampling, seed)
                    runs.append(figures)
                    lines.append(line)
                    print(line, flush=True)
                if len(args.seeds) > 1:
                    lines.append(mean_line(f"steps {steps} {setting} {sampling}".strip(), runs))
                    print(lines[-1], flush=True)
    print(f"load average after: {os.getloadavg()}")
    print("\n".join(["", "summary:", *lines]))


if __name__ == "__main__":
    main()

"""``motiongen quickstart``: the whole pipeline offline on a fresh machine, in minutes.

Builds a small speech corpus with eSpeak NG (both voices) and procedural motion for it (the packaged
75-joint mocap skeleton, ARKit faces), preprocesses it (spectral audio features, fastText trained on its transcripts), trains the
tiny UWP experiment on the CPU, generates motion for an unseen sentence and writes a report.

Examples::

    motiongen quickstart                       # everything into ./quickstart
    motiongen quickstart --out /tmp/qs --fast  # CI: fewer takes and training steps
    motiongen quickstart --text "Nice to meet you!" --voice male --steps 500
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("quickstart"), help="output folder (default ./quickstart)")
    parser.add_argument("--steps", type=int, help="training steps (default 1000; 60 with --fast)")
    parser.add_argument("--fast", action="store_true", help="reduced run for CI: 10 takes and 60 training steps")
    parser.add_argument("--text", help="sentence to animate (default: a built-in sentence the corpus does not contain)")
    parser.add_argument("--voice", default="female", help="voice for --text: female or male (default female)")
    parser.add_argument("--seed", type=int, default=0, help="seed of corpus, training and sampling (default 0)")
    parser.add_argument("--distill-steps", type=int, help="steps of the few-step student's distillation (default 1000; "
                        "20 with --fast; 0 = no student)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for preprocessing and training, "
                        "e.g. trainer.loop.batch_size=16")


def run(args: argparse.Namespace) -> int:
    import logging

    from motiongen.log_setup import configure_logging

    configure_logging(logging.WARNING)
    from motiongen.core.errors import ConfigError
    from motiongen.quickstart.pipeline import QuickstartOptions, run_quickstart
    from motiongen.quickstart.script import UNSEEN_SENTENCE
    from motiongen.tts.espeak import VOICES

    if args.steps is not None and args.steps < 1:
        raise ConfigError(f"--steps must be >= 1, got {args.steps}")
    if args.distill_steps is not None and args.distill_steps < 0:
        raise ConfigError(f"--distill-steps must be >= 0, got {args.distill_steps}")
    if args.voice not in VOICES:
        raise ConfigError(f"unknown voice {args.voice!r}; allowed voices: {', '.join(VOICES)}")
    options = QuickstartOptions(
        out=args.out, steps=args.steps, fast=args.fast, text=UNSEEN_SENTENCE if args.text is None else args.text,
        voice=args.voice,
        seed=args.seed, progress=not args.no_progress, overrides=tuple(args.overrides), distill_steps=args.distill_steps,
    )
    report = run_quickstart(options)
    out = options.out.resolve()
    print(f"\nquickstart finished in {report.total_seconds:.0f} s.")
    rows = {row.name: row.r_truth for row in report.lipsync}
    print(f"jawOpen vs the ground-truth jaw: r = {rows['trained']:.2f} after training, {rows['untrained']:.2f} before; "
          f"audio-regression baseline {rows['audio regression']:.2f}")
    if report.student is not None:
        print(f"few-step student: the sentence is animated by {report.student.chosen} (report.md compares it with the teacher)")
    print(f"arms move at {100 * report.arm_energy_ratio:.0f} % of the corpus's angular speed; learned sigmas: "
          + ", ".join(f"{k} {v:.3f}" for k, v in report.sigma.items()))
    print("Open:")
    print(f"  {out / 'generated' / 'preview.mp4'}   (stick figure + face with the speech)")
    print(f"  {out / 'report.md'}                  (what was learned: lip sync, body motion energy)")
    print(f"  {out / 'loss_curve.png'}")
    print(f"  {out / 'generated' / 'motion.bvh'}   (import in Blender: File > Import > BVH)")
    print(f"  {out / 'generated' / 'face_livelink.csv'}  (Live Link Face CSV for Unreal)")
    return 0

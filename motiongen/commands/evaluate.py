"""``motiongen evaluate``: the published gesture/face metrics and lip sync for checkpoints.

Examples::

    motiongen evaluate checkpoint=runs/uwp_beat/checkpoints/last.ckpt split=test
    motiongen evaluate 'checkpoints=[runs/a/checkpoints/last.ckpt,runs/b/checkpoints/last.ckpt]' num_samples=3
    motiongen evaluate checkpoint=last.ckpt max_takes=2 max_seconds=10 sampler.steps=10   # quick look
    motiongen evaluate checkpoint=last.ckpt 'recorded=[live/take1,live/take2]'         # + live --record folders
    motiongen evaluate checkpoint=last.ckpt extractor.gesture=ae_300.bin \
        extractor.gesture_mean=bvh_mean.npy extractor.gesture_std=bvh_std.npy        # a pretrained FGD network

Writes ``metrics.json`` and ``metrics.md``. The corpus of the cache chooses the suite
(:attr:`~motiongen.datasets.base.Corpus.evaluation_suite`): ``speech``, the co-speech metrics of
:mod:`motiongen.evaluation.run`; ``sign``, the sign-production metrics of
:mod:`motiongen.evaluation.sign_evaluation`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*",
                        help="settings, e.g. checkpoint=CKPT split=test num_samples=1 sampler.steps=25 out_dir=DIR")


def _cache_dir(checkpoint: Path) -> str:
    import torch

    from motiongen.core.errors import ConfigError, InputFileError
    from motiongen.training.bundle import BUNDLE_KEY

    try:
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
        return str(payload[BUNDLE_KEY]["config"]["data"]["cache_dir"])
    except KeyError:
        raise ConfigError(f"{checkpoint} does not record its cache folder; give cache_dir=...") from None
    except Exception as err:
        raise InputFileError(checkpoint, f"not a readable checkpoint ({type(err).__name__}: {err})") from None


def run(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from motiongen.config import compose
    from motiongen.log_setup import configure_logging

    configure_logging(logging.INFO)
    cfg = OmegaConf.to_container(compose("evaluate", args.overrides), resolve=True)  # before torch loads

    import functools

    import torch

    from motiongen.cache.info import corpus_of_cache
    from motiongen.core.errors import ConfigError
    from motiongen.evaluation.beat_extractor import PretrainedGesture
    from motiongen.evaluation.run import EvaluationSettings, evaluate
    from motiongen.evaluation.sign_evaluation import evaluate_signs
    from motiongen.evaluation.sign_table import sign_markdown_table
    from motiongen.evaluation.table import markdown_table
    from motiongen.generation.runtime import inference_threads

    checkpoints = ([cfg["checkpoint"]] if cfg["checkpoint"] else []) + list(cfg["checkpoints"])
    recorded = list(cfg["recorded"])
    if not checkpoints and not (recorded and cfg["cache_dir"] and cfg["out_dir"]):
        raise ConfigError("give checkpoint=PATH (or checkpoints=[A,B,...]), or recorded=[DIR,...] with cache_dir= and out_dir=")
    if checkpoints:
        first = Path(checkpoints[0])
        if not first.is_file():
            raise ConfigError(f"checkpoint={first}: no such file")
        run_dir = first.parent.parent if first.parent.name == "checkpoints" else first.parent
    cache_dir = cfg["cache_dir"] or _cache_dir(first)
    out_dir = Path(cfg["out_dir"] or run_dir / "evaluation" / cfg["split"])
    torch.set_num_threads(inference_threads(cfg["threads"]))
    pretrained = PretrainedGesture.from_config(cfg["extractor"])
    settings = EvaluationSettings(
        split=cfg["split"], num_samples=int(cfg["num_samples"]), seed=int(cfg["seed"]), max_takes=cfg["max_takes"],
        max_seconds=cfg["max_seconds"], wind_components=int(cfg["wind_components"]),
        wind_repeats=int(cfg["wind_repeats"]), beat_joint=str(cfg["beat_joint"]),
        precision=str(cfg["precision"]), untrained_baseline=bool(cfg["untrained_baseline"]), sampler=dict(cfg["sampler"]),
        window_join=str(cfg["window_join"]), smoothing=cfg.get("smoothing"),
        pretrained_gesture=pretrained)
    suites = {"speech": (functools.partial(evaluate, recorded=recorded), markdown_table),
              "sign": (evaluate_signs, sign_markdown_table)}
    suite = corpus_of_cache(cache_dir).evaluation_suite
    if suite not in suites:
        raise ConfigError(f"{cache_dir}: its corpus asks for the evaluation suite {suite!r}; there are {sorted(suites)}")
    if suite != "speech" and (pretrained or recorded):
        given = f"extractor.gesture={pretrained.checkpoint}" if pretrained else "recorded="
        raise ConfigError(f"{given} applies to speech corpora, and {cache_dir} is a {suite} corpus "
                          "(evaluated from checkpoints with its own suite)")
    run_suite, table = suites[suite]
    report = run_suite(checkpoints, cache_dir, out_dir, settings)
    print(table(report))
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report["timing_seconds"].items())
    print(f"wrote {out_dir / 'metrics.json'} and {out_dir / 'metrics.md'} ({stages})")
    return 0

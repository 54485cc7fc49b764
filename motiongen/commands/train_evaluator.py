"""``motiongen train-evaluator``: train the evaluation networks of a feature cache.

Examples::

    motiongen train-evaluator cache/beat-uwp                      # gesture + face extractors and the sync scorer
    motiongen train-evaluator cache/beat-uwp --sync sync_steps=500 # only the lip-sync scorer
    motiongen train-evaluator cache/beat-uwp --features           # only the FGD/FD extractors

The networks go to ``CACHE_DIR/evaluators/`` and are named by their hash in every report.
"""

from __future__ import annotations

import argparse
import logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cache_dir", help="feature cache built by `motiongen preprocess`")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sync", action="store_true", help="train only the lip-sync scorer")
    which.add_argument("--features", action="store_true", help="train only the FGD/FD feature extractors")
    parser.add_argument("overrides", nargs="*", help="settings, e.g. feature_steps=500 sync_steps=500 seed=1")


def run(args: argparse.Namespace) -> int:
    import torch
    from omegaconf import OmegaConf

    from motiongen.config import compose
    from motiongen.evaluation.training import EvaluatorSettings, train_feature_extractors, train_sync
    from motiongen.generation.pipeline import inference_threads
    from motiongen.log_setup import configure_logging

    configure_logging(logging.INFO)
    cfg = OmegaConf.to_container(compose("train_evaluator", args.overrides), resolve=True)
    torch.set_num_threads(inference_threads(cfg.pop("threads")))
    settings = EvaluatorSettings(**cfg)
    results = {}
    if not args.sync:
        results.update(train_feature_extractors(args.cache_dir, settings))
    if not args.features:
        results.update(train_sync(args.cache_dir, settings))
    for role, result in results.items():
        facts = result["info"]
        detail = (f"held-out sync accuracy {facts['sync_accuracy']:.3f}" if role == "sync"
                  else f"reconstruction L1 {facts['final_reconstruction_l1']:.4f}")
        print(f"{role}: {result['path']} (hash {result['hash']}, {detail})")
    return 0

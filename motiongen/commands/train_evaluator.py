"""``motiongen train-evaluator``: train the evaluation networks of a feature cache.

Examples::

    motiongen train-evaluator CACHE_DIR                         # the evaluators its corpus asks for
    motiongen train-evaluator CACHE_DIR --sync sync_steps=500   # only the lip-sync scorer
    motiongen train-evaluator CACHE_DIR --features              # only the FGD/FD extractors
    motiongen train-evaluator data=NAME sign.steps=3000         # the cache of a data config

The networks go to ``CACHE_DIR/evaluators/`` and are named by their hash in every report. The
corpus of the cache chooses them (:attr:`~motiongen.datasets.base.Corpus.evaluator`):
``motion_features``, the feature extractors and the sync scorer (:mod:`motiongen.evaluation.training`);
``sign_classifier``, the isolated-sign classifier (:mod:`motiongen.evaluation.sign_training`).
"""

from __future__ import annotations

import argparse
import logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cache_dir", nargs="?", help="feature cache built by `motiongen preprocess` (or give data=NAME)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sync", action="store_true", help="train only the lip-sync scorer")
    which.add_argument("--features", action="store_true", help="train only the FGD/FD feature extractors")
    parser.add_argument("overrides", nargs="*", help="settings, e.g. feature_steps=500 sync_steps=500 seed=1")


def run(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from motiongen.config import compose
    from motiongen.core.errors import ConfigError
    from motiongen.log_setup import configure_logging

    configure_logging(logging.INFO)
    overrides = list(args.overrides)
    cache_dir = args.cache_dir
    if cache_dir is not None and "=" in cache_dir:
        overrides.insert(0, cache_dir)
        cache_dir = None
    composed = compose("train_evaluator", overrides)  # a config mistake is reported before torch loads

    import torch

    from motiongen.cache.info import corpus_of_cache
    from motiongen.evaluation.sign_training import SignClassifierSettings, train_sign_classifier
    from motiongen.evaluation.training import EvaluatorSettings, train_feature_extractors, train_sync
    from motiongen.generation.runtime import inference_threads

    if cache_dir is None:
        cache_dir = OmegaConf.select(composed, "data.cache_dir", throw_on_missing=False)
        if cache_dir is None:
            raise ConfigError("give the cache folder (CACHE_DIR) or a data config (data=NAME)")
    cfg = OmegaConf.to_container(composed, resolve=False)
    cfg.pop("data", None)  # only its cache folder is used (its other fields may be unset, e.g. root)
    cfg = OmegaConf.to_container(OmegaConf.create(cfg), resolve=True)
    torch.set_num_threads(inference_threads(cfg.pop("threads")))
    sign = SignClassifierSettings(**cfg.pop("sign"))
    evaluator = corpus_of_cache(cache_dir).evaluator
    if evaluator not in ("motion_features", "sign_classifier"):
        raise ConfigError(f"{cache_dir}: its corpus asks for the evaluator {evaluator!r}; there are motion_features "
                          "and sign_classifier")
    if evaluator == "sign_classifier":
        if args.sync or args.features:
            raise ConfigError(f"{cache_dir} is a sign corpus: it has only the sign classifier (drop --sync/--features)")
        result = train_sign_classifier(cache_dir, sign)["sign"]
        held_out = "; ".join(f"{split} top-1 {r['top1']:.3f}, top-5 {r['top5']:.3f} ({r['clips']} clips)"
                             for split, r in result["info"]["held_out"].items()) or "no held-out clips"
        print(f"sign: {result['path']} (hash {result['hash']}, held-out {held_out})")
        return 0
    settings = EvaluatorSettings(**cfg)
    results = {}
    if not args.sync:
        results.update(train_feature_extractors(cache_dir, settings))
    if not args.features:
        results.update(train_sync(cache_dir, settings))
    for role, result in results.items():
        facts = result["info"]
        detail = (f"held-out sync accuracy {facts['sync_accuracy']:.3f}" if role == "sync"
                  else f"reconstruction L1 {facts['final_reconstruction_l1']:.4f}")
        print(f"{role}: {result['path']} (hash {result['hash']}, {detail})")
    return 0

"""Argument parsing and dispatch of the ``render`` sub-commands (heavy imports deferred)."""

from __future__ import annotations

import argparse
import json


def run_train(args: argparse.Namespace) -> int:
    from render.config import compose
    from render.training.run import train

    summary = train(compose("train", args.overrides))
    print(json.dumps(summary, indent=2))
    return 0

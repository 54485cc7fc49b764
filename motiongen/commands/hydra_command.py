"""What the commands configured by Hydra overrides (``train``, ``sweep``, ``preprocess``) share:
the ``overrides`` argument and composing ``conf/config.yaml`` from it with logging set up."""

from __future__ import annotations

import argparse


def add_overrides_argument(parser: argparse.ArgumentParser, examples: str) -> None:
    """The positional ``overrides`` (``key=value`` Hydra overrides); ``examples`` shows typical ones."""
    parser.add_argument("overrides", nargs="*", help=f"Hydra overrides, e.g. {examples}")


def compose_command_config(args: argparse.Namespace, log_level: int):
    """Configure console logging at ``log_level`` and compose the config from ``args.overrides``."""
    from motiongen.config import compose
    from motiongen.log_setup import configure_logging

    configure_logging(log_level)
    return compose("config", args.overrides)

"""What the commands configured by Hydra overrides share: the ``overrides`` argument, composing
``conf/config.yaml`` from it with logging set up, and (``generate``, ``live``) turning command-line
flags into overrides."""

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


#: The ``conf/sampler`` files a ``--sampler`` flag can name (kept equal to the folder by a test).
SAMPLERS = ("ddim", "ddpm", "dpmsolver", "unipc", "lcm")


def flag_overrides(args: argparse.Namespace, pairs: dict) -> list[str]:
    """The trailing ``args.overrides`` followed by the flags' overrides, so flags win: ``--sampler``
    selects a ``conf/sampler`` file, and ``pairs`` maps config keys to flag values (None = not given)."""
    out = list(args.overrides)
    if args.sampler:
        out.append(f"sampler={args.sampler}")
    return out + [f"{key}={value}" for key, value in pairs.items() if value is not None]

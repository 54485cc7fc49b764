"""Console logging for the command-line entry points."""

from __future__ import annotations

import logging


def configure_logging(level: int = logging.WARNING) -> None:
    """Log ``LEVEL name: message`` lines to stderr through one root handler.

    The ``lightning`` package always installs a console handler of its own on the ``lightning``
    logger; its records are kept from also reaching the root handler, so each Lightning line is
    printed once (by Lightning's handler).
    """
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("lightning").propagate = False

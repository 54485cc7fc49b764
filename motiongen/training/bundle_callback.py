"""The Lightning callback that writes the generation bundle into every training checkpoint.

Kept apart from :mod:`motiongen.training.bundle` so that generation (which reads bundles) never
imports Lightning.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import Callback

from motiongen.training.bundle import BUNDLE_KEY


class GenerationBundle(Callback):
    """Lightning callback: put ``bundle`` (from :func:`~motiongen.training.bundle.make_bundle`) into every saved checkpoint."""

    def __init__(self, bundle: dict[str, Any]):
        self.bundle = bundle

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        checkpoint[BUNDLE_KEY] = self.bundle

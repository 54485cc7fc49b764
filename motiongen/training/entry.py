"""The training entry point of ``motiongen train`` and of every sweep trial: :func:`train` with the
callbacks the configuration declares.

A callback the configuration declares is a ``_target_`` node (today ``validation_metrics``, the
evaluation metrics of a fixed validation batch, ``motiongen.evaluation.validation.ValidationMetrics``)
with an ``enabled`` switch; it is built with Hydra's ``instantiate``, so training names no class of
a higher layer and the metrics plug in from the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig, OmegaConf

#: Root config keys holding a callback node (``_target_`` + ``enabled`` + the class's arguments).
CALLBACK_KEYS = ("validation_metrics",)


def config_callbacks(cfg: DictConfig) -> list:
    """The Lightning callbacks the configuration declares and enables, in :data:`CALLBACK_KEYS` order."""
    from hydra.utils import instantiate

    callbacks = []
    for key in CALLBACK_KEYS:
        node = cfg.get(key)
        if node is None or not node.get("enabled", True):
            continue
        settings = OmegaConf.to_container(node, resolve=True)
        settings.pop("enabled", None)
        callbacks.append(instantiate(settings))
    return callbacks


def train_with_config_callbacks(cfg: DictConfig, extra_callbacks: Sequence = ()):
    """``train(cfg)`` with :func:`config_callbacks` first, then ``extra_callbacks`` (which see the
    metrics those log, e.g. a sweep's report callback); returns the
    :class:`~motiongen.training.run.TrainingRun`."""
    from motiongen.training.run import train

    return train(cfg, extra_callbacks=[*config_callbacks(cfg), *extra_callbacks])

"""Dataset packages behind one interface (:class:`motiongen.datasets.base.Corpus`), one package per
corpus, chosen by the data config's ``_target_``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from motiongen.core.errors import ConfigError


def corpus_from_config(data: Any):
    """Build the corpus the data config names with ``_target_``.

    Raises:
        ConfigError: no ``_target_``, or one that does not name a :class:`~motiongen.datasets.base.Corpus`.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import get_class

    from motiongen.datasets.base import Corpus

    target = data.get("_target_") if hasattr(data, "get") else None
    if not target:
        raise ConfigError("data._target_ is not set: the data config must name its corpus class "
                          "(e.g. data=beat, or data._target_=package.module.MyCorpus)")
    try:
        cls = get_class(str(target))
    except (ImportError, InstantiationException, ValueError) as err:
        raise ConfigError(f"data._target_={target} cannot be imported: {err}") from None
    if not (isinstance(cls, type) and issubclass(cls, Corpus)):
        raise ConfigError(f"data._target_={target} is not a motiongen.datasets.base.Corpus subclass")
    return cls(data)


def corpus_of_folder(folder: Path, settings: dict | None = None):
    """The first corpus of ``conf/data/*.yaml`` (in file-name order) whose class
    (:meth:`~motiongen.datasets.base.Corpus.recognises`) takes ``folder`` for one of its own, built
    from that data config with ``root`` = ``folder`` (and ``settings``, e.g. ``{"split_csv": path}``);
    None when no corpus recognises it.

    Raises:
        ConfigError: a data config names a ``_target_`` that cannot be imported.
    """
    from omegaconf import OmegaConf

    from motiongen.config import conf_dir

    for path in sorted((conf_dir() / "data").glob("*.yaml")):
        data = OmegaConf.load(path)
        if not isinstance(data, DictConfig) or not data.get("_target_"):
            continue
        data.root = str(folder)
        for key, value in (settings or {}).items():
            data[key] = value
        corpus = corpus_from_config(data)
        if corpus.recognises(Path(folder)):
            return corpus
    return None

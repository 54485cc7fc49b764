"""The corpus a cache or a checkpoint was made from, rebuilt from the data config it recorded.

A cache manifest records its data config under ``corpus.data`` (:func:`motiongen.cache.info.corpus_record`)
and a checkpoint records the training config (``config.data``); either is enough to rebuild the
corpus with :func:`motiongen.datasets.corpus_from_config`. A record without ``_target_`` (a cache or
checkpoint made before data configs named their corpus class) gives an :class:`UnnamedCorpus`: the
interface's defaults (the speech evaluation suite, no checkpoint extras, the request's length) and
refuses what only the corpus can read (takes, transcripts, semantic labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import MotionFormat
from motiongen.datasets.base import Corpus, Discovery, TakeMotion, TakeSource


class UnnamedCorpus(Corpus):
    """A recorded corpus without a class: answers with the interface's defaults and cannot be built
    again (its data config names no reader)."""

    def _unbuildable(self):
        raise ConfigError(f"corpus {self.name!r} was recorded without data._target_ (made by an older motiongen): "
                          "it cannot be read again; preprocess it with a data config that names its corpus class")

    def discover(self) -> Discovery:
        self._unbuildable()

    def settings(self) -> dict[str, Any]:
        self._unbuildable()

    def read_take(self, take: TakeSource, fps: float) -> TakeMotion:
        self._unbuildable()

    def motion_format(self, fps: float, takes: Mapping[str, Mapping[str, Any]]) -> MotionFormat:
        self._unbuildable()

    def words(self, take: TakeSource):
        """Refused rather than None: evaluating such a cache would silently condition every take on
        silence words."""
        self._unbuildable()

    def semantic_segments(self, take_id: str, sources: Mapping[str, Mapping[str, Any]]):
        self._unbuildable()

    @property
    def root(self) -> Path:
        return Path(str(self.data.get("root") or "."))

    @property
    def name(self) -> str:
        return str(self.data.get("name") or "unnamed")


def recorded_corpus(data: Mapping[str, Any] | None) -> Corpus:
    """The corpus of a recorded data config (a plain mapping or a config node; None = nothing recorded).

    Raises:
        ConfigError: a ``_target_`` that cannot be imported or is not a corpus class.
    """
    from omegaconf import OmegaConf

    from motiongen.datasets import corpus_from_config

    node = OmegaConf.create(dict(data or {})) if not OmegaConf.is_config(data) else data
    if not node.get("_target_"):
        return UnnamedCorpus(node)
    return corpus_from_config(node)

"""The corpus interface: what every dataset package provides, and nothing else names a dataset.

A corpus is chosen by the data config's ``_target_`` (``conf/data/<name>.yaml``) and built with
:func:`motiongen.datasets.corpus_from_config`. The layers above (cache, training, generation,
evaluation, commands) talk to it only through :class:`Corpus`:

* **find takes** — :meth:`Corpus.discover` lists the takes with their split, source files and
  category labels, and says which were skipped and why;
* **declare the motion format** — :meth:`Corpus.motion_format` names the blocks the corpus provides
  (and its category streams); the cache adds the audio and word streams it computes;
* **produce each take's arrays** — :meth:`Corpus.read_take` returns the motion blocks at the cache's
  frame rate and where the take's speech is, and :meth:`Corpus.words` its word timings, so the
  generic cache builder can compute the audio and word features (in worker processes: a corpus
  must pickle);
* **inspect a folder** — :meth:`Corpus.inspect` checks a corpus folder without writing anything;
* **what applies downstream** — :attr:`Corpus.evaluation_suite`, :attr:`Corpus.evaluator`, the
  semantic annotation SRGR scores against (:meth:`Corpus.semantic_segments`), the checkpoint
  extras (:meth:`Corpus.checkpoint_extras`) and the generation length rule
  (:meth:`Corpus.generation_frames`). Which exporters apply follows from the declared format
  (each exporter states the block representations it needs), not from the corpus.

This module sits just above ``formats``: it imports only ``core`` and ``formats``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from motiongen.core.motion_format import MotionFormat

if TYPE_CHECKING:
    from motiongen.formats.textgrid import Interval


@dataclass(frozen=True)
class TakeSource:
    """One take a corpus found on disk.

    Attributes:
        take_id: unique within the corpus (the cache entry's name).
        split: ``train``, ``val`` or ``test``.
        files: ``{role: path}`` of every source file whose change invalidates the cached take.
        categories: ``{category stream: label}`` known from the file names or annotations
            (a corpus may also return labels from :meth:`Corpus.read_take`).
        facts: corpus-specific facts :meth:`Corpus.read_take` needs (JSON-serialisable).
    """

    take_id: str
    split: str
    files: Mapping[str, str]
    categories: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Discovery:
    """What :meth:`Corpus.discover` found: takes to cache, takes left out (with the reason), and
    corpus-level problems (unplaced files, split-file rows without a take, ...)."""

    takes: list[TakeSource]
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class TakeMotion:
    """One take as the corpus reads it, before the generic audio and word features.

    Attributes:
        blocks: ``{name: (N, width)}`` float32 for every motion block of the declared format, and
            ``{<block>_mask: (N, groups)}`` observed flags for blocks with mask groups; all at the
            cache's frame rate, frame ``k`` at ``k / fps`` seconds from the take's start.
        speech: path of the take's speech audio (any rate; the cache resamples), or ``None``.
        categories: labels of category streams learnt while reading (added to the source's).
        warnings: problems met while reading (kept in the manifest).
    """

    blocks: dict[str, np.ndarray]
    speech: str | None = None
    categories: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Corpus(ABC):
    """A dataset behind one interface (see the module docstring).

    Args:
        data: the composed ``data`` config node (its keys are the corpus's settings; ``root``,
            ``cache_dir``, ``motion_fps``, ``features``, ``words`` are read by the generic layers).
    """

    #: Evaluation suite of ``motiongen evaluate``: ``"speech"`` (co-speech metrics) or ``"sign"``.
    evaluation_suite: str = "speech"
    #: What ``motiongen train-evaluator`` trains: ``"motion_features"`` or ``"sign_classifier"``.
    evaluator: str = "motion_features"

    def __init__(self, data: Any):
        self.data = data

    @property
    def name(self) -> str:
        """The corpus name (``data.name``), used in folder names and messages."""
        return str(self.data.name)

    @property
    def root(self) -> Path:
        """The corpus folder (``data.root``)."""
        return Path(str(self.data.root)).expanduser()

    @abstractmethod
    def discover(self) -> Discovery:
        """Find the takes under :attr:`root`.

        Raises:
            InputFileError: the root is not a folder.
        """

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """JSON-serialisable settings that decide :meth:`read_take`'s arrays (hashed for resume)."""

    @abstractmethod
    def read_take(self, take: TakeSource, fps: float) -> TakeMotion:
        """Read one take's motion blocks at ``fps`` frames per second.

        Raises:
            MotiongenError: the take cannot be read (reported as failed; the others go on).
            ConfigError: a setting that would fail every take (stops the build).
        """

    def words(self, take: TakeSource) -> Sequence["Interval"] | None:
        """The take's word intervals (seconds; ``""`` = silence), or ``None`` for a corpus without
        transcripts. Read before any take is computed (the corpus word table needs every word).

        Raises:
            MotiongenError: the transcript cannot be read (the take is reported as failed).
        """
        return None

    @abstractmethod
    def motion_format(self, fps: float, takes: Mapping[str, Mapping[str, Any]]) -> tuple[MotionFormat, list[str]]:
        """The corpus's blocks and category streams (no audio/word streams, no statistics), and
        warnings met while declaring it (e.g. a fallback skeleton template).

        Args:
            takes: ``{take_id: {"split", "categories", "sources", ...}}`` of the cached takes
                (``sources[role]["path"]`` is each source file).
        """

    def finish(self, cache_dir: Path, takes: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """After the takes are cached: write corpus-specific extras into ``cache_dir/extras/``
        (e.g. a fitted model) and return notes worth reading. Default: nothing."""
        return []

    def semantic_segments(self, take_id: str, sources: Mapping[str, Mapping[str, Any]]) -> list | None:
        """Semantic-relevance annotation of a cached take for the SRGR metric: segments with
        ``start``/``end`` seconds and a ``score`` in [0, 1], or None when the corpus has none.

        Args:
            sources: the take's source fingerprints as the cache recorded them (``[role]["path"]``).
        """
        return None

    def checkpoint_extras(self, cache_dir: Path) -> dict[str, dict[str, np.ndarray]]:
        """Arrays a trained checkpoint carries for this corpus (``{extra name: {array name: array}}``),
        read from the cache's extras. Default: none."""
        return {}

    def generation_frames(self, categories: Mapping[str, str], requested: int | None,
                          typical: Mapping[str, Mapping[str, int]], window_frames: int, seed_frames: int
                          ) -> tuple[int | None, str | None]:
        """The length rule of a generation not timed by speech (e.g. a sign): the one function both
        ``motiongen generate`` and the evaluation use.

        Args:
            categories: ``{category stream: label}`` of the request.
            requested: frames asked for (None = the corpus's default).
            typical: ``{category stream: {label: median frames of its train takes}}`` the checkpoint records.
            window_frames, seed_frames: the model's training window and seed frames (a model without
                seed frames generates one window).

        Returns ``(frames, note)``: frames to generate (``None`` = the caller's default) and a
        one-line note when the request was changed. Default: the request as given.
        """
        return requested, None

    @classmethod
    def recognises(cls, folder: Path) -> bool:
        """Whether ``folder`` looks like this corpus (``motiongen inspect`` picks the corpus of a
        folder by it, in the order of ``conf/data``). Default: never."""
        return False

    def inspect(self, progress=None):
        """Check the corpus folder (nothing is written) and return a
        :class:`~motiongen.datasets.report.Report` (its ``tables`` are printed as they are)."""
        raise NotImplementedError(f"{type(self).__name__} has no folder inspection")

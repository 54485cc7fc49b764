"""Word vectors of the labels of a category stream (a text-label condition), a condition beside the
learned label embedding.

With fastText vectors given locally (e.g. a language's ``cc.<lang>.300.bin``), each label gets the
mean of its words' vectors (words = the label's runs of letters and digits, lower-cased; "до свидания"
→ до, свидания). A ``.bin`` model gives every word a vector (subword n-grams for words outside its
vocabulary); from a ``.vec`` file a word absent from the file has none. A label none of whose words
has a vector keeps a zero row and is reported.

The cache stores them as ``label_vectors.npz``: ``stream`` (the condition stream's name),
``labels`` (L,) in the stream's class order, ``vectors`` (L, D) float32 and ``source`` (the file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motiongen.core.atomic import savez
from motiongen.core.errors import ConfigError, InputFileError
from motiongen.core.motion_format import ConditionKind, MotionFormat
from motiongen.features.words import FastTextModel, read_vec_subset

LABEL_VECTORS = "label_vectors.npz"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, eq=False)
class LabelVectors:
    """One vector per class of a text-label stream.

    Attributes:
        stream: the condition stream (a text-label category stream of the motion format).
        labels: class labels, in the stream's order.
        vectors: ``(len(labels), dim)`` float32.
        source: the fastText file they came from.
    """

    stream: str
    labels: tuple[str, ...]
    vectors: np.ndarray
    source: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def label_words(label: str) -> list[str]:
    """The words of a label whose vectors are averaged: runs of letters/digits, lower-cased."""
    return _WORD.findall(label.lower())


def compute_label_vectors(path: str | Path, stream: str, labels: tuple[str, ...]) -> tuple[LabelVectors, list[str]]:
    """Vectors of ``labels`` from a fastText ``.bin`` model or ``.vec`` file, and the problems met.

    Returns:
        ``(vectors, warnings)``; a warning names each label left without a vector (zero row).

    Raises:
        ConfigError: neither ``.bin`` nor ``.vec``.
        InputFileError: a missing or unreadable file.
    """
    path = Path(path).expanduser()
    words = sorted({word for label in labels for word in label_words(label)})
    suffix = path.suffix.lower()
    if suffix == ".bin":
        table = FastTextModel(path)
    elif suffix == ".vec":
        table = read_vec_subset(path, words)
    else:
        raise ConfigError(f"label vectors must be a fastText .bin or .vec file, got {path}")
    found_vectors, found = table.lookup(words)
    row_of = {word: row for row, word in enumerate(words)}
    vectors = np.zeros((len(labels), table.dim), dtype=np.float32)
    warnings = []
    for index, label in enumerate(labels):
        rows = [row_of[word] for word in label_words(label) if found[row_of[word]]]
        if rows:
            vectors[index] = found_vectors[rows].mean(axis=0)
        else:
            warnings.append(f"label {label!r}: no word vector in {path} (words {label_words(label)}); its row is zero")
    return LabelVectors(stream, tuple(labels), vectors, str(path)), warnings


def write_label_vectors(cache_dir: str | Path, vectors: LabelVectors) -> Path:
    """Store ``vectors`` as ``<cache_dir>/label_vectors.npz`` (atomically)."""
    path = Path(cache_dir) / LABEL_VECTORS
    savez(path, {"stream": np.array(vectors.stream), "labels": np.array(vectors.labels, dtype=str),
                 "vectors": vectors.vectors.astype(np.float32), "source": np.array(vectors.source)})
    return path


def read_label_vectors(cache_dir: str | Path) -> LabelVectors | None:
    """The cache's label vectors, or None when it has none.

    Raises:
        InputFileError: the file exists but is not a label-vector table.
    """
    path = Path(cache_dir) / LABEL_VECTORS
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            result = LabelVectors(str(data["stream"]), tuple(data["labels"].tolist()),
                                  np.asarray(data["vectors"], dtype=np.float32), str(data["source"]))
    except (OSError, KeyError, ValueError) as err:
        raise InputFileError(path, f"not a label-vector table: {err}") from None
    if result.vectors.shape[0] != len(result.labels):
        raise InputFileError(path, f"{len(result.labels)} labels but {result.vectors.shape[0]} vectors")
    return result


def label_vectors_source(data) -> Path | None:
    """The fastText file ``data.label_vectors`` names (checked before any take is read), or None.

    Raises:
        InputFileError: the file does not exist.
    """
    from omegaconf import OmegaConf

    value = OmegaConf.select(data, "label_vectors", default=None)
    if value is None:
        return None
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise InputFileError(path, "data.label_vectors: fastText vectors not found")
    return path


def store_label_vectors(cache_dir: str | Path, source: Path | None, motion_format: MotionFormat) -> list[str]:
    """Write the vectors of the format's text-label stream from ``source``; without a source (or
    without such a stream) remove the ones an earlier build of this cache wrote. Returns warnings.

    Raises:
        ConfigError: a source for a format with several text-label streams (one table holds one stream).
    """
    streams = motion_format.conditions_of(ConditionKind.TEXT_LABEL)
    if source is None or not streams:
        (Path(cache_dir) / LABEL_VECTORS).unlink(missing_ok=True)
        return [] if source is None else [f"data.label_vectors={source}: the format has no text-label stream; unused"]
    if len(streams) > 1:
        raise ConfigError(f"data.label_vectors: one table per cache, and the format has {len(streams)} text-label "
                          f"streams ({', '.join(s.name for s in streams)})")
    vectors, warnings = compute_label_vectors(source, streams[0].name, tuple(streams[0].labels))
    write_label_vectors(cache_dir, vectors)
    return warnings

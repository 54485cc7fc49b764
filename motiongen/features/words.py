"""fastText word vectors restricted to the words a corpus (or a transcript) actually uses.

A released fastText file is large (``crawl-300d-2M.vec``: 2 M words, 4.5 GB as text;
``crawl-300d-2M-subword.bin``: 7 GB). It is read ONCE, in the main process, for the vocabulary of
the corpus's TextGrids, and the result — a :class:`WordTable` of a few thousand rows — is what
workers load. From a ``.bin`` model every word gets a vector (out-of-vocabulary words are built
from character n-grams); from a ``.vec`` file, a word absent from the file stays without a vector
(its frames get zeros) and is reported.

Lookup order for a word: as written, lower-cased, then capitalised (``i`` -> ``I``).

Offline fallback: :func:`train_fallback_model` trains a small fastText skip-gram model on the
corpus transcripts (gensim's FastText, one worker: bit-reproducible) and writes it in fastText's
``.bin`` format, read back like any released model. Those vectors are NOT the paper's; callers log it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence

import numpy as np

from motiongen.core.atomic import atomic_path, savez
from motiongen.core.errors import ConfigError, InputFileError
from motiongen.core.hashing import sha256_text

log = logging.getLogger(__name__)


class WordVectors(Protocol):
    """Anything that maps words to ``dim``-d vectors."""

    dim: int

    def lookup(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors (n, dim) float32, found (n,) bool)``; rows of unknown words are zeros."""


def spellings(word: str) -> tuple[str, ...]:
    """The spellings tried for ``word``, in order."""
    return tuple(dict.fromkeys((word, word.lower(), word[:1].upper() + word[1:].lower())))


@dataclass
class WordTable:
    """Word vectors for a fixed vocabulary, in memory.

    Attributes:
        words: vocabulary, row order of ``vectors``.
        vectors: ``(V, dim)`` float32.
        source: where the vectors came from (file path or the fallback model), for the manifest.
    """

    words: list[str]
    vectors: np.ndarray
    source: str
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32).reshape(len(self.words), -1)
        self._index = {word: row for row, word in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def lookup(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors (n, dim) float32, found (n,) bool)``; unknown words get zero rows."""
        rows = np.array(
            [next((self._index[s] for s in spellings(w) if s in self._index), -1) for w in words], dtype=np.int64
        )
        found = rows >= 0
        out = np.zeros((len(words), self.dim), dtype=np.float32)
        out[found] = self.vectors[rows[found]]
        return out, found

    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` (words, vectors, source) atomically."""
        savez(path, {"words": np.array(self.words, dtype=str), "vectors": self.vectors, "source": np.array(self.source)})

    @classmethod
    def load(cls, path: str | Path) -> "WordTable":
        """Read a table written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(list(data["words"].tolist()), data["vectors"], str(data["source"]))
        except (OSError, KeyError, ValueError) as err:
            raise InputFileError(path, f"not a word-vector table: {err}") from None


class FastTextModel:
    """A fastText ``.bin`` model: every word gets a vector (subword n-grams for unknown words)."""

    def __init__(self, path: str | Path):
        import fasttext

        self.path = Path(path)
        if not self.path.is_file():
            raise InputFileError(self.path, "fastText model not found")
        try:
            self.model = fasttext.load_model(str(self.path))
        except ValueError as err:
            raise InputFileError(self.path, f"not a fastText .bin model: {err}") from None
        self.dim = int(self.model.get_dimension())

    def lookup(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors (n, dim) float32, found (n,) bool)``; ``found`` is False only for a word with
        neither a vocabulary entry nor any character n-gram (its row is zeros)."""
        out = np.zeros((len(words), self.dim), dtype=np.float32)
        for row, word in enumerate(words):
            known = next((s for s in spellings(word) if self.model.get_word_id(s) >= 0), word)
            out[row] = self.model.get_word_vector(known)
        return out, np.abs(out).sum(axis=1) > 0


def read_vec_subset(path: str | Path, vocabulary: Iterable[str]) -> WordTable:
    """Stream a fastText ``.vec`` text file, keeping only the rows whose word (in any of its
    :func:`spellings`) is in ``vocabulary``; memory is proportional to the vocabulary, not the file.

    Raises:
        InputFileError: missing file, bad header, a row with the wrong number of values.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "fastText .vec file not found")
    wanted = {spelling for word in vocabulary for spelling in spellings(word)}
    words: list[str] = []
    rows: list[np.ndarray] = []
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        header = handle.readline().split()
        try:
            count, dim = int(header[0]), int(header[1])
        except (IndexError, ValueError):
            raise InputFileError(path, "first line must be '<word count> <dimension>'", line=1) from None
        for line_number, line in enumerate(handle, start=2):
            word, _, rest = line.rstrip("\n").partition(" ")
            if word not in wanted:
                continue
            values = np.array(rest.split(), dtype=np.float32)
            if values.shape != (dim,):
                raise InputFileError(path, f"word {word!r} has {values.size} values, header says {dim}", line=line_number)
            words.append(word)
            rows.append(values)
    log.info("read %d of %d vocabulary spellings from %s (%d words)", len(words), len(wanted), path, count)
    return WordTable(words, np.stack(rows) if rows else np.zeros((0, dim), np.float32), str(path))


def table_for_vocabulary(vectors_path: str | Path, vocabulary: Iterable[str], dim: int) -> WordTable:
    """Word table of ``vocabulary`` from a fastText ``.bin`` (subword OOV) or ``.vec`` file.

    Raises:
        ConfigError: unknown extension or a dimension different from ``dim``.
        InputFileError: unreadable file.
    """
    path = Path(vectors_path)
    words = sorted(set(vocabulary))
    suffix = path.suffix.lower()
    if suffix == ".bin":
        model = FastTextModel(path)
        table = WordTable(words, model.lookup(words)[0], str(path))
        file_dim = model.dim
    elif suffix == ".vec":
        table = read_vec_subset(path, words)
        file_dim = table.dim
    else:
        raise ConfigError(f"data.words.vectors must be a fastText .bin or .vec file, got {path}")
    if file_dim != dim:
        raise ConfigError(f"data.words.dim={dim} but {path} holds {file_dim}-d vectors; set data.words.dim={file_dim}")
    return table


def transcripts_digest(transcripts: Sequence[str]) -> str:
    """Stable hash of the training text (decides whether a fallback model is still current)."""
    return sha256_text("".join(f"{line}\n" for line in transcripts), 16)


def train_fallback_model(transcripts: Sequence[str], out_path: str | Path, dim: int, train: Mapping) -> Path:
    """Train a fastText model on ``transcripts`` (one utterance per item) and save it as a fastText ``.bin``.

    gensim's FastText implements fastText's skip-gram/CBOW with character n-grams and hashes the
    n-grams as fastText does, so the saved model loads with ``fasttext.load_model`` and gives the
    same vectors (also for unseen words). It trains with one worker from ``train.seed``: the same
    transcripts give the same file, bit for bit. The ``fasttext`` library's own trainer cannot:
    Hogwild updates over several threads are unordered, and its run-to-run output differs even with
    one thread (measured on the quickstart transcripts: 6 runs, 6 different matrices).

    Args:
        transcripts: one item per take (its words separated by spaces).
        out_path: the ``.bin`` to write (atomically).
        dim: vector size.
        train: ``data.words.train`` (model, epoch, lr, ws, min_count, minn, maxn, bucket, subsample, seed).

    Returns:
        ``out_path``.
    """
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    sentences = [line.split() for line in transcripts if line.strip()]
    if not sentences:
        raise ConfigError("data.words.fallback=train needs transcripts, but the corpus has no spoken words")
    kind = str(train.get("model", "skipgram"))
    if kind not in ("skipgram", "cbow"):
        raise ConfigError(f"data.words.train.model must be skipgram or cbow, got {kind!r}")
    epochs = int(train.get("epoch", 10))
    model = FastText(
        vector_size=int(dim),
        sg=int(kind == "skipgram"),
        alpha=float(train.get("lr", 0.05)),
        window=int(train.get("ws", 5)),
        min_count=int(train.get("min_count", 1)),
        min_n=int(train.get("minn", 3)),
        max_n=int(train.get("maxn", 6)),
        bucket=int(train.get("bucket", 100000)),
        sample=float(train.get("subsample", 1e-3)),
        seed=int(train.get("seed", 1)),
        workers=1,
    )
    model.build_vocab(corpus_iterable=sentences)
    model.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=epochs)
    if not np.isfinite(model.wv.vectors_vocab).all():
        raise ConfigError("training the fallback fastText model diverged; lower data.words.train.lr "
                          "or give fastText vectors in data.words.vectors")
    out_path = Path(out_path)
    with atomic_path(out_path, suffix=out_path.suffix) as staged:
        save_facebook_model(model, str(staged))
    return out_path

"""The corpus word-vector table: built once per cache in the main process, loaded by every worker.

The table holds a vector for each word of the corpus vocabulary (``words/table.npz``, see
:class:`motiongen.features.words.WordTable`); ``words/table.json`` records which vectors it came
from and which words were asked for, so a later build reuses it when nothing new is needed. With
``data.words.vectors`` unset and ``data.words.fallback=train`` a small fastText model is trained on
the transcripts of the corpus's *train split only* (``words/fallback-<digest>.bin``; validation and
test sentences never shape the vectors) and used instead — loudly logged. The manifest lists the
takes it saw.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from motiongen.cache.store import WORDS_DIR, settings_hash, write_json_atomic
from motiongen.core.errors import ConfigError
from motiongen.features.words import table_for_vocabulary, train_fallback_model, transcripts_digest

log = logging.getLogger(__name__)

TABLE_NPZ, TABLE_JSON = "table.npz", "table.json"


@dataclass
class PreparedWordTable:
    """The cache's word table and where its vectors came from.

    Attributes:
        path: ``words/table.npz``.
        source: identity of the vectors (file path|size|mtime, or ``fallback:<digest>``).
        trained_on: take ids whose transcripts trained the fallback vectors (empty for given vectors).
        warnings: problems worth telling the user.
    """

    path: Path
    source: str
    trained_on: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _vectors_source(words_cfg: Mapping, transcripts: Sequence[str], folder: Path, warnings: list[str]) -> tuple[Path, str]:
    """``(file to read vectors from, identity string of those vectors)``; ``transcripts`` are the
    lines a fallback model is trained on."""
    dim = int(words_cfg["dim"])
    if words_cfg.get("vectors"):
        path = Path(str(words_cfg["vectors"])).expanduser()
        if not path.is_file():
            raise ConfigError(f"data.words.vectors={path} does not exist (a fastText .bin or .vec file)")
        stat = path.stat()
        return path, f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    fallback = str(words_cfg.get("fallback", "error"))
    if fallback == "error":
        raise ConfigError(
            "data.words.vectors is not set: point it to fastText vectors (e.g. crawl-300d-2M-subword.bin "
            "or crawl-300d-2M.vec for English) or set data.words.fallback=train to train small vectors on the corpus"
        )
    if fallback != "train":
        raise ConfigError(f"data.words.fallback must be 'train' or 'error', got {fallback!r}")
    if not transcripts:
        raise ConfigError("data.words.fallback=train needs spoken words in the train split's transcripts, "
                          "but no train take has any; give fastText vectors in data.words.vectors")
    train = dict(words_cfg.get("train") or {})
    digest = settings_hash({"text": transcripts_digest(transcripts), "dim": dim, "train": train})
    model = folder / f"fallback-{digest}.bin"
    message = (
        "word vectors: data.words.vectors is not set, so word features come from a fastText model "
        f"trained on this corpus's train-split transcripts ({model.name}, dim {dim}) -- NOT the paper's "
        "crawl-300d-2M vectors; set data.words.vectors for paper-faithful features"
    )
    warnings.append(message)
    log.warning(message)
    if not model.is_file():
        log.warning("training the fallback fastText model on %d transcripts ...", len(transcripts))
        train_fallback_model(transcripts, model, dim, train)
    return model, f"fallback:{digest}"


def prepare_word_table(
    words_cfg: Mapping, transcripts: Mapping[str, Sequence[str]], cache_dir: Path, train_takes: Sequence[str]
) -> PreparedWordTable:
    """Make sure ``<cache_dir>/words/table.npz`` covers the vocabulary of ``transcripts``.

    Args:
        words_cfg: the ``data.words`` config node (vectors, dim, fallback, train).
        transcripts: ``{take_id: [word, ...]}`` spoken words of every take to be cached (all splits:
            each needs its words looked up).
        cache_dir: the cache folder.
        train_takes: ids of the train-split takes; only their transcripts train fallback vectors.

    Raises:
        ConfigError: no vectors configured and no fallback, wrong dimension, unusable file type,
            or a fallback with no spoken word in the train split.
    """
    folder = Path(cache_dir) / WORDS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    training = sorted(take for take in set(train_takes) if transcripts.get(take))
    lines = [" ".join(transcripts[take]) for take in training]
    source_path, source = _vectors_source(words_cfg, lines, folder, warnings)
    trained_on = training if source.startswith("fallback:") else []
    vocabulary = {word for words in transcripts.values() for word in words}
    table_path, record_path = folder / TABLE_NPZ, folder / TABLE_JSON
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        record = {}
    if record.get("source") == source and table_path.is_file() and vocabulary <= set(record.get("requested", [])):
        return PreparedWordTable(table_path, source, trained_on, warnings)
    if record.get("source") == source:
        vocabulary |= set(record.get("requested", []))
    table = table_for_vocabulary(source_path, vocabulary, int(words_cfg["dim"]))
    table.save(table_path)
    write_json_atomic(record_path, {"source": source, "requested": sorted(vocabulary)})
    log.info("word table: %d of %d words have vectors (%s)", len(table.words), len(vocabulary), source_path)
    return PreparedWordTable(table_path, source, trained_on, warnings)

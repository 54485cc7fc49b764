"""Build or update the training cache of any corpus (what ``motiongen preprocess`` runs).

Steps, through the corpus interface (:class:`motiongen.datasets.base.Corpus`): discover the takes
(the corpus lists the ones it leaves out, with the reason); read every take's words and build the
corpus word table; compare each take's stored entry with its sources and settings (unchanged -> up
to date, else queued); compute the queued takes in parallel (:mod:`motiongen.cache.take`: the
corpus's blocks plus the audio and word features); declare the corpus's format behind the speech
streams and let :func:`motiongen.cache.writer.finish_cache` write the train-split statistics, the
format and the manifest; then the corpus's own finishing step (extras). A failing take is reported
and never stops the others; a configuration error (e.g. WavLM cannot be loaded) stops the build
before any take is computed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from motiongen.cache.label_vectors import label_vectors_source, store_label_vectors
from motiongen.cache.manifest import cached_take_facts, corpus_manifest
from motiongen.cache.executors import run_in_process, run_in_processes, run_on_ray
from motiongen.core.sources import sources_unchanged
from motiongen.cache.store import (
    CACHE_FORMAT,
    claim_cache_folder,
    read_entry,
    remove_leftovers,
    settings_hash,
    write_json_atomic,
)
from motiongen.cache.take import TakeJob, TakeResult
from motiongen.cache.word_table import prepare_word_table
from motiongen.cache.writer import check_declared_widths, finish_cache
from motiongen.core.motion_format import AUDIO_STREAM, WORD_STREAM, MotionFormat, speech_streams
from motiongen.core.errors import ConfigError, MotiongenError
from motiongen.features.recipe import recipe_from_config

log = logging.getLogger(__name__)

SUMMARY = "preprocess_summary.json"


@dataclass
class BuildSummary:
    """What a build did, take by take.

    Attributes:
        processed: ``{take_id: {"frames", "seconds", "warnings"}}`` computed in this run.
        up_to_date: takes whose entry was reused.
        skipped: ``{take_id: reason}`` takes not cached (missing modality, other speaker, no split).
        failed: ``{take_id: reason}`` takes whose computation failed.
        warnings: corpus-level problems (unplaced files, word-vector source, ...).
        notes: facts worth reading that are not problems (e.g. a fitted model's held-out error).
    """

    cache_dir: str
    processed: dict[str, dict] = field(default_factory=dict)
    up_to_date: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _transcripts(corpus, takes, summary: BuildSummary) -> dict[str, list]:
    """Word intervals of each take (a take whose transcript cannot be read is failed here)."""
    transcripts = {}
    for take in takes:
        try:
            transcripts[take.take_id] = list(corpus.words(take))
        except MotiongenError as err:
            summary.failed[take.take_id] = f"{type(err).__name__}: {err}"
    return transcripts


def _check_wavlm(recipe) -> None:
    """Fail fast, before any take runs, when the recipe's WavLM cannot be found."""
    if recipe is None or recipe.wavlm is None:
        return
    from transformers import WavLMConfig

    from motiongen.features.wavlm import wavlm_load_error

    try:
        WavLMConfig.from_pretrained(recipe.wavlm.model, local_files_only=recipe.wavlm.local_files_only)
    except (OSError, ValueError) as err:
        raise wavlm_load_error(recipe.wavlm, err) from None


def _results(jobs, cfg, uses_torch: bool) -> Iterator[TakeResult]:
    from omegaconf import OmegaConf

    address = OmegaConf.select(cfg, "ray.address")
    workers = int(cfg.data.workers)
    if workers < 1:
        raise ConfigError(f"data.workers must be >= 1, got {workers}")
    if not jobs:
        return iter(())
    if address:
        return run_on_ray(jobs, str(address), workers)
    if workers == 1 or len(jobs) <= 1:
        return run_in_process(jobs)
    return run_in_processes(jobs, workers, uses_torch)


def _run(jobs, cfg, uses_torch: bool, summary: BuildSummary, progress: bool) -> None:
    from tqdm import tqdm

    results = _results(jobs, cfg, uses_torch)
    bar = tqdm(total=len(jobs), desc="preprocess", unit="take", disable=not progress)
    try:
        for result in results:
            bar.update(1)
            if result.status == "processed":
                summary.processed[result.take_id] = {
                    "frames": result.num_frames, "seconds": round(result.seconds, 3), "warnings": result.warnings,
                }
                continue
            summary.failed[result.take_id] = result.reason
            if result.fatal:
                raise ConfigError(result.reason)
    finally:
        bar.close()
        close = getattr(results, "close", None)
        if close is not None:
            close()


def _declare(corpus, cache_dir: Path, takes, digest: str, fps: float, recipe, summary) -> tuple[dict, dict, MotionFormat]:
    """The manifest's take facts, the stored widths and the declared format of the cached takes:
    the corpus's blocks and category streams behind the speech streams the cache computed."""
    facts, dims = cached_take_facts(cache_dir, [(take.take_id, take.split) for take in takes], digest, summary.failed)
    corpus_format, warnings = corpus.motion_format(fps, facts)
    summary.warnings.extend(warnings)
    declared = corpus_format
    if recipe is not None:
        wavlm_dim = dims[AUDIO_STREAM] - sum(recipe.block_dims(0).values()) if recipe.wavlm is not None else None
        streams = speech_streams(dims[AUDIO_STREAM], recipe.layout(wavlm_dim), dims.get(WORD_STREAM))
        declared = dataclasses.replace(corpus_format, conditions=streams + corpus_format.conditions)
    where = f"{type(corpus).__module__}.{type(corpus).__name__}"
    check_declared_widths(declared, dims, where)
    for take_id, take in facts.items():
        for stream in declared.conditions:
            if not stream.per_frame:
                try:
                    stream.index_of(take["categories"][stream.name])
                except KeyError as err:
                    raise ConfigError(f"{where}: take {take_id}: {err.args[0]}") from None
    return facts, dims, declared


def build_cache(cfg, progress: bool = True, corpus=None) -> BuildSummary:
    """Build or update the cache of the corpus the data config names (``data._target_``), for a
    composed config (``data.*``, optional ``ray.*``).

    The audio stream is computed when the data config has ``features`` (the take's speech), the
    word stream when it has ``words`` (the take's word intervals).

    Args:
        corpus: the corpus to cache (default: built from ``cfg.data`` with
            :func:`motiongen.datasets.corpus_from_config`).

    Returns:
        :class:`BuildSummary` (also written to ``<cache_dir>/preprocess_summary.json``).

    Raises:
        ConfigError: unusable configuration (no word vectors and no fallback, WavLM missing, no
            train take for the statistics, a non-empty cache folder motiongen did not write, ...).
        InputFileError: the corpus root is not a folder.
    """
    from omegaconf import OmegaConf

    from motiongen.datasets import corpus_from_config

    started = time.perf_counter()
    data = cfg.data
    corpus = corpus if corpus is not None else corpus_from_config(data)
    label_source = label_vectors_source(data)
    found = corpus.discover()
    cache_dir = Path(str(data.cache_dir)).expanduser().resolve()
    claim_cache_folder(cache_dir)  # entries get replaced in it
    summary = BuildSummary(cache_dir=str(cache_dir))
    (cache_dir / SUMMARY).unlink(missing_ok=True)  # a summary on disk always describes the latest run
    leftovers = remove_leftovers(cache_dir)
    if leftovers:
        summary.warnings.append(f"removed {len(leftovers)} partial entr(ies) of an interrupted run")
    fps = float(data.motion_fps)
    features = OmegaConf.select(data, "features")
    recipe = recipe_from_config(features, fps) if features is not None else None
    _check_wavlm(recipe)
    summary.warnings.extend(found.warnings)
    summary.skipped.update(found.skipped)
    takes = list(found.takes)
    words = None
    if OmegaConf.select(data, "words") is not None:
        transcripts = _transcripts(corpus, takes, summary)
        takes = [take for take in takes if take.take_id in transcripts]
        spoken = {take_id: [i.label for i in intervals if i.label] for take_id, intervals in transcripts.items()}
        words = prepare_word_table(data.words, spoken, cache_dir, [t.take_id for t in takes if t.split == "train"])
        summary.warnings.extend(words.warnings)
    settings = {
        "cache_format": CACHE_FORMAT,
        "corpus": {"target": str(data._target_), **corpus.settings()},
        "fps": fps,
        "recipe": recipe.to_dict() if recipe is not None else None,
        "word_source": words.source if words is not None else None,
    }
    digest = settings_hash(settings)
    jobs = []
    for take in takes:
        entry = read_entry(cache_dir, take.take_id)
        if entry and entry.get("settings_hash") == digest and sources_unchanged(entry.get("sources", {}), take.files):
            summary.up_to_date.append(take.take_id)
            continue
        jobs.append(TakeJob(corpus, take, str(cache_dir), fps, recipe, str(words.path) if words else None, digest))
    log.info("%d take(s) to compute, %d up to date, %d skipped", len(jobs), len(summary.up_to_date), len(summary.skipped))
    try:
        _run(jobs, cfg, recipe is not None and recipe.wavlm is not None, summary, progress)
        facts, _, motion_format = _declare(corpus, cache_dir, takes, digest, fps, recipe, summary)
        manifest = corpus_manifest(cfg, settings, digest, words, facts)
        finish_cache(cache_dir, motion_format, manifest, float(data.std_floor))
        summary.warnings.extend(store_label_vectors(cache_dir, label_source, motion_format))
        summary.notes.extend(corpus.finish(cache_dir, facts))
    finally:
        summary.seconds = round(time.perf_counter() - started, 3)
        write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
    return summary

"""Build or update the training cache of a corpus (what ``motiongen preprocess`` runs).

Steps: discover the takes; keep those of the configured speakers that have every required modality
and a split (the others are listed as skipped, with the reason); build the corpus word table;
compare each take's stored entry with its sources and settings (unchanged -> up to date, else
queued); compute the queued takes in parallel; then declare the BEAT motion format
(:mod:`motiongen.corpus.beat_format`) and let :func:`motiongen.cache.writer.finish_cache` write the
train-split statistics, the format and the manifest. A failing take is reported and never stops the others; a configuration
error (e.g. WavLM cannot be loaded) stops the build before any take is computed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from motiongen.cache.manifest import cached_take_facts, corpus_manifest
from motiongen.cache.executors import run_in_process, run_in_processes, run_on_ray
from motiongen.cache.sources import sources_unchanged
from motiongen.cache.store import (
    claim_cache_folder,
    read_entry,
    remove_leftovers,
    settings_hash,
    write_json_atomic,
)
from motiongen.cache.take import REQUIRED_MODALITIES, SOURCE_MODALITIES, TakeJob, TakeResult, TakeSettings
from motiongen.cache.word_table import prepare_word_table
from motiongen.cache.writer import finish_cache
from motiongen.core.motion_format import MotionFormat
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


def _select(cfg, corpus, splits, summary: BuildSummary) -> list:
    speakers = None if cfg.data.speakers is None else [int(s) for s in cfg.data.speakers]
    selected = []
    for take in corpus:
        missing = [f"{what}" for modality, what in REQUIRED_MODALITIES.items() if modality not in take.files]
        if speakers is not None and take.speaker_id not in speakers:
            summary.skipped[take.take_id] = f"speaker {take.speaker_id} is not in data.speakers {speakers}"
        elif missing:
            summary.skipped[take.take_id] = "missing " + ", ".join(missing)
        elif take.take_id not in splits:
            reason = splits.unassigned.get(take.take_id, "no split")
            summary.skipped[take.take_id] = f"no train/val/test split ({reason}); assign one in data.split_csv"
        else:
            selected.append(take)
    return selected


def _transcripts(takes, summary: BuildSummary) -> dict[str, list[str]]:
    """Spoken words of each take (a take whose TextGrid cannot be read is failed here)."""
    from motiongen.formats.textgrid import read_textgrid

    transcripts = {}
    for take in takes:
        try:
            grid = read_textgrid(take.files["TextGrid"])
        except MotiongenError as err:
            summary.failed[take.take_id] = f"{type(err).__name__}: {err}"
            continue
        transcripts[take.take_id] = [interval.label for interval in grid["words"] if interval.label]
    return transcripts


def _check_wavlm(recipe) -> None:
    """Fail fast, before any take runs, when the recipe's WavLM cannot be found."""
    if recipe.wavlm is None:
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


def _declare(cfg, cache_dir: Path, selected, splits, settings: TakeSettings, digest: str, recipe, words,
             summary) -> tuple[dict, MotionFormat]:
    """The manifest's take list and the declared BEAT motion format of the cached takes."""
    from motiongen.corpus.beat_format import AUDIO, EMOTION, SPEAKER, WORDS, beat_motion_format, beat_skeleton_template
    from motiongen.corpus.emotions import EMOTIONS

    takes, dims = cached_take_facts(
        cache_dir, [(take.take_id, splits[take.take_id]) for take in selected], digest, summary.failed,
        lambda entry: {SPEAKER: str(entry["speaker_id"]), EMOTION: EMOTIONS[entry["emotion"]]},
    )
    speakers = [int(s) for s in cfg.data.speakers] if cfg.data.speakers is not None else sorted(
        {t["speaker_id"] for t in takes.values()}
    )
    train_bvh = [facts["sources"]["bvh"]["path"] for facts in takes.values() if facts["split"] == "train"]
    template, warnings = beat_skeleton_template(train_bvh)
    summary.warnings.extend(warnings)
    wavlm_dim = dims[AUDIO] - sum(recipe.block_dims(0).values()) if recipe.wavlm is not None else None
    motion_format = beat_motion_format(settings.fps, settings.joint_names, template, dims[AUDIO],
                                       recipe.layout(wavlm_dim), dims[WORDS], speakers)
    manifest = corpus_manifest(cfg, settings.to_dict(), digest, words, takes)
    return manifest, motion_format


def build_cache(cfg, progress: bool = True) -> BuildSummary:
    """Build or update the cache described by a composed config (``data.*``, optional ``ray.*``).

    Returns:
        :class:`BuildSummary` (also written to ``<cache_dir>/preprocess_summary.json``).

    Raises:
        ConfigError: unusable configuration (no word vectors and no fallback, WavLM missing, no
            train take for the statistics, a non-empty cache folder motiongen did not write, ...).
        InputFileError: the corpus root is not a folder.
    """
    from motiongen.corpus.beat import assign_splits, discover_beat

    from omegaconf import OmegaConf

    started = time.perf_counter()
    data = cfg.data
    if OmegaConf.is_missing(data, "root") or not data.root:
        raise ConfigError("data.root is not set: give the corpus folder, e.g. motiongen preprocess data.root=/data/beat_english_v0.2.1")
    cache_dir = Path(str(data.cache_dir)).expanduser().resolve()
    claim_cache_folder(cache_dir)  # entries get replaced in it
    summary = BuildSummary(cache_dir=str(cache_dir))
    (cache_dir / SUMMARY).unlink(missing_ok=True)  # a summary on disk always describes the latest run
    leftovers = remove_leftovers(cache_dir)
    if leftovers:
        summary.warnings.append(f"removed {len(leftovers)} partial entr(ies) of an interrupted run")
    recipe = recipe_from_config(data.features, data.motion_fps)
    _check_wavlm(recipe)

    corpus = discover_beat(str(data.root))
    summary.warnings.extend(f"{path}: {message}" for path, message in corpus.problems)
    splits = assign_splits(corpus, data.split_csv)
    summary.warnings.extend(splits.warnings)
    selected = _select(cfg, corpus, splits, summary)
    transcripts = _transcripts(selected, summary)
    selected = [take for take in selected if take.take_id in transcripts]
    train_takes = [take.take_id for take in selected if splits[take.take_id] == "train"]
    words = prepare_word_table(data.words, transcripts, cache_dir, train_takes)
    summary.warnings.extend(words.warnings)

    settings = TakeSettings(
        recipe=recipe,
        joint_names=tuple(str(name) for name in data.joints.names),
        fps=float(data.motion_fps),
        allow_truncated=bool(data.allow_truncated),
        word_table=str(words.path),
        word_source=words.source,
    )
    digest = settings_hash(settings.to_dict())
    jobs = []
    for take in selected:
        files = {m: str(p) for m, p in take.files.items() if m in SOURCE_MODALITIES}
        entry = read_entry(cache_dir, take.take_id)
        if entry and entry.get("settings_hash") == digest and sources_unchanged(entry.get("sources", {}), files):
            summary.up_to_date.append(take.take_id)
            continue
        jobs.append(TakeJob(take.take_id, take.speaker_id, take.take_type, take.start, files, str(cache_dir), settings, digest))
    log.info("%d take(s) to compute, %d up to date, %d skipped", len(jobs), len(summary.up_to_date), len(summary.skipped))
    try:
        _run(jobs, cfg, recipe.wavlm is not None, summary, progress)
        manifest, motion_format = _declare(cfg, cache_dir, selected, splits, settings, digest, recipe, words, summary)
        finish_cache(cache_dir, motion_format, manifest, float(data.std_floor))
    finally:
        summary.seconds = round(time.perf_counter() - started, 3)
        write_json_atomic(cache_dir / SUMMARY, summary.to_dict())
    return summary


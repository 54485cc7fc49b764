"""What a checkpoint must carry so that generation needs nothing but the checkpoint.

A trained network alone cannot animate new speech: generation also needs the data it was trained
on — the declared motion format (blocks, names, normalisation statistics, conditioning streams,
skeleton template), the audio feature recipe, the word vectors, the window/seed lengths and, for a
landmark corpus, the face-mesh model that turns the face block's weights into a mesh.
:class:`~motiongen.training.bundle_callback.GenerationBundle` (a Lightning callback) stores these (plain lists, strings and
tensors, loadable with ``torch.load(weights_only=True)``) under :data:`BUNDLE_KEY` in every
checkpoint the trainer writes; :func:`motiongen.generation.checkpoint.load_assets` reads them back.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, MotionFormat
from motiongen.features.words import WordTable

log = logging.getLogger(__name__)

BUNDLE_KEY = "motiongen_generation"
BUNDLE_VERSION = 2  # 2: the declared motion format replaced the separate names/statistics/template fields


def plain(value: Any) -> Any:
    """Config-like ``value`` (OmegaConf node, dict) as JSON-compatible builtins (safe for ``weights_only`` loads)."""
    from omegaconf import OmegaConf

    if OmegaConf.is_config(value):
        value = OmegaConf.to_container(value, resolve=True)
    return json.loads(json.dumps(value, default=str))


def _tensor(array) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.asarray(array, dtype=np.float32)))


def make_bundle(
    *,
    motion_format: MotionFormat,
    window_frames: int,
    seed_frames: int,
    audio_features: Any = None,
    words: WordTable | None = None,
    config: dict[str, Any] | None = None,
    label_frames: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    """Assemble the checkpoint payload.

    Args:
        motion_format: the cache's declared format (blocks, statistics, streams, skeleton).
        window_frames / seed_frames: training clip and seed lengths (frames).
        audio_features: the ``data.features`` config node (OmegaConf or dict) of the audio recipe,
            when the format has an audio stream.
        words: the word-vector table of the training cache, when the format has a word stream.
        config: the training configuration (OmegaConf or dict), recorded for provenance.
        label_frames: ``{text-label stream: {label: frames}}``, the median length of each label's
            training takes (whole-take training, not capped at the window): a sign's default length
            at generation (which caps it at ``window_frames`` and says so).
    """
    missing = [name for name in motion_format.block_names() if name not in motion_format.normalised_names()]
    if missing:
        raise ConfigError(f"generation bundle needs normalisation statistics of the motion block(s) {missing}")
    bundle = {
        "version": BUNDLE_VERSION,
        "motion_format": motion_format.to_dict(),
        "window_frames": int(window_frames),
        "seed_frames": int(seed_frames),
        "config": plain(config or {}),
    }
    if label_frames:
        bundle["label_frames"] = {stream: {str(k): int(v) for k, v in frames.items()} for stream, frames in label_frames.items()}
    if audio_features is not None:
        bundle["audio_features"] = plain(audio_features)
    if words is not None:
        bundle["word_vectors"] = {"words": list(words.words), "vectors": _tensor(words.vectors), "source": str(words.source)}
    return bundle


def arrays_payload(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Numeric arrays as float32 tensors, text arrays as (lists of) strings: safe for ``weights_only`` loads."""
    return {key: value.tolist() if value.dtype.kind == "U" else _tensor(value) for key, value in arrays.items()}


def subword_model_path(info) -> Path | None:
    """The fastText ``.bin`` the cache's word table was cut from (it also has vectors for words the
    corpus never used, via character n-grams), or None for ``.vec`` sources."""
    source = str(info.manifest["words"]["source"])
    if source.startswith("fallback:"):
        return (info.cache_dir / "words" / f"fallback-{source.split(':', 1)[1]}.bin").resolve()
    path = Path(source.split("|", 1)[0])
    return path if path.suffix == ".bin" else None


def label_frames(info) -> dict[str, dict[str, int]]:
    """``{text-label stream: {label: median frames of its train takes}}``."""
    out = {}
    for stream in info.format.conditions_of(ConditionKind.TEXT_LABEL):
        lengths: dict[str, list[int]] = {}
        for take in info.takes_in("train"):
            lengths.setdefault(take.categories[stream.name], []).append(take.num_frames)
        out[stream.name] = {label: int(np.median(frames)) for label, frames in lengths.items()}
    return out


def bundle_from_cache(cfg, cache_dir: str | Path) -> dict[str, Any]:
    """The bundle of a training run on the cache at ``cache_dir`` (``cfg`` = the composed training config).

    Raises:
        ConfigError: the run's ``data.features`` recipe is not the one the cache was built with.
    """
    from motiongen.cache import CacheInfo
    from motiongen.cache.info import corpus_of_cache
    from motiongen.features.recipe import recipe_from_config

    info = CacheInfo.load(cache_dir)
    fmt = info.format
    audio_features = words = None
    if fmt.conditions_of(ConditionKind.AUDIO):
        recipe = recipe_from_config(cfg.data.features, info.fps)
        if plain(recipe.to_dict()) != plain(info.manifest["settings"]["recipe"]):
            raise ConfigError(f"data.features differs from the recipe cache {info.cache_dir} was built with; "
                              "train with the cache's recipe (or rebuild the cache)")
        audio_features = cfg.data.features
    if fmt.conditions_of(ConditionKind.WORDS):
        words = WordTable.load(info.cache_dir / info.manifest["words"]["table"])
    bundle = make_bundle(
        motion_format=fmt,
        window_frames=int(cfg.trainer.loop.clip_frames),
        seed_frames=int(cfg.model.network.seed_frames),
        audio_features=audio_features,
        words=words,
        config=cfg,
        label_frames=label_frames(info) if cfg.trainer.loop.whole_takes else None,
    )
    extras = corpus_of_cache(info).checkpoint_extras(info.cache_dir)
    if extras:
        bundle["extras"] = {name: arrays_payload(arrays) for name, arrays in extras.items()}
    if words is not None:
        model = subword_model_path(info)
        bundle["word_vectors"]["subword_model"] = str(model) if model is not None else ""
    return bundle

"""What a checkpoint must carry so that generation needs nothing but the checkpoint.

A trained network alone cannot animate new speech: generation also needs the data recipe the
network was trained on — normalisation statistics, audio feature recipe, word vectors, joint and
blendshape names, speaker list, window/seed lengths — and a skeleton template for BVH export.
:class:`~motiongen.generation.bundle_callback.GenerationBundle` (a Lightning callback) stores these (plain lists, strings and
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

from motiongen.errors import ConfigError
from motiongen.export.bvh_export import SkeletonTemplate
from motiongen.features.words import WordTable
from motiongen.formats.bvh import Skeleton

log = logging.getLogger(__name__)

BUNDLE_KEY = "motiongen_generation"
BUNDLE_VERSION = 1


class BlockStats:
    """Per-block mean/std normalisation with the statistics stored in a bundle.

    ``stats``: ``{block: (mean (C,), std (C,))}`` float32; ``normalise(block, x) = (x - mean) / std``
    over the last axis, ``denormalise`` its inverse.
    """

    def __init__(self, stats: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.stats = {block: (np.asarray(mean, np.float32), np.asarray(std, np.float32)) for block, (mean, std) in stats.items()}

    def normalise(self, block: str, array: np.ndarray) -> np.ndarray:
        mean, std = self.stats[block]
        return ((np.asarray(array, np.float32) - mean) / std).astype(np.float32)

    def denormalise(self, block: str, array: np.ndarray) -> np.ndarray:
        mean, std = self.stats[block]
        return (np.asarray(array, np.float32) * std + mean).astype(np.float32)


def _tensor(array) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.asarray(array, dtype=np.float32)))


def plain(value: Any) -> Any:
    """Config-like ``value`` (OmegaConf node, dict) as JSON-compatible builtins (safe for ``weights_only`` loads)."""
    from omegaconf import OmegaConf

    if OmegaConf.is_config(value):
        value = OmegaConf.to_container(value, resolve=True)
    return json.loads(json.dumps(value, default=str))


def template_to_payload(template: SkeletonTemplate) -> dict[str, Any]:
    skeleton = template.skeleton
    return {
        "names": list(skeleton.names),
        "parents": [int(p) for p in skeleton.parents],
        "offsets": _tensor(skeleton.offsets),
        "channels": [list(c) for c in skeleton.channels],
        "rotation_orders": list(skeleton.rotation_orders),
        "end_sites": {int(j): [float(v) for v in offset] for j, offset in skeleton.end_sites.items()},
        "rest_euler_deg": _tensor(template.rest_euler_deg),
        "rest_root_translation": _tensor(template.rest_root_translation),
    }


def template_from_payload(payload: dict[str, Any]) -> SkeletonTemplate:
    skeleton = Skeleton(
        names=list(payload["names"]),
        parents=np.asarray(payload["parents"], dtype=np.int64),
        offsets=payload["offsets"].double().numpy(),
        channels=[tuple(c) for c in payload["channels"]],
        rotation_orders=list(payload["rotation_orders"]),
        end_sites={int(j): np.asarray(v, dtype=np.float64) for j, v in payload["end_sites"].items()},
    )
    return SkeletonTemplate(skeleton, payload["rest_euler_deg"].double().numpy(), payload["rest_root_translation"].double().numpy())


def make_bundle(
    *,
    fps: float,
    window_frames: int,
    seed_frames: int,
    stats: dict[str, tuple[np.ndarray, np.ndarray]],
    joint_names: list[str],
    blendshape_names: list[str],
    speakers: list[int],
    audio_features: Any,
    words: WordTable,
    template: SkeletonTemplate,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the checkpoint payload.

    Args:
        fps: model frame rate; window_frames / seed_frames: training clip and seed lengths.
        stats: normalisation ``{block: (mean, std)}`` of the blocks the training data normalised
            (always ``gesture`` and ``expression``; ``audio``/``word`` when the cache did).
        audio_features: the ``data.features`` config node (OmegaConf or dict) of the audio recipe.
        words: the word-vector table of the training cache.
        template: skeleton + rest pose for BVH export.
        config: the training configuration (OmegaConf or dict), recorded for provenance.
    """
    for block in ("gesture", "expression"):
        if block not in stats:
            raise ConfigError(f"generation bundle needs normalisation statistics of the {block!r} block")
    return {
        "version": BUNDLE_VERSION,
        "fps": float(fps),
        "window_frames": int(window_frames),
        "seed_frames": int(seed_frames),
        "stats": {block: {"mean": _tensor(mean), "std": _tensor(std)} for block, (mean, std) in stats.items()},
        "joint_names": list(joint_names),
        "blendshape_names": list(blendshape_names),
        "speakers": [int(s) for s in speakers],
        "audio_features": plain(audio_features),
        "word_vectors": {"words": list(words.words), "vectors": _tensor(words.vectors), "source": str(words.source)},
        "template": template_to_payload(template),
        "config": plain(config or {}),
    }


def template_for_cache(info) -> tuple[SkeletonTemplate, list[str]]:
    """Skeleton template of a cache: frame 0 of its first training take's BVH (the speaker's own
    bone lengths and a real rest pose); the packaged BEAT 75-joint template when that file is gone.

    Returns ``(template, warnings)``.
    """
    from motiongen.formats.bvh import read_bvh
    from motiongen.skeletons import beat75_template_path, load_beat75_template

    train = info.takes_in("train") or info.takes
    for take in train:
        source = info.manifest["takes"][take.take_id].get("sources", {}).get("bvh", {}).get("path")
        if source and Path(source).is_file():
            return SkeletonTemplate.from_motion(read_bvh(source, allow_truncated=True), frame=0), []
    message = (f"no training BVH of cache {info.cache_dir} is readable; BVH export uses the packaged template "
               f"{beat75_template_path().name} (BEAT joint layout, generic proportions)")
    log.warning(message)
    return SkeletonTemplate.from_motion(load_beat75_template(), frame=0), [message]


def subword_model_path(info) -> Path | None:
    """The fastText ``.bin`` the cache's word table was cut from (it also has vectors for words the
    corpus never used, via character n-grams), or None for ``.vec`` sources."""
    source = str(info.manifest["words"]["source"])
    if source.startswith("fallback:"):
        return (info.cache_dir / "words" / f"fallback-{source.split(':', 1)[1]}.bin").resolve()
    path = Path(source.split("|", 1)[0])
    return path if path.suffix == ".bin" else None


def bundle_from_cache(cfg, cache_dir: str | Path) -> dict[str, Any]:
    """The bundle of a training run on the cache at ``cache_dir`` (``cfg`` = the composed training config).

    Raises:
        ConfigError: the run's ``data.features`` recipe is not the one the cache was built with.
    """
    from motiongen.cache import CacheInfo
    from motiongen.features.recipe import recipe_from_config

    info = CacheInfo.load(cache_dir)
    recipe = recipe_from_config(cfg.data.features, info.fps)
    if plain(recipe.to_dict()) != plain(info.manifest["settings"]["recipe"]):
        raise ConfigError(f"data.features differs from the recipe cache {info.cache_dir} was built with; "
                          "train with the cache's recipe (or rebuild the cache)")
    template, warnings = template_for_cache(info)
    bundle = make_bundle(
        fps=info.fps,
        window_frames=int(cfg.trainer.loop.clip_frames),
        seed_frames=int(cfg.model.network.seed_frames),
        stats={block: info.stats[block] for block in info.normalised_blocks},
        joint_names=info.joint_names,
        blendshape_names=info.blendshape_names,
        speakers=info.speakers,
        audio_features=cfg.data.features,
        words=WordTable.load(info.cache_dir / info.manifest["words"]["table"]),
        template=template,
        config=cfg,
    )
    model = subword_model_path(info)
    bundle["word_vectors"]["subword_model"] = str(model) if model is not None else ""
    bundle["warnings"] = warnings
    return bundle

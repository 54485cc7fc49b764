"""Train the isolated-sign classifier of a sign-corpus cache (``motiongen train-evaluator`` on a cache
whose format has a text-label condition, e.g. ``data=slovo``).

The classifier (:mod:`motiongen.evaluation.sign_classifier`) reads every motion block the cache
declares, concatenated per frame in declared order, raw (in the blocks' units); the labels are the
classes of the format's text-label stream. It trains on the train split with random crops (each
keeps at least ``min_crop`` of the clip) and reports top-1/top-5 on every other split the cache has
(val is signer-disjoint for Slovo). The file ``<cache>/evaluators/sign_classifier.pt`` is named by
its hash (:mod:`motiongen.evaluation.evaluator_files`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from motiongen.cache.info import CacheInfo
from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, ConditionStream, MotionFormat
from motiongen.evaluation.evaluator_files import evaluator_dir, save_evaluator

log = logging.getLogger(__name__)

SIGN_FILE = "sign_classifier.pt"
SIGN_KIND = "sign_classifier"


@dataclass
class SignClassifierSettings:
    """Training settings (``sign:`` in ``conf/train_evaluator.yaml``)."""

    steps: int = 10000
    batch_size: int = 32
    lr: float = 1e-3
    feature_dim: int = 64
    hidden: int = 128
    min_crop: float = 0.8
    seed: int = 0


def label_stream(fmt: MotionFormat) -> ConditionStream | None:
    """The format's text-label stream (the sign labels), or None for a corpus without one."""
    return next((c for c in fmt.conditions if c.kind == ConditionKind.TEXT_LABEL), None)


def require_label_stream(info: CacheInfo) -> ConditionStream:
    """:func:`label_stream` of the cache, or a ConfigError saying the cache is not a sign corpus."""
    stream = label_stream(info.format)
    if stream is None:
        raise ConfigError(f"the cache {info.cache_dir} declares no text-label condition: it is not a sign corpus")
    return stream


def clip_channels(fmt: MotionFormat, blocks: dict[str, np.ndarray]) -> np.ndarray:
    """``(T, C)`` float32: the declared blocks of one clip, concatenated in declared order.

    Args:
        blocks: ``{block: (T, width)}`` raw values for every block of ``fmt``.
    """
    missing = [b.name for b in fmt.blocks if b.name not in blocks]
    if missing:
        raise ValueError(f"the clip lacks the blocks {missing}")
    return np.concatenate([np.asarray(blocks[b.name], dtype=np.float32) for b in fmt.blocks], axis=1)


def split_clips(info: CacheInfo, split: str) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """Clips ``[(T_i, C)]`` of ``split``, their label indices ``(N,)`` and take ids."""
    stream = require_label_stream(info)
    takes = info.takes_in(split)
    clips = [clip_channels(info.format, {b.name: info.block(t.take_id, b.name) for b in info.format.blocks}) for t in takes]
    labels = np.array([stream.index_of(t.categories[stream.name]) for t in takes], dtype=np.int64)
    return clips, labels, [t.take_id for t in takes]


def _crops(clips: list[np.ndarray], rows: np.ndarray, min_crop: float, rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for row in rows:
        clip = clips[row]
        length = int(rng.integers(max(1, int(np.ceil(min_crop * len(clip)))), len(clip) + 1))
        start = int(rng.integers(0, len(clip) - length + 1))
        out.append(clip[start:start + length])
    return out


def accuracy(model, clips: list[np.ndarray], labels: np.ndarray) -> dict:
    """``{"top1", "top5", "clips"}`` of the model on raw clips (None without clips)."""
    from motiongen.evaluation.metrics.sign import top_k_accuracy

    if not clips:
        return {"top1": None, "top5": None, "clips": 0}
    _, logits = model.embed(clips)
    return {"top1": top_k_accuracy(logits, labels, 1), "top5": top_k_accuracy(logits, labels, 5), "clips": len(clips)}


def train_sign_classifier(cache_dir: str | Path, settings: SignClassifierSettings, progress: bool = True) -> dict:
    """Train and save the sign classifier of a sign-corpus cache; returns
    ``{"sign": {"path", "hash", "info"}}`` (``info["held_out"]``: top-1/top-5 per non-train split).

    Raises:
        ConfigError: not a sign corpus, no train clips, or settings that cannot work.
    """
    import torch
    from tqdm.auto import tqdm

    from motiongen.evaluation.sign_classifier import SignClassifier, SignClassifierConfig, pad_clips

    if settings.steps < 1 or settings.batch_size < 1 or not 0 < settings.min_crop <= 1:
        raise ConfigError(f"sign classifier settings need steps >= 1, batch_size >= 1, 0 < min_crop <= 1: {settings}")
    started = time.perf_counter()
    info = CacheInfo.load(cache_dir)
    stream = require_label_stream(info)
    clips, labels, _ = split_clips(info, "train")
    if not clips:
        raise ConfigError(f"the cache {cache_dir} has no train clips to train the sign classifier on")
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    config = SignClassifierConfig(clips[0].shape[1], len(stream.labels), settings.feature_dim, settings.hidden)
    model = SignClassifier(config)
    frames = np.concatenate(clips)
    model.set_normalisation(frames.mean(0), frames.std(0))
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-2)
    model.train()
    losses = []
    for _ in tqdm(range(settings.steps), desc="sign classifier", disable=not progress, leave=False):
        rows = rng.integers(0, len(clips), settings.batch_size)
        batch, valid = pad_clips(_crops(clips, rows, settings.min_crop, rng))
        loss = torch.nn.functional.cross_entropy(model(batch, valid), torch.from_numpy(labels[rows]))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        losses.append(loss.item())
    model.eval()
    held_out = {split: accuracy(model, *split_clips(info, split)[:2]) for split in ("val", "test") if info.takes_in(split)}
    facts = {
        "blocks": [b.name for b in info.format.blocks], "widths": [b.width for b in info.format.blocks],
        "label_stream": stream.name, "labels": list(stream.labels), "settings": asdict(settings),
        "train": accuracy(model, clips, labels), "held_out": held_out,
        "final_loss": float(np.mean(losses[-20:])), "first_loss": float(np.mean(losses[:20])),
        "cache_dir": str(Path(cache_dir).resolve()), "cache_settings": str(info.manifest.get("settings_hash", "")),
        "fps": info.fps, "train_seconds": time.perf_counter() - started,
    }
    path = evaluator_dir(cache_dir) / SIGN_FILE
    digest = save_evaluator(path, SIGN_KIND, model.describe(), model, facts)
    log.info("sign classifier %s written to %s (held-out %s)", digest, path,
             ", ".join(f"{split} top-1 {r['top1']:.3f} top-5 {r['top5']:.3f}" for split, r in held_out.items()) or "none")
    return {"sign": {"path": str(path), "hash": digest, "info": facts}}


def load_sign_classifier(cache_dir: str | Path, fmt: MotionFormat):
    """The trained classifier of ``<cache>/evaluators`` and its payload facts (``hash``, ``info``).

    Raises:
        InputFileError: missing (``motiongen train-evaluator`` not run), broken, or trained on
            other blocks / labels than ``fmt`` declares.
    """
    from motiongen.core.errors import InputFileError
    from motiongen.evaluation.evaluator_files import read_evaluator
    from motiongen.evaluation.sign_classifier import SignClassifier, SignClassifierConfig

    payload = read_evaluator(evaluator_dir(cache_dir) / SIGN_FILE, SIGN_KIND)
    facts = payload["info"]
    stream = label_stream(fmt)
    if facts.get("blocks") != [b.name for b in fmt.blocks] or facts.get("widths") != [b.width for b in fmt.blocks] \
            or stream is None or facts.get("labels") != list(stream.labels):
        raise InputFileError(payload["path"], "trained on other blocks or labels than the cache declares: run "
                                              "`motiongen train-evaluator` again")
    model = SignClassifier(SignClassifierConfig(**payload["config"]))
    model.load_state_dict(payload["state_dict"])
    return model.eval(), payload

"""Evaluation metrics during training: a Lightning callback scoring a fixed validation batch.

At the end of every validation run (not the sanity check), the EMA network samples a fixed set of
validation clips (DDIM, few steps, fixed seed; each clip conditioned on its own audio, words and
seed motion) and the callback logs, under ``val/``:

* ``fgd`` and ``fd_face`` — Fréchet distances between the features of the generated and the real
  clips (with the cache's extractors; clips shorter than an extractor window give no number);
* ``face_mse`` and ``mouth_mse`` — blendshape errors against the real clips;
* ``sync_confidence`` and ``sync_distance`` — the cache's sync scorer on the generated mouth curves.

The numbers land in TensorBoard and in ``trainer.callback_metrics``, so the training entry point's
final metrics (and sweeps ranking trials by them) include them. The callback is declared by the
``validation_metrics`` node of ``conf/config.yaml`` (``_target_`` this class) and built by the
training entry point (:mod:`motiongen.training.entry`). The cache must have its evaluator
networks (``motiongen train-evaluator``); without them the callback logs a warning once and does
nothing. A fixed batch of a few clips is a cheap trend indicator, not the test-set figure of
``motiongen evaluate``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch

log = logging.getLogger(__name__)


class ValidationMetrics(pl.Callback):
    """Args:
        cache_dir: the training cache (its ``evaluators/`` and source audio are used).
        num_clips: validation clips sampled (spread evenly over the val split).
        ddim_steps: sampler steps.
        seed: seed of the sampling noise (the same draws at every validation).
    """

    def __init__(self, cache_dir: str | Path, num_clips: int = 8, ddim_steps: int = 10, seed: int = 0):
        super().__init__()
        self.cache_dir, self.num_clips, self.ddim_steps, self.seed = Path(cache_dir), num_clips, ddim_steps, seed
        self.ready = False
        self.batch = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        from motiongen.cache.info import CacheInfo
        from motiongen.core.errors import InputFileError
        from motiongen.evaluation.corpus import motion_roles
        from motiongen.evaluation.run import load_evaluators

        if stage != "fit" or self.ready:
            return
        try:
            self.info = CacheInfo.load(self.cache_dir)
            self.roles = motion_roles(self.info)
            self.evaluators = load_evaluators(self.cache_dir, self.roles)
        except InputFileError as err:
            log.warning("validation metrics off: %s", err)
            return
        dataset = trainer.datamodule.datasets["val"]
        count = min(self.num_clips, len(dataset))
        indices = np.unique(np.linspace(0, len(dataset) - 1, count).round().astype(int))
        items = [dataset[int(i)] for i in indices]
        self.batch = {key: torch.stack([item[key] for item in items]) for key in items[0]}
        self.mels = self._mels(dataset, indices) if self.evaluators.sync is not None else None
        self.ready = True

    def _mels(self, dataset, indices) -> list[np.ndarray]:
        """Log-mel of each clip's stretch of speech (from the take's source audio)."""
        from motiongen.evaluation.corpus import evaluation_takes
        from motiongen.evaluation.sync import MEL_FPS, log_mel
        from motiongen.formats.audio import load_audio

        audio = {t.take_id: t.audio for t in evaluation_takes(self.info, dataset.split)}
        cache: dict[str, np.ndarray] = {}
        out = []
        for index in indices:
            take_id, start = dataset.clip_source(int(index))
            if take_id not in cache:
                cache[take_id] = log_mel(*load_audio(audio[take_id], target_sr=16_000))
            first = int(round(start / self.info.fps * MEL_FPS))
            out.append(cache[take_id][first:first + int(np.ceil(dataset.clip_frames / self.info.fps * MEL_FPS)) + 1])
        return out

    @torch.no_grad()
    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.ready or trainer.sanity_checking or not trainer.is_global_zero:
            return
        for name, value in self.scores(pl_module).items():
            if value is not None and np.isfinite(value):
                pl_module.log(f"val/{name}", float(value), rank_zero_only=True)

    def scores(self, pl_module) -> dict[str, float | None]:
        """Sample the fixed clips with the EMA network and score them (see the module doc)."""
        from motiongen.diffusion.samplers import SamplerSettings
        from motiongen.evaluation import metrics as m
        from motiongen.evaluation.corpus import FACE, GESTURE
        from motiongen.evaluation.scoring import frechet_or_none, window_features
        from motiongen.evaluation.sync import sync_scores

        batch = {k: v.to(pl_module.device) for k, v in self.batch.items()}
        x0 = pl_module.motion(batch)
        generator = torch.Generator(device=pl_module.device).manual_seed(self.seed)
        settings = SamplerSettings(kind="ddim", steps=self.ddim_steps, eta=0.0, guidance=1.0)
        sample = pl_module.generate(pl_module.condition(batch, x0), x0.shape[1], settings, generator).float().cpu().numpy()
        real = x0.float().cpu().numpy()
        blocks = {}
        for role in (GESTURE, FACE):
            name = getattr(self.roles, role)
            if name is not None and name in pl_module.slices:
                part = pl_module.slices[name]
                blocks[role] = (self.info.denormalise(name, sample[..., part]), self.info.denormalise(name, real[..., part]))
        out: dict[str, float | None] = {}
        if GESTURE in blocks and self.evaluators.gesture is not None:
            generated, target = blocks[GESTURE]
            out["fgd"] = frechet_or_none(window_features(self.evaluators.gesture, list(target)),
                                  window_features(self.evaluators.gesture, list(generated)))
        if FACE in blocks:
            generated, target = blocks[FACE]
            generated = np.clip(generated, 0.0, 1.0)
            mouth = m.mouth_channels(list(self.roles.face_channels))
            out["face_mse"] = m.face_mse(generated, target)
            out["mouth_mse"] = m.face_mse(generated[..., mouth], target[..., mouth])
            if self.evaluators.face is not None:
                out["fd_face"] = frechet_or_none(window_features(self.evaluators.face, list(target)),
                                          window_features(self.evaluators.face, list(generated)))
            if self.mels is not None:
                results = [sync_scores(self.evaluators.sync, mel, clip[:, mouth]) for mel, clip in zip(self.mels, generated)
                           if len(clip) > self.evaluators.sync.config.motion_frames + 30]
                if results:
                    out["sync_confidence"] = float(np.mean([r.confidence for r in results]))
                    out["sync_distance"] = float(np.mean([r.distance for r in results]))
        return out


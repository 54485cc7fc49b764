"""``motiongen distill`` as a library call: a teacher checkpoint and a config in, a student checkpoint out.

The student is trained with Lightning on the teacher's own feature cache and clip settings, written
by the same atomic checkpointing as ``motiongen train`` (resumable with ``resume=``), logged to
TensorBoard, and its checkpoints carry the teacher's generation bundle, so ``motiongen generate``,
``evaluate``, streaming and the quickstart load it like any checkpoint and sample it with
``sampler=lcm sampler.steps=N``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from motiongen.core.errors import ConfigError, InputFileError
from motiongen.output_folders import owned_or_new

#: Settings of the training loop that shape the clips: the teacher's, so the student sees its windows.
TEACHER_LOOP_KEYS = ("clip_frames", "clip_stride", "whole_takes")


def student_config(cfg: DictConfig, teacher_config: dict) -> DictConfig:
    """The teacher's training config with the distillation's trainer, seed and cache (when given)."""
    merged = OmegaConf.create(teacher_config)
    loop = {key: merged.trainer.loop[key] for key in TEACHER_LOOP_KEYS}
    merged.trainer = OmegaConf.create(OmegaConf.to_container(cfg.trainer, resolve=True))
    merged.trainer.loop.update(loop)
    merged.seed = cfg.seed
    if cfg.data.cache_dir is not None:
        merged.data.cache_dir = cfg.data.cache_dir
    return merged


def distill(cfg: DictConfig, extra_callbacks: Sequence = ()):
    """Distil ``cfg.teacher`` (see :mod:`motiongen.distillation.consistency`); returns the
    :class:`~motiongen.training.run.TrainingRun` (checkpoints, TensorBoard folder, final metrics).
    ``extra_callbacks``: more Lightning callbacks (tests use them to watch the steps)."""
    import lightning.pytorch as pl
    import torch

    from motiongen.distillation.consistency import ConsistencyDistillation
    from motiongen.generation.checkpoint import load_assets
    from motiongen.training.bundle import BUNDLE_KEY
    from motiongen.training.bundle_callback import GenerationBundle
    from motiongen.training.checkpointing import AtomicCheckpoint
    from motiongen.training.monitoring import SamplesPerSecond
    from motiongen.training.run import TrainingRun, build_datamodule, build_trainer

    if cfg.teacher is None:
        raise ConfigError("teacher=CHECKPOINT is required: the trained checkpoint to distil (runs/x/checkpoints/last.ckpt)")
    teacher = Path(cfg.teacher)
    if not teacher.is_file():
        raise ConfigError(f"teacher={teacher}: no such checkpoint file")
    assets = load_assets(teacher)  # a readable, consistent motiongen checkpoint, or a one-line InputFileError
    checkpoint = torch.load(teacher, map_location="cpu", weights_only=True)
    hparams = checkpoint["hyper_parameters"]
    if "distill" in hparams:
        raise InputFileError(teacher, "is already a distilled student; distil the teacher it came from")
    if cfg.resume is not None and not Path(cfg.resume).is_file():
        raise ConfigError(f"resume={cfg.resume}: no such checkpoint file")
    merged = student_config(cfg, assets.config)
    loop = merged.trainer.loop
    if loop.num_threads is not None:
        torch.set_num_threads(int(loop.num_threads))
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    module = ConsistencyDistillation(
        network=hparams["network"], diffusion=hparams["diffusion"], loss=hparams["loss"],
        optim=OmegaConf.to_container(cfg.optim, resolve=True), ema=OmegaConf.to_container(cfg.ema, resolve=True),
        teacher=str(teacher.resolve()), distill=OmegaConf.to_container(cfg.distill, resolve=True), seed=int(cfg.seed),
    )
    datamodule = build_datamodule(merged)
    datamodule.setup("fit")
    if len(datamodule.datasets["train"]) == 0:
        raise ConfigError(f"the teacher's cache {merged.data.cache_dir} has no training clips of {int(loop.clip_frames)} frames")
    root = Path(merged.trainer.default_root_dir)
    owned_or_new(root, "training run", "distillation run folder (trainer.default_root_dir)")
    callbacks = [
        AtomicCheckpoint(root / "checkpoints", int(loop.checkpoint_every_n_steps), int(loop.keep_checkpoints)),
        SamplesPerSecond(),
        GenerationBundle(checkpoint[BUNDLE_KEY]),
        *extra_callbacks,
    ]
    trainer = build_trainer(merged, callbacks)
    trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.resume)
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    return TrainingRun(root / "checkpoints", root / "tensorboard", module, trainer, metrics)

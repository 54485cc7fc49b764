"""Assemble module, data, callbacks and Lightning Trainer from the Hydra config, and train.

Used by ``motiongen train`` and by the tests. Output layout under ``trainer.default_root_dir``:
``checkpoints/stepNNNNNNNN.ckpt`` + ``checkpoints/last.ckpt`` and ``tensorboard/`` (event files).
That folder must be new, empty or an earlier motiongen run (:mod:`motiongen.output_folders`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from motiongen.errors import ConfigError
from motiongen.output_folders import owned_or_new

log = logging.getLogger(__name__)


@dataclass
class DataDescription:
    """What the model needs to know about the data it trains on.

    Attributes:
        dims: channel widths {'gesture', 'expression', 'audio', 'word'}.
        speakers: dataset speaker ids (model speaker index = position).
        num_emotions: emotion classes present in the labels.
        joint_names: joints of the gesture block (3 axis-angle channels each).
        blendshape_names: names of the expression channels.
        denormalise: ``denormalise(block, array)`` back to units, or None.
    """

    dims: dict[str, int]
    speakers: list[int]
    num_emotions: int
    joint_names: list[str] = field(default_factory=list)
    blendshape_names: list[str] = field(default_factory=list)
    denormalise: Callable[[str, np.ndarray], np.ndarray] | None = None

    @classmethod
    def from_cache(cls, cache_dir: str | Path) -> DataDescription:
        """Read ``CacheInfo`` of a feature cache built by ``motiongen preprocess``."""
        from motiongen.cache import CacheInfo

        info = CacheInfo.load(cache_dir)
        return cls(
            dims=dict(info.dims),
            speakers=list(info.speakers),
            num_emotions=int(info.num_emotions),
            joint_names=list(info.joint_names),
            blendshape_names=list(info.blendshape_names),
            denormalise=info.denormalise,
        )


def network_kwargs(network: DictConfig | dict, data: DataDescription | None) -> dict:
    """:class:`DenoiserConfig` keyword arguments from ``model.network``, widths taken from ``data``.

    The config's ``tasks`` list chooses the predicted blocks; their widths, the feature widths,
    the speaker count and (when ``emotion_condition``) the emotion count come from the data when
    given, else from ``model.network.dims`` / ``num_speakers``.
    """
    net = OmegaConf.to_container(network, resolve=True) if isinstance(network, DictConfig) else dict(network)
    dims = dict(net.pop("dims"))
    tasks = list(net.pop("tasks"))
    emotion_condition = bool(net.pop("emotion_condition"))
    if data is not None:
        dims.update(data.dims)
        net["num_speakers"] = len(data.speakers)
    unknown = [task for task in tasks if task not in ("gesture", "expression")]
    if unknown or not tasks:
        raise ConfigError(f"model.network.tasks must be a non-empty subset of [gesture, expression], got {tasks}")
    if emotion_condition and (data is None or data.num_emotions < 1):
        raise ConfigError("model.network.emotion_condition=true needs emotion labels in the cache")
    net["task_dims"] = {task: int(dims[task]) for task in tasks}
    net["audio_dim"] = int(dims["audio"])
    net["word_dim"] = int(dims["word"])
    net["num_emotions"] = data.num_emotions if emotion_condition else 0
    return net


def build_module(cfg: DictConfig, data: DataDescription | None):
    """The :class:`UWPLightningModule` described by ``cfg.model`` (seeded with ``cfg.seed``)."""
    from motiongen.training.module import UWPLightningModule

    model = OmegaConf.to_container(cfg.model, resolve=True)
    return UWPLightningModule(
        network=network_kwargs(cfg.model.network, data),
        diffusion=model["diffusion"],
        loss=model["loss"],
        optim=model["optim"],
        ema=model["ema"],
        cond_drop_prob=model["cond_drop_prob"],
        seed=int(cfg.seed),
    )


def build_datamodule(cfg: DictConfig, datasets: dict | None = None):
    """The :class:`ClipDataModule` for ``cfg.data.cache_dir`` (or ready-made ``datasets``)."""
    from motiongen.training.datamodule import ClipDataModule

    loop = cfg.trainer.loop
    return ClipDataModule(
        cache_dir=None if datasets is not None else cfg.data.cache_dir,
        batch_size=int(loop.batch_size),
        clip_frames=int(loop.clip_frames),
        clip_stride=int(loop.clip_stride),
        seed_frames=int(cfg.model.network.seed_frames),
        num_workers=int(loop.num_workers),
        seed=int(cfg.seed),
        datasets=datasets,
    )


def build_trainer(cfg: DictConfig, callbacks: Sequence = ()):
    """Lightning Trainer from ``cfg.trainer`` (minus ``loop``), TensorBoard logging, and ``callbacks``."""
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import TensorBoardLogger

    from motiongen.training.precision import resolve_precision

    kwargs = OmegaConf.to_container(cfg.trainer, resolve=True)
    kwargs.pop("loop")
    kwargs["precision"] = resolve_precision(kwargs["precision"], kwargs["accelerator"])
    root = Path(kwargs["default_root_dir"])
    logger = TensorBoardLogger(save_dir=str(root), name="tensorboard", version="", default_hp_metric=False)
    return pl.Trainer(**kwargs, logger=logger, callbacks=list(callbacks))


@dataclass
class TrainingRun:
    """Where a finished (or stopped) training run left its outputs."""

    checkpoint_dir: Path
    tensorboard_dir: Path
    module: object
    trainer: object


def train(cfg: DictConfig, data: DataDescription | None = None, datasets: dict | None = None, extra_callbacks: Sequence = ()):
    """Train (or resume, when ``cfg.resume`` names a checkpoint) and return the :class:`TrainingRun`.

    Args:
        cfg: composed config (``motiongen.config.compose``).
        data: data description; read from ``cfg.data.cache_dir`` when None.
        datasets: ready-made ``{"train", "val"}`` datasets instead of the cache's ``ClipDataset``.
        extra_callbacks: more Lightning callbacks (tests use them to stop a run).
    """
    import lightning.pytorch as pl
    import torch

    from motiongen.training.checkpointing import AtomicCheckpoint
    from motiongen.training.monitoring import SamplesPerSecond
    from motiongen.training.previews import MotionPreview

    from motiongen.generation.bundle import bundle_from_cache, template_from_payload

    if data is None:
        if datasets is not None:
            raise ConfigError("pass a DataDescription together with ready-made datasets")
        data = DataDescription.from_cache(cfg.data.cache_dir)
        from motiongen.generation.bundle_callback import GenerationBundle

        # checkpoints carry the cache's recipe, statistics and skeleton so `motiongen generate` needs only them
        bundle = bundle_from_cache(cfg, cfg.data.cache_dir)
        preview_template = template_from_payload(bundle["template"])
        extra_callbacks = [GenerationBundle(bundle), *extra_callbacks]
    else:
        from motiongen.export.bvh_export import SkeletonTemplate
        from motiongen.skeletons import load_beat75_template

        preview_template = SkeletonTemplate.from_motion(load_beat75_template(), frame=0)
    loop = cfg.trainer.loop
    if loop.num_threads is not None:
        torch.set_num_threads(int(loop.num_threads))
    resume = cfg.resume
    if resume is not None and not Path(resume).is_file():
        raise ConfigError(f"resume={resume}: no such checkpoint file")
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    module = build_module(cfg, data)
    datamodule = build_datamodule(cfg, datasets)
    datamodule.setup("fit")
    for split in ("train", "val"):
        if len(datamodule.datasets[split]) == 0:
            raise ConfigError(
                f"the {split} split has no clips of {int(loop.clip_frames)} frames "
                "(check the cache's takes and trainer.loop.clip_frames)"
            )
    root = Path(cfg.trainer.default_root_dir)
    # checkpoints are pruned and last.ckpt replaced in here: only in a folder motiongen owns
    owned_or_new(root, "training run", "training run folder (trainer.default_root_dir)")
    callbacks = [
        AtomicCheckpoint(root / "checkpoints", int(loop.checkpoint_every_n_steps), int(loop.keep_checkpoints)),
        SamplesPerSecond(),
        MotionPreview(
            datamodule.datasets["val"][0],
            int(loop.figure_every_n_steps),
            int(loop.figure_ddim_steps),
            data.blendshape_names,
            data.joint_names,
            data.denormalise,
            seed=int(cfg.seed),
            template=preview_template,
        ),
        *extra_callbacks,
    ]
    trainer = build_trainer(cfg, callbacks)
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume)
    return TrainingRun(root / "checkpoints", root / "tensorboard", module, trainer)

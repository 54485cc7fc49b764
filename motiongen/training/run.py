"""Assemble module, data, callbacks and Lightning Trainer from the Hydra config, and train.

Used by ``motiongen train`` and by the tests. Output layout under ``trainer.default_root_dir``:
``checkpoints/stepNNNNNNNN.ckpt`` + ``checkpoints/last.ckpt`` and ``tensorboard/`` (event files).
That folder must be new, empty or an earlier motiongen run (:mod:`motiongen.output_folders`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, MotionFormat
from motiongen.output_folders import owned_or_new

log = logging.getLogger(__name__)


def network_kwargs(network: DictConfig | dict, motion_format: MotionFormat, class_vectors: dict | None = None) -> dict:
    """:class:`DenoiserConfig` keyword arguments from ``model.network`` and the data's motion format
    (and the widths of fixed class vectors ``{category stream: (classes, width)}`` the cache holds).

    ``model.network.tasks`` chooses the predicted blocks (null: every block of the format, in its
    order); the per-frame condition streams of the format feed Z_f, its category streams become
    embeddings — emotion streams only when ``model.network.emotion_condition`` is true.
    """
    net = OmegaConf.to_container(network, resolve=True) if isinstance(network, DictConfig) else dict(network)
    tasks = net.pop("tasks")
    emotion_condition = bool(net.pop("emotion_condition"))
    names = motion_format.block_names()
    tasks = list(names) if tasks is None else list(tasks)
    unknown = [task for task in tasks if task not in names]
    if unknown or not tasks:
        raise ConfigError(f"model.network.tasks must be null or a non-empty subset of the data's motion blocks "
                          f"{list(names)}, got {tasks}")
    emotions = motion_format.conditions_of(ConditionKind.EMOTION)
    if emotion_condition and not emotions:
        raise ConfigError("model.network.emotion_condition=true needs an emotion stream in the data's motion format")
    net["blocks"] = {task: motion_format.block(task).width for task in tasks}
    net["frame_conditions"] = {c.name: c.width for c in motion_format.conditions if c.per_frame}
    net["category_conditions"] = {
        c.name: c.width for c in motion_format.conditions
        if not c.per_frame and (c.kind != ConditionKind.EMOTION or emotion_condition)
    }
    net["category_vectors"] = {name: int(table.shape[1]) for name, table in (class_vectors or {}).items()}
    return net


#: Largest ᾱ_T (signal power left at the last diffusion step) a training schedule may end at.
#: Samplers start from pure noise (ᾱ = 0); a schedule ending far above it trains the network on
#: inputs it never gets when sampling (the paper's schedule ends at 4e-5).
MAX_FINAL_ALPHA_BAR = 1e-2


def check_schedule(diffusion: dict) -> None:
    """Refuse a noise schedule that does not end close to pure noise.

    Raises:
        ConfigError: ``ᾱ_T > MAX_FINAL_ALPHA_BAR`` (names the settings and the fix).
    """
    from motiongen.diffusion.schedule import NoiseSchedule

    final = float(NoiseSchedule(**diffusion).alphas_cumprod[-1])
    if final > MAX_FINAL_ALPHA_BAR:
        raise ConfigError(
            f"model.diffusion {diffusion} ends at alpha_bar_T = {final:.3g} (> {MAX_FINAL_ALPHA_BAR:g}): the last "
            "step still holds signal, but sampling starts from pure noise. Scale the betas with the step count "
            "(beta x 1000 / num_steps for the linear schedule) or use kind=cosine"
        )


def build_module(cfg: DictConfig, motion_format: MotionFormat, class_vectors: dict | None = None):
    """The :class:`UWPLightningModule` described by ``cfg.model`` for data of ``motion_format``
    (seeded with ``cfg.seed``), with the cache's fixed class vectors ``{stream: (classes, width)}``."""
    from motiongen.training.module import UWPLightningModule

    model = OmegaConf.to_container(cfg.model, resolve=True)
    check_schedule(model["diffusion"])
    return UWPLightningModule(
        network=network_kwargs(cfg.model.network, motion_format, class_vectors),
        diffusion=model["diffusion"],
        loss=model["loss"],
        optim=model["optim"],
        ema=model["ema"],
        cond_drop_prob=model["cond_drop_prob"],
        seed=int(cfg.seed),
        class_vectors=class_vectors,
        word_drop_prob=float(model.get("word_drop_prob", 0.0)),
        word_silence=word_silence_rows(motion_format),
    )


def word_silence_rows(motion_format: MotionFormat) -> dict[str, list[float]]:
    """``{word stream: silence row}`` in model units: the zero word vector with the silence flag
    (the last column) set, normalised when the stream is (what a frame without a word holds)."""
    import numpy as np

    rows = {}
    for stream in motion_format.conditions_of(ConditionKind.WORDS):
        row = np.zeros(stream.width, dtype=np.float32)
        row[-1] = 1.0
        if stream.normalisation is not None:
            row = np.asarray(stream.normalisation.normalise(row), dtype=np.float32)
        rows[stream.name] = row.tolist()
    return rows


def cache_class_vectors(cache_dir, motion_format: MotionFormat) -> dict:
    """``{stream: (classes, width)}`` of the cache's label vectors (empty when it has none).

    Raises:
        ConfigError: the vectors name a stream the format lacks, or other labels than the format's.
    """
    from motiongen.cache.label_vectors import LABEL_VECTORS, read_label_vectors

    vectors = read_label_vectors(cache_dir)
    if vectors is None:
        return {}
    stream = motion_format.condition(vectors.stream) if motion_format.has_condition(vectors.stream) else None
    if stream is None or tuple(stream.labels) != vectors.labels:
        raise ConfigError(f"{Path(cache_dir) / LABEL_VECTORS} does not match the cache's {vectors.stream!r} labels; "
                          "run `motiongen preprocess` again")
    return {vectors.stream: vectors.vectors}


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
        whole_takes=bool(loop.whole_takes),
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
    """What a finished (or stopped) training run left: its final metrics and where its outputs are.

    Attributes:
        metrics: the last logged value of every metric (Lightning's ``callback_metrics``:
            ``val/loss`` and its per-block terms from the last validation, ``train/*`` from the
            last logged step, ...), as floats; what sweeps and evaluations read.
    """

    checkpoint_dir: Path
    tensorboard_dir: Path
    module: object
    trainer: object
    metrics: dict[str, float] = field(default_factory=dict)


def train(cfg: DictConfig, motion_format: MotionFormat | None = None, datasets: dict | None = None,
          extra_callbacks: Sequence = ()):
    """Train (or resume, when ``cfg.resume`` names a checkpoint) and return the :class:`TrainingRun`
    (final metrics in ``.metrics``, like lightning-hydra-template's ``train()``).

    Args:
        cfg: composed config (``motiongen.config.compose``).
        motion_format: the data's declared format (with statistics); read from ``cfg.data.cache_dir`` when None.
        datasets: ready-made ``{"train", "val"}`` datasets instead of the cache's ``ClipDataset``.
        extra_callbacks: more Lightning callbacks (tests use them to stop a run).
    """
    import lightning.pytorch as pl
    import torch

    from motiongen.training.checkpointing import AtomicCheckpoint
    from motiongen.training.monitoring import SamplesPerSecond
    from motiongen.training.bundle import bundle_from_cache
    from motiongen.training.previews import MotionPreview

    if motion_format is None:
        if datasets is not None:
            raise ConfigError("pass the data's motion format together with ready-made datasets")
        from motiongen.training.bundle_callback import GenerationBundle

        # checkpoints carry the cache's motion format and recipe so `motiongen generate` needs only them
        bundle = bundle_from_cache(cfg, cfg.data.cache_dir)
        motion_format = MotionFormat.from_dict(bundle["motion_format"])
        extra_callbacks = [GenerationBundle(bundle), *extra_callbacks]
        class_vectors = cache_class_vectors(cfg.data.cache_dir, motion_format)
    else:
        class_vectors = {}
    loop = cfg.trainer.loop
    if loop.num_threads is not None:
        torch.set_num_threads(int(loop.num_threads))
    resume = cfg.resume
    if resume is not None and not Path(resume).is_file():
        raise ConfigError(f"resume={resume}: no such checkpoint file")
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    module = build_module(cfg, motion_format, class_vectors)
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
            motion_format,
            seed=int(cfg.seed),
        ),
        *extra_callbacks,
    ]
    trainer = build_trainer(cfg, callbacks)
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume)
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    return TrainingRun(root / "checkpoints", root / "tensorboard", module, trainer, metrics)

"""Load everything generation needs from one training checkpoint.

The checkpoint holds the Lightning module's hyper-parameters and weights (the EMA network is used
for sampling) and the :mod:`~motiongen.generation.bundle` payload written by the training run.
Anything unreadable or inconsistent is reported as :class:`InputFileError` naming the file.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from motiongen.errors import ConfigError, InputFileError
from motiongen.generation.bundle import BUNDLE_KEY, BUNDLE_VERSION, BlockStats, template_from_payload
from motiongen.generation.pipeline import GenerationAssets, set_precision

log = logging.getLogger(__name__)


def _unreadable_reason(err: Exception) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in motiongen's words.

    PyTorch's own message advises re-loading with ``weights_only=False``, which executes code stored
    in the file; for a file of unknown origin that advice must never be passed on, so it is dropped.
    """
    import pickle
    import re

    if isinstance(err, pickle.UnpicklingError):
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        held = f" (it refers to the Python object {found.group(1)})" if found else ""
        return (f"not a checkpoint of tensors and plain values{held}; motiongen loads checkpoints only that "
                "way, because unpickling other objects can run code stored in the file. The file is corrupt "
                "or was not written by `motiongen train`")
    first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if "weights_only" in first_line:
        first_line = "the file cannot be read as tensors and plain values"
    return f"not a readable PyTorch checkpoint ({type(err).__name__}: {first_line})"


def _read_checkpoint(path: Path) -> dict:
    import pickle
    import zipfile

    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, OSError, ValueError) as err:
        raise InputFileError(path, _unreadable_reason(err)) from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
        raise InputFileError(path, "not a motiongen training checkpoint (no state_dict / hyper_parameters)")
    return checkpoint


def load_assets(path: str | Path, precision: str = "float32") -> GenerationAssets:
    """Rebuild the EMA denoiser, schedule and data recipe stored in checkpoint ``path``.

    Args:
        precision: inference dtype of the weights (see :func:`~motiongen.generation.pipeline.set_precision`).

    Raises:
        InputFileError: unreadable/corrupt file, not a motiongen checkpoint, no generation bundle
            (a checkpoint written without the training run's data recipe), mismatched weights.
    """
    from motiongen.features.recipe import recipe_from_config
    from motiongen.generation.inputs import sha256_file

    path = Path(path)
    checkpoint = _read_checkpoint(path)
    bundle = checkpoint.get(BUNDLE_KEY)
    if bundle is None:
        raise InputFileError(path, "checkpoint has no generation bundle (data recipe, statistics, skeleton); "
                                   "it was not written by `motiongen train`")
    if bundle.get("version") != BUNDLE_VERSION:
        raise InputFileError(path, f"generation bundle version {bundle.get('version')} is not {BUNDLE_VERSION}")
    network, schedule = _ema_network(path, checkpoint)
    cfg = network.cfg
    fps = float(bundle["fps"])
    stats = {block: (v["mean"].numpy(), v["std"].numpy()) for block, v in bundle["stats"].items()}
    words = bundle["word_vectors"]
    assets = GenerationAssets(
        model=network,
        schedule=schedule,
        window_frames=int(bundle["window_frames"]),
        seed_frames=int(bundle["seed_frames"]),
        fps=fps,
        gesture_dim=int(cfg.task_dims.get("gesture", 0)),
        expression_dim=int(cfg.task_dims.get("expression", 0)),
        normaliser=BlockStats(stats),
        normalised_blocks=tuple(stats),
        joint_names=list(bundle["joint_names"]),
        blendshape_names=list(bundle["blendshape_names"]),
        speakers=[int(s) for s in bundle["speakers"]],
        num_emotions=int(cfg.num_emotions),
        audio_recipe=recipe_from_config(bundle["audio_features"], fps),
        word_vectors=word_vectors(words),
        template=template_from_payload(bundle["template"]),
        config=dict(bundle.get("config", {})),
        source={"checkpoint": str(path.resolve()), "sha256": sha256_file(path),
                "global_step": str(checkpoint.get("global_step", ""))},
        warnings=[str(w) for w in bundle.get("warnings", [])],
    )
    _check_consistency(path, assets, cfg)
    set_precision(assets, precision)
    return assets


EMA_PREFIX = "ema_model.module."


def _ema_network(path: Path, checkpoint: dict):
    """The EMA denoiser and the noise schedule of a ``UWPLightningModule`` checkpoint.

    Built from the module's hyper-parameters (``network``, ``diffusion``) and the
    ``ema_model.module.*`` weights directly instead of ``UWPLightningModule.load_from_checkpoint``:
    importing Lightning costs 3-7 s of start-up on this machine (``python -X importtime``), which
    generation and its streaming latency should not pay.
    """
    from motiongen.diffusion.schedule import NoiseSchedule
    from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser

    hparams = checkpoint["hyper_parameters"]
    weights = {k[len(EMA_PREFIX):]: v for k, v in checkpoint["state_dict"].items() if k.startswith(EMA_PREFIX)}
    try:
        network = UWPDenoiser(DenoiserConfig(**hparams["network"]))
        network.load_state_dict(weights)
        schedule = NoiseSchedule(**hparams["diffusion"])
    except (TypeError, KeyError, RuntimeError, ConfigError) as err:
        raise InputFileError(path, f"checkpoint weights do not fit the model it describes: {err}") from None
    return network.eval(), schedule


def word_vectors(payload: dict):
    """The bundle's word vectors: the fastText ``.bin`` recorded at training time when it is still on
    disk (vectors for words the corpus never used, from character n-grams), else the corpus table
    stored in the checkpoint (unseen words get the zero vector)."""
    from motiongen.features.words import FastTextModel, WordTable

    model = payload.get("subword_model") or ""
    if model and Path(model).is_file():
        vectors = FastTextModel(model)
        if vectors.dim == payload["vectors"].shape[1]:
            return vectors
        log.warning("%s has %d-d vectors, the checkpoint's table %d-d; using the table", model, vectors.dim,
                    payload["vectors"].shape[1])
    return WordTable(list(payload["words"]), payload["vectors"].numpy(), str(payload["source"]))


def _check_consistency(path: Path, assets: GenerationAssets, cfg) -> None:
    if list(cfg.task_dims) != ["gesture", "expression"]:
        raise InputFileError(path, f"generation needs a holistic model (tasks gesture + expression), this one "
                                   f"predicts {list(cfg.task_dims)}")
    problems = []
    if 3 * len(assets.joint_names) != assets.gesture_dim:
        problems.append(f"{len(assets.joint_names)} joint names for {assets.gesture_dim} gesture channels")
    if len(assets.blendshape_names) != assets.expression_dim:
        problems.append(f"{len(assets.blendshape_names)} blendshape names for {assets.expression_dim} channels")
    if cfg.seed_frames != assets.seed_frames:
        problems.append(f"seed of {assets.seed_frames} frames, the network expects {cfg.seed_frames}")
    if len(assets.speakers) != cfg.num_speakers:
        problems.append(f"{len(assets.speakers)} speakers for a {cfg.num_speakers}-speaker embedding")
    if assets.word_vectors.dim + 1 != cfg.word_dim:
        problems.append(f"{assets.word_vectors.dim}-d word vectors for {cfg.word_dim}-d word features")
    if problems:
        raise InputFileError(path, "generation bundle does not match the network: " + "; ".join(problems))


def gesture_from_bvh(path: str | Path, assets: GenerationAssets) -> np.ndarray:
    """Rotations ``(F, 3J)`` radians of the model's joints from a user's BVH, at the model fps.

    Raises:
        InputFileError: unreadable BVH, or it lacks some of the model's joints.
    """
    from motiongen.formats.bvh import read_bvh
    from motiongen.formats.joint_sets import motion_to_axis_angle
    from motiongen.geometry.framerate import resample_motion

    motion = read_bvh(path)
    if motion.num_frames == 0:
        raise InputFileError(path, "BVH has no frames")
    if motion.fps != assets.fps:
        euler, root = resample_motion(motion.skeleton, motion.euler_deg, motion.root_translation, motion.fps, assets.fps)
        motion = replace(motion, euler_deg=euler, root_translation=root, frame_time=1.0 / assets.fps,
                         joint_translations={})
    return motion_to_axis_angle(motion, assets.joint_names)

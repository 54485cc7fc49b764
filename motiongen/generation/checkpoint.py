"""Load everything generation needs from one training checkpoint.

The checkpoint holds the Lightning module's hyper-parameters and weights (the EMA network is used
for sampling) and the :mod:`~motiongen.training.bundle` payload written by the training run.
Anything unreadable or inconsistent is reported as :class:`InputFileError` naming the file.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from motiongen.core.errors import ConfigError, InputFileError
from motiongen.core.motion_format import JOINT_ROTATIONS, ConditionKind, FormatError, MotionFormat
from motiongen.training.bundle import BUNDLE_KEY, BUNDLE_VERSION
from motiongen.generation.runtime import set_precision
from motiongen.generation.types import GenerationAssets

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
        precision: inference dtype of the weights (see :func:`~motiongen.generation.runtime.set_precision`).

    Raises:
        InputFileError: unreadable/corrupt file, not a motiongen checkpoint, no generation bundle
            (a checkpoint written without the training run's data recipe), mismatched weights.
    """
    from motiongen.features.recipe import recipe_from_config
    from motiongen.core.hashing import sha256_file

    path = Path(path)
    checkpoint = _read_checkpoint(path)
    bundle = checkpoint.get(BUNDLE_KEY)
    if bundle is None:
        raise InputFileError(path, "checkpoint has no generation bundle (data recipe, statistics, skeleton); "
                                   "it was not written by `motiongen train`")
    if bundle.get("version") != BUNDLE_VERSION:
        raise InputFileError(path, f"generation bundle version {bundle.get('version')}: this motiongen reads version "
                                   f"{BUNDLE_VERSION} (checkpoints that declare their motion format); retrain the "
                                   "model with this version")
    try:
        motion_format = MotionFormat.from_dict(bundle["motion_format"])
    except FormatError as err:
        raise InputFileError(path, f"generation bundle: {err}") from None
    network, schedule = _ema_network(path, checkpoint)
    cfg = network.cfg
    problems = _mismatches(motion_format, cfg, bundle)
    if problems:
        raise InputFileError(path, "generation bundle does not match the network: " + "; ".join(problems))
    fps = motion_format.fps
    uses = {motion_format.condition(name).kind for name in cfg.frame_conditions}
    assets = GenerationAssets(
        model=network,
        schedule=schedule,
        motion_format=motion_format.select(cfg.blocks),
        window_frames=int(bundle["window_frames"]),
        seed_frames=int(bundle["seed_frames"]),
        audio_recipe=recipe_from_config(bundle["audio_features"], fps) if ConditionKind.AUDIO in uses else None,
        word_vectors=word_vectors(bundle["word_vectors"]) if ConditionKind.WORDS in uses else None,
        config=dict(bundle.get("config", {})),
        label_frames={stream: dict(frames) for stream, frames in bundle.get("label_frames", {}).items()},
        extras=_extras(bundle),
        distilled=checkpoint["hyper_parameters"].get("distill"),
        source={"checkpoint": str(path.resolve()), "sha256": sha256_file(path),
                "global_step": str(checkpoint.get("global_step", ""))},
    )
    if assets.word_vectors is not None:
        word_dim = next(motion_format.condition(n).width for n in cfg.frame_conditions
                        if motion_format.condition(n).kind == ConditionKind.WORDS)
        if assets.word_vectors.dim + 1 != word_dim:
            raise InputFileError(path, f"generation bundle does not match the network: {assets.word_vectors.dim}-d "
                                       f"word vectors for {word_dim}-d word features")
    set_precision(assets, precision)
    return assets


def _extras(bundle: dict) -> dict[str, dict[str, np.ndarray]]:
    """The bundle's corpus extras as numpy arrays (``{}`` for checkpoints that carry none)."""
    return {name: {key: np.asarray(value) for key, value in arrays.items()}
            for name, arrays in bundle.get("extras", {}).items()}


def _mismatches(motion_format: MotionFormat, cfg, bundle: dict) -> list[str]:
    """What in the bundle's motion format disagrees with the network's configuration."""
    problems = []
    for name, width in cfg.blocks.items():
        if name not in motion_format.block_names():
            problems.append(f"the network predicts {name!r}, the format has no such block")
        elif motion_format.block(name).width != width:
            problems.append(f"block {name}: {motion_format.block(name).width} channels, the network {width}")
        elif motion_format.block(name).normalisation is None:
            problems.append(f"block {name} has no normalisation statistics")
    for name, width in {**cfg.frame_conditions, **cfg.category_conditions}.items():
        if not motion_format.has_condition(name):
            problems.append(f"the network reads {name!r}, the format has no such stream")
        elif motion_format.condition(name).width != width:
            problems.append(f"stream {name}: width {motion_format.condition(name).width}, the network {width}")
    if cfg.seed_frames != int(bundle["seed_frames"]):
        problems.append(f"seed of {bundle['seed_frames']} frames, the network expects {cfg.seed_frames}")
    return problems


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


def motion_from_bvh(path: str | Path, assets: GenerationAssets) -> dict[str, np.ndarray]:
    """Initial motion from a user's BVH, at the model fps: ``{block: (F, width)}`` for every joint-rotation
    block the model generates (axis-angle radians, or 6-D rotations), read from the BVH's joints of
    those names.

    Raises:
        InputFileError: unreadable BVH, no frames, the model generates no joint rotations, or the
            BVH lacks some of a block's joints (all named).
    """
    from motiongen.core.framerate import resample_motion
    from motiongen.core.motion_format import Representation
    from motiongen.core.rotations import axis_angle_to_matrix, matrix_to_6d
    from motiongen.formats.bvh import read_bvh
    from motiongen.formats.joint_sets import motion_to_axis_angle

    blocks = assets.motion_format.blocks_of(*JOINT_ROTATIONS)
    if not blocks:
        raise InputFileError(path, f"this model generates no joint rotations ({assets.motion_format.describe()}); "
                                   "an initial pose BVH cannot seed it")
    motion = read_bvh(path)
    if motion.num_frames == 0:
        raise InputFileError(path, "BVH has no frames")
    if motion.fps != assets.fps:
        euler, root = resample_motion(motion.skeleton, motion.euler_deg, motion.root_translation, motion.fps, assets.fps)
        motion = replace(motion, euler_deg=euler, root_translation=root, frame_time=1.0 / assets.fps,
                         joint_translations={})
    initial = {}
    for block in blocks:
        axis_angle = motion_to_axis_angle(motion, list(block.names))
        if block.representation == Representation.ROT6D:
            frames = len(axis_angle)
            sixd = matrix_to_6d(axis_angle_to_matrix(axis_angle.reshape(frames, -1, 3)))
            initial[block.name] = sixd.reshape(frames, -1).astype(np.float32)
        else:
            initial[block.name] = axis_angle
    return initial

"""``render train``: prepare the videos, build the renderer's Lightning module, fit, summarise.

Checkpoints (``<out_dir>/checkpoints/stepNNNNNNNN.ckpt`` and ``last.ckpt``) hold the network,
optimiser and step; batches and noise are functions of (seed, step), so ``resume=<ckpt>``
continues exactly as an uninterrupted run. TensorBoard (``<out_dir>/tensorboard``) gets the
losses, held-out scores and sample frames. ``<out_dir>/summary.json`` holds the final
evaluation of :func:`render.evaluate.evaluate_clips` on every held-out split (renderer and
baselines), as ``render evaluate`` reports it, plus the training speed.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader

from render.data.batches import FramePairs, StepBatches
from render.data.videos import find_videos, prepare_video
from render.errors import RenderError

log = logging.getLogger(__name__)


def load_pairs(cfg: DictConfig) -> FramePairs:
    height, width = cfg.data.image_size
    cache_dir = Path(cfg.data.cache_dir)
    hands = bool(cfg.model.get("hands"))
    clips = [prepare_video(path, cache_dir, height, width, cfg.data.face_size, cfg.data.face_box_scale,
                           cfg.data.hand_size if hands else 0, cfg.data.hand_box_scale) for path in find_videos(cfg.data.videos)]
    face = cfg.model.get("face")
    return FramePairs(clips, cfg.data.holdout_every, cfg.model.keypoint_dropout, cfg.data.face_stride, cfg.data.holdout_tail,
                      face.keypoint_stride if face else None, mouth_channel=bool(face and face.get("mouth_channel")),
                      lip_augment=face.get("lip_augment", 0.0) if face else 0.0,
                      max_jaw_open=face.get("max_jaw_open", 0.65) if face else 0.65, hands=hands)


def face_network(face: DictConfig, num_keypoints: int) -> dict:
    """Keyword arguments of the face path's :class:`render.models.keypoint.KeypointRenderer`
    (``model.face.network``, its keypoints, and the mouth channel when ``model.face.mouth_channel``)."""
    return dict(OmegaConf.to_container(face.network, resolve=True), num_keypoints=num_keypoints,
                condition_channels=4 if face.get("mouth_channel") else 3)


def hand_network(hands: DictConfig, num_keypoints: int) -> dict:
    """Keyword arguments of the hand path's :class:`render.models.keypoint.KeypointRenderer` (``model.hands.network``)."""
    return dict(OmegaConf.to_container(hands.network, resolve=True), num_keypoints=num_keypoints)


def renderer_info(cfg: DictConfig, pairs: FramePairs) -> dict:
    """What ``render animate`` needs besides the weights: kind, frame size, keypoint subsets, face and hand paths."""
    face = cfg.model.get("face")
    info = {"kind": cfg.model.name, "image_size": [pairs.height, pairs.width], "face_stride": cfg.data.face_stride,
            "model": OmegaConf.to_container(cfg.model, resolve=True)}
    if face:
        info["face"] = {"size": cfg.data.face_size, "box_scale": cfg.data.face_box_scale,
                        "keypoint_stride": face.keypoint_stride, "output_scale": face.output_scale,
                        "mouth_channel": bool(face.get("mouth_channel"))}
    if cfg.model.get("hands"):
        info["hands"] = {"size": cfg.data.hand_size, "box_scale": cfg.data.hand_box_scale}
    return info


def build_module(cfg: DictConfig, pairs: FramePairs, held_out) -> L.LightningModule:
    info = renderer_info(cfg, pairs)
    if cfg.model.name == "keypoint":
        from render.training.keypoint_module import KeypointModule

        network = dict(OmegaConf.to_container(cfg.model.network, resolve=True), num_keypoints=pairs.num_keypoints)
        face, hands = cfg.model.get("face"), cfg.model.get("hands")
        return KeypointModule(network, cfg.model.lr, cfg.model.ssim_weight, held_out, cfg.trainer.eval_every, info=info,
                              face_network=face_network(face, pairs.num_face_keypoints) if face else None,
                              face_weight=face.weight if face else 1.0, mouth_weight=face.get("mouth_weight", 0.0) if face else 0.0,
                              hand_network=hand_network(hands, pairs.num_hand_keypoints) if hands else None,
                              hand_weight=hands.weight if hands else 1.0)
    if cfg.model.name == "diffusion":
        from render.training.diffusion_module import DiffusionModule

        return DiffusionModule(OmegaConf.to_container(cfg.model, resolve=True), held_out, cfg.trainer.eval_every,
                               seed=cfg.seed, info=info)
    raise RenderError(f"unknown renderer model.name={cfg.model.name!r} (keypoint or diffusion)")


def train(cfg: DictConfig) -> dict:
    """Train the configured renderer; returns the summary written to ``<out_dir>/summary.json``."""
    out_dir = Path(cfg.out_dir)
    if cfg.trainer.threads:
        torch.set_num_threads(int(cfg.trainer.threads))
    L.seed_everything(cfg.seed, workers=True)
    pairs = load_pairs(cfg)
    held_out = pairs.held_out() if cfg.data.holdout_every or cfg.data.holdout_tail else None
    module = build_module(cfg, pairs, held_out)
    checkpoints = ModelCheckpoint(dirpath=out_dir / "checkpoints", filename="step{step:08d}", auto_insert_metric_name=False,
                                  every_n_train_steps=cfg.trainer.checkpoint_every, save_top_k=-1, save_last=True,
                                  save_on_train_epoch_end=False)
    max_time = timedelta(minutes=cfg.trainer.max_minutes) if cfg.trainer.max_minutes else None
    trainer = L.Trainer(accelerator=cfg.trainer.accelerator, devices=cfg.trainer.devices, precision=cfg.trainer.precision,
                        max_steps=cfg.trainer.max_steps, max_time=max_time, logger=TensorBoardLogger(out_dir, name="tensorboard", version=""),
                        callbacks=[checkpoints], log_every_n_steps=cfg.trainer.log_every, enable_model_summary=False,
                        num_sanity_val_steps=0, limit_val_batches=0, deterministic=False)
    num_frames = cfg.model.num_frames if cfg.model.name == "diffusion" and cfg.model.stage == 2 else 0
    batches = StepBatches(pairs, cfg.seed, cfg.model.batch_size, lambda: trainer.global_step, num_frames)
    # Resuming restores the step inside fit(); the steps this run trains start at the checkpoint's.
    first_step = torch.load(cfg.resume, map_location="cpu", weights_only=False)["global_step"] if cfg.resume else 0
    started, cpu_started = time.perf_counter(), time.process_time()
    trainer.fit(module, DataLoader(batches, batch_size=None), ckpt_path=cfg.resume)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if trainer.global_step % cfg.trainer.checkpoint_every:
        trainer.save_checkpoint(out_dir / "checkpoints" / "last.ckpt")
    frames = (trainer.global_step - first_step) * cfg.model.batch_size * max(num_frames, 1)
    # On a shared machine the process's CPU seconds (all threads) tell what an idle one would take.
    summary = {"steps": trainer.global_step, "first_step": first_step, "renderer": cfg.model.name, "train_seconds": round(seconds, 1),
               "train_cpu_seconds": round(cpu_seconds, 1),
               "train_frames_per_second": round(frames / max(seconds, 1e-9), 2),
               "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if held_out is not None:
        from render.evaluate import evaluate_clips
        from render.inference import Renderer

        module.eval()
        if cfg.model.name == "diffusion":
            module.ema.copy_to(module.renderer.trainable_parameters())
        summary["held_out"] = module.evaluate_held_out()
        summary["held_out_frames"] = int(held_out["target"].shape[0])
        evaluation = cfg.evaluation
        summary["evaluation"] = evaluate_clips(Renderer(module, renderer_info(cfg, pairs)), pairs.clips, pairs.splits,
                                               steps=evaluation.steps, redetect=evaluation.redetect,
                                               lpips_weights=evaluation.lpips_weights)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary

"""``render evaluate``: a trained renderer on the held-out frames of videos.

Per video, every ``holdout_every``-th frame is rendered from the video's reference frame and its
own landmarks and compared with the real frame (PSNR, SSIM, L1; the copy-the-reference baseline
beside them). The keypoint renderer also renders the whole video for the temporal flicker error.
With ``redetect``, MediaPipe runs on the rendered held-out frames and the landmark error against
the driving landmarks is reported per part (pixels of the rendered frame and normalised by its
diagonal). Learned metrics (LPIPS, FID, FVD, SyncNet) are not computed: their weights are not
available offline.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from render import metrics
from render.data.batches import to_tensor_images
from render.data.videos import find_videos, prepare_video, split_frames
from render.inference import LoadedRenderer


def _landmark_errors(rendered: np.ndarray, driving: np.ndarray) -> dict[str, dict[str, float]]:
    from motiongen.core.holistic_layout import PART_SLICES
    from motiongen.formats.holistic import extract_image

    detected = np.stack([extract_image(frame).landmarks[0, :, :2] for frame in rendered])
    height, width = rendered.shape[1:3]
    return {part: metrics.landmark_error(torch.from_numpy(detected[:, PART_SLICES[part]]),
                                         torch.from_numpy(driving[:, PART_SLICES[part], :2].astype(np.float32)), (height, width))
            for part in ("pose", "face", "left_hand", "right_hand")}


def evaluate(checkpoint: str | Path, videos: str | Path, holdout_every: int = 8, cache_dir: str | Path = "render_cache",
             steps: int = 20, redetect: bool = False) -> dict:
    """Scores averaged over the held-out frames of all videos (see the module docstring)."""
    renderer = LoadedRenderer(checkpoint)
    scores: dict[str, list[float]] = {}
    per_video = {}
    for path in find_videos(videos):
        clip = prepare_video(path, Path(cache_dir), renderer.height, renderer.width)
        _, held = split_frames(len(clip.frames), holdout_every)
        reference = clip.frames[clip.reference]
        reference_landmarks = clip.landmarks[clip.reference, :, :2]
        frames = clip.frames if renderer.kind == "keypoint" else clip.frames[held]
        landmarks = clip.landmarks if renderer.kind == "keypoint" else clip.landmarks[held]
        rendered = renderer.render(reference, reference_landmarks, landmarks[..., :2], steps=steps)
        held_rendered = rendered[held] if renderer.kind == "keypoint" else rendered
        prediction, target = to_tensor_images(held_rendered), to_tensor_images(clip.frames[held])
        baseline = to_tensor_images(reference)[None].expand_as(target)
        video = {"held_out_frames": len(held),
                 "psnr": float(metrics.psnr(prediction, target).mean()), "ssim": float(metrics.ssim(prediction, target).mean()),
                 "l1": float(metrics.l1(prediction, target).mean()),
                 "baseline_psnr": float(metrics.psnr(baseline, target).mean()),
                 "baseline_ssim": float(metrics.ssim(baseline, target).mean()),
                 "baseline_l1": float(metrics.l1(baseline, target).mean())}
        if renderer.kind == "keypoint":
            video["flicker"] = float(metrics.flicker(to_tensor_images(rendered), to_tensor_images(frames)).mean())
        if redetect:
            video["landmark_error"] = _landmark_errors(held_rendered, clip.landmarks[held])
        per_video[path.name] = video
        for key, value in video.items():
            if isinstance(value, float):
                scores.setdefault(key, []).append(value)
    return {"renderer": renderer.kind, "mean": {key: float(np.mean(values)) for key, values in scores.items()},
            "videos": per_video}


def evaluate_from_args(args: argparse.Namespace) -> dict:
    result = evaluate(args.checkpoint, args.videos, args.holdout_every, args.cache_dir, args.steps, args.redetect)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result

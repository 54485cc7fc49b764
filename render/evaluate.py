"""``render evaluate``: a trained renderer on the held-out splits of videos, against cheap baselines.

Per video (:func:`render.data.videos.split_frames`): the **interpolation** split (every
``holdout_every``-th frame, each between two training frames) and the **contiguous** split (the
last ``holdout_tail`` of the video, never seen in training). Every held-out frame is rendered
from the video's reference frame and its own landmarks and compared with the real frame, beside
three baselines (:mod:`render.baselines`): copying the reference, the previous training frame,
and retrieval (the training frame with the closest landmarks). For the renderer and each
baseline, on the body frame (the trained size), on the face crop and, when the clips carry hand
crops, on the hand crops (both hands, on the frames that have them) (:mod:`render.regions`):
PSNR, SSIM, L1, LPIPS (with local AlexNet weights, :mod:`render.lpips`) and the temporal flicker
error of each held-out frame against the frame before it. Where a split's held-out frames
follow training frames (the interpolation split), the renderer is also scored on those training
frames (``seen``: frames it was trained on, one frame from the targets), which tells a renderer
that cannot reproduce even what it saw from one that fails to generalise. With ``redetect``, MediaPipe runs on the
rendered frames (at the renderer's output size): per part the fraction of frames where it finds
what the driving landmarks have, the mean error in pixels and in shoulder widths; the same for
the hands its Hands solution finds at the driving wrists (``hands_solution``, a palm detector
over the whole frame: Holistic looks for a hand only where its pose puts the wrist); and the lip
sync (:mod:`render.lipsync`; against the video's speech too when it has a sound track). FID, FVD and SyncNet need weights that are not available offline.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch

from render import metrics
from render.baselines import previous_frames, retrieval_frames
from render.data.batches import to_tensor_images
from render.data.videos import FrameSplit, VideoClip, find_videos, prepare_video, split_frames
from render.inference import LoadedRenderer, Renderer
from render.regions import HANDS, REGIONS, crop_regions

BASELINES = ("reference", "previous", "retrieval")


def image_scores(prediction: np.ndarray, target: np.ndarray, before: np.ndarray | None, target_before: np.ndarray | None,
                 lpips=None) -> dict[str, float]:
    """Mean PSNR, SSIM, L1 (and LPIPS, on images of at least :data:`render.lpips.MIN_SIZE` pixels a
    side) of uint8 ``(N, H, W, 3)`` frames, and the flicker error of the change from ``before`` to
    ``prediction`` against the change from ``target_before`` to ``target``."""
    from render.lpips import MIN_SIZE

    p, t = to_tensor_images(prediction), to_tensor_images(target)
    scores = {"psnr": float(metrics.psnr(p, t).mean()), "ssim": float(metrics.ssim(p, t).mean()),
              "l1": float(metrics.l1(p, t).mean())}
    if lpips is not None and min(prediction.shape[1:3]) >= MIN_SIZE:
        scores["lpips"] = float(lpips(p, t).mean())
    if before is not None and len(before):
        change = p[-len(before):] - to_tensor_images(before)
        wanted = t[-len(before):] - to_tensor_images(target_before)
        scores["flicker"] = float((change - wanted).abs().flatten(1).mean(1).mean())
    return scores


def _resize(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if frames.shape[1:3] == tuple(size):
        return frames
    return np.stack([cv2.resize(frame, (size[1], size[0]), interpolation=cv2.INTER_AREA) for frame in frames])


def evaluate_clip(renderer: Renderer, clip: VideoClip, split: FrameSplit, steps: int = 20, redetect: bool = False,
                  lpips=None, seed: int = 0, envelope: np.ndarray | None = None) -> dict:
    """Scores of one video per held-out split (see the module docstring); ``envelope`` ``(T,)``
    is the loudness of the video's speech per frame, when it has a sound track."""
    from render.lipsync import lip_sync_scores
    from render.redetect import redetect as run_mediapipe
    from render.redetect import redetect_hands

    targets = split.all_held
    needed = np.unique(np.concatenate([targets, targets[targets > 0] - 1]))
    rendered = renderer.render(clip.reference_image, clip.landmarks[clip.reference], clip.landmarks[needed, :, :2],
                               steps=steps, seed=seed)
    body = _resize(rendered, clip.frames.shape[1:3])
    row = np.full(len(clip.frames), -1)
    row[needed] = np.arange(len(needed))
    keypoints = clip.landmarks[:, renderer.indices, :2]
    image_size = clip.reference_image.shape[:2]
    face_size = clip.faces.shape[1]
    result = {}
    for name, held in split.held.items():
        pairs = held[held > 0]
        indices = {"reference": lambda index: np.full(len(index), clip.reference),
                   "previous": lambda index: previous_frames(index, split.train),
                   "retrieval": lambda index: retrieval_frames(keypoints, index, split.train)}
        with_face = np.isfinite(clip.face_boxes[held]).all(-1)
        frame_scores = {"renderer": image_scores(body[row[held]], clip.frames[held], body[row[pairs - 1]],
                                                 clip.frames[pairs - 1], lpips)}
        rendered_faces = crop_regions(rendered[row[held]], clip.face_boxes[held], face_size)
        face_scores = {"renderer": image_scores(rendered_faces[with_face], clip.faces[held][with_face], None, None, lpips)}
        seen = np.intersect1d(pairs - 1, split.train)
        if len(seen) >= 3:
            frame_scores["seen"] = image_scores(body[row[seen]], clip.frames[seen], None, None, lpips)
        for baseline in BASELINES:
            source, before = indices[baseline](held), indices[baseline](pairs - 1)
            frame_scores[baseline] = image_scores(clip.frames[source], clip.frames[held], clip.frames[before],
                                                  clip.frames[pairs - 1], lpips)
            face_scores[baseline] = image_scores(clip.faces[source][with_face], clip.faces[held][with_face], None, None, lpips)
        scores = {"frames": int(len(held)), "frame": frame_scores, "face": face_scores}
        if clip.hands is not None:
            scores["hand"] = hand_region_scores(clip, held, rendered[row[held]], indices, lpips)
        if redetect:
            out = rendered[row[held]]
            detected = run_mediapipe(out, consecutive=name == "contiguous")
            driving = clip.landmarks[held, :, :2]
            scores["redetection"] = metrics.redetection_scores(detected, driving, out.shape[1:3])
            scores["hands_solution"] = metrics.hand_redetection_scores(
                redetect_hands(out, consecutive=name == "contiguous"), driving, out.shape[1:3])
            scores["lip_sync"] = lip_sync_scores(detected, driving, image_size,
                                                 envelope=envelope[held] if envelope is not None else None)
        result[name] = scores
    return result


def hand_region_scores(clip: VideoClip, held: np.ndarray, rendered: np.ndarray, indices: dict, lpips=None) -> dict:
    """PSNR/SSIM/L1 (LPIPS) on the hand crops of the ``held`` frames that have the hand (both
    hands pooled): the renderer's crop of ``rendered`` ``(N, h, w, 3)`` at the target's hand box,
    each baseline's own frame's crop (at its pose-wrist box where MediaPipe missed the hand there)."""
    size = clip.hands.shape[2]
    rendered_crops, truth, sources = [], [], {baseline: [] for baseline in BASELINES}
    for side, hand in enumerate(HANDS):
        with_hand = np.isfinite(clip.landmarks[held][:, REGIONS[hand], :2]).all((1, 2))
        frames = held[with_hand]
        rendered_crops.append(crop_regions(rendered[with_hand], clip.hand_boxes[frames, side], size))
        truth.append(clip.hands[frames, side])
        for baseline in BASELINES:
            sources[baseline].append(clip.hands[indices[baseline](frames), side])
    truth = np.concatenate(truth)
    if not len(truth):
        return {}
    scores = {"renderer": image_scores(np.concatenate(rendered_crops), truth, None, None, lpips)}
    return scores | {baseline: image_scores(np.concatenate(crops), truth, None, None, lpips) for baseline, crops in sources.items()}


def mean_scores(results: list[dict]) -> dict:
    """Element-wise mean of equally nested score dictionaries (NaN-aware; counts are summed)."""
    first = results[0]
    out = {}
    for key, value in first.items():
        values = [result[key] for result in results if key in result]
        if isinstance(value, dict):
            out[key] = mean_scores(values)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = int(sum(values))
        else:
            finite = [v for v in values if np.isfinite(v)]
            out[key] = float(np.mean(finite)) if finite else float("nan")
    return out


def evaluate_clips(renderer: Renderer, clips: list[VideoClip], splits: list[FrameSplit], steps: int = 20,
                   redetect: bool = False, lpips_weights: str | Path | None = None, seed: int = 0,
                   envelopes: list[np.ndarray | None] | None = None) -> dict:
    """Scores per video and averaged over the videos, per split (``envelopes``: per video the
    speech loudness per frame, or None)."""
    lpips = None
    if lpips_weights:
        from render.lpips import LPIPS

        lpips = LPIPS(lpips_weights)
    envelopes = envelopes or [None] * len(clips)
    per_video = {clip.name: evaluate_clip(renderer, clip, split, steps, redetect, lpips, seed, envelope)
                 for clip, split, envelope in zip(clips, splits, envelopes)}
    return {"renderer": renderer.kind, "splits": mean_scores(list(per_video.values())), "videos": per_video}


def evaluate(checkpoint: str | Path, videos: str | Path, holdout_every: int = 8, holdout_tail: float = 0.2,
             cache_dir: str | Path = "render_cache", steps: int = 20, redetect: bool = False,
             lpips_weights: str | Path | None = None) -> dict:
    """:func:`evaluate_clips` of a checkpoint on a video file or folder."""
    renderer = LoadedRenderer(checkpoint)
    face, hands = renderer.info.get("face") or {}, renderer.info.get("hands") or {}
    clips = [prepare_video(path, Path(cache_dir), renderer.height, renderer.width, face.get("size", 128), face.get("box_scale", 1.8),
                           hands.get("size", 0), hands.get("box_scale", 2.0))
             for path in find_videos(videos)]
    splits = [split_frames(len(clip.frames), holdout_every, holdout_tail) for clip in clips]
    envelopes = [speech_envelope(path, len(clip.frames)) for path, clip in zip(find_videos(videos), clips)]
    return evaluate_clips(renderer, clips, splits, steps, redetect, lpips_weights, envelopes=envelopes)


def speech_envelope(path: Path, num_frames: int) -> np.ndarray | None:
    """Loudness ``(num_frames,)`` of a video's sound track per video frame (None without one)."""
    from motiongen.formats.video import probe_video
    from render.lipsync import audio_envelope
    from render.video_io import read_audio_track

    sound = read_audio_track(path)
    return None if sound is None else audio_envelope(sound[0], sound[1], probe_video(path).fps, num_frames)


def summary_table(result: dict) -> str:
    """The scores as text: one row per split, region and method (PSNR, SSIM, L1, LPIPS, flicker)."""
    lines = [f"{'split':13} {'region':6} {'method':10} {'PSNR':>7} {'SSIM':>7} {'L1':>7} {'LPIPS':>7} {'flicker':>8}"]
    for split, scores in result["splits"].items():
        for region in ("frame", "face", "hand"):
            for method, values in scores.get(region, {}).items():
                lines.append(f"{split:13} {region:6} {method:10} {values['psnr']:7.2f} {values['ssim']:7.4f} {values['l1']:7.4f} "
                             f"{values.get('lpips', float('nan')):7.4f} {values.get('flicker', float('nan')):8.4f}")
    return "\n".join(lines)


def evaluate_from_args(args: argparse.Namespace) -> dict:
    result = evaluate(args.checkpoint, args.videos, args.holdout_every, args.holdout_tail, args.cache_dir, args.steps,
                      args.redetect, args.lpips_weights)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result

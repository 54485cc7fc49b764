"""The keypoint renderer on the Slovo sample as a new user would run it, with every figure of docs/render.md.

1. A horizontally mirrored copy of the Slovo sample video is written to ``<out>/videos/``.
2. ``render train experiment=slovo_keypoint_cpu`` on it (256 x 144 body frames, 128 x 128 face
   crops), for ``--minutes`` / ``--steps``; the summary's evaluation is printed: on the
   interpolation split (every 8th frame) and the contiguous split (the last 20 %), the renderer
   against copying the reference, the previous training frame and retrieval, on the body frame
   and the face crop; landmarks MediaPipe re-detects on the rendered frames; the lip sync.
3. With ``--motion`` (a motiongen output folder, e.g. ``quickstart/generated``): ``render
   animate --image <first frame of the mirrored video> --motion <folder> --report``, and the
   re-detection check of the avatar video: pose/face found on its frames, each hand on the frames
   where the driving landmarks have it, the lip gap against ``jawOpen`` (rendered and driving).
4. The same checkpoint with its hand path unused (the body renderer draws the hands): hands
   re-detected on the held-out splits and on the avatar video, and the renderer's hand-crop scores,
   so what the hand path adds is measured on one set of weights. And what the driving hands give
   MediaPipe: their wrist-knuckle length against the video's hands that MediaPipe found.
5. The avatar again with the hands turned less towards the camera (``--compare-hands-to-camera``,
   default 0: the hands as the motion projects them), on the same weights; and with hand exemplars
   from the mirrored training video pasted over the rendered hands (``render animate
   --hand-exemplars``), at each of those settings.

Every figure comes with the machine load.

    python tools/render_slovo_keypoint.py --motion quickstart/generated [--minutes 15] [--steps 600] [--threads 1]
        [--hands-to-camera 1] [--compare-hands-to-camera 0 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
VIDEO = REPO.parent / "shared" / "data" / "slovo" / "f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


def mirrored_copy(video: Path, folder: Path) -> Path:
    """Write the horizontally mirrored ``video`` (H.264) into ``folder``; returns its path."""
    from motiongen.formats.video import probe_video, read_video_frames
    from render.video_io import write_mp4

    out = folder / f"{video.stem}-mirrored.mp4"
    if not out.is_file():
        frames = read_video_frames(video)[:, :, ::-1]
        write_mp4(out, np.ascontiguousarray(frames), probe_video(video).fps)
    return out


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def print_evaluation(evaluation: dict) -> None:
    from render.evaluate import summary_table

    print(summary_table(evaluation))
    for split, scores in evaluation["splits"].items():
        if "redetection" in scores:
            found = ", ".join(f"{part} {values['found']:.2f} of {values['frames']} ({values['pixels']:.1f} px, "
                              f"{values['shoulder_widths']:.3f} shoulder widths)"
                              for part, values in scores["redetection"].items())
            sync = scores["lip_sync"]
            print(f"{split}: re-detected on the rendered frames: {found}")
            if "hands_solution" in scores:   # summaries written before it was measured lack it
                print(f"{split}: hands found by the Hands solution at the driving wrists: " + ", ".join(
                    f"{part} {values['found']:.2f} of {values['frames']}" for part, values in scores["hands_solution"].items()))
            print(f"{split}: lip gap r(rendered, driving) = {sync['r_rendered_vs_driving_gap']:.2f}; "
                  f"gap range rendered {sync['rendered_gap_range']:.3f}, driving {sync['driving_gap_range']:.3f}")


def print_ceiling(cfg) -> tuple[np.ndarray, np.ndarray, dict]:
    """What MediaPipe finds on the real video at the rendered size: the real body frames up-sampled
    by the face path's output scale (the best a renderer at this body size could give it).
    Returns the video's landmarks and those re-detected on the up-sampled frames, ``(T, 543, 2)``,
    and the reference for the avatar's hands (every frame shows both hands): per hand the share
    of frames MediaPipe Holistic found it on at the video's own size (``found``), and the share on
    which the Hands solution finds a hand at the video's pose wrist on the up-sampled frames
    (``hands_solution``)."""
    import cv2

    from render.data.videos import find_videos, prepare_video
    from motiongen.core.holistic_layout import PART_SLICES
    from render.metrics import assign_hands, hand_visibility, redetection_scores
    from render.redetect import redetect, redetect_hands

    height, width = cfg.data.image_size
    clip = prepare_video(find_videos(cfg.data.videos)[0], Path(cfg.data.cache_dir), height, width, cfg.data.face_size,
                         cfg.data.face_box_scale, cfg.data.hand_size if cfg.model.get("hands") else 0, cfg.data.hand_box_scale)
    scale = cfg.model.face.output_scale if cfg.model.get("face") else 1
    frames = np.stack([cv2.resize(frame, (width * scale, height * scale), interpolation=cv2.INTER_CUBIC) for frame in clip.frames])
    detected = redetect(frames)
    scores = redetection_scores(detected, clip.landmarks[..., :2], frames.shape[1:3])
    visibility = hand_visibility(clip.landmarks[..., :2], frames.shape[1:3])
    for part, values in visibility.items():
        print(f"the video's {part}: found by MediaPipe on {values['present']:.2f} of its frames, wrist-knuckle length "
              f"{values['length_px']:.1f} px ({values['length_shoulder_widths']:.2f} shoulder widths) at the rendered size")
    print(f"ceiling: MediaPipe on the real frames at {width * scale} x {height * scale}: " + ", ".join(
        f"{part} {values['found']:.2f} of {values['frames']}" for part, values in scores.items()))
    assigned = assign_hands(redetect_hands(frames), clip.landmarks[..., :2], frames.shape[1:3])
    hands = {part: float(np.isfinite(assigned[:, PART_SLICES[part]]).all((1, 2)).mean()) for part in ("left_hand", "right_hand")}
    print(f"ceiling: MediaPipe's Hands solution on the real frames at {width * scale} x {height * scale}, a hand at the "
          "pose wrist on " + ", ".join(f"{part} {share:.2f}" for part, share in hands.items()) + f" of the {len(frames)} frames")
    return clip.landmarks[..., :2], detected, {"found": {part: values["present"] for part, values in visibility.items()},
                                               "hands_solution": hands}


def print_pose_matched_ceiling(video_landmarks: np.ndarray, detected: np.ndarray, driving: np.ndarray) -> dict[str, dict]:
    """Per hand: on the real frames whose wrist is as low or high as the driving wrists get (the
    driving wrist's vertical range), how often MediaPipe found that hand (on the up-sampled real
    frames): what a perfect renderer of this person could expect in the driving poses. Returns
    per hand ``{"found": share or NaN, "frames": how many such frames}``."""
    from motiongen.core.holistic_layout import PART_SLICES, landmark_index

    result = {}
    for side in ("left", "right"):
        wrist = landmark_index(f"pose.{side}_wrist")
        low, high = np.nanmin(driving[:, wrist, 1]), np.nanmax(driving[:, wrist, 1])
        matched = (video_landmarks[:, wrist, 1] >= low) & (video_landmarks[:, wrist, 1] <= high)
        found = np.isfinite(detected[:, PART_SLICES[f"{side}_hand"], 0]).all(-1)
        share = f"{found[matched].mean():.2f}" if matched.any() else "n/a"
        result[f"{side}_hand"] = {"found": float(found[matched].mean()) if matched.any() else float("nan"),
                                  "frames": int(matched.sum())}
        print(f"ceiling in the driving poses: {side} hand found on {share} of the {matched.sum()} real frames whose wrist "
              f"height lies in the driving range {low:.2f}-{high:.2f} of the frame height")
    return result


def hand_lengths(landmarks: np.ndarray, image_size: tuple[int, int]) -> dict[str, np.ndarray]:
    """Per hand, ``(T,)`` wrist to middle-knuckle length in shoulder widths of ``(T, 543, 2)``
    normalised landmarks on frames of ``image_size`` (NaN without the hand): short when the
    hand points at the camera."""
    from motiongen.core.holistic_layout import PART_SLICES, landmark_index

    scale = np.array(image_size[::-1], dtype=np.float64)
    shoulders = np.linalg.norm((landmarks[:, landmark_index("pose.left_shoulder")]
                                - landmarks[:, landmark_index("pose.right_shoulder")]) * scale, axis=-1)
    return {part: np.linalg.norm((landmarks[:, PART_SLICES[part]][:, 9] - landmarks[:, PART_SLICES[part]][:, 0]) * scale, axis=-1)
            / shoulders for part in ("left_hand", "right_hand")}


def print_hand_shape_ceiling(video_landmarks: np.ndarray, detected: np.ndarray, driving: np.ndarray,
                             image_size: tuple[int, int]) -> None:
    """Per hand: the driving hands' wrist-knuckle length against that of the video's hands on the
    frames where MediaPipe found them at the rendered size; the share of driving frames whose hand
    is at least as long as the video's 5th percentile (a hand seen shorter, end-on, is a pose the
    renderer never saw and MediaPipe never found in this video)."""
    from motiongen.core.holistic_layout import PART_SLICES

    video, wanted = hand_lengths(video_landmarks, image_size), hand_lengths(driving, image_size)
    for part in ("left_hand", "right_hand"):
        found = np.isfinite(detected[:, PART_SLICES[part], 0]).all(-1) & np.isfinite(video[part])
        lengths = video[part][found]
        floor = np.percentile(lengths, 5)
        print(f"hand shape: driving {part} wrist-knuckle length median {np.nanmedian(wanted[part]):.2f} shoulder widths; "
              f"the video's, where MediaPipe found it: median {np.median(lengths):.2f}, 5th percentile {floor:.2f}, "
              f"minimum {lengths.min():.2f}; driving frames at least that 5th percentile: {np.mean(wanted[part] >= floor):.2f}")


def print_without_hand_path(cfg, checkpoint: Path) -> None:
    """Held-out re-detection and the renderer's scores with the checkpoint's hand path unused."""
    from render.evaluate import evaluate_clips
    from render.inference import LoadedRenderer
    from render.training.run import load_pairs

    pairs = load_pairs(cfg)
    result = evaluate_clips(LoadedRenderer(checkpoint, hand_path=False), pairs.clips, pairs.splits, redetect=True)
    for split, scores in result["splits"].items():
        rows = ", ".join(f"{region} PSNR {scores[region]['renderer']['psnr']:.2f} SSIM {scores[region]['renderer']['ssim']:.4f}"
                         for region in ("frame", "face", "hand") if scores.get(region))
        found = ", ".join(f"{part} {scores['redetection'][part]['found']:.2f} of {scores['redetection'][part]['frames']}"
                          for part in ("left_hand", "right_hand"))
        print(f"without the hand path, {split}: renderer {rows}; hands re-detected: {found}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", default=str(VIDEO))
    parser.add_argument("--motion", help="motiongen output folder to animate (e.g. quickstart/generated)")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--steps", type=int, help="training steps (default: the experiment's trainer.max_steps)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="runs/slovo-keypoint")
    parser.add_argument("--overrides", nargs="*", default=[], help="extra Hydra overrides of render train")
    parser.add_argument("--skip-train", action="store_true", help="reuse <out>/summary.json and its checkpoint")
    parser.add_argument("--hands-to-camera", type=float, default=1.0, help="render animate --hands-to-camera of the avatar")
    parser.add_argument("--compare-hands-to-camera", type=float, nargs="*", default=[0.0],
                        help="also animate with these --hands-to-camera values")
    args = parser.parse_args()

    import torch
    from PIL import Image

    from render.animate import animate, load_driving_landmarks, reference_landmarks, skeleton_check
    from render.config import compose
    from render.training.run import train

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    video = mirrored_copy(Path(args.video), out / "videos")
    cfg = compose("train", ["experiment=slovo_keypoint_cpu", f"data.videos={video.parent}", f"out_dir={out}",
                            f"trainer.max_minutes={args.minutes}", f"trainer.threads={args.threads}",
                            *([f"trainer.max_steps={args.steps}"] if args.steps else []), *args.overrides])
    if args.skip_train:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    else:
        print(f"training: {load()}")
        summary = train(cfg)
        print(f"after training: {load()}")
    resumed = f" (steps {summary['first_step'] + 1}-{summary['steps']}, resumed)" if summary.get("first_step") else ""
    print(f"training: {summary['steps'] - summary.get('first_step', 0)} steps{resumed} x batch {cfg.model.batch_size} in {summary['train_seconds']:.0f} s wall, "
          f"{summary['train_cpu_seconds']:.0f} CPU seconds ({summary['train_cpu_seconds'] / 60:.1f} CPU minutes) = "
          f"{summary['train_frames_per_second']:.2f} frames/s ({args.threads} threads), peak memory {summary['peak_memory_mb']:.0f} MB")
    print_evaluation(summary["evaluation"])
    if cfg.model.get("hands"):
        print_without_hand_path(cfg, out / "checkpoints" / "last.ckpt")
    video_landmarks, detected, real_hands = print_ceiling(cfg)
    if not args.motion:
        return
    from motiongen.formats.video import iter_video_frames

    reference = out / "reference.png"
    Image.fromarray(next(iter(iter_video_frames(video)))).save(reference)
    started = time.perf_counter()
    result = animate(reference, args.motion, out / "checkpoints" / "last.ckpt", out / "avatar.mp4", overwrite=True,
                     report=out / "avatar_check.json", hands_to_camera=args.hands_to_camera)
    print(f"animate ({time.perf_counter() - started:.0f} s with the check; {load()}): {result['frames']} frames of "
          f"{result['size'][1]} x {result['size'][0]} at {result['frames_per_second']} frames/s")
    print_check(f"avatar (hands to camera {args.hands_to_camera:g})", result["check"])
    rgb = np.asarray(Image.open(reference).convert("RGB"))
    driving, fps, _, jaw_open = load_driving_landmarks(Path(args.motion), reference_landmarks(rgb, str(reference)), *rgb.shape[:2],
                                                       args.hands_to_camera)
    skeleton = skeleton_check(driving, tuple(result["size"]), fps, jaw_open)
    print_check("driving skeleton", skeleton)
    in_driving_poses = print_pose_matched_ceiling(video_landmarks, detected, driving)
    print_hand_shape_ceiling(video_landmarks, detected, driving, rgb.shape[:2])
    figures = {"summary": summary, "animate": result, "skeleton": skeleton,
               "real_video": {"frames": len(video_landmarks), **real_hands, "in_driving_poses": in_driving_poses}}
    if cfg.model.get("hands"):
        figures["animate_without_hand_path"] = animate(reference, args.motion, out / "checkpoints" / "last.ckpt",
                                                       out / "avatar_no_hand_path.mp4", overwrite=True,
                                                       report=out / "avatar_no_hand_path_check.json", hand_path=False,
                                                       hands_to_camera=args.hands_to_camera)
        print_check("avatar without the hand path", figures["animate_without_hand_path"]["check"])
    for strength in args.compare_hands_to_camera:
        name = f"avatar_hands_to_camera_{strength:g}"
        figures[name] = animate(reference, args.motion, out / "checkpoints" / "last.ckpt", out / f"{name}.mp4",
                                overwrite=True, report=out / f"{name}_check.json", hands_to_camera=strength)
        print_check(f"avatar (hands to camera {strength:g})", figures[name]["check"])
    for strength in (args.hands_to_camera, *args.compare_hands_to_camera):
        name = f"avatar_hand_exemplars_{strength:g}"
        figures[name] = animate(reference, args.motion, out / "checkpoints" / "last.ckpt", out / f"{name}.mp4",
                                overwrite=True, report=out / f"{name}_check.json", hands_to_camera=strength,
                                hand_exemplars=video)
        print_check(f"avatar with hand exemplars (hands to camera {strength:g})", figures[name]["check"])
    (out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def print_check(name: str, check: dict) -> None:
    """Parts re-detected, the driving hands' visibility and the lip sync of a :func:`check_video` report."""
    for part, values in check["redetection"].items():
        print(f"{name}: {part} re-detected on {values['found']:.2f} of the {values['frames']} frames that have it")
    for part, values in check["hands_solution"].items():
        print(f"{name}: {part} found by the Hands solution at the driving wrist on {values['found']:.2f} of the "
              f"{values['frames']} frames that have it ({values['shoulder_widths']:.3f} shoulder widths from the driving hand)")
    for part, values in check["driving_hands"].items():
        print(f"{name}: driving {part} on {values['present']:.2f} of the frames, all 21 points inside on {values['inside']:.2f} "
              f"of those, wrist-knuckle length {values['length_px']:.1f} px ({values['length_shoulder_widths']:.2f} shoulder widths)")
    sync = check["lip_sync"]
    print(f"{name}: lip gap vs jawOpen r = {sync.get('r_rendered_vs_jaw_open', float('nan')):.2f} (re-detected), "
          f"{sync.get('r_driving_vs_jaw_open', float('nan')):.2f} (driving landmarks); "
          f"vs speech envelope r = {sync.get('r_rendered_vs_audio_envelope', float('nan')):.2f} (re-detected), "
          f"{sync.get('r_driving_vs_audio_envelope', float('nan')):.2f} (driving)")


if __name__ == "__main__":
    main()

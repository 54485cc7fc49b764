"""``render animate``: reference image + motion → MP4 with the speech.

Everything is checked before rendering starts (output path, checkpoint, motion, reference person
and face), and the MP4 appears only when complete. The video keeps the reference image's aspect
ratio (:meth:`render.inference.Renderer.output_size`). With ``report``, MediaPipe re-detects the
rendered frames and the report (JSON) gives the parts found and the lip sync on pixels
(:mod:`render.lipsync`): the re-detected lip gap against the driving ``jawOpen`` and the speech
loudness, beside the same correlations of the driving landmarks.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from motiongen.core.output_folder import MOTION_FILE
from render.errors import RenderError

log = logging.getLogger(__name__)


def reference_landmarks(rgb: np.ndarray, source: str) -> np.ndarray:
    """``(543, 3)`` MediaPipe Holistic landmarks of the reference in pixels; errors when no
    person or no face is found."""
    from motiongen.formats.holistic import extract_image

    found = extract_image(rgb)
    if not found.present[0, 0]:
        raise RenderError(f"no person found in the reference image {source}")
    if not found.present[0, 1]:
        raise RenderError(f"no face found in the reference image {source}")
    return found.pixels()[0].astype(np.float64)


def load_driving_landmarks(motion: Path, reference_px: np.ndarray, height: int, width: int,
                           hands_to_camera: float = 1.0) -> tuple[np.ndarray, float, Path | None, np.ndarray | None]:
    """Normalised driving landmarks ``(F, 543, 2)``, fps, speech path and ``jawOpen`` curve
    ``(F,)`` of a generation folder (retargeted onto the reference, its hands turned towards the
    camera by ``hands_to_camera``: :mod:`render.retarget.hands`) or of a landmark file
    (``landmarks`` ``(F, 543, 2|3)`` normalised, ``fps``; no speech, no ``jawOpen``)."""
    if motion.is_dir() or motion.name == MOTION_FILE:
        from motiongen.formats.arkit import ARKIT_NAMES
        from render.retarget.holistic import retarget
        from render.retarget.motion import read_generation_folder

        generated = read_generation_folder(motion)
        pixels = retarget(generated, reference_px, hands_to_camera=hands_to_camera)
        return pixels / [width, height], generated.fps, generated.audio, generated.weights[:, ARKIT_NAMES.index("jawOpen")]
    if motion.suffix != ".npz" or not motion.is_file():
        raise RenderError(f"motion {motion} is neither a motiongen output folder nor a landmark .npz file")
    with np.load(motion, allow_pickle=False) as data:
        if "landmarks" not in data or "fps" not in data:
            raise RenderError(f"landmark file {motion} lacks 'landmarks' (F, 543, 2) or 'fps'")
        landmarks, fps = data["landmarks"][..., :2].astype(np.float64), float(data["fps"])
    if landmarks.ndim != 3 or landmarks.shape[1] != 543:
        raise RenderError(f"landmark file {motion}: expected landmarks (F, 543, 2), got {landmarks.shape}")
    return landmarks, fps, None, None


def _load_speech(path: Path) -> tuple[np.ndarray, int] | None:
    """Speech samples of an audio file, or of a video's audio track (None if it has none)."""
    from motiongen.core.errors import MotiongenError
    from motiongen.formats.audio import load_audio

    if path.suffix.lower() in (".mp4", ".mov", ".mkv", ".webm"):
        from render.video_io import read_audio_track

        return read_audio_track(path)
    try:
        return load_audio(path, target_sr=None)
    except MotiongenError as error:
        raise RenderError(str(error)) from error


def check_video(frames: np.ndarray, driving: np.ndarray, fps: float, jaw_open: np.ndarray | None,
                wave: tuple[np.ndarray, int] | None) -> dict:
    """Re-detection report of rendered ``frames`` ``(F, H, W, 3)`` driven by ``driving``
    ``(F, 543, 2)``: parts MediaPipe Holistic finds (hands counted on the frames where the driving
    landmarks have them), the hands its Hands solution finds at the driving wrists
    (``hands_solution``: :func:`render.metrics.hand_redetection_scores`), landmark errors and the
    lip sync against ``jaw_open`` and the speech envelope."""
    from render.lipsync import audio_envelope, lip_sync_scores
    from render.metrics import hand_redetection_scores, hand_visibility, redetection_scores
    from render.redetect import redetect, redetect_hands

    detected = redetect(frames, consecutive=True)
    envelope = audio_envelope(wave[0], wave[1], fps, len(frames)) if wave is not None else None
    return {"redetection": redetection_scores(detected, driving, frames.shape[1:3]),
            "hands_solution": hand_redetection_scores(redetect_hands(frames, consecutive=True), driving, frames.shape[1:3]),
            "lip_sync": lip_sync_scores(detected, driving, frames.shape[1:3], jaw_open, envelope),
            "driving_hands": hand_visibility(driving, frames.shape[1:3])}


def skeleton_check(driving: np.ndarray, image_size: tuple[int, int], fps: float, jaw_open: np.ndarray | None) -> dict:
    """:func:`check_video` of the driving landmarks ``(F, 543, 2)`` drawn as a skeleton at
    ``image_size`` (the rendered frames' size): what MediaPipe finds without any renderer, so a
    part missed on both the rendering and the skeleton points at the driving landmarks, a part
    missed only on the rendering at the renderer."""
    from render.conditioning.rasterise import draw_landmarks

    return check_video(draw_landmarks(driving, *image_size), driving, fps, jaw_open, None)


def animate(image: str | Path, motion: str | Path, checkpoint: str | Path, out: str | Path, audio: str | Path | None = None,
            frame: int = 0, steps: int = 20, seed: int = 0, overwrite: bool = False, report: str | Path | None = None,
            hand_path: bool = True, hands_to_camera: float = 1.0, hand_exemplars: str | Path | None = None) -> dict:
    """Render ``motion`` with the look of ``image``; returns frame count, fps, render speed and,
    with ``report`` (a JSON path, also written), the re-detection check (:func:`check_video`).
    ``hand_path`` False leaves a checkpoint's hand path unused (the body renderer draws the hands);
    ``hands_to_camera`` in ``[0, 1]`` turns a motion folder's hands towards the camera
    (:mod:`render.retarget.hands`; 0 draws them as the motion projects them); ``hand_exemplars``,
    a video of the person, gives real hand images pasted over the rendered hands
    (:mod:`render.hand_exemplars`)."""
    out = Path(out).expanduser()
    if out.suffix.lower() != ".mp4":
        raise RenderError(f"output {out} must be an .mp4 file")
    if out.exists() and not overwrite:
        raise RenderError(f"output {out} already exists (pass --overwrite to replace it)")
    motion = Path(motion).expanduser()
    if not motion.exists():
        raise RenderError(f"motion {motion} does not exist")
    if audio is not None and not Path(audio).expanduser().is_file():
        raise RenderError(f"speech file {audio} does not exist")
    if report is not None and Path(report).suffix.lower() != ".json":
        raise RenderError(f"report {report} must be a .json file")
    if not 0.0 <= hands_to_camera <= 1.0:
        raise RenderError(f"--hands-to-camera must be in [0, 1], got {hands_to_camera}")
    if hand_exemplars is not None and not Path(hand_exemplars).expanduser().is_file():
        raise RenderError(f"hand exemplar video {hand_exemplars} does not exist")
    from render.inference import LoadedRenderer
    from render.video_io import read_reference, write_mp4

    renderer = LoadedRenderer(checkpoint, hand_path)
    rgb = read_reference(image, frame)
    height, width = rgb.shape[:2]
    reference_px = reference_landmarks(rgb, str(image))
    driving, fps, speech, jaw_open = load_driving_landmarks(motion, reference_px, height, width, hands_to_camera)
    bank = None
    if hand_exemplars is not None:
        from render.hand_exemplars import read_hand_bank

        bank = read_hand_bank(hand_exemplars)
    speech = Path(audio).expanduser() if audio is not None else speech
    wave = _load_speech(speech) if speech is not None else None
    started = time.perf_counter()
    with tqdm(total=len(driving), desc=f"rendering ({renderer.kind})", unit="frame") as bar:
        frames = renderer.render(rgb, reference_px[:, :2] / [width, height], driving, steps=steps, seed=seed,
                                 progress=lambda done: bar.update(done - bar.n))
    pasted = None
    if bank is not None:
        from render.hand_exemplars import paste_hand_exemplars

        frames, pasted, used = paste_hand_exemplars(frames, driving, bank)
    seconds = time.perf_counter() - started
    write_mp4(out, frames, fps, wave)
    result = {"out": str(out), "frames": len(frames), "size": list(frames.shape[1:3]), "fps": fps,
              "render_seconds": round(seconds, 3), "frames_per_second": round(len(frames) / max(seconds, 1e-9), 2),
              "renderer": renderer.kind, "audio": str(speech) if speech else None, "hand_path": bool(renderer.hand_size),
              "hands_to_camera": hands_to_camera}
    if bank is not None:
        result["hand_exemplars"] = {"source": bank.source, "video_frames": bank.frames, "found_in_video": bank.detected,
                                    "kept": bank.counts(), "frames_pasted": pasted, "exemplars_used": used}
        print(f"hand exemplars from {bank.source}: " + "; ".join(
            f"{hand.replace('_', ' ')} found by MediaPipe on {bank.detected[hand]} of its {bank.frames} frames, "
            f"{bank.counts()[hand]} kept, {used[hand]} distinct pasted on {pasted[hand]} frames" for hand in pasted))
    print(f"rendered {len(frames)} frames of {frames.shape[2]}x{frames.shape[1]} in {seconds:.1f} s "
          f"({result['frames_per_second']} frames/s) -> {out}")
    if report is not None:
        result["check"] = check_video(frames, driving, fps, jaw_open, wave)
        Path(report).expanduser().write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        check = result["check"]
        print("hands re-detected (share of the frames with the driving hand): " + "; ".join(
            f"{hand.replace('_', ' ')} {check['redetection'][hand]['found']:.2f} by Holistic, "
            f"{check['hands_solution'][hand]['found']:.2f} by the Hands solution" for hand in check["hands_solution"]))
        sync = check["lip_sync"]
        print(f"lip gap vs jawOpen: rendered r = {sync.get('r_rendered_vs_jaw_open', float('nan')):.2f}, "
              f"driving landmarks r = {sync.get('r_driving_vs_jaw_open', float('nan')):.2f} -> {report}")
    return result


def animate_from_args(args: argparse.Namespace) -> dict:
    return animate(args.image, args.motion, args.checkpoint, args.out, args.audio, args.frame, args.steps, args.seed,
                   args.overwrite, args.report, not args.no_hand_path, args.hands_to_camera,
                   args.hand_exemplars)

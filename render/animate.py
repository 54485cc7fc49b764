"""``render animate``: reference image + motion → MP4 with the speech.

Everything is checked before rendering starts (output path, checkpoint, motion, reference person
and face), and the MP4 appears only when complete.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from render.errors import RenderError

log = logging.getLogger(__name__)


def centre_crop_box(height: int, width: int, aspect: float) -> tuple[int, int, int, int]:
    """``(top, left, crop_height, crop_width)`` of the largest centred crop with ``height/width = aspect``."""
    if height / width > aspect:
        crop_h, crop_w = round(width * aspect), width
    else:
        crop_h, crop_w = height, round(height / aspect)
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


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


def load_driving_landmarks(motion: Path, reference_px: np.ndarray, height: int, width: int) -> tuple[np.ndarray, float, Path | None]:
    """Normalised driving landmarks ``(F, 543, 2)``, fps and speech path of a generation folder
    (retargeted onto the reference) or of a landmark file (``landmarks`` ``(F, 543, 2|3)``
    normalised, ``fps``)."""
    if motion.is_dir() or motion.name == "motion.npz":
        from render.retarget.holistic import retarget
        from render.retarget.motion import read_generation_folder

        generated = read_generation_folder(motion)
        pixels = retarget(generated, reference_px)
        return pixels / [width, height], generated.fps, generated.audio
    if motion.suffix != ".npz" or not motion.is_file():
        raise RenderError(f"motion {motion} is neither a motiongen output folder nor a landmark .npz file")
    with np.load(motion, allow_pickle=False) as data:
        if "landmarks" not in data or "fps" not in data:
            raise RenderError(f"landmark file {motion} lacks 'landmarks' (F, 543, 2) or 'fps'")
        landmarks, fps = data["landmarks"][..., :2].astype(np.float64), float(data["fps"])
    if landmarks.ndim != 3 or landmarks.shape[1] != 543:
        raise RenderError(f"landmark file {motion}: expected landmarks (F, 543, 2), got {landmarks.shape}")
    return landmarks, fps, None


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


def animate(image: str | Path, motion: str | Path, checkpoint: str | Path, out: str | Path, audio: str | Path | None = None,
            frame: int = 0, steps: int = 20, seed: int = 0, overwrite: bool = False) -> dict:
    """Render ``motion`` with the look of ``image``; returns frame count, fps and render speed."""
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
    import cv2

    from render.inference import LoadedRenderer
    from render.video_io import read_reference, write_mp4

    renderer = LoadedRenderer(checkpoint)
    rgb = read_reference(image, frame)
    top, left, crop_h, crop_w = centre_crop_box(*rgb.shape[:2], renderer.height / renderer.width)
    cropped = np.ascontiguousarray(rgb[top:top + crop_h, left:left + crop_w])
    reference_px = reference_landmarks(cropped, str(image))
    driving, fps, speech = load_driving_landmarks(motion, reference_px, crop_h, crop_w)
    speech = Path(audio).expanduser() if audio is not None else speech
    wave = _load_speech(speech) if speech is not None else None
    small = cv2.resize(cropped, (renderer.width, renderer.height), interpolation=cv2.INTER_AREA)
    reference_norm = reference_px[:, :2] / [crop_w, crop_h]
    started = time.perf_counter()
    with tqdm(total=len(driving), desc=f"rendering ({renderer.kind})", unit="frame") as bar:
        frames = renderer.render(small, reference_norm, driving, steps=steps, seed=seed,
                                 progress=lambda done: bar.update(done - bar.n))
    seconds = time.perf_counter() - started
    write_mp4(out, frames, fps, wave)
    result = {"out": str(out), "frames": len(frames), "fps": fps, "render_seconds": round(seconds, 3),
              "frames_per_second": round(len(frames) / max(seconds, 1e-9), 2), "renderer": renderer.kind,
              "audio": str(speech) if speech else None}
    print(f"rendered {len(frames)} frames in {seconds:.1f} s ({result['frames_per_second']} frames/s) -> {out}")
    return result


def animate_from_args(args: argparse.Namespace) -> dict:
    return animate(args.image, args.motion, args.checkpoint, args.out, args.audio, args.frame, args.steps, args.seed,
                   args.overwrite)

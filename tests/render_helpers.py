"""Small real inputs for the renderer tests: an MP4 written with PyAV and its landmark cache entry."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from motiongen.core.holistic_layout import LANDMARK_COUNT
from render.data.videos import VideoClip, cache_path, crop_hands, resize_frames, write_clip
from render.regions import crop_regions, face_boxes


def write_video(path: Path, frames: np.ndarray, fps: int = 30) -> Path:
    """Encode ``(T, H, W, 3)`` uint8 frames as H.264 MP4."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def moving_square_video(folder: Path, frames: int = 24, size: tuple[int, int] = (32, 32)) -> tuple[Path, np.ndarray]:
    """A square walking across a grey frame, with landmarks that follow it (all 543 points spread
    around the square's centre). Returns the video path and the ``(T, 543, 3)`` landmarks."""
    height, width = size
    rng = np.random.default_rng(0)
    offsets = rng.uniform(-0.15, 0.15, size=(LANDMARK_COUNT, 2))
    images = np.full((frames, height, width, 3), 90, np.uint8)
    landmarks = np.zeros((frames, LANDMARK_COUNT, 3), np.float32)
    for t in range(frames):
        cx, cy = 0.3 + 0.4 * t / frames, 0.5
        x0, y0 = int(cx * width) - 4, int(cy * height) - 4
        images[t, y0:y0 + 8, x0:x0 + 8] = (220, 60, 40)
        landmarks[t, :, :2] = np.array([cx, cy]) + offsets
    folder.mkdir(parents=True, exist_ok=True)
    return write_video(folder / "square.mp4", images), landmarks


def cache_landmarks(video: Path, landmarks: np.ndarray, cache_dir: Path, height: int, width: int, face_size: int = 128,
                    hand_size: int = 0) -> None:
    """Write the renderer's cache entries for ``video`` (skips MediaPipe, which finds no person in a
    square): without hand crops and, when ``hand_size`` > 0, with them."""
    with av.open(str(video)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    cache_dir.mkdir(parents=True, exist_ok=True)
    boxes = face_boxes(landmarks, frames.shape[1:3])
    clip = VideoClip(video.stem, resize_frames(frames, height, width), landmarks, 0, frames[0],
                     crop_regions(frames, boxes, face_size), boxes)
    write_clip(clip, cache_path(video, cache_dir, height, width, face_size))
    if hand_size:
        clip.hands, clip.hand_boxes = crop_hands(frames, landmarks, hand_size, 2.0)
        write_clip(clip, cache_path(video, cache_dir, height, width, face_size, 1.8, hand_size, 2.0))


def generation_folder(folder: Path, frames: int = 10, weights: np.ndarray | None = None,
                      arm_swing_deg: float = 30.0) -> Path:
    """A motiongen output folder written through its declaration (``motion.bvh``, a ``motion.npz``
    motion file with an ARKit block, ``metadata.json``) on the shipped BEAT 75-joint template: the
    right arm swings, the face follows ``weights`` ``(frames, 52)``."""
    from importlib.resources import files

    from motiongen.core.motion_file import write_motion_file
    from motiongen.core.output_folder import BVH_FILE, MOTION_FILE, RunMetadata, write_metadata
    from motiongen.formats.arkit import ARKIT_NAMES
    from motiongen.formats.bvh import read_bvh, write_bvh

    template = read_bvh(Path(str(files("motiongen.skeletons") / "beat75_template.bvh")))
    euler = np.repeat(template.euler_deg[:1], frames, 0).copy()
    arm = template.skeleton.names.index("RightArm")
    euler[:, arm, 0] += np.linspace(0, arm_swing_deg, frames)
    root = np.repeat(template.root_translation[:1], frames, 0)
    folder.mkdir(parents=True, exist_ok=True)
    write_bvh(folder / BVH_FILE, template.skeleton, euler, root, frame_time=1 / 30)
    face = np.zeros((frames, len(ARKIT_NAMES)), np.float32) if weights is None else weights.astype(np.float32)
    metadata = RunMetadata(generation={"frames": frames}, outputs=["bvh"])
    write_motion_file(folder / MOTION_FILE, face_format(), {"face": face[None]}, metadata.to_dict())
    write_metadata(folder, metadata)
    return folder


def face_format(representation=None):
    """A motion format with one 52-channel block (ARKit weights unless told otherwise)."""
    from motiongen.core.motion_format import MotionBlock, MotionFormat, Representation
    from motiongen.formats.arkit import ARKIT_NAMES

    block = MotionBlock("face", representation or Representation.ARKIT_WEIGHTS, tuple(ARKIT_NAMES), "weight")
    return MotionFormat(fps=30.0, blocks=(block,))


def tiny_renderer_checkpoint(root: Path) -> tuple[Path, Path, Path]:
    """A keypoint renderer (with its face and hand paths) trained for two steps on
    :func:`moving_square_video` at 32 x 32 (face crops 32 x 32, hand crops 16 x 16). Returns the checkpoint, the video and the cache folder."""
    from render.config import compose
    from render.training.run import train

    video, landmarks = moving_square_video(root / "videos")
    cache_landmarks(video, landmarks, root / "cache", 32, 32, face_size=32, hand_size=16)
    train(compose("train", [f"data.videos={video}", f"data.cache_dir={root / 'cache'}", "data.image_size=[32,32]",
                            "data.face_size=32", "data.hand_size=16", f"out_dir={root / 'run'}", "model.network.base_channels=8",
                            "model.network.num_down=2", "model.network.motion_channels=8", "model.network.motion_blocks=2",
                            "model.face.network.base_channels=8", "model.face.network.num_down=2",
                            "model.face.network.motion_channels=8", "model.face.network.motion_blocks=2",
                            "model.batch_size=2", "trainer.max_steps=2", "trainer.checkpoint_every=2",
                            "trainer.eval_every=2", "evaluation.redetect=false"]))
    return root / "run/checkpoints/last.ckpt", video, root / "cache"

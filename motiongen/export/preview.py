"""Preview of generated motion: an H.264 MP4 (stick figure beside a blendshape-driven face, speech
muxed as AAC) and a PNG plot of the main mouth/eye blendshape curves.

Rendering draws with PIL into a reused RGB canvas (static background pasted each frame) and encodes
with PyAV's bundled libx264/AAC encoders, so no system ffmpeg is needed. Every per-frame quantity
(projected joint positions, eye/brow/lip geometry) is computed for all frames at once with numpy;
the only per-frame Python work is drawing the primitives and encoding. Measured with
``tools/bench_preview.py``.

Layout: left panel = 3-D skeleton from forward kinematics under a fixed orthographic camera
(yaw 25°, pitch 10°, Y up, scaled to fit the whole motion), right panel = a 2-D face whose jaw,
lips (jawOpen, mouthClose, mouthFunnel, mouthPucker, mouthSmile*, mouthFrown*, mouthStretch*,
mouthUpperUp*, mouthLowerDown*), eyelids (eyeBlink*, eyeWide*, eyeSquint*), gaze (eyeLook*) and
brows (browInnerUp, browOuterUp*, browDown*) follow the ARKit weights.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.core.skeleton import Skeleton
from motiongen.export.video import write_mp4
from motiongen.formats.arkit import ARKIT_NAMES, NUM_BLENDSHAPES

log = logging.getLogger(__name__)

PANEL = 480  # pixels, each panel is PANEL x PANEL; the video is (2*PANEL) x PANEL
_BACKGROUND = (245, 245, 240)
_BONE_COLOURS = {"Left": (40, 90, 200), "Right": (200, 50, 50), "": (60, 60, 60)}
_SKIN, _LIP, _MOUTH, _EYE_WHITE, _DARK = (240, 205, 175), (170, 60, 70), (90, 20, 30), (255, 255, 255), (40, 30, 30)

#: Curves drawn in the PNG plot, grouped by panel.
PLOT_GROUPS: dict[str, tuple[str, ...]] = {
    "mouth": ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthSmileRight"),
    "eyes and brows": ("eyeBlinkLeft", "eyeBlinkRight", "browInnerUp", "browDownLeft", "browOuterUpLeft"),
}


@dataclass
class PreviewResult:
    """What :func:`write_preview` wrote: the MP4 path, its frame count, fps and audio seconds."""

    path: Path
    num_frames: int
    fps: float
    audio_seconds: float | None
    warnings: list[str] = field(default_factory=list)


def _weights_by_name(weights: np.ndarray) -> dict[str, np.ndarray]:
    return {name: weights[:, i] for i, name in enumerate(ARKIT_NAMES)}


# --------------------------------------------------------------------------------------- body
def project_skeleton(positions: np.ndarray, yaw_deg: float = 25.0, pitch_deg: float = 10.0,
                     size: int = PANEL, margin: float = 0.08) -> np.ndarray:
    """Orthographic projection of (F, J, 3) cm positions (Y up) to (F, J, 2) pixel coordinates.

    The scale and offset are fixed over the whole clip (fit to the bounding box of all frames),
    so motion of the root shows as motion on screen.
    """
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    rot_y = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    view = positions @ (rot_x @ rot_y).T
    screen = np.stack([view[..., 0], -view[..., 1]], axis=-1)
    low, high = screen.reshape(-1, 2).min(axis=0), screen.reshape(-1, 2).max(axis=0)
    scale = (1 - 2 * margin) * size / max(float((high - low).max()), 1e-6)
    centre = (low + high) / 2
    return (screen - centre) * scale + size / 2


def _bone_colours(names: list[str]) -> list[tuple[int, int, int]]:
    return [_BONE_COLOURS["Left" if "Left" in n else "Right" if "Right" in n else ""] for n in names]


# --------------------------------------------------------------------------------------- face
@dataclass
class _FaceGeometry:
    """Per-frame face shapes in panel pixels, each array has a leading frame axis F."""

    chin: np.ndarray            # (F,) y of the bottom of the head ellipse
    eye_open: np.ndarray        # (F, 2) half-heights of the [right, left] eye openings
    pupil: np.ndarray           # (F, 2, 2) pupil offsets (x, y) per eye
    brows: np.ndarray           # (F, 2, 2, 2) [eye][inner/outer][x, y]
    upper_lip: np.ndarray       # (F, K, 2) polyline corner -> corner
    lower_lip: np.ndarray       # (F, K, 2) polyline corner -> corner


_CX, _CY = PANEL / 2, PANEL / 2 - 10
_EYE_X, _EYE_Y, _EYE_W, _EYE_H = 62.0, _CY - 40, 30.0, 14.0
_MOUTH_Y, _MOUTH_W = _CY + 95, 52.0
_LIP_POINTS = 13


def face_geometry(weights: np.ndarray) -> _FaceGeometry:
    """Turn (F, 52) ARKit weights into the 2-D face's shapes for every frame (vectorised)."""
    w = _weights_by_name(np.clip(weights, 0.0, 1.0))
    frames = len(weights)
    # Screen right is the avatar's left: index 0 = avatar's right eye (left of the image).
    def pair(stem: str) -> np.ndarray:
        return np.stack([w[stem + "Right"], w[stem + "Left"]], axis=1)

    blink, wide, squint = pair("eyeBlink"), pair("eyeWide"), pair("eyeSquint")
    eye_open = _EYE_H * (1 - blink) * (1 + 0.6 * wide - 0.35 * squint)
    # Gaze: eyeLookOut of the right eye and eyeLookIn of the left both look to screen left.
    look_x = np.stack([w["eyeLookInRight"] - w["eyeLookOutRight"], w["eyeLookOutLeft"] - w["eyeLookInLeft"]], 1)
    look_y = pair("eyeLookDown") - pair("eyeLookUp")
    pupil = np.stack([10 * look_x, 6 * look_y], axis=-1)

    brow_base = _EYE_Y - 32
    inner_y = brow_base - 22 * w["browInnerUp"][:, None] + 14 * pair("browDown")
    outer_y = brow_base + 4 - 22 * pair("browOuterUp") + 6 * pair("browDown")
    direction = np.array([-1.0, 1.0])  # screen-left eye, screen-right eye
    inner_x = np.broadcast_to(_CX + direction * (_EYE_X - 24), (frames, 2))
    outer_x = np.broadcast_to(_CX + direction * (_EYE_X + 30), (frames, 2))
    brows = np.stack([np.stack([inner_x, inner_y], -1), np.stack([outer_x, outer_y], -1)], axis=2)

    smile, frown, stretch = pair("mouthSmile"), pair("mouthFrown"), pair("mouthStretch")
    narrow = 0.45 * w["mouthPucker"] + 0.35 * w["mouthFunnel"]
    half_width = _MOUTH_W * (1 + 0.25 * smile.mean(1) + 0.25 * stretch.mean(1) - narrow)
    opening = 70 * w["jawOpen"] * (1 - 0.8 * w["mouthClose"]) + 14 * w["mouthFunnel"]
    corner_y = _MOUTH_Y - 30 * smile + 22 * frown  # (F, 2)
    upper_mid = _MOUTH_Y - 0.2 * opening - 8 * (w["mouthUpperUpLeft"] + w["mouthUpperUpRight"]) / 2 - 3
    lower_mid = _MOUTH_Y + 0.8 * opening + 8 * (w["mouthLowerDownLeft"] + w["mouthLowerDownRight"]) / 2 + 3
    s = np.linspace(-1.0, 1.0, _LIP_POINTS)  # along the mouth, screen left -> right
    xs = _CX + half_width[:, None] * s
    corners = corner_y[:, :1] * (1 - s) / 2 + corner_y[:, 1:] * (1 + s) / 2  # (F, K) linear in s
    bulge = 1 - s**2
    upper = np.stack([xs, corners + (upper_mid[:, None] - _MOUTH_Y) * bulge], -1)
    lower = np.stack([xs, corners + (lower_mid[:, None] - _MOUTH_Y) * bulge], -1)
    chin = _CY + 150 + 40 * w["jawOpen"]
    return _FaceGeometry(chin=chin, eye_open=eye_open, pupil=pupil, brows=brows,
                         upper_lip=upper, lower_lip=lower)


def draw_face(draw, geometry: _FaceGeometry, frame: int) -> None:
    g = geometry
    draw.ellipse([_CX - 140, _CY - 170, _CX + 140, g.chin[frame]], fill=_SKIN, outline=_DARK, width=2)
    for eye, sign in enumerate((-1.0, 1.0)):
        x = _CX + sign * _EYE_X
        half = g.eye_open[frame, eye]
        if half > 1.0:
            draw.ellipse([x - _EYE_W, _EYE_Y - half, x + _EYE_W, _EYE_Y + half], fill=_EYE_WHITE, outline=_DARK)
            px, py = x + g.pupil[frame, eye, 0], _EYE_Y + g.pupil[frame, eye, 1]
            r = min(8.0, half)
            draw.ellipse([px - r, py - r, px + r, py + r], fill=_DARK)
        else:
            draw.line([x - _EYE_W, _EYE_Y, x + _EYE_W, _EYE_Y], fill=_DARK, width=3)
        draw.line([tuple(g.brows[frame, eye, 0]), tuple(g.brows[frame, eye, 1])], fill=_DARK, width=6)
    upper = [tuple(p) for p in g.upper_lip[frame]]
    lower = [tuple(p) for p in g.lower_lip[frame]]
    draw.polygon(upper + lower[::-1], fill=_MOUTH, outline=_LIP)
    draw.line(upper, fill=_LIP, width=5)
    draw.line(lower, fill=_LIP, width=6)


# --------------------------------------------------------------------------------------- video
def render_frames(positions: np.ndarray, parents: np.ndarray, joint_names: list[str],
                  face_weights: np.ndarray):
    """Yield (PANEL, 2*PANEL, 3) uint8 RGB frames: skeleton left, face right.

    Args:
        positions: (F, J, 3) global joint positions in cm, Y up.
        parents: (J,) parent index per joint, -1 for the root.
        joint_names: J names (``Left``/``Right`` in a name colours its bone).
        face_weights: (F, 52) ARKit weights in ARKIT_NAMES order.
    """
    from PIL import Image, ImageDraw

    screen = project_skeleton(positions)
    geometry = face_geometry(face_weights)
    bones = [(j, int(p)) for j, p in enumerate(parents) if p >= 0]
    colours = _bone_colours(joint_names)
    head = joint_names.index("Head") if "Head" in joint_names else None
    background = Image.new("RGB", (2 * PANEL, PANEL), _BACKGROUND)
    ImageDraw.Draw(background).line([PANEL, 0, PANEL, PANEL], fill=(200, 200, 200), width=2)
    for frame in range(len(positions)):
        image = background.copy()
        draw = ImageDraw.Draw(image)
        points = screen[frame]
        for child, parent in bones:
            draw.line([tuple(points[parent]), tuple(points[child])], fill=colours[child], width=3)
        if head is not None:
            hx, hy = points[head]
            draw.ellipse([hx - 9, hy - 9, hx + 9, hy + 9], outline=_DARK, width=2)
        face = Image.new("RGB", (PANEL, PANEL), _BACKGROUND)
        draw_face(ImageDraw.Draw(face), geometry, frame)
        image.paste(face, (PANEL, 0))
        yield np.asarray(image)


def write_preview(path: str | Path, skeleton: Skeleton, euler_deg: np.ndarray, root_translation: np.ndarray,
                  face_weights: np.ndarray, fps: float, audio: tuple[np.ndarray, int] | None = None,
                  crf: int = 23) -> PreviewResult:
    """Render motion + face to an H.264 MP4 with the speech muxed as AAC.

    Args:
        path: output ``.mp4``; written to a temporary name first and renamed when complete, so a
            failure never leaves a half-written file.
        skeleton: BVH hierarchy of the motion.
        euler_deg: (F, J, 3) local rotations in degrees, each joint in its own Euler order.
        root_translation: (F, 3) root position in cm.
        face_weights: (F, 52) ARKit weights (ARKIT_NAMES order) at the same ``fps``.
        fps: frames per second of motion and face (the video's frame rate).
        audio: optional (wave (S,) float, sample rate Hz); cut or zero-padded to the video length
            and resampled to 48 kHz when its rate is not an AAC rate.
        crf: libx264 constant rate factor (lower = better quality, bigger file).

    Returns:
        :class:`PreviewResult`.
    """
    from motiongen.core.kinematics import forward_kinematics, local_rotation_matrices

    path = Path(path)
    euler_deg = np.asarray(euler_deg, dtype=np.float64)
    face_weights = np.asarray(face_weights, dtype=np.float32)
    frames = len(euler_deg)
    if face_weights.shape != (frames, NUM_BLENDSHAPES):
        raise ValueError(f"face_weights must have shape ({frames}, {NUM_BLENDSHAPES}), got {face_weights.shape}")
    if frames == 0 or not fps > 0:
        raise ValueError(f"need at least one frame and a positive fps (got {frames} frames, {fps} fps)")
    positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler_deg), root_translation)
    seconds = frames / fps
    images = render_frames(positions, skeleton.parents, skeleton.names, face_weights)
    write_mp4(path, images, 2 * PANEL, PANEL, fps, frames, audio=audio, crf=crf)
    return PreviewResult(path=path, num_frames=frames, fps=float(fps),
                         audio_seconds=seconds if audio is not None else None)


# --------------------------------------------------------------------------------------- plot
def plot_face_curves(path: str | Path, face_weights: np.ndarray, fps: float,
                     envelope: np.ndarray | None = None) -> Path:
    """PNG of the main mouth and eye/brow blendshape curves over time.

    Args:
        path: output ``.png``.
        face_weights: (F, 52) ARKit weights in ARKIT_NAMES order.
        fps: frames per second of ``face_weights``.
        envelope: optional (F,) speech loudness in [0, 1] drawn behind the mouth curves.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = _weights_by_name(np.asarray(face_weights, dtype=np.float32))
    time = np.arange(len(face_weights)) / fps
    fig, axes = plt.subplots(len(PLOT_GROUPS), 1, figsize=(11, 5.5), sharex=True)
    for ax, (title, names) in zip(axes, PLOT_GROUPS.items()):
        if envelope is not None and title == "mouth":
            ax.fill_between(time, 0, envelope, color="0.85", label="speech envelope")
        for name in names:
            ax.plot(time, w[name], label=name, linewidth=1.2)
        ax.set_ylim(0, 1)
        ax.set_ylabel("weight")
        ax.set_title(title, loc="left", fontsize=10)
        ax.legend(loc="upper right", fontsize=7, ncol=3)
    axes[-1].set_xlabel("time (s)")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

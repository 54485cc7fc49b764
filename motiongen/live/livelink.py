"""Live Link Face UDP frames: what Epic's Live Link Face app sends and Unreal's Live Link plugin reads.

One datagram per frame, network byte order (the layout ``pylivelinkface`` encodes and decodes)::

    uint8   packet version (6)
    int32   device id length n, then n bytes UTF-8 (the app sends a 36-character UUID)
    int32   subject name length m, then m bytes UTF-8
    int32   frame number    \\
    float32 sub-frame        |  FQualifiedFrameTime: frame time at the frame rate below
    int32   rate numerator   |
    int32   rate denominator/
    uint8   value count (61)
    61 x float32            52 ARKit weights in the app's order (Unreal's EARFaceBlendShape:
                            pylivelinkface.FaceBlendShape 0-51), HeadYaw, HeadPitch, HeadRoll,
                            LeftEyeYaw, LeftEyePitch, LeftEyeRoll, RightEyeYaw, RightEyePitch,
                            RightEyeRoll (radians)

Frame time: frame ``i`` of a session is ``start_frame + i`` at ``fps``/1, where ``start_frame`` is
the session start as frames since midnight (the app's time code), sub-frame 0. The head rotation
comes from the generated head joint (:func:`motiongen.live.humanoid.head_yaw_pitch_roll`); the eye
rotations are 0 (the model drives the eyes through the eyeLook* weights only).

``pylivelinkface``'s own encoder stamps the wall-clock time and writes the rate denominator as
``int(fps / 60)`` (0 at 30 fps, an invalid rate), so frames are encoded here; the tests check the
bytes against its encoder (at 60 fps, where its denominator is right) and decode with its decoder.
"""

from __future__ import annotations

import struct
import uuid

import numpy as np

from motiongen.formats.arkit import ARKIT_NAMES

PACKET_VERSION = 6
VALUE_COUNT = 61
DEFAULT_SUBJECT = "motiongen"
DEFAULT_PORT = 11111  # the app's default Live Link port

#: The 52 blendshape names in the packet's order (Unreal's EARFaceBlendShape, PascalCase).
PACKET_SHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawLeft", "JawRight", "JawOpen", "MouthClose", "MouthFunnel",
    "MouthPucker", "MouthLeft", "MouthRight", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft",
    "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight",
    "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft", "MouthPressRight",
    "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight", "BrowDownLeft",
    "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
    "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)  # fmt: skip
PACKET_ROTATIONS: tuple[str, ...] = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                                     "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
#: ``ARKIT_NAMES`` column of each packet shape.
PACKET_FROM_ARKIT = np.array([[n.lower() for n in ARKIT_NAMES].index(name.lower()) for name in PACKET_SHAPES])


def frames_since_midnight(seconds_of_day: float, fps: int) -> int:
    """The app's time code of a wall-clock time: whole frames since midnight at ``fps``."""
    return int(seconds_of_day * fps)


def packet_values(arkit: np.ndarray, head: np.ndarray) -> np.ndarray:
    """``(..., 52)`` ARKit weights (``ARKIT_NAMES`` order) and ``(..., 3)`` head yaw/pitch/roll →
    ``(..., 61)`` float32 values in packet order (eye rotations 0)."""
    arkit = np.asarray(arkit, dtype=np.float32)
    eyes = np.zeros(arkit.shape[:-1] + (6,), dtype=np.float32)
    return np.concatenate([arkit[..., PACKET_FROM_ARKIT], np.asarray(head, dtype=np.float32), eyes], axis=-1)


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("!i", len(data)) + data


def encode_frame(device_id: str, subject: str, frame_number: int, values: np.ndarray, fps: int,
                 sub_frame: float = 0.0, denominator: int = 1) -> bytes:
    """One Live Link Face datagram (layout in the module docstring).

    Args:
        device_id: the sender's id (a 36-character UUID string, as the app sends).
        subject: the Live Link subject name Unreal lists.
        frame_number: frame time in frames at ``fps / denominator``.
        values: ``(61,)`` in packet order (:func:`packet_values`).
    """
    values = np.asarray(values, dtype=">f4")
    if values.shape != (VALUE_COUNT,):
        raise ValueError(f"a Live Link Face frame has {VALUE_COUNT} values, got {values.shape}")
    return (struct.pack("!B", PACKET_VERSION) + _string(device_id) + _string(subject)
            + struct.pack("!ifii", frame_number, sub_frame, fps, denominator) + struct.pack("!B", VALUE_COUNT)
            + values.tobytes())


class LiveLinkFaceEncoder:
    """Encodes :class:`~motiongen.live.frames.FrameBatch` frames of one session as Live Link Face datagrams."""

    def __init__(self, subject: str = DEFAULT_SUBJECT, fps: int = 30, start_frame: int = 0,
                 device_id: str | None = None):
        self.subject = subject
        self.fps = int(fps)
        self.start_frame = int(start_frame)
        self.device_id = device_id or str(uuid.uuid4()).upper()

    def encode_batch(self, batch) -> list[bytes]:
        """One datagram per frame of ``batch``."""
        values = packet_values(batch.arkit, batch.head)
        return [encode_frame(self.device_id, self.subject, self.start_frame + batch.start + i, row, self.fps)
                for i, row in enumerate(values)]

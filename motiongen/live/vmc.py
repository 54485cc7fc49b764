"""VMC protocol frames (OSC over UDP): what VSeeFace, Warudo and EVMC4U receive from a performer.

One OSC bundle per frame, holding (VMC protocol v2.x "performer → marionette" messages)::

    /VMC/Ext/OK        int 1 (model loaded), int 3 (calibrated), int 0 (normal mode), int 1 (tracking)
    /VMC/Ext/T         float   seconds of the frame since the session started
    /VMC/Ext/Root/Pos  "root", px, py, pz, qx, qy, qz, qw      (the avatar root: origin, identity)
    /VMC/Ext/Bone/Pos  name, px, py, pz, qx, qy, qz, qw        one per Unity humanoid bone
    /VMC/Ext/Blend/Val name, value                              one per ARKit blendshape
    /VMC/Ext/Blend/Apply

Bone names are Unity ``HumanBodyBones`` names, rotations local to the parent bone in Unity's
left-handed axes, positions in metres (:mod:`motiongen.live.humanoid`). Blendshape names are the
52 ARKit names in PascalCase (``JawOpen``, ``EyeBlinkLeft``), the "perfect sync" spelling VRM
models and VMC face senders use; values in [0, 1].
"""

from __future__ import annotations

import numpy as np
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from motiongen.formats.arkit import ARKIT_NAMES

DEFAULT_PORT = 39539  # the VMC protocol's default marionette port
#: Blendshape names sent, in ``ARKIT_NAMES`` order.
BLEND_NAMES: tuple[str, ...] = tuple(name[0].upper() + name[1:] for name in ARKIT_NAMES)


def _message(address: str, *args) -> OscMessageBuilder:
    builder = OscMessageBuilder(address=address)
    for arg in args:
        if isinstance(arg, str):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_STRING)
        elif isinstance(arg, (int, np.integer)):
            builder.add_arg(int(arg), OscMessageBuilder.ARG_TYPE_INT)
        else:
            builder.add_arg(float(arg), OscMessageBuilder.ARG_TYPE_FLOAT)
    return builder.build()


def encode_frame(seconds: float, bones: tuple[str, ...], positions: np.ndarray, rotations: np.ndarray,
                 arkit: np.ndarray) -> bytes:
    """One VMC bundle.

    Args:
        seconds: the frame's time since the session started.
        bones: Unity bone names.
        positions: ``(B, 3)`` metres; rotations: ``(B, 4)`` quaternions ``(x, y, z, w)``.
        arkit: ``(52,)`` weights in ``ARKIT_NAMES`` order.
    """
    bundle = OscBundleBuilder(IMMEDIATELY)
    bundle.add_content(_message("/VMC/Ext/OK", 1, 3, 0, 1))
    bundle.add_content(_message("/VMC/Ext/T", float(seconds)))
    bundle.add_content(_message("/VMC/Ext/Root/Pos", "root", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0))
    for name, position, rotation in zip(bones, positions.tolist(), rotations.tolist()):
        bundle.add_content(_message("/VMC/Ext/Bone/Pos", name, *position, *rotation))
    for name, value in zip(BLEND_NAMES, np.asarray(arkit, dtype=np.float64).tolist()):
        bundle.add_content(_message("/VMC/Ext/Blend/Val", name, value))
    bundle.add_content(_message("/VMC/Ext/Blend/Apply"))
    return bundle.build().dgram


class VmcEncoder:
    """Encodes :class:`~motiongen.live.frames.FrameBatch` frames as VMC bundles."""

    def __init__(self, bones: tuple[str, ...]):
        self.bones = bones

    def encode_batch(self, batch) -> list[bytes]:
        """One bundle per frame of ``batch``."""
        times = batch.times()
        return [encode_frame(times[i], self.bones, batch.bone_positions[i], batch.bone_rotations[i], batch.arkit[i])
                for i in range(len(batch))]

"""Live outputs on the wire: Live Link Face datagrams and VMC bundles sent over localhost UDP and read
back with independent decoders (``pylivelinkface``'s decoder, a ``python-osc`` dispatcher); the
BEAT → Unity humanoid retargeting checked against forward kinematics of the BEAT skeleton."""

from __future__ import annotations

import datetime
import socket
import struct

import numpy as np
import pytest

from motiongen.core.errors import ConfigError
from motiongen.core.kinematics import forward_kinematics, local_rotation_matrices
from motiongen.core.rotations import quaternion_to_matrix
from motiongen.core.skeleton import SkeletonTemplate
from motiongen.datasets.beat.format import beat_motion_format
from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.skeletons import load_joint_set
from motiongen.live import livelink, vmc
from motiongen.live.frames import FrameBuilder
from motiongen.live.humanoid import UNITY_FROM_BEAT, to_unity_position
from motiongen.live.targets import UdpSender, parse_target
from motiongen.skeletons import load_beat75_template

FPS = 30

#: Unity's humanoid hierarchy (HumanBodyBones parent of each bone), written out independently of
#: the joint table under test.
UNITY_PARENT = {"Spine": "Hips", "Chest": "Spine", "UpperChest": "Chest", "Neck": "UpperChest", "Head": "Neck"}
for _side in ("Left", "Right"):
    UNITY_PARENT.update({f"{_side}Shoulder": "UpperChest", f"{_side}UpperArm": f"{_side}Shoulder",
                         f"{_side}LowerArm": f"{_side}UpperArm", f"{_side}Hand": f"{_side}LowerArm",
                         f"{_side}UpperLeg": "Hips", f"{_side}LowerLeg": f"{_side}UpperLeg",
                         f"{_side}Foot": f"{_side}LowerLeg", f"{_side}Toes": f"{_side}Foot"})
    for _finger in ("Thumb", "Index", "Middle", "Ring", "Little"):
        UNITY_PARENT.update({f"{_side}{_finger}Proximal": f"{_side}Hand",
                             f"{_side}{_finger}Intermediate": f"{_side}{_finger}Proximal",
                             f"{_side}{_finger}Distal": f"{_side}{_finger}Intermediate"})


@pytest.fixture(scope="module")
def batch():
    """Six frames of random upper-body rotations and ARKit weights on the packaged BEAT template."""
    template = SkeletonTemplate.from_motion(load_beat75_template())
    joints = load_joint_set("beat47_upper")
    fmt = beat_motion_format(FPS, joints, template, 109, {"mfcc": (0, 109)}, 9, [2])
    rng = np.random.default_rng(0)
    blocks = {"gesture": rng.normal(0, 0.4, (6, 3 * len(joints))).astype(np.float32),
              "expression": rng.uniform(0, 1, (6, 52)).astype(np.float32)}
    return FrameBuilder(fmt).build(100, blocks), fmt


def receiver() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    return sock


def send_all(target: str, flag: str, payloads: list[bytes]) -> None:
    sender = UdpSender([parse_target(target, flag)])
    for payload in payloads:
        sender.send(payload)
    sender.close()
    assert sender.errors == 0


def test_livelink_bytes_equal_pylivelinkface_encoder(monkeypatch):
    import pylivelinkface.pylivelinkface as pll
    from timecode import Timecode

    fixed = datetime.datetime(2026, 1, 2, 13, 14, 15, 250000)

    class FrozenClock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    monkeypatch.setattr(pll.datetime, "datetime", FrozenClock)
    device = "0C6E3F49-7F7B-4C2A-9D5E-2B2A8E1F0A11"
    face = pll.PyLiveLinkFace("Subject", device, fps=60)
    values = np.random.default_rng(1).uniform(-1, 1, 61).astype(np.float32)
    for shape in pll.FaceBlendShape:
        face.set_blendshape(shape, float(values[shape.value]), no_filter=True)
    frames = Timecode(60, "13:14:15:250.0").frames
    sub_frame = struct.unpack("!f", struct.pack("!I", face._sub_frame))[0]
    ours = livelink.encode_frame(device, "Subject", frames, values, 60, sub_frame=sub_frame)
    assert ours == face.encode()


def test_livelink_frames_over_udp_decode_with_pylivelinkface(batch):
    import pylivelinkface as pll
    frames, _ = batch
    sock = receiver()
    encoder = livelink.LiveLinkFaceEncoder("Speaker", fps=FPS, start_frame=1_000)
    send_all(f"127.0.0.1:{sock.getsockname()[1]}", "--livelink", encoder.encode_batch(frames))
    for i in range(len(frames)):
        ok, face = pll.PyLiveLinkFace.decode(sock.recv(4096))
        assert ok and face.name == "Speaker" and face.uuid == "$" + encoder.device_id
        assert face.fps == FPS and face._denominator == 1 and face._frames == 1_000 + 100 + i
        decoded = np.asarray(face._blend_shapes)
        for shape in pll.FaceBlendShape:
            name = shape.name[0].lower() + shape.name[1:]
            if shape.value < 52:
                expected = frames.arkit[i, ARKIT_NAMES.index(name)]
            else:
                expected = dict(zip(("HeadYaw", "HeadPitch", "HeadRoll"), frames.head[i])).get(shape.name, 0.0)
            assert decoded[shape.value] == pytest.approx(expected, abs=1e-6), shape.name
    sock.close()


def test_vmc_bundles_over_udp_read_by_a_python_osc_dispatcher(batch):
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import BlockingOSCUDPServer

    frames, _ = batch
    received: list[tuple] = []
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: received.append((address, *args)))
    server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    server.timeout = 5
    bones = tuple(UNITY_FROM_BEAT)
    send_all(f"127.0.0.1:{server.server_address[1]}", "--vmc", vmc.VmcEncoder(bones).encode_batch(frames))
    for i in range(len(frames)):
        received.clear()
        server.handle_request()
        addresses = [message[0] for message in received]
        assert addresses[:3] == ["/VMC/Ext/OK", "/VMC/Ext/T", "/VMC/Ext/Root/Pos"]
        assert addresses[-1] == "/VMC/Ext/Blend/Apply"
        assert received[1][1] == pytest.approx((100 + i) / FPS)
        bone_msgs = [m for m in received if m[0] == "/VMC/Ext/Bone/Pos"]
        assert [m[1] for m in bone_msgs] == list(bones) and len(bones) == 52
        np.testing.assert_allclose([m[2:] for m in bone_msgs],
                                   np.concatenate([frames.bone_positions[i], frames.bone_rotations[i]], axis=1),
                                   atol=1e-6)
        blends = [m for m in received if m[0] == "/VMC/Ext/Blend/Val"]
        assert [m[1] for m in blends] == [n[0].upper() + n[1:] for n in ARKIT_NAMES]
        np.testing.assert_allclose([m[2] for m in blends], frames.arkit[i], atol=1e-7)
    server.server_close()


def unity_globals(frames) -> tuple[dict, dict]:
    """Global rotations and positions of the sent bones, composed down Unity's hierarchy."""
    bones = list(UNITY_FROM_BEAT)
    xyzw = frames.bone_rotations
    rot = {b: quaternion_to_matrix(np.concatenate([xyzw[:, k, 3:], xyzw[:, k, :3]], axis=1)) for k, b in enumerate(bones)}
    pos = {b: frames.bone_positions[:, k] for k, b in enumerate(bones)}
    glob_rot, glob_pos = {"Hips": rot["Hips"]}, {"Hips": pos["Hips"]}
    for bone in bones[1:]:
        parent = UNITY_PARENT[bone]
        glob_rot[bone] = glob_rot[parent] @ rot[bone]
        glob_pos[bone] = glob_pos[parent] + np.einsum("fij,fj->fi", glob_rot[parent], pos[bone])
    return glob_rot, glob_pos


def test_unity_bones_reproduce_the_beat_pose_in_unity_axes(batch):
    """Composing the sent local rotations down Unity's hierarchy gives the BEAT skeleton's global
    rotations of the mapped joints, mirrored into Unity's left-handed axes; in the rest pose the
    sent positions also rebuild the BEAT joint positions (in motion, folded joints such as Neck1
    move their children, which a humanoid's fixed bone lengths cannot express)."""
    frames, fmt = batch
    skeleton = fmt.skeleton.skeleton
    local = local_rotation_matrices(skeleton, frames.euler_deg)
    _, beat_rot = forward_kinematics(skeleton, local, frames.root_translation, return_rotations=True)
    mirror = np.diag([-1.0, 1.0, 1.0])
    glob_rot, _ = unity_globals(frames)
    for bone, beat in UNITY_FROM_BEAT.items():
        joint = skeleton.names.index(beat)
        np.testing.assert_allclose(glob_rot[bone], mirror @ beat_rot[:, joint] @ mirror, atol=1e-9, err_msg=bone)

    rest = FrameBuilder(fmt).build(0, {"gesture": np.zeros((1, frames.blocks["gesture"].shape[1]), np.float32),
                                       "expression": np.zeros((1, 52), np.float32)})
    _, rest_pos = unity_globals(rest)
    for bone, beat in UNITY_FROM_BEAT.items():
        expected = to_unity_position(rest.joint_positions[:, skeleton.names.index(beat)])
        np.testing.assert_allclose(rest_pos[bone], expected, atol=1e-6, err_msg=bone)
    assert rest_pos["LeftHand"][0, 0] < 0 < rest_pos["RightHand"][0, 0]  # Unity: left hand at -X
    assert rest_pos["LeftToes"][0, 2] > rest_pos["LeftFoot"][0, 2]  # facing +Z


def test_udp_sender_reaches_only_the_named_target():
    named, other = receiver(), receiver()
    other.settimeout(0.3)
    send_all(f"localhost:{named.getsockname()[1]}", "--vmc", [b"frame"])
    assert named.recv(64) == b"frame"
    with pytest.raises(socket.timeout):
        other.recv(64)
    named.close(), other.close()


@pytest.mark.parametrize("text, message", [
    ("127.0.0.1", "expected HOST:PORT"), ("127.0.0.1:port", "is not a number"),
    ("127.0.0.1:70000", "outside 1-65535"), ("no-such-host.invalid:9000", "does not resolve"),
])
def test_bad_targets_are_config_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_target(text, "--livelink")

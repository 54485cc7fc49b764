"""BEAT's released FGD network as the gesture feature extractor (``motiongen evaluate extractor.gesture=ae_300.bin``).

BEAT/CaMN compute FGD with the encoder of a motion auto-encoder (``EmbeddingNet`` when trained,
``HalfEmbeddingNet`` when loaded for evaluation) trained on BEAT's own training data. Its checkpoint
(``ae_300.bin`` for a 300-d feature) is a torch file ``{"model_state": state_dict, ...}``, keys
optionally prefixed ``module.`` (saved from DistributedDataParallel). Only the encoder is used:

* ``pose_encoder.net``: three conv blocks (Conv1d without padding, BatchNorm1d, LeakyReLU 0.2) with
  kernels 3, 3 and 4 (stride 2), channels D→F→2F→2F, then Conv1d(2F→F, kernel 3);
* ``pose_encoder.out_net``: Linear(L·F→4F), BatchNorm1d, activation, Linear(4F→2F), BatchNorm1d,
  activation, Linear(2F→F). BEAT builds these two activations as ``LeakyReLU(True)``, which sets the
  negative slope to 1.0: an identity, reproduced here as such;
* ``pose_encoder.fc_mu`` Linear(F→F): the feature (the mean of the variational head; ``fc_logvar``
  and the ``decoder.*`` weights are read but not used).

D is the pose size (BEAT: 141), F the feature size (``ae_300``: 300), L the frames left after the
convolutions (12 for BEAT's 34-frame windows; the window is the shortest that gives L).

Input the network expects (BEAT's ``pose_rep: bvh_rot``, ``pose_dims: 141``): 15 fps windows of the
47 upper-body joints of ``motiongen/skeletons/joint_sets/beat47_upper.yaml`` (CaMN's ``spine_neck_141``), each joint's
three Euler angles in degrees in its BVH channel order, standardised with BEAT's training statistics
``(x - bvh_mean) / bvh_std`` (the ``bvh_mean.npy`` / ``bvh_std.npy`` of BEAT's cache). motiongen's
gesture block holds axis-angle radians at the cache's frame rate, so each window is decimated to
15 fps (the cache rate must be a whole multiple), turned into per-joint Euler angles with the
skeleton's channel orders, and standardised with the given statistics. A cache whose gesture joints
differ from the declared joint set is refused rather than compared. Euler angles come out in the
principal range (±180°); BEAT's files may hold the same rotation unwrapped beyond it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from motiongen.core.errors import InputFileError
from motiongen.evaluation.corpus import GESTURE

log = logging.getLogger(__name__)

BEAT_FPS = 15.0
BEAT_JOINT_SET = "beat47_upper"
ENCODER_PREFIX = "pose_encoder."
DDP_PREFIX = "module."


def conv_frames(window: int) -> int:
    """Frames left by the encoder's convolutions from ``window`` input frames (34 -> 12)."""
    return (window - 8) // 2 + 1 - 2


def window_for(frames: int) -> int:
    """Shortest input window whose convolutions leave ``frames`` frames (12 -> 34)."""
    return 2 * frames + 10


class BeatPoseEncoder(nn.Module):
    """BEAT's FGD pose encoder with its checkpoint's parameter names: ``(B, W, D) -> (B, F)``."""

    def __init__(self, pose_dim: int, feature_dim: int, frames: int):
        super().__init__()
        f = feature_dim

        def block(cin: int, cout: int, kernel: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv1d(cin, cout, kernel, stride=stride), nn.BatchNorm1d(cout), nn.LeakyReLU(0.2))

        self.net = nn.Sequential(block(pose_dim, f, 3, 1), block(f, 2 * f, 3, 1), block(2 * f, 2 * f, 4, 2),
                                 nn.Conv1d(2 * f, f, 3))
        self.out_net = nn.Sequential(nn.Linear(frames * f, 4 * f), nn.BatchNorm1d(4 * f), nn.Identity(),
                                     nn.Linear(4 * f, 2 * f), nn.BatchNorm1d(2 * f), nn.Identity(),
                                     nn.Linear(2 * f, f))
        self.fc_mu = nn.Linear(f, f)
        self.fc_logvar = nn.Linear(f, f)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        """Standardised poses ``(B, W, D)`` -> features ``(B, F)`` (the variational mean)."""
        return self.fc_mu(self.out_net(self.net(poses.transpose(1, 2)).flatten(1)))


def read_encoder_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The ``pose_encoder.*`` tensors of a BEAT auto-encoder checkpoint, without that prefix.

    Raises:
        InputFileError: unreadable without executing code, no ``model_state``, or no encoder weights.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "no such BEAT extractor checkpoint")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for corrupt or code-carrying files
        raise InputFileError(path, f"not loadable as plain tensors (torch.load weights_only=True: "
                                   f"{type(err).__name__}: {err})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("model_state"), dict):
        keys = sorted(payload)[:5] if isinstance(payload, dict) else type(payload).__name__
        raise InputFileError(path, f"expected a BEAT checkpoint {{'model_state': state_dict}}, found {keys}")
    state = {}
    for key, value in payload["model_state"].items():
        key = key[len(DDP_PREFIX):] if key.startswith(DDP_PREFIX) else key
        if key.startswith(ENCODER_PREFIX):
            state[key[len(ENCODER_PREFIX):]] = value
    if not state:
        raise InputFileError(path, f"model_state has no '{ENCODER_PREFIX}*' weights (first keys: "
                                   f"{sorted(payload['model_state'])[:4]}): not BEAT's motion auto-encoder")
    return state


def encoder_from_state(path: str | Path, state: dict[str, torch.Tensor]) -> tuple[BeatPoseEncoder, int]:
    """Build the encoder the weights describe, load them, and return it with its window in frames.

    Raises:
        InputFileError: a key is missing or extra, or a tensor's shape does not fit the architecture.
    """
    first, head = state.get("net.0.0.weight"), state.get("out_net.0.weight")
    if first is None or head is None or first.ndim != 3 or head.ndim != 2:
        raise InputFileError(path, "pose_encoder lacks net.0.0.weight (F, D, 3) or out_net.0.weight (4F, L*F): "
                                   "not the conv encoder of BEAT's EmbeddingNet/HalfEmbeddingNet")
    feature_dim, pose_dim = int(first.shape[0]), int(first.shape[1])
    if head.shape[1] % feature_dim:
        raise InputFileError(path, f"out_net.0.weight has {head.shape[1]} inputs, not a multiple of the feature size "
                                   f"{feature_dim}")
    frames = int(head.shape[1]) // feature_dim
    encoder = BeatPoseEncoder(pose_dim, feature_dim, frames)
    expected = encoder.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = [f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})" for k, v in expected.items()
             if k in state and state[k].shape != v.shape]
    if missing or extra or wrong:
        problems = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else "",
                    f"wrong shapes {wrong}" if wrong else ""]
        raise InputFileError(path, f"pose_encoder weights do not fit BEAT's encoder with D={pose_dim}, F={feature_dim}, "
                                   f"L={frames}: " + "; ".join(p for p in problems if p))
    encoder.load_state_dict(state)
    return encoder.eval(), window_for(frames)


def read_statistics(path: str | Path, channels: int, what: str) -> np.ndarray:
    """BEAT's per-channel ``bvh_mean.npy`` / ``bvh_std.npy``: ``(channels,)`` float32."""
    path = Path(path)
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"not a readable .npy array of the {what} ({err})") from None
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    if values.shape != (channels,):
        raise InputFileError(path, f"the {what} must have {channels} values (the checkpoint's pose size), got {values.size}")
    if not np.isfinite(values).all() or (what == "standard deviations" and (values <= 0).any()):
        raise InputFileError(path, f"the {what} must be finite{' and positive' if what == 'standard deviations' else ''}")
    return values


@dataclass(frozen=True)
class BeatExtractorConfig:
    """What the scoring code reads of an extractor.

    Attributes:
        window: frames per window at the cache's frame rate (BEAT's window times ``step``).
        feature_dim: F.
        channels: 3J axis-angle channels per cache frame.
        step: cache frames per BEAT frame (cache fps / 15).
    """

    window: int
    feature_dim: int
    channels: int
    step: int


class BeatGestureExtractor(nn.Module):
    """BEAT's encoder behind the conversion from motiongen's gesture block to BEAT's pose input."""

    def __init__(self, encoder: BeatPoseEncoder, beat_window: int, mean: np.ndarray, std: np.ndarray,
                 rotation_orders: list[str], step: int):
        super().__init__()
        self.encoder = encoder
        self.rotation_orders = list(rotation_orders)
        channels = 3 * len(self.rotation_orders)
        self.config = BeatExtractorConfig(beat_window * step, encoder.fc_mu.out_features, channels, step)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    def beat_poses(self, windows: np.ndarray) -> np.ndarray:
        """Cache windows ``(N, W, 3J)`` axis-angle radians -> BEAT poses ``(N, W / step, 3J)``
        Euler degrees, each joint in its BVH channel order."""
        from motiongen.core.rotations import axis_angle_to_quaternion, joints_quaternion_to_euler

        decimated = np.asarray(windows, dtype=np.float64)[:, :: self.config.step]
        n, frames, _ = decimated.shape
        joints = decimated.reshape(n, frames, -1, 3)
        euler = joints_quaternion_to_euler(axis_angle_to_quaternion(joints), self.rotation_orders)
        return euler.reshape(n, frames, -1)

    @torch.no_grad()
    def features(self, windows: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Features ``(N, F)`` float64 of cache windows ``(N, W, 3J)`` axis-angle radians."""
        if windows.ndim != 3 or windows.shape[1:] != (self.config.window, self.config.channels):
            raise ValueError(f"windows must be (N, {self.config.window}, {self.config.channels}), got {windows.shape}")
        out = []
        for start in range(0, len(windows), batch_size):
            poses = torch.as_tensor(self.beat_poses(windows[start:start + batch_size]), dtype=torch.float32)
            out.append(self.encoder((poses - self.mean) / self.std))
        if not out:
            return np.zeros((0, self.config.feature_dim))
        return torch.cat(out).double().numpy()


def _first_difference(a: list[str], b: list[str]) -> int:
    return next(i for i in range(max(len(a), len(b)) + 1) if i >= len(a) or i >= len(b) or a[i] != b[i])


@dataclass(frozen=True)
class PretrainedGesture:
    """``extractor.*`` of ``conf/evaluate.yaml``: a BEAT checkpoint and the statistics it was trained with."""

    checkpoint: str
    mean: str | None
    std: str | None
    joint_set: str = BEAT_JOINT_SET

    @classmethod
    def from_config(cls, extractor) -> "PretrainedGesture | None":
        """The ``extractor`` node of ``conf/evaluate.yaml`` (a mapping), or None when it names no checkpoint."""
        if not extractor[GESTURE]:
            return None
        return cls(str(extractor[GESTURE]), extractor["gesture_mean"], extractor["gesture_std"],
                   str(extractor["gesture_joints"]))


def load_beat_extractor(settings: PretrainedGesture, joint_names, rotation_orders, fps: float) -> BeatGestureExtractor:
    """BEAT's extractor for a gesture block of ``joint_names`` (axis-angle, in that order) at ``fps``.

    Raises:
        InputFileError: a broken checkpoint or statistics file, or a cache whose gesture channels are
            not the layout the checkpoint reads (joint set, pose size, frame rate).
    """
    from motiongen.skeletons import load_joint_set

    path = Path(settings.checkpoint)
    encoder, beat_window = encoder_from_state(path, read_encoder_state(path))
    pose_dim = encoder.net[0][0].in_channels
    layout = load_joint_set(settings.joint_set)
    if pose_dim != 3 * len(layout):
        raise InputFileError(path, f"reads {pose_dim} channels per frame, but the declared joint set "
                                   f"{settings.joint_set} has {len(layout)} joints x 3 Euler angles = {3 * len(layout)}; "
                                   "name the joint set it was trained on with extractor.gesture_joints=")
    if list(joint_names) != list(layout):
        cache, at = list(joint_names), _first_difference(list(joint_names), layout)
        raise InputFileError(path, f"reads the {len(layout)} joints of {settings.joint_set}, the cache's gesture block has "
                                   f"{len(cache)} joints (first difference at position {at}: cache "
                                   f"{cache[at] if at < len(cache) else 'nothing'}, expected "
                                   f"{layout[at] if at < len(layout) else 'nothing'}); refusing to compare features "
                                   "of other channels")
    step = fps / BEAT_FPS
    if abs(step - round(step)) > 1e-6 or round(step) < 1:
        raise InputFileError(path, f"reads {BEAT_FPS:g} fps windows; the cache is at {fps:g} fps, not a whole multiple")
    if settings.mean is None or settings.std is None:
        raise InputFileError(path, "needs BEAT's training statistics of its input: give extractor.gesture_mean=bvh_mean.npy "
                                   "and extractor.gesture_std=bvh_std.npy")
    mean = read_statistics(settings.mean, pose_dim, "means")
    std = read_statistics(settings.std, pose_dim, "standard deviations")
    return BeatGestureExtractor(encoder, beat_window, mean, std, rotation_orders, int(round(step))).eval()


def attach_beat_extractor(evaluators, info, roles, settings: PretrainedGesture) -> None:
    """Put BEAT's extractor into ``evaluators`` as the gesture network, named by the checkpoint's hash.

    EMAGE's BC needs its upper-body joints' mean speeds over the training data; motiongen's own
    extractor file stores them, so here they are measured on the cache's train split.
    """
    from motiongen.evaluation.corpus import block_sequences, require_role, require_skeleton
    from motiongen.core.hashing import sha256_file
    from motiongen.evaluation.evaluator_files import HASH_DIGITS
    from motiongen.evaluation.positions import upper_body_mean_speed

    block = require_role(roles, GESTURE)
    template = require_skeleton(info)
    skeleton = template.skeleton
    orders = [skeleton.rotation_orders[skeleton.names.index(name)] for name in roles.joint_names]
    extractor = load_beat_extractor(settings, roles.joint_names, orders, info.fps)
    train = block_sequences(info, "train", block)
    evaluators.gesture = extractor
    evaluators.hashes[GESTURE] = sha256_file(settings.checkpoint, HASH_DIGITS)
    evaluators.info[GESTURE] = {
        "source": "BEAT pretrained", "checkpoint": str(Path(settings.checkpoint).resolve()),
        "mean_hash": sha256_file(settings.mean, HASH_DIGITS), "std_hash": sha256_file(settings.std, HASH_DIGITS),
        "joint_set": settings.joint_set,
        "beat_fps": BEAT_FPS, "window_frames": extractor.config.window, "feature_dim": extractor.config.feature_dim,
    }
    try:
        evaluators.info[GESTURE]["upper_body_mean_speed_cm_s"] = upper_body_mean_speed(
            template, roles.joint_names, train, info.fps)
    except ValueError as err:
        log.warning("BC not computable: %s", err)

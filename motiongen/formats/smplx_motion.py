"""SMPL-X + FLAME motion files in the BEAT2 / EMAGE layout (``smplxflame_30/<take>.npz``).

One ``np.savez`` archive per take:

====================  ============  =========  =====================================================
key                   shape         dtype      meaning
====================  ============  =========  =====================================================
``poses``             (F, 165)      float32    axis-angle radians of the 55 SMPL-X joints, joint-major
                                               (:data:`motiongen.core.smplx_skeleton.SMPLX_JOINT_NAMES`)
``expressions``       (F, 100)      float32    FLAME expression coefficients
``trans``             (F, 3)        float32    root translation, metres (Y up)
``betas``             (300,)        float32    SMPL-X shape coefficients
``gender``            ()            str        ``neutral`` (BEAT2 and EMAGE use the neutral model)
``mocap_frame_rate``  ()            int        frames per second (30)
``model``             ()            str        ``smplx2020`` (the SMPL-X 2020 model, as EMAGE writes)
====================  ============  =========  =====================================================

EMAGE's loaders and renderers read exactly these keys (``poses``, ``expressions``, ``trans``,
``betas``; ``mocap_frame_rate`` for the frame rate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.core.atomic import savez
from motiongen.core.smplx_skeleton import NUM_FLAME_EXPRESSIONS, NUM_SMPLX_BETAS, NUM_SMPLX_JOINTS
from motiongen.core.errors import InputFileError

log = logging.getLogger(__name__)

POSE_WIDTH = 3 * NUM_SMPLX_JOINTS
REQUIRED_KEYS = ("poses", "trans", "betas", "expressions")


@dataclass
class SmplxMotion:
    """SMPL-X body + FLAME face motion of one take.

    Attributes:
        poses: ``(F, 165)`` float32 axis-angle radians, 55 joints in SMPL-X order.
        expressions: ``(F, 100)`` float32 FLAME expression coefficients.
        trans: ``(F, 3)`` float32 root translation in metres.
        betas: ``(B,)`` float32 shape coefficients (300 in BEAT2).
        fps: frames per second.
        gender: model gender tag (``neutral``).
        model: model tag (``smplx2020``).
        path: file it was read from, if any.
        warnings: problems that did not stop reading (also logged).
    """

    poses: np.ndarray
    expressions: np.ndarray
    trans: np.ndarray
    betas: np.ndarray = field(default_factory=lambda: np.zeros(NUM_SMPLX_BETAS, np.float32))
    fps: float = 30.0
    gender: str = "neutral"
    model: str = "smplx2020"
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.poses = np.asarray(self.poses, dtype=np.float32)
        self.expressions = np.asarray(self.expressions, dtype=np.float32)
        self.trans = np.asarray(self.trans, dtype=np.float32)
        self.betas = np.asarray(self.betas, dtype=np.float32).reshape(-1)
        frames = len(self.poses)
        if self.poses.shape != (frames, POSE_WIDTH):
            raise ValueError(f"poses must have shape (F, {POSE_WIDTH}), got {self.poses.shape}")
        if self.expressions.shape != (frames, NUM_FLAME_EXPRESSIONS):
            raise ValueError(f"expressions must have shape ({frames}, {NUM_FLAME_EXPRESSIONS}), "
                             f"got {self.expressions.shape}")
        if self.trans.shape != (frames, 3):
            raise ValueError(f"trans must have shape ({frames}, 3), got {self.trans.shape}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def num_frames(self) -> int:
        return len(self.poses)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_frames / self.fps


def _scalar(data, key: str, default):
    """A 0-d (or first) entry of ``data[key]``; ``default`` when absent or stored as a pickled object."""
    if key not in data.files:
        return default
    try:
        value = data[key]
    except ValueError:
        return default
    value = value.item() if value.shape == () else value.reshape(-1)[0].item()
    return value.decode() if isinstance(value, bytes) else value


def read_smplx_motion(path: str | Path) -> SmplxMotion:
    """Read a BEAT2/EMAGE ``.npz`` take.

    ``poses``, ``expressions`` and ``trans`` of different lengths are cut to the shortest, with a
    warning naming the lengths (BEAT2 files are consistent; exported files of other tools may
    not be).

    Raises:
        InputFileError: unreadable archive, a missing key, a wrong width, non-finite values.
    """
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise InputFileError(path, f"not a readable .npz archive ({err})") from None
    with data:
        missing = [key for key in REQUIRED_KEYS if key not in data.files]
        if missing:
            raise InputFileError(path, f"missing key(s) {', '.join(missing)} (has: {', '.join(data.files)})")
        arrays = {key: np.asarray(data[key]) for key in REQUIRED_KEYS}
        fps = float(_scalar(data, "mocap_frame_rate", 30))
        gender = str(_scalar(data, "gender", "neutral"))
        model = str(_scalar(data, "model", "smplx2020"))
    expected = {"poses": POSE_WIDTH, "expressions": NUM_FLAME_EXPRESSIONS, "trans": 3}
    for key, width in expected.items():
        array = arrays[key]
        if array.ndim != 2 or array.shape[1] != width:
            raise InputFileError(path, f"'{key}' must have shape (frames, {width}), got {array.shape}")
    for key, array in arrays.items():
        if not np.issubdtype(array.dtype, np.number):
            raise InputFileError(path, f"'{key}' holds {array.dtype}, expected numbers")
        if not np.all(np.isfinite(array)):
            raise InputFileError(path, f"'{key}' contains NaN or infinite values")
    if not fps > 0:
        raise InputFileError(path, f"mocap_frame_rate must be positive, got {fps}")
    lengths = {key: len(arrays[key]) for key in expected}
    frames = min(lengths.values())
    warnings = []
    if len(set(lengths.values())) > 1:
        message = (f"frame counts differ ({', '.join(f'{k} {v}' for k, v in lengths.items())}); "
                   f"using the first {frames} frames")
        warnings.append(message)
        log.warning("%s: %s", path, message)
    return SmplxMotion(poses=arrays["poses"][:frames], expressions=arrays["expressions"][:frames],
                       trans=arrays["trans"][:frames], betas=arrays["betas"], fps=fps, gender=gender,
                       model=model, path=path, warnings=warnings)


def write_smplx_motion(path: str | Path, motion: SmplxMotion) -> Path:
    """Write ``motion`` as a BEAT2/EMAGE ``.npz`` (atomically: temporary name, then rename).

    ``mocap_frame_rate`` is stored as an integer when the rate is whole (30), else as a float.
    """
    path = Path(path)
    rate = int(round(motion.fps)) if abs(motion.fps - round(motion.fps)) < 1e-6 else float(motion.fps)
    return savez(path, {"poses": motion.poses, "expressions": motion.expressions, "trans": motion.trans,
                        "betas": motion.betas, "gender": np.array(motion.gender), "mocap_frame_rate": np.array(rate),
                        "model": np.array(motion.model)})

"""ARKit facial blendshape curves: BEAT's facial JSON and the Live Link Face CSV layout.

Canonical layout inside motiongen: ``weights`` of shape ``(F, 52)``, float32 in ``[0, 1]``, columns
in :data:`ARKIT_NAMES` order (Apple's ``ARFaceAnchor.BlendShapeLocation`` order as the Live Link
Face app writes its CSV columns: the left eye, the right eye, jaw, mouth, brows, cheeks, nose,
tongue), sampled at a constant ``fps``.

BEAT facial JSON (v0.2.1), 60 fps::

    {"names": ["browDownLeft", ...], "frames": [{"time": 0.0, "weights": [...], "rotation": []}, ...]}

BEAT lists the names alphabetically (51 of them in the released files: no ``tongueOut``); the reader
maps columns by NAME, never by position, so any order and 51 or 52 names work. Name matching is
case-insensitive and also accepts the ``_L`` / ``_R`` suffix spelling used by some ARKit-derived
rigs (``eyeBlink_L`` for ``eyeBlinkLeft``). A canonical name absent from the file is filled with 0
and recorded as a warning. ``time`` is in seconds; the curves are re-timed relative to the first
frame (BEAT's own loaders index facial frames from the first one, aligned with the audio start), and
the first absolute stamp is kept in :attr:`FaceCurves.start_time`.

Range policy: ARKit coefficients live in ``[0, 1]``. Values within ``clip_tolerance`` (default 0.05)
outside that range are solver overshoot or rounding: they are clipped and a warning is recorded.
Anything further out means the file is not ARKit weights (e.g. already normalised) and is an error.

Live Link Face CSV: ``Timecode, BlendShapeCount, <52 names in PascalCase>, HeadYaw, HeadPitch,
HeadRoll, LeftEyeYaw, LeftEyePitch, LeftEyeRoll, RightEyeYaw, RightEyePitch, RightEyeRoll``, one
row per frame, ``BlendShapeCount`` = 61 (52 shapes + 9 rotations), and ``Timecode`` written as
``HH:MM:SS:FF.fff`` — the frame ``FF`` inside the second at the recording rate and ``.fff`` the
sub-frame fraction (e.g. ``07:44:57:02.944``). The head and eye rotations are passed through in
the units found in the file.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.interpolate import make_interp_spline

from motiongen.core.errors import InputFileError
from motiongen.formats.tables import read_csv_rows

log = logging.getLogger(__name__)

ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawRight", "jawLeft", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthRight", "mouthLeft",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)  # fmt: skip
NUM_BLENDSHAPES = len(ARKIT_NAMES)

#: Name order BEAT's JSON files use (alphabetical); the writer follows it so position-based BEAT
#: loaders read our exports correctly.
BEAT_JSON_NAMES: tuple[str, ...] = tuple(sorted(ARKIT_NAMES))
BEAT_FACE_FPS = 60.0

HEAD_ROTATION_COLUMNS: tuple[str, ...] = ("HeadYaw", "HeadPitch", "HeadRoll")
EYE_ROTATION_COLUMNS: tuple[str, ...] = (
    "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip
LIVE_LINK_COLUMNS: tuple[str, ...] = (
    "Timecode",
    "BlendShapeCount",
    *(name[0].upper() + name[1:] for name in ARKIT_NAMES),
    *HEAD_ROTATION_COLUMNS,
    *EYE_ROTATION_COLUMNS,
)
LIVE_LINK_FPS = 60.0
_LIVE_LINK_SHAPE_COUNT = NUM_BLENDSHAPES + len(HEAD_ROTATION_COLUMNS) + len(EYE_ROTATION_COLUMNS)
_TIMECODE = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})[:;](\d+)(?:\.(\d+))?\s*$")

DEFAULT_CLIP_TOLERANCE = 0.05


def _name_key(name: str) -> str:
    """Case-folded key with ``_L`` / ``_R`` suffixes spelled out (``eyeBlink_L`` -> ``eyeblinkleft``)."""
    key = name.strip().lower()
    if key.endswith("_l"):
        key = key[:-2] + "left"
    elif key.endswith("_r"):
        key = key[:-2] + "right"
    return key


_CANONICAL_INDEX: dict[str, int] = {_name_key(name): i for i, name in enumerate(ARKIT_NAMES)}


@dataclass
class FaceCurves:
    """ARKit blendshape curves on a uniform time grid.

    Attributes:
        weights: ``(F, 52)`` float32 in ``[0, 1]``, columns in :data:`ARKIT_NAMES` order.
        fps: frames per second of ``weights``.
        warnings: recorded non-fatal problems (missing names, clipped values, irregular timing).
        start_time: seconds; absolute time stamp of the first source frame (frame 0 is at t = 0).
        head_rotation: ``(F, 3)`` yaw, pitch, roll in the file's units, or None when absent.
        eye_rotation: ``(F, 6)`` left yaw/pitch/roll, right yaw/pitch/roll, or None when absent.
        source_names: blendshape names exactly as the file listed them.
        source_fps: frame rate measured from the file's time stamps (median spacing).
    """

    weights: np.ndarray
    fps: float
    warnings: list[str] = field(default_factory=list)
    start_time: float = 0.0
    head_rotation: np.ndarray | None = None
    eye_rotation: np.ndarray | None = None
    source_names: list[str] = field(default_factory=list)
    source_fps: float | None = None

    @property
    def num_frames(self) -> int:
        return int(self.weights.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames (``num_frames / fps``)."""
        return self.num_frames / self.fps


def _warn(warnings: list[str], path: Path, message: str) -> None:
    warnings.append(message)
    log.warning("%s: %s", path, message)


def _map_names(path: Path, names: list[str], warnings: list[str]) -> np.ndarray:
    """Return ``(len(names),)`` canonical column indices; fail on unknown or duplicate names."""
    if not names:
        raise InputFileError(path, "no blendshape names")
    indices = []
    unknown = []
    seen: dict[int, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise InputFileError(path, f"blendshape name {name!r} is not a string")
        index = _CANONICAL_INDEX.get(_name_key(name))
        if index is None:
            unknown.append(name)
            continue
        if index in seen:
            raise InputFileError(
                path, f"duplicate blendshape name {name!r} (same ARKit shape as {seen[index]!r})"
            )
        seen[index] = name
        indices.append(index)
    if unknown:
        raise InputFileError(
            path, f"unknown blendshape name(s) {unknown}; expected the 52 ARKit names (e.g. eyeBlinkLeft)"
        )
    missing = [ARKIT_NAMES[i] for i in range(NUM_BLENDSHAPES) if i not in seen]
    if missing:
        _warn(warnings, path, f"{len(missing)} ARKit blendshape(s) absent, filled with 0: {', '.join(missing)}")
    return np.asarray(indices, dtype=np.int64)


def _check_weights(
    path: Path, values: np.ndarray, names: list[str], clip_tolerance: float, warnings: list[str]
) -> np.ndarray:
    """Validate ``(F, K)`` source weights (NaN/inf, range) and return them clipped to ``[0, 1]``."""
    bad = ~np.isfinite(values)
    if bad.any():
        frame, column = np.argwhere(bad)[0]
        raise InputFileError(
            path, f"frame {frame}: blendshape {names[column]!r} is {values[frame, column]} ({int(bad.sum())} non-finite values)"
        )
    outside = (values < 0.0) | (values > 1.0)
    if not outside.any():
        return values
    gross = (values < -clip_tolerance) | (values > 1.0 + clip_tolerance)
    if gross.any():
        frame, column = np.argwhere(gross)[0]
        raise InputFileError(
            path,
            f"frame {frame}: blendshape {names[column]!r} = {values[frame, column]:.4g} is outside [0, 1] "
            f"by more than {clip_tolerance} ({int(gross.sum())} such values); ARKit weights must lie in [0, 1]",
        )
    worst = float(np.max(np.maximum(-values, values - 1.0)))
    _warn(warnings, path, f"{int(outside.sum())} weight(s) slightly outside [0, 1] (by up to {worst:.3g}) clipped")
    return np.clip(values, 0.0, 1.0)


def _check_times(path: Path, times: np.ndarray, warnings: list[str]) -> float:
    """Validate ``(F,)`` seconds (finite, strictly increasing); return the measured mean fps."""
    bad = ~np.isfinite(times)
    if bad.any():
        frame = int(np.argmax(bad))
        raise InputFileError(path, f"frame {frame}: time stamp is {times[frame]}")
    if times.size < 2:
        return float("nan")
    steps = np.diff(times)
    backwards = steps <= 0
    if backwards.any():
        frame = int(np.argmax(backwards)) + 1
        raise InputFileError(
            path,
            f"frame {frame}: time stamps not increasing ({times[frame - 1]:.6g} s then {times[frame]:.6g} s)",
        )
    median = float(np.median(steps))
    gaps = steps > 1.5 * median
    if gaps.any():
        _warn(
            warnings,
            path,
            f"{int(gaps.sum())} gap(s) in the time stamps (longest {steps.max():.4g} s at a {median:.4g} s "
            f"frame step, first after frame {int(np.argmax(gaps))}); values are interpolated across them",
        )
    return (times.size - 1) / float(times[-1] - times[0])


def _resample(times: np.ndarray, values: np.ndarray, target_fps: float) -> np.ndarray:
    """Linearly interpolate ``values`` (F, ...) sampled at ``times`` (F,) seconds from 0 onto a
    ``target_fps`` grid covering ``[0, times[-1]]``. Down-sampling by an integer ratio returns the
    source frames themselves (BEAT codebases decimate 60 -> 30 fps the same way)."""
    num_out = int(math.floor(times[-1] * target_fps + 1e-6)) + 1
    grid = np.arange(num_out, dtype=np.float64) / target_fps
    if times.size == 1:
        return np.repeat(values[:1], num_out, axis=0)
    return make_interp_spline(times, values, k=1, axis=0)(np.clip(grid, times[0], times[-1]))


def _finish(
    path: Path,
    times: np.ndarray,
    weights: np.ndarray,
    extras: dict[str, np.ndarray | None],
    target_fps: float | None,
    warnings: list[str],
    source_names: list[str],
    nominal_fps: float,
) -> FaceCurves:
    """Check timing, re-time from the first frame, resample and assemble :class:`FaceCurves`."""
    source_fps = _check_times(path, times, warnings)
    start = float(times[0])
    relative = times - start
    if target_fps is None:
        if times.size > 1:
            steps = np.diff(relative)
            jitter = float(np.max(np.abs(steps - 1.0 / source_fps))) * source_fps
            if jitter > 0.1:
                _warn(warnings, path, f"irregular frame spacing (up to {jitter:.0%} of a frame); pass target_fps to resample")
        fps = source_fps if times.size > 1 else nominal_fps
        out_weights, out_extras = weights, extras
    else:
        if not (target_fps > 0 and math.isfinite(target_fps)):
            raise ValueError(f"target_fps must be a positive number, got {target_fps}")
        fps = float(target_fps)
        out_weights = _resample(relative, weights, fps)
        out_extras = {k: (None if v is None else _resample(relative, v, fps)) for k, v in extras.items()}
    return FaceCurves(
        weights=np.clip(out_weights, 0.0, 1.0).astype(np.float32),
        fps=fps,
        warnings=warnings,
        start_time=start,
        head_rotation=None if out_extras["head"] is None else out_extras["head"].astype(np.float32),
        eye_rotation=None if out_extras["eyes"] is None else out_extras["eyes"].astype(np.float32),
        source_names=source_names,
        source_fps=None if math.isnan(source_fps) else source_fps,
    )


def _frame_field(path: Path, frames: list, key: str, expected_len: int | None) -> np.ndarray:
    """Stack ``frames[i][key]`` into a float64 array, explaining the first bad frame on failure."""
    try:
        values = np.array([frame[key] for frame in frames])  # no dtype: numeric strings must not pass
        numeric = values.dtype.kind in "iuf"
        if numeric and ((expected_len is None and values.ndim == 1) or (values.ndim == 2 and values.shape[1] == expected_len)):
            return values.astype(np.float64)
    except (TypeError, ValueError, KeyError):
        pass
    for i, frame in enumerate(frames):
        if not isinstance(frame, dict):
            raise InputFileError(path, f"frame {i}: expected an object with 'time' and 'weights', got {type(frame).__name__}")
        if key not in frame:
            raise InputFileError(path, f"frame {i}: no {key!r} field")
        value = frame[key]
        if expected_len is not None:
            if not isinstance(value, list):
                raise InputFileError(path, f"frame {i}: {key!r} is not a list")
            if len(value) != expected_len:
                raise InputFileError(
                    path, f"frame {i}: {len(value)} {key} for {expected_len} names"
                )
        if expected_len is None and isinstance(value, list):
            raise InputFileError(path, f"frame {i}: {key!r} must be a number, got a list")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise InputFileError(path, f"frame {i}: {key!r} holds a non-number {item!r}")
    raise InputFileError(path, f"cannot read {key!r} of the frames")


def _frame_rotation(path: Path, frames: list, warnings: list[str]) -> np.ndarray | None:
    """``(F, 3)`` per-frame rotation when every frame has a 3-number ``rotation``; None when all are
    empty or absent (the released BEAT files); a warning when they are inconsistent."""
    rotations = [frame.get("rotation") for frame in frames]
    if all(r in (None, []) for r in rotations):
        return None
    if all(isinstance(r, list) and len(r) == 3 for r in rotations):
        try:
            values = np.array(rotations, dtype=np.float64)
        except (TypeError, ValueError):
            values = None
        if values is not None and np.isfinite(values).all():
            return values
    _warn(warnings, path, "per-frame 'rotation' is not a finite 3-vector on every frame; head rotation not read")
    return None


def read_beat_face_json(
    path: str | Path, target_fps: float | None = None, clip_tolerance: float = DEFAULT_CLIP_TOLERANCE
) -> FaceCurves:
    """Read a BEAT facial JSON file into canonical ARKit order.

    Args:
        path: the ``.json`` file.
        target_fps: resample onto this rate by linear interpolation of the time stamps (e.g. 30 for
            training); None keeps the source frames.
        clip_tolerance: how far outside ``[0, 1]`` a weight may be and still be clipped (with a
            warning) instead of failing.

    Returns:
        :class:`FaceCurves` with ``weights`` ``(F, 52)`` float32.

    Raises:
        InputFileError: unreadable JSON, wrong structure, empty frames, unknown/duplicate names,
            weights count different from names count (naming the frame), NaN/inf, values far
            outside ``[0, 1]``, time stamps missing or not increasing.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except json.JSONDecodeError as err:
        raise InputFileError(path, f"not valid JSON: {err.msg}", line=err.lineno) from None
    except (UnicodeDecodeError, OSError) as err:
        raise InputFileError(path, f"cannot read: {err}") from None
    if not isinstance(data, dict) or "names" not in data or "frames" not in data:
        raise InputFileError(path, "not a BEAT facial JSON: expected an object with 'names' and 'frames'")
    names, frames = data["names"], data["frames"]
    if not isinstance(names, list) or not isinstance(frames, list):
        raise InputFileError(path, "'names' and 'frames' must be lists")
    if not frames:
        raise InputFileError(path, "no frames")
    warnings: list[str] = []
    columns = _map_names(path, names, warnings)
    values = _frame_field(path, frames, "weights", len(names))
    times = _frame_field(path, frames, "time", None)
    values = _check_weights(path, values, names, clip_tolerance, warnings)
    weights = np.zeros((values.shape[0], NUM_BLENDSHAPES), dtype=np.float64)
    weights[:, columns] = values
    head = _frame_rotation(path, frames, warnings)
    return _finish(path, times, weights, {"head": head, "eyes": None}, target_fps, warnings, list(names), BEAT_FACE_FPS)


def _as_frames(weights: np.ndarray, fps: float) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != NUM_BLENDSHAPES:
        raise ValueError(f"weights must have shape (F, {NUM_BLENDSHAPES}), got {weights.shape}")
    if weights.shape[0] == 0:
        raise ValueError("weights has no frames")
    if not np.isfinite(weights).all():
        raise ValueError("weights contain NaN or inf")
    if not (fps > 0 and math.isfinite(fps)):
        raise ValueError(f"fps must be a positive number, got {fps}")
    return weights


def _optional_rotation(values: np.ndarray | None, num_frames: int, width: int, what: str) -> np.ndarray:
    if values is None:
        return np.zeros((num_frames, width))
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (num_frames, width):
        raise ValueError(f"{what} must have shape ({num_frames}, {width}), got {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{what} contains NaN or inf")
    return values


def write_beat_face_json(
    path: str | Path, weights: np.ndarray, fps: float = BEAT_FACE_FPS, head_rotation: np.ndarray | None = None
) -> None:
    """Write ``weights`` ``(F, 52)`` (ARKIT_NAMES order) as BEAT facial JSON.

    Weights are clipped to ``[0, 1]`` (model outputs may overshoot slightly) and rounded to 6
    decimals. Names are written in BEAT's alphabetical order with all 52 shapes; ``time`` is ``i / fps``
    seconds; ``rotation`` is ``[]`` like the released files unless ``head_rotation`` ``(F, 3)`` is given.
    """
    weights = _as_frames(weights, fps)
    order = np.array([ARKIT_NAMES.index(name) for name in BEAT_JSON_NAMES])
    columns = np.clip(weights[:, order], 0.0, 1.0).round(6).tolist()
    times = (np.arange(weights.shape[0]) / fps).tolist()
    rotations = (
        [[] for _ in times]
        if head_rotation is None
        else _optional_rotation(head_rotation, weights.shape[0], 3, "head_rotation").round(6).tolist()
    )
    document = {
        "names": list(BEAT_JSON_NAMES),
        "frames": [{"weights": w, "time": t, "rotation": r} for w, t, r in zip(columns, times, rotations)],
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


def format_timecodes(num_frames: int, fps: float) -> list[str]:
    """Live Link Face time codes ``HH:MM:SS:FF.fff`` for frames ``0 .. num_frames-1`` at ``fps``."""
    seconds = np.arange(num_frames, dtype=np.float64) / fps
    whole = np.floor(seconds + 1e-9)
    in_second = (seconds - whole) * fps
    frame = np.floor(in_second + 1e-6)
    sub = np.minimum(np.round((in_second - frame) * 1000.0), 999)
    whole = whole.astype(np.int64)
    return [
        f"{h:02d}:{m:02d}:{s:02d}:{f:02d}.{u:03d}"
        for h, m, s, f, u in zip(
            whole // 3600, (whole // 60) % 60, whole % 60, frame.astype(np.int64), sub.astype(np.int64)
        )
    ]


def parse_timecodes(path: Path, codes: list[str], lines: list[int], fps: float) -> np.ndarray:
    """Seconds ``(F,)`` for Live Link Face time codes at recording rate ``fps``; ``lines`` are the
    file lines of the codes, for error messages."""
    parts = np.zeros((len(codes), 5), dtype=np.float64)
    for row, (code, line) in enumerate(zip(codes, lines)):
        match = _TIMECODE.match(code)
        if match is None:
            raise InputFileError(path, f"time code {code!r} is not HH:MM:SS:FF.fff", line=line)
        hours, minutes, secs, frame, sub = match.groups()
        parts[row] = (int(hours), int(minutes), int(secs), int(frame), float(f"0.{sub}") if sub else 0.0)
    return parts[:, 0] * 3600 + parts[:, 1] * 60 + parts[:, 2] + (parts[:, 3] + parts[:, 4]) / fps


def write_live_link_csv(
    path: str | Path,
    weights: np.ndarray,
    fps: float = LIVE_LINK_FPS,
    head_rotation: np.ndarray | None = None,
    eye_rotation: np.ndarray | None = None,
) -> None:
    """Write ``weights`` ``(F, 52)`` as a Live Link Face CSV (:data:`LIVE_LINK_COLUMNS`).

    Weights are clipped to ``[0, 1]``; frame ``i`` gets the time code of ``i / fps`` seconds.

    Args:
        head_rotation: ``(F, 3)`` yaw, pitch, roll (zeros when None), written unchanged.
        eye_rotation: ``(F, 6)`` left yaw/pitch/roll then right yaw/pitch/roll (zeros when None).
    """
    weights = _as_frames(weights, fps)
    num_frames = weights.shape[0]
    head = _optional_rotation(head_rotation, num_frames, 3, "head_rotation")
    eyes = _optional_rotation(eye_rotation, num_frames, 6, "eye_rotation")
    numbers = np.char.mod("%.8f", np.concatenate([np.clip(weights, 0.0, 1.0), head, eyes], axis=1))
    count = str(_LIVE_LINK_SHAPE_COUNT)
    lines = [",".join(LIVE_LINK_COLUMNS)]
    lines += [f"{code},{count}," + ",".join(row) for code, row in zip(format_timecodes(num_frames, fps), numbers)]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_live_link_csv(
    path: str | Path,
    fps: float = LIVE_LINK_FPS,
    target_fps: float | None = None,
    clip_tolerance: float = DEFAULT_CLIP_TOLERANCE,
) -> FaceCurves:
    """Read a Live Link Face CSV into canonical ARKit order.

    Args:
        fps: the rate the app recorded at (the ``FF`` field of the time codes counts these frames;
            the CSV does not store it). Live Link Face records at 60 by default.
        target_fps: resample onto this rate; None keeps the rows.

    Raises:
        InputFileError: missing/unknown/duplicate columns, malformed time codes, a row with the
            wrong number of fields, non-numbers, NaN/inf, weights far outside [0, 1], time codes not
            increasing, no rows. Line numbers are 1-based file lines.
    """
    path = Path(path)
    rows = read_csv_rows(path)
    if not rows:
        raise InputFileError(path, "empty file")
    header = [name.strip() for name in rows[0]]
    if header[:2] != ["Timecode", "BlendShapeCount"]:
        raise InputFileError(path, "not a Live Link Face CSV: the first columns must be Timecode,BlendShapeCount", line=1)
    rotation_columns = {name.lower(): name for name in (*HEAD_ROTATION_COLUMNS, *EYE_ROTATION_COLUMNS)}
    shape_names = [name for name in header[2:] if name.lower() not in rotation_columns]
    present_rotations = {name.lower() for name in header[2:]} & set(rotation_columns)
    warnings: list[str] = []
    columns = _map_names(path, shape_names, warnings)
    body = [(line, row) for line, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if not body:
        raise InputFileError(path, "no frames (header only)")
    for line, row in body:
        if len(row) != len(header):
            raise InputFileError(path, f"{len(row)} fields, header has {len(header)}", line=line)
    try:
        numbers = np.array([row[2:] for _, row in body], dtype=np.float64)
    except ValueError:
        for line, row in body:
            for name, cell in zip(header[2:], row[2:]):
                try:
                    float(cell)
                except ValueError:
                    raise InputFileError(path, f"{name} = {cell!r} is not a number", line=line) from None
        raise
    by_name = {name.lower(): i for i, name in enumerate(header[2:])}
    shape_values = numbers[:, [by_name[name.lower()] for name in shape_names]]
    shape_values = _check_weights(path, shape_values, shape_names, clip_tolerance, warnings)
    weights = np.zeros((numbers.shape[0], NUM_BLENDSHAPES), dtype=np.float64)
    weights[:, columns] = shape_values

    def rotation(names: tuple[str, ...]) -> np.ndarray | None:
        if not all(name.lower() in present_rotations for name in names):
            return None
        values = numbers[:, [by_name[name.lower()] for name in names]]
        if not np.isfinite(values).all():
            raise InputFileError(path, f"non-finite values in {', '.join(names)}")
        return values

    missing_rotations = [name for name in (*HEAD_ROTATION_COLUMNS, *EYE_ROTATION_COLUMNS) if name.lower() not in present_rotations]
    if missing_rotations:
        _warn(warnings, path, f"rotation column(s) absent: {', '.join(missing_rotations)}")
    times = parse_timecodes(path, [row[0] for _, row in body], [line for line, _ in body], fps)
    extras = {"head": rotation(HEAD_ROTATION_COLUMNS), "eyes": rotation(EYE_ROTATION_COLUMNS)}
    return _finish(path, times, weights, extras, target_fps, warnings, shape_names, fps)

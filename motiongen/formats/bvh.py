"""Biovision Hierarchy (BVH) motion capture: a strict reader and a writer.

Conventions (BEAT's, and those of Blender's importer and bvhio):

* Units are whatever the file uses; BEAT uses centimetres and degrees.
* A joint's rotation channels are intrinsic Euler angles in the listed order: ``Zrotation
  Xrotation Yrotation`` means ``R = R_Z @ R_X @ R_Y`` (see :mod:`motiongen.core.rotations`).
* Position channels give the joint's local translation and *replace* the ``OFFSET`` on the axes
  they cover (axes without a channel keep the offset value).
* Joints are stored in file (depth-first) order, so a parent always precedes its children and the
  root is joint 0.

The motion block is parsed in one call to numpy's C text parser (``np.loadtxt``, the fastest
plain numeric parser measured on the BEAT sample; see ``tools/bench_bvh.py``). Only when that
fails, or a count does not match, does a slower line-by-line pass run to name the exact line and
reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.core.errors import InputFileError
from motiongen.core.skeleton import POSITION_CHANNELS, Skeleton

logger = logging.getLogger(__name__)

ROTATION_CHANNELS = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
# What np.loadtxt accepts as a float (Python's float() also takes "1_000" and non-ASCII digits).
_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)",
                     re.IGNORECASE | re.ASCII)


class TruncatedBvhError(InputFileError):
    """A BVH whose motion block ends early: fewer complete frame rows than its ``Frames:`` header
    says, or a last row cut off mid-row.

    ``problem`` says what is wrong; the message adds how to read the complete rows anyway, in the
    words of the interface the user is in: ``read_bvh(..., allow_truncated=True)`` by default, the
    interface's own switch where it re-raises the error with :meth:`with_remedy` (``motiongen smplx
    convert --allow-truncated``, ``data.allow_truncated=true``), or nothing where there is none.
    """

    PYTHON_REMEDY = "pass allow_truncated=True to read the complete rows"

    def __init__(self, path: str | Path, problem: str, line: int | None = None, remedy: str | None = PYTHON_REMEDY):
        self.problem = problem
        self.remedy = remedy
        super().__init__(path, f"{problem}; {remedy}" if remedy else problem, line)

    def with_remedy(self, remedy: str | None) -> TruncatedBvhError:
        """The same error with ``remedy`` (the interface's words, or None for none) instead."""
        return TruncatedBvhError(self.path, self.problem, self.line, remedy)


@dataclass
class BvhMotion:
    """Motion read from (or to be written to) a BVH file.

    Attributes:
        skeleton: the hierarchy.
        frame_time: seconds per frame, as in the file's ``Frame Time:`` line.
        euler_deg: ``(F, J, 3)`` float64 degrees, joint ``j``'s angles in
            ``skeleton.rotation_orders[j]`` (zeros for joints without rotation channels).
        root_translation: ``(F, 3)`` float64 root position (file units, cm for BEAT).
        joint_translations: ``{joint index: (F, 3)}`` local translations of non-root joints that
            carry position channels (empty for BEAT).
        warnings: problems that did not stop reading (also logged).
        path: the file it was read from, if any (used in error messages).
    """

    skeleton: Skeleton
    frame_time: float
    euler_deg: np.ndarray
    root_translation: np.ndarray
    joint_translations: dict[int, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def num_frames(self) -> int:
        return int(self.euler_deg.shape[0])

    @property
    def fps(self) -> float:
        """Frames per second, ``1 / frame_time``.

        ``Frame Time`` is usually printed with six decimals (BEAT: ``0.008333``), so a rate within
        0.01 % of a whole number is returned as that number (120.0, not 120.0048).
        """
        rate = 1.0 / self.frame_time
        nearest = round(rate)
        return float(nearest) if nearest and abs(rate - nearest) <= 1e-4 * nearest else rate

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_frames * self.frame_time

    def local_quaternions(self) -> np.ndarray:
        """``(F, J, 4)`` local joint rotations as unit quaternions (w, x, y, z)."""
        from motiongen.core.rotations import joints_euler_to_quaternion  # numba: import on use

        return joints_euler_to_quaternion(self.euler_deg, self.skeleton.rotation_orders)

    def local_rotations(self) -> np.ndarray:
        """``(F, J, 3, 3)`` local joint rotation matrices (parent-from-child)."""
        from motiongen.core.rotations import quaternion_to_matrix

        return quaternion_to_matrix(self.local_quaternions())


class _Tokens:
    """Whitespace tokens of the hierarchy text, each with its 1-based line number."""

    def __init__(self, path: Path, lines: list[str]):
        self.path = path
        self.items = [(token, number) for number, line in enumerate(lines, start=1)
                      for token in line.split()]
        self.last_line = max(len(lines), 1)
        self.position = 0

    def peek(self) -> tuple[str | None, int]:
        if self.position < len(self.items):
            return self.items[self.position]
        return None, self.last_line

    def take(self, what: str) -> tuple[str, int]:
        token, line = self.peek()
        if token is None:
            raise InputFileError(self.path, f"hierarchy ends early: expected {what}", line)
        self.position += 1
        return token, line

    def expect(self, keyword: str) -> int:
        token, line = self.take(f"'{keyword}'")
        if token != keyword:
            raise InputFileError(self.path, f"expected '{keyword}', found '{token}'", line)
        return line

    def number(self, what: str) -> float:
        token, line = self.take(what)
        try:
            value = float(token)
        except ValueError:
            raise InputFileError(self.path, f"{what} must be a number, found '{token}'", line) from None
        if not np.isfinite(value):
            raise InputFileError(self.path, f"{what} must be finite, found '{token}'", line)
        return value


def _parse_hierarchy(path: Path, lines: list[str]) -> Skeleton:
    tokens = _Tokens(path, lines)
    tokens.expect("HIERARCHY")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    orders: list[str] = []
    end_sites: dict[int, np.ndarray] = {}

    def offset(owner: str) -> list[float]:
        tokens.expect("OFFSET")
        return [tokens.number(f"OFFSET {axis} of {owner}") for axis in "XYZ"]

    def joint(parent: int) -> None:
        name, name_line = tokens.take("a joint name")
        if name in ("{", "}"):
            raise InputFileError(path, f"expected a joint name, found '{name}'", name_line)
        if name in names:
            raise InputFileError(path, f"joint name '{name}' is used twice", name_line)
        index = len(names)
        names.append(name)
        parents.append(parent)
        tokens.expect("{")
        offsets.append(offset(name))
        joint_channels, order = _channels(tokens, name)
        channels.append(joint_channels)
        orders.append(order)
        while True:
            token, line = tokens.take(f"'JOINT', 'End Site' or '}}' closing joint '{name}'")
            if token == "JOINT":
                joint(index)
            elif token == "End":
                tokens.expect("Site")
                tokens.expect("{")
                if index in end_sites:
                    raise InputFileError(path, f"joint '{name}' has two End Sites", line)
                end_sites[index] = np.array(offset(f"the End Site of {name}"))
                tokens.expect("}")
            elif token == "}":
                return
            else:
                raise InputFileError(
                    path, f"expected 'JOINT', 'End Site' or '}}' in joint '{name}', found '{token}'", line)

    tokens.expect("ROOT")
    joint(-1)
    token, line = tokens.peek()
    if token is not None:
        reason = ("more than one ROOT is not supported" if token == "ROOT"
                  else f"unexpected '{token}' after the root joint's closing brace")
        raise InputFileError(path, reason, line)
    return Skeleton(names=names, parents=np.array(parents), offsets=np.array(offsets),
                    channels=channels, rotation_orders=orders, end_sites=end_sites)


def _channels(tokens: _Tokens, joint_name: str) -> tuple[tuple[str, ...], str]:
    """Parse ``CHANNELS n name...``; return the names and the joint's 3-letter Euler order."""
    tokens.expect("CHANNELS")
    count_token, line = tokens.take(f"the channel count of '{joint_name}'")
    if not count_token.isdigit():
        raise InputFileError(tokens.path, f"channel count of '{joint_name}' must be a whole number, "
                             f"found '{count_token}'", line)
    names = []
    for _ in range(int(count_token)):
        name, name_line = tokens.take(f"{count_token} channel names for '{joint_name}'")
        if name not in ROTATION_CHANNELS and name not in POSITION_CHANNELS:
            raise InputFileError(
                tokens.path,
                f"unknown channel name '{name}' in joint '{joint_name}' (expected one of "
                f"{', '.join(list(POSITION_CHANNELS) + list(ROTATION_CHANNELS))}; "
                f"CHANNELS declares {count_token})",
                name_line)
        if name in names:
            raise InputFileError(tokens.path, f"channel '{name}' repeated in joint '{joint_name}'",
                                 name_line)
        names.append(name)
    axes = "".join(ROTATION_CHANNELS[name] for name in names if name in ROTATION_CHANNELS)
    order = axes + "".join(axis for axis in "XYZ" if axis not in axes)
    return tuple(names), order


@dataclass
class _Sections:
    """The file split at its ``MOTION`` line; line numbers are 1-based."""

    hierarchy: list[str]
    declared_frames: int
    frames_line: int
    frame_time: float
    rows: list[str]  # every line after ``Frame Time:``
    first_row_line: int


def _split_sections(path: Path, lines: list[str]) -> _Sections:
    """Find ``MOTION``, ``Frames:`` and ``Frame Time:`` and validate the latter two."""
    motion = next((i for i, line in enumerate(lines) if line.strip() == "MOTION"), None)
    if motion is None:
        raise InputFileError(path, "no 'MOTION' line: the file has no motion section", len(lines))
    frames_text = lines[motion + 1] if motion + 1 < len(lines) else ""
    frames_match = re.fullmatch(r"\s*Frames:\s*(\S+)\s*", frames_text)
    if frames_match is None:
        raise InputFileError(path, f"expected 'Frames: <count>' after MOTION, found "
                             f"'{frames_text.strip()}'", motion + 2)
    if not frames_match.group(1).isdigit():
        raise InputFileError(path, f"frame count must be a whole number, found "
                             f"'{frames_match.group(1)}'", motion + 2)
    time_text = lines[motion + 2] if motion + 2 < len(lines) else ""
    time_match = re.fullmatch(r"\s*Frame\s+Time:\s*(\S+)\s*", time_text)
    if time_match is None:
        raise InputFileError(path, f"missing 'Frame Time: <seconds>' line after 'Frames:', found "
                             f"'{time_text.strip()}'", motion + 3)
    try:
        frame_time = float(time_match.group(1))
    except ValueError:
        frame_time = float("nan")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise InputFileError(path, f"Frame Time must be a positive number of seconds, found "
                             f"'{time_match.group(1)}'", motion + 3)
    return _Sections(hierarchy=lines[:motion], declared_frames=int(frames_match.group(1)),
                     frames_line=motion + 2, frame_time=frame_time, rows=lines[motion + 3:],
                     first_row_line=motion + 4)


def _diagnose_rows(path: Path, rows: list[str], first_line: int, width: int,
                   allow_truncated: bool) -> tuple[np.ndarray, list[str]]:
    """Slow line-by-line pass, run only when the fast parse failed: name the first bad line.

    A short *last* row is a file cut off mid-row: with ``allow_truncated`` it is dropped (and
    reported), otherwise it is an error like any other bad row.
    """
    content = [(number, line) for number, line in enumerate(rows, start=first_line) if line.strip()]
    notes: list[str] = []
    values = []
    for position, (number, line) in enumerate(content):
        tokens = line.split()
        if len(tokens) != width:
            if position == len(content) - 1 and len(tokens) < width:
                reason = (f"last frame row has {len(tokens)} values, expected {width}: the file "
                          f"is cut off mid-row")
                if not allow_truncated:
                    raise TruncatedBvhError(path, reason, number)
                notes.append(f"{path}:{number}: {reason}; dropped it")
                break
            raise InputFileError(path, f"frame row has {len(tokens)} values, expected {width} "
                                 "(one per channel declared in the hierarchy)", number)
        for column, token in enumerate(tokens, start=1):
            if not _NUMBER.fullmatch(token):
                raise InputFileError(path, f"non-numeric value '{token}' in column {column}", number)
        values.append(line)
    if not values:
        return np.zeros((0, width)), notes
    return np.loadtxt(values, ndmin=2, comments=None, dtype=np.float64), notes


def _row_line(rows: list[str], first_line: int, row: int) -> int:
    """1-based file line of the ``row``-th non-blank motion row (error path only)."""
    seen = -1
    for number, line in enumerate(rows, start=first_line):
        if line.strip():
            seen += 1
            if seen == row:
                return number
    return first_line + len(rows)


def _parse_rows(path: Path, rows: list[str], first_line: int, width: int,
                allow_truncated: bool) -> tuple[np.ndarray, list[str]]:
    """Parse the frame rows into a ``(F, width)`` float64 array."""
    if not any(line.strip() for line in rows):  # stops at the first non-blank row
        return np.zeros((0, width)), []
    try:
        data = np.loadtxt(rows, ndmin=2, comments=None, dtype=np.float64)
    except ValueError:
        return _diagnose_rows(path, rows, first_line, width, allow_truncated)
    if data.shape[1] != width:
        return _diagnose_rows(path, rows, first_line, width, allow_truncated)
    return data, []


def read_bvh(path: str | Path, allow_truncated: bool = False) -> BvhMotion:
    """Read a BVH file, validating everything.

    Args:
        path: the ``.bvh`` file.
        allow_truncated: accept a file whose motion block holds fewer complete rows than its
            ``Frames:`` header promises (or ends mid-row): read the complete rows and record a
            warning in ``.warnings``. Without it such a file raises.

    Raises:
        TruncatedBvhError: fewer complete rows than ``Frames:`` says, or a last row cut off mid-row
            (without ``allow_truncated``).
        InputFileError: with the file, the line and the reason for any malformed input: empty
            file, malformed hierarchy or braces, unknown channel names, missing ``Frames:`` /
            ``Frame Time:``, rows with the wrong number of values, non-numeric, NaN or infinite
            values, or fewer/more rows than ``Frames:`` says.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputFileError(path, f"cannot read file: {err.strerror or err}") from err
    if not raw or raw.isspace():
        raise InputFileError(path, "file is empty", 1)
    try:
        text = raw.decode("utf-8-sig")  # tolerate a byte-order mark
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise InputFileError(path, "not a text BVH file (invalid UTF-8 bytes)", line) from None
    lines = text.splitlines()
    sections = _split_sections(path, lines)
    skeleton = _parse_hierarchy(path, sections.hierarchy)
    rows, first_row_line, declared = sections.rows, sections.first_row_line, sections.declared_frames
    data, warnings = _parse_rows(path, rows, first_row_line, skeleton.num_channels, allow_truncated)

    finite = np.isfinite(data)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise InputFileError(path, f"non-finite value {data[row, column]!r} in column {column + 1}",
                             _row_line(rows, first_row_line, int(row)))
    found = data.shape[0]
    if found > declared:
        raise InputFileError(path, f"header says Frames: {declared} but {found} frame rows follow",
                             _row_line(rows, first_row_line, declared))
    if found < declared:
        reason = (f"header says Frames: {declared} but only {found} complete frame rows follow "
                  f"(the file is truncated)")
        if not allow_truncated:
            raise TruncatedBvhError(path, reason, sections.frames_line)
        warnings.append(f"{path}:{sections.frames_line}: {reason}; read {found} frames")
    for message in warnings:
        logger.warning(message)
    euler, root_translation, joint_translations = _split_channels(skeleton, data)
    return BvhMotion(skeleton=skeleton, frame_time=sections.frame_time, euler_deg=euler,
                     root_translation=root_translation, joint_translations=joint_translations,
                     warnings=warnings, path=path)


def _channel_layout(skeleton: Skeleton) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Column index of every Euler slot ``(J*3,)`` and every translation axis ``{j: (3,)}``.

    ``-1`` marks a slot without a channel (zero angle / offset value).
    """
    rotation_columns = np.full((skeleton.num_joints, 3), -1, dtype=np.int64)
    translation_columns: dict[int, np.ndarray] = {}
    column = 0
    for j, (names, order) in enumerate(zip(skeleton.channels, skeleton.rotation_orders)):
        for name in names:
            if name in ROTATION_CHANNELS:
                rotation_columns[j, order.index(ROTATION_CHANNELS[name])] = column
            else:
                translation_columns.setdefault(j, np.full(3, -1, dtype=np.int64))
                translation_columns[j][POSITION_CHANNELS[name]] = column
            column += 1
    return rotation_columns.reshape(-1), translation_columns


def _split_channels(skeleton: Skeleton, data: np.ndarray):
    frames = data.shape[0]
    rotation_columns, translation_columns = _channel_layout(skeleton)
    if np.all(rotation_columns >= 0):
        euler = data[:, rotation_columns].reshape(frames, skeleton.num_joints, 3)
    else:
        padded = np.concatenate([data, np.zeros((frames, 1))], axis=1)
        euler = padded[:, rotation_columns].reshape(frames, skeleton.num_joints, 3)

    def translation(j: int) -> np.ndarray:
        out = np.repeat(skeleton.offsets[j][None], frames, axis=0)
        columns = translation_columns.get(j)
        if columns is not None:
            present = columns >= 0
            out[:, present] = data[:, columns[present]]
        return out

    root_translation = translation(0)
    joint_translations = {j: translation(j) for j in skeleton.translated_joints()}
    return euler, root_translation, joint_translations


def write_bvh(path: str | Path, skeleton: Skeleton, euler_deg, root_translation, frame_time: float,
              joint_translations: dict[int, np.ndarray] | None = None, decimals: int = 6) -> None:
    """Write a BVH file from a hierarchy template and per-frame values.

    Args:
        path: output ``.bvh``.
        skeleton: hierarchy (names, offsets, channels, Euler orders and End Sites are preserved).
        euler_deg: ``(F, J, 3)`` degrees in each joint's ``skeleton.rotation_orders[j]``.
        root_translation: ``(F, 3)`` root position (file units).
        frame_time: seconds per frame.
        joint_translations: ``{j: (F, 3)}`` for non-root joints with position channels; joints
            left out keep their offset.
        decimals: digits after the decimal point for every value (6 = BEAT's own precision,
            1e-6 degree, far below any error that matters).

    Raises:
        ValueError: shapes that do not match the skeleton, non-finite values, a non-positive
            frame time, or a non-zero angle on an axis the joint has no channel for.
    """
    euler_deg = np.asarray(euler_deg, dtype=np.float64)
    root_translation = np.asarray(root_translation, dtype=np.float64)
    joint_translations = {j: np.asarray(v, dtype=np.float64) for j, v in (joint_translations or {}).items()}
    frames, joints = euler_deg.shape[0], skeleton.num_joints
    if euler_deg.shape != (frames, joints, 3):
        raise ValueError(f"euler_deg must have shape (F, {joints}, 3), got {euler_deg.shape}")
    if root_translation.shape != (frames, 3):
        raise ValueError(f"root_translation must have shape ({frames}, 3), got {root_translation.shape}")
    for j, values in joint_translations.items():
        if values.shape != (frames, 3):
            raise ValueError(f"joint_translations[{j}] must have shape ({frames}, 3), got {values.shape}")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise ValueError(f"frame_time must be a positive number of seconds, got {frame_time}")
    for name, values in [("euler_deg", euler_deg), ("root_translation", root_translation)] + [
            (f"joint_translations[{j}]", v) for j, v in joint_translations.items()]:
        if not np.isfinite(values).all():
            raise ValueError(f"{name} contains NaN or infinite values")

    rotation_columns, translation_columns = _channel_layout(skeleton)
    absent = rotation_columns.reshape(joints, 3) < 0
    if np.any(np.abs(euler_deg[:, absent]) > 10.0 ** -decimals):
        joint = int(np.argwhere(absent & np.any(np.abs(euler_deg) > 10.0 ** -decimals, axis=0))[0, 0])
        raise ValueError(f"joint '{skeleton.names[joint]}' has no channel for a non-zero Euler angle "
                         f"(order {skeleton.rotation_orders[joint]}, channels {skeleton.channels[joint]})")

    # Gather every channel column from one source array: [euler slots | translations per joint].
    sources = [euler_deg.reshape(frames, joints * 3)]
    gather = np.empty(skeleton.num_channels, dtype=np.int64)
    present = rotation_columns >= 0
    gather[rotation_columns[present]] = np.flatnonzero(present)
    base = joints * 3
    for j, columns in translation_columns.items():
        values = root_translation if j == 0 else joint_translations.get(
            j, np.repeat(skeleton.offsets[j][None], frames, axis=0))
        sources.append(values)
        for axis in range(3):
            if columns[axis] >= 0:
                gather[columns[axis]] = base + axis
        base += 3
    table = np.concatenate(sources, axis=1)[:, gather]

    lines = ["HIERARCHY"]
    _hierarchy_lines(skeleton, 0, 0, decimals, lines)
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {frame_time:.{max(decimals, 6)}f}"]
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\n".join(lines) + "\n")
        np.savetxt(handle, table, fmt=f"%.{decimals}f", delimiter=" ")


def _hierarchy_lines(skeleton: Skeleton, joint: int, depth: int, decimals: int, out: list[str]) -> None:
    indent = "\t" * depth
    keyword = "ROOT" if skeleton.parents[joint] < 0 else "JOINT"
    out.append(f"{indent}{keyword} {skeleton.names[joint]}")
    out.append(f"{indent}{{")
    out.append(f"{indent}\tOFFSET {_triple(skeleton.offsets[joint], decimals)}")
    channels = skeleton.channels[joint]
    out.append(f"{indent}\tCHANNELS {len(channels)}" + "".join(f" {name}" for name in channels))
    for child in np.flatnonzero(skeleton.parents == joint):
        _hierarchy_lines(skeleton, int(child), depth + 1, decimals, out)
    if joint in skeleton.end_sites:
        out.append(f"{indent}\tEnd Site")
        out.append(f"{indent}\t{{")
        out.append(f"{indent}\t\tOFFSET {_triple(skeleton.end_sites[joint], decimals)}")
        out.append(f"{indent}\t}}")
    out.append(f"{indent}}}")


def _triple(values: np.ndarray, decimals: int) -> str:
    return " ".join(f"{value:.{decimals}f}" for value in values)

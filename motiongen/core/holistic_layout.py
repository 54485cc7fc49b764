"""The MediaPipe Holistic landmark layout: 543 landmarks in one array.

Order (the order of BiMoDiCA's 543-landmark annotation and of every landmark array in motiongen)::

    [0, 33)     pose        33 BlazePose landmarks (``nose`` ... ``right_foot_index``)
    [33, 501)   face        468 face-mesh landmarks (no iris refinement)
    [501, 522)  left_hand   21 hand landmarks (``wrist`` ... ``pinky_tip``)
    [522, 543)  right_hand  21 hand landmarks

"left"/"right" are MediaPipe's: the person's own side (``left_hand`` is the hand MediaPipe
Holistic reports as ``left_hand_landmarks``, next to pose ``left_wrist``).

Landmark names are ``<part>.<name>`` (``pose.left_shoulder``, ``left_hand.index_finger_tip``);
face-mesh points have no names in MediaPipe and are numbered ``face.000`` ... ``face.467``.
Connections are index pairs into the 543 layout, shape ``(E, 2)`` int64. The names and
connections come from mediapipe's own constants through the generated table
``holistic_layout.json`` (``tools/make_holistic_layout.py``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

PARTS = ("pose", "face", "left_hand", "right_hand")
PART_SIZES = {"pose": 33, "face": 468, "left_hand": 21, "right_hand": 21}
LANDMARK_COUNT = sum(PART_SIZES.values())


def _part_slices() -> dict[str, slice]:
    slices, start = {}, 0
    for part in PARTS:
        slices[part] = slice(start, start + PART_SIZES[part])
        start += PART_SIZES[part]
    return slices


PART_SLICES = _part_slices()
HAND_PARTS = ("left_hand", "right_hand")
FACE_SUBSETS = (
    "tesselation", "contours", "face_oval", "lips", "left_eye", "right_eye",
    "left_eyebrow", "right_eyebrow", "nose",
)


@lru_cache(maxsize=1)
def _table() -> dict:
    text = resources.files(__package__).joinpath("holistic_layout.json").read_text(encoding="utf-8")
    return json.loads(text)


def pose_names() -> tuple[str, ...]:
    """The 33 pose landmark names in MediaPipe order (``nose``, ``left_eye_inner``, ...)."""
    return tuple(_table()["pose_names"])


def hand_names() -> tuple[str, ...]:
    """The 21 hand landmark names in MediaPipe order (``wrist``, ``thumb_cmc``, ...)."""
    return tuple(_table()["hand_names"])


@lru_cache(maxsize=1)
def landmark_names() -> tuple[str, ...]:
    """All 543 names ``<part>.<name>`` in layout order."""
    names = [f"pose.{name}" for name in pose_names()]
    names += [f"face.{index:03d}" for index in range(PART_SIZES["face"])]
    for hand in HAND_PARTS:
        names += [f"{hand}.{name}" for name in hand_names()]
    return tuple(names)


def landmark_index(name: str) -> int:
    """Index in the 543 layout of a name ``<part>.<name>``; ``KeyError`` lists the parts if unknown."""
    try:
        return landmark_names().index(name)
    except ValueError:
        raise KeyError(f"unknown holistic landmark {name!r}; names are '<part>.<name>' with part in {PARTS}") from None


def _global(part: str, local_edges) -> np.ndarray:
    edges = np.asarray(local_edges, dtype=np.int64).reshape(-1, 2)
    return edges + PART_SLICES[part].start


def connections(part: str, face_subset: str = "contours") -> np.ndarray:
    """Edges ``(E, 2)`` of one part as indices into the 543 layout.

    Args:
        part: one of :data:`PARTS`.
        face_subset: for ``face`` only, one of :data:`FACE_SUBSETS` (``tesselation`` is the full
            mesh, ``contours`` the oval, eyes, brows and lips).
    """
    table = _table()
    if part == "pose":
        return _global(part, table["pose_connections"])
    if part in HAND_PARTS:
        return _global(part, table["hand_connections"])
    if part == "face":
        if face_subset not in FACE_SUBSETS:
            raise KeyError(f"unknown face subset {face_subset!r}; one of {FACE_SUBSETS}")
        return _global(part, table["face_connections"][face_subset])
    raise KeyError(f"unknown holistic part {part!r}; one of {PARTS}")


def pose_side(pose_name: str) -> str:
    """``left``, ``right`` or ``centre`` for a pose landmark name (the person's side)."""
    if pose_name.startswith("left_"):
        return "left"
    if pose_name.startswith("right_"):
        return "right"
    return "centre"


def drawing_groups() -> dict[str, np.ndarray]:
    """Edges grouped for drawing in separate colours, each ``(E, 2)`` into the 543 layout.

    Groups: ``pose_left``/``pose_right``/``pose_centre`` (an edge goes to a side when both ends are
    on it), ``left_hand``, ``right_hand``, and the face ``face_oval``, ``lips``, ``left_eye``,
    ``right_eye``, ``left_eyebrow``, ``right_eyebrow``.
    """
    sides = np.array([pose_side(name) for name in pose_names()])
    pose_edges = connections("pose")
    edge_sides = sides[pose_edges]
    groups = {}
    for side in ("left", "right"):
        groups[f"pose_{side}"] = pose_edges[(edge_sides == side).all(axis=1)]
    mixed = ~((edge_sides == "left").all(axis=1) | (edge_sides == "right").all(axis=1))
    groups["pose_centre"] = pose_edges[mixed]
    for hand in HAND_PARTS:
        groups[hand] = connections(hand)
    for subset in ("face_oval", "lips", "left_eye", "right_eye", "left_eyebrow", "right_eyebrow"):
        groups[subset] = connections("face", subset)
    return groups

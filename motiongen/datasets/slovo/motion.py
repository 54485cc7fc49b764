"""Slovo motion blocks from MediaPipe Holistic landmarks.

Input: one clip's landmarks ``(T, 543, 3)`` in normalised image coordinates with per-part presence
``(T, 4)`` (:mod:`motiongen.formats.holistic`) and the frame size. First the coordinates are made
isotropic (pixels: ``x * width``, ``y * height``, ``z * width``). Output blocks, all ``(T, width)``
float32 with no NaN:

``body`` — :data:`BODY_LANDMARKS` (13 upper-body pose landmarks), ``(x, y)`` per landmark
    (name-major: ``nose.x, nose.y, left_eye.x, ...``), 26 channels. Axes as the image (x to the
    right of the picture, y down). Origin: the clip's median shoulder centre; unit: the clip's
    median shoulder width ("shoulder widths"). Per-clip (not per-frame) centring keeps the torso's
    own motion. The wrists' body-relative positions are the ``left_wrist``/``right_wrist`` channels.
``hands`` — for ``left_hand`` then ``right_hand``, the 20 points after the wrist (``thumb_cmc`` ...
    ``pinky_tip``) as ``(x, y, z)`` relative to that hand's wrist, divided by the hand's palm size
    (the median over the clip's plausible detections of the 3-D wrist-to-middle-finger-MCP distance;
    MediaPipe's hand z is on the scale of x): 2 x 20 x 3 = 120 channels, unit "palm sizes".
``face`` — :data:`FACE_WEIGHTS`, ARKit-named expression weights in [0, 1] estimated geometrically
    from the face mesh (ratios of landmark distances to the outer-eye-corner distance mapped
    linearly between the two calibration points of :data:`_FACE_RAMPS`, which are ours, set on the
    Slovo sample so that a neutral face reads near 0): ``jawOpen`` (inner-lip gap), ``mouthPucker``
    (mouth narrower than neutral), ``mouthStretchLeft``/``Right`` (a mouth corner further from the
    lip centre than neutral), ``eyeBlinkLeft``/``Right`` (eyelid gap over eye width),
    ``browInnerUp`` (inner brow above the inner eye corners), ``browOuterUpLeft``/``Right``.
    Left/right are the person's own (as ARKit and MediaPipe name them).

Hand plausibility (:func:`check_hands`, bounds :class:`HandLimits`): a hand detection counts as
observed only if (1) its fingertips lie within ``max_fingertip_palms`` of its wrist, measured in its
own palm size (shape) and, after the clip's palm size is known, in that palm size (what the block
holds); (2) its wrist lies within ``max_wrist_offset`` shoulder widths of the pose's wrist of the
same side, on frames with a pose (a swapped left/right label fails); (3) its palm size is ``palm_shoulders[0]`` to
``palm_shoulders[1]`` shoulder widths of that frame. On the Slovo sample, MediaPipe's left hand on
frames 66-83 is a real hand reaching for the camera at the end of the recording: its shape is fine
(fingertips ~2 of its own palm sizes) but perspective makes it up to 3.5x the clip's palm, so the
block would hold fingertips 4-7 palm sizes from the wrist; (1) rejects those frames.

A part missing on some frames (undetected or rejected) is filled by linear interpolation between the
nearest frames where it was observed (held at the clip's ends); :func:`part_masks` gives the
per-frame masks (1 = observed) the loss uses. A hand never observed in a clip is zeros with mask 0
throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.holistic_layout import HAND_PARTS, LANDMARK_COUNT, PART_SLICES, PARTS, hand_names, landmark_index

BODY_LANDMARKS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
HAND_POINTS: tuple[str, ...] = hand_names()[1:]
FACE_WEIGHTS: tuple[str, ...] = (
    "jawOpen", "mouthPucker", "mouthStretchLeft", "mouthStretchRight", "eyeBlinkLeft", "eyeBlinkRight",
    "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
)
MASK_NAMES: tuple[str, ...] = ("body", "face", "left_hand", "right_hand")
_FINGERTIPS = [hand_names().index(f"{finger}_tip") for finger in ("thumb", "index_finger", "middle_finger",
                                                                     "ring_finger", "pinky")]
_MIDDLE_MCP = hand_names().index("middle_finger_mcp")
#: Palm size (wrist to middle-finger MCP) in shoulder widths, used to place generated hands (whose
#: per-clip palm size is not generated): ours, the median over the Slovo sample's hands (0.23-0.30).
PALM_PER_SHOULDER = 0.25

# Face-mesh indices (inside the 468-point face part). "left" = the person's left.
_EYE_OUTER = {"left": 263, "right": 33}
_EYE_INNER = {"left": 362, "right": 133}
_LID_UPPER = {"left": 386, "right": 159}
_LID_LOWER = {"left": 374, "right": 145}
_BROW_INNER = {"left": 336, "right": 107}
_BROW_OUTER = {"left": 276, "right": 46}
_MOUTH_CORNER = {"left": 291, "right": 61}
_LIP_INNER_UPPER, _LIP_INNER_LOWER = 13, 14
# (ratio at weight 0, ratio at weight 1); ours, from the Slovo sample's neutral face.
_FACE_RAMPS = {
    "jawOpen": (0.03, 0.40),            # inner-lip gap / eye-corner distance
    "mouthPucker": (0.52, 0.38),        # mouth width / eye-corner distance (narrower = pucker)
    "mouthStretch": (0.31, 0.42),       # corner to lip centre / eye-corner distance
    "eyeBlink": (0.27, 0.10),           # lid gap / eye width
    "browInnerUp": (0.32, 0.42),        # inner brow to inner eye corner / eye-corner distance
    "browOuterUp": (0.20, 0.28),        # outer brow to outer eye corner / eye-corner distance
}


@dataclass(frozen=True)
class HandLimits:
    """Bounds of a plausible MediaPipe hand detection (``data.hand_limits``; module docstring).

    Attributes:
        max_fingertip_palms: largest fingertip-to-wrist distance (3-D) in palm sizes. An open adult
            hand reaches ~2 palm sizes (the fingers are about as long as the palm; 1.6-2.4 on the
            Slovo sample); 3.0 leaves room for landmark noise and a foreshortened palm.
        max_wrist_offset: largest distance (2-D) from the hand's wrist to the pose's wrist of the
            same side, in shoulder widths (Slovo sample: at most 0.25; the other wrist: 1.1 or more).
        palm_shoulders: ``(min, max)`` palm size in shoulder widths of the same frame (anatomy:
            ~0.25 at the body's depth; 0.16-0.35 on the Slovo sample while signing).
    """

    max_fingertip_palms: float = 3.0
    max_wrist_offset: float = 0.5
    palm_shoulders: tuple[float, float] = (0.12, 0.5)

    def __post_init__(self):
        low, high = self.palm_shoulders
        if not (self.max_fingertip_palms > 0 and self.max_wrist_offset > 0 and 0 <= low < high):
            raise ValueError(f"hand limits need max_fingertip_palms > 0, max_wrist_offset > 0 and "
                             f"0 <= palm_shoulders[0] < palm_shoulders[1]; got {self}")

    def to_dict(self) -> dict:
        return {"max_fingertip_palms": float(self.max_fingertip_palms), "max_wrist_offset": float(self.max_wrist_offset),
                "palm_shoulders": [float(v) for v in self.palm_shoulders]}


@dataclass(frozen=True)
class ClipScale:
    """Per-clip normalisation facts (pixels), kept to map blocks back to the image.

    Attributes:
        origin: ``(2,)`` median shoulder centre.
        shoulder_width: median shoulder width.
        palm_sizes: ``(2,)`` median palm size of the left and right hand over their plausible
            detections (NaN: no plausible detection).
        rejected_hands: ``(T, 2)`` bool, left and right hand detected but implausible
            (:func:`check_hands`), hence treated as not observed.
    """

    origin: np.ndarray
    shoulder_width: float
    palm_sizes: np.ndarray
    rejected_hands: np.ndarray


def fill_gaps(values: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Linear interpolation over time of the frames where ``observed`` is False.

    Args:
        values: ``(T, ...)``; rows of unobserved frames are ignored (may be NaN).
        observed: ``(T,)`` bool.

    Returns:
        ``(T, ...)`` float32; held constant before the first / after the last observed frame;
        zeros when no frame is observed.
    """
    values = np.asarray(values, dtype=np.float32)
    frames = np.arange(len(values))
    seen = np.flatnonzero(observed)
    if seen.size == 0:
        return np.zeros_like(values)
    previous = seen[np.clip(np.searchsorted(seen, frames, side="right") - 1, 0, seen.size - 1)]
    following = seen[np.clip(np.searchsorted(seen, frames, side="left"), 0, seen.size - 1)]
    span = np.maximum(following - previous, 1)
    weight = np.clip((frames - previous) / span, 0.0, 1.0).astype(np.float32)
    weight = weight.reshape((-1,) + (1,) * (values.ndim - 1))
    return (1.0 - weight) * values[previous] + weight * values[following]


def to_pixels(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """``(T, 543, 3)`` normalised -> isotropic pixels (``z`` scaled by the width, as MediaPipe's z)."""
    return landmarks * np.array([width, height, width], dtype=np.float32)


def _distance(points: np.ndarray, a: int, b: int) -> np.ndarray:
    return np.linalg.norm(points[:, a, :2] - points[:, b, :2], axis=-1)


def _ramp(ratio: np.ndarray, zero: float, one: float) -> np.ndarray:
    return np.clip((ratio - zero) / (one - zero), 0.0, 1.0)


def face_weights(face: np.ndarray) -> np.ndarray:
    """ARKit-named weights ``(T, 9)`` in :data:`FACE_WEIGHTS` order from face-mesh points
    ``(T, 468, 3)`` in isotropic pixels (NaN rows give NaN weights)."""
    eye_span = np.maximum(_distance(face, _EYE_OUTER["left"], _EYE_OUTER["right"]), 1e-6)
    lip_centre = 0.5 * (face[:, _LIP_INNER_UPPER, :2] + face[:, _LIP_INNER_LOWER, :2])
    columns = {
        "jawOpen": _ramp(_distance(face, _LIP_INNER_UPPER, _LIP_INNER_LOWER) / eye_span, *_FACE_RAMPS["jawOpen"]),
        "mouthPucker": _ramp(_distance(face, _MOUTH_CORNER["left"], _MOUTH_CORNER["right"]) / eye_span,
                             *_FACE_RAMPS["mouthPucker"]),
        "browInnerUp": _ramp(0.5 * (_distance(face, _BROW_INNER["left"], _EYE_INNER["left"])
                                    + _distance(face, _BROW_INNER["right"], _EYE_INNER["right"])) / eye_span,
                             *_FACE_RAMPS["browInnerUp"]),
    }
    for side, suffix in (("left", "Left"), ("right", "Right")):
        corner = np.linalg.norm(face[:, _MOUTH_CORNER[side], :2] - lip_centre, axis=-1)
        columns[f"mouthStretch{suffix}"] = _ramp(corner / eye_span, *_FACE_RAMPS["mouthStretch"])
        eye_width = np.maximum(_distance(face, _EYE_INNER[side], _EYE_OUTER[side]), 1e-6)
        columns[f"eyeBlink{suffix}"] = _ramp(_distance(face, _LID_UPPER[side], _LID_LOWER[side]) / eye_width,
                                             *_FACE_RAMPS["eyeBlink"])
        columns[f"browOuterUp{suffix}"] = _ramp(_distance(face, _BROW_OUTER[side], _EYE_OUTER[side]) / eye_span,
                                                *_FACE_RAMPS["browOuterUp"])
    return np.stack([columns[name] for name in FACE_WEIGHTS], axis=1).astype(np.float32)


def check_hands(pixels: np.ndarray, present: np.ndarray, shoulder_widths: np.ndarray,
                limits: HandLimits) -> tuple[np.ndarray, np.ndarray]:
    """Which hand detections are plausible (module docstring), vectorised over frames and hands.

    Args:
        pixels: ``(T, 543, 3)`` isotropic pixels. present: ``(T, 4)`` bool per part.
        shoulder_widths: ``(T,)`` pixels, each frame's shoulder width (the clip's where no pose).
        limits: the bounds.

    Returns:
        ``(plausible (T, 2) bool, palm_sizes (2,) pixels)`` for the left and right hand; the palm
        size is the median over the detections passing the per-frame tests (NaN if none).
    """
    hands = np.stack([pixels[:, PART_SLICES[hand]] for hand in HAND_PARTS], axis=1)  # (T, 2, 21, 3)
    relative = hands - hands[:, :, :1]
    palm = np.linalg.norm(relative[:, :, _MIDDLE_MCP], axis=-1)  # (T, 2)
    reach = np.linalg.norm(relative[:, :, _FINGERTIPS], axis=-1).max(axis=-1)
    pose_wrists = pixels[:, [landmark_index(f"pose.{side}_wrist") for side in ("left", "right")], :2]
    offset = np.linalg.norm(hands[:, :, 0, :2] - pose_wrists, axis=-1) / shoulder_widths[:, None]
    low, high = limits.palm_shoulders
    with np.errstate(invalid="ignore"):
        palm_share = palm / shoulder_widths[:, None]
        plausible = (present[:, [PARTS.index(hand) for hand in HAND_PARTS]]
                     & (reach <= limits.max_fingertip_palms * palm) & ~(offset > limits.max_wrist_offset)
                     & (palm_share >= low) & (palm_share <= high))
    palm_sizes = np.array([np.median(palm[plausible[:, k], k]) if plausible[:, k].any() else np.nan
                           for k in range(len(HAND_PARTS))], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        plausible &= reach <= limits.max_fingertip_palms * palm_sizes
    return plausible, palm_sizes


def clip_scale(pixels: np.ndarray, present: np.ndarray, limits: HandLimits = HandLimits()) -> ClipScale:
    """Median shoulder centre and width over the frames with a pose, the plausible hand detections
    and the palm sizes (:func:`check_hands`).

    Raises:
        ValueError: no frame has a pose (no person found).
    """
    pose = present[:, PARTS.index("pose")]
    if not pose.any():
        raise ValueError("no person found: MediaPipe detected no pose on any frame")
    left, right = pixels[:, landmark_index("pose.left_shoulder"), :2], pixels[:, landmark_index("pose.right_shoulder"), :2]
    widths = np.linalg.norm(left - right, axis=-1)
    width = float(np.median(widths[pose]))
    if not width > 0:
        raise ValueError("the shoulders coincide on every frame; cannot scale the body")
    widths = np.where(pose & (widths > 0), widths, width)
    plausible, palms = check_hands(pixels, present, widths, limits)
    rejected = present[:, [PARTS.index(hand) for hand in HAND_PARTS]] & ~plausible
    origin = np.median(0.5 * (left[pose] + right[pose]), axis=0).astype(np.float32)
    return ClipScale(origin, width, palms, rejected)


def part_masks(present: np.ndarray) -> np.ndarray:
    """``(T, 4)`` float32 masks in :data:`MASK_NAMES` order (body, face, left hand, right hand)."""
    order = [PARTS.index(part) for part in ("pose", "face", "left_hand", "right_hand")]
    return present[:, order].astype(np.float32)


def slovo_blocks(landmarks: np.ndarray, present: np.ndarray, width: int, height: int,
                 limits: HandLimits = HandLimits()) -> tuple[dict[str, np.ndarray], ClipScale]:
    """The ``body``, ``hands`` and ``face`` blocks and the masks of one clip (module docstring).

    Args:
        landmarks: ``(T, 543, 3)`` normalised image coordinates, NaN where missing.
        present: ``(T, 4)`` bool per part (pose, face, left_hand, right_hand).
        width, height: frame size in pixels.
        limits: bounds of a plausible hand detection; the rejected ones are in ``scale.rejected_hands``.

    Returns:
        ``({"body": (T, 26), "hands": (T, 120), "face": (T, 9), "mask": (T, 4)}, scale)``.

    Raises:
        ValueError: no pose on any frame.
    """
    pixels = to_pixels(landmarks, width, height)
    scale = clip_scale(pixels, present, limits)
    present = present.copy()
    present[:, [PARTS.index(hand) for hand in HAND_PARTS]] &= ~scale.rejected_hands
    pose_seen = present[:, PARTS.index("pose")]
    body_index = [landmark_index(f"pose.{name}") for name in BODY_LANDMARKS]
    body = (pixels[:, body_index, :2] - scale.origin) / scale.shoulder_width
    hands = []
    for column, hand in enumerate(HAND_PARTS):
        seen = present[:, PARTS.index(hand)]
        points = pixels[:, PART_SLICES[hand]]
        relative = (points[:, 1:] - points[:, :1]) / (scale.palm_sizes[column] if seen.any() else 1.0)
        hands.append(fill_gaps(relative, seen))
    face_seen = present[:, PARTS.index("face")]
    blocks = {
        "body": fill_gaps(body, pose_seen).reshape(len(body), -1),
        "hands": np.concatenate([h.reshape(len(h), -1) for h in hands], axis=1),
        "face": fill_gaps(face_weights(pixels[:, PART_SLICES["face"]]), face_seen),
        "mask": part_masks(present),
    }
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in blocks.items()}, scale


def holistic_landmarks(body: np.ndarray, hands: np.ndarray) -> np.ndarray:
    """MediaPipe Holistic layout of ``body`` and ``hands`` blocks (the inverse of :func:`slovo_blocks`
    up to the clip's origin and scale): ``(T, 543, 3)`` in shoulder widths from the shoulder centre,
    image axes (x right, y down); z is NaN for the pose (2-D) and in shoulder widths from the wrist for
    the hands. The hands hang at the body's wrists with a palm of :data:`PALM_PER_SHOULDER`. Landmarks
    the blocks do not hold (lower body, the face mesh) are NaN.

    Args:
        body: ``(T, 26)`` (:data:`BODY_LANDMARKS` x, y). hands: ``(T, 120)`` (left then right hand).
    """
    frames = len(body)
    out = np.full((frames, LANDMARK_COUNT, 3), np.nan, dtype=np.float32)
    body = np.asarray(body, dtype=np.float32).reshape(frames, len(BODY_LANDMARKS), 2)
    out[:, [landmark_index(f"pose.{name}") for name in BODY_LANDMARKS], :2] = body
    points = np.asarray(hands, dtype=np.float32).reshape(frames, 2, len(HAND_POINTS), 3) * PALM_PER_SHOULDER
    for column, hand in enumerate(("left_hand", "right_hand")):
        wrist = body[:, BODY_LANDMARKS.index(hand.replace("_hand", "_wrist"))]
        wrist = np.concatenate([wrist, np.zeros((frames, 1), np.float32)], axis=1)
        out[:, PART_SLICES[hand]] = np.concatenate([wrist[:, None], wrist[:, None] + points[:, column]], axis=1)
    return out


def _frame_ranges(frames: np.ndarray) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts, ends = frames[np.r_[0, breaks + 1]], frames[np.r_[breaks, len(frames) - 1]]
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts.tolist(), ends.tolist()))


def rejected_hand_notes(rejected: np.ndarray, present: np.ndarray, limits: HandLimits) -> list[str]:
    """One line per hand with rejected detections: how many of the detected frames, and which.

    Args:
        rejected: ``(T, 2)`` bool (left, right hand). present: ``(T, 4)`` bool per part.
    """
    notes = []
    for column, hand in enumerate(HAND_PARTS):
        frames = np.flatnonzero(rejected[:, column])
        if frames.size:
            detected = int(present[:, PARTS.index(hand)].sum())
            notes.append(f"{hand}: {frames.size} of {detected} detected frames implausible (outside data.hand_limits "
                         f"{limits.to_dict()}), treated as missing: frames {_frame_ranges(frames)}")
    return notes

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
    (the clip's median wrist-to-middle-finger-MCP distance): 2 x 20 x 3 = 120 channels, unit "palm
    sizes".
``face`` — :data:`FACE_WEIGHTS`, ARKit-named expression weights in [0, 1] estimated geometrically
    from the face mesh (ratios of landmark distances to the outer-eye-corner distance mapped
    linearly between the two calibration points of :data:`_FACE_RAMPS`, which are ours, set on the
    Slovo sample so that a neutral face reads near 0): ``jawOpen`` (inner-lip gap), ``mouthPucker``
    (mouth narrower than neutral), ``mouthStretchLeft``/``Right`` (a mouth corner further from the
    lip centre than neutral), ``eyeBlinkLeft``/``Right`` (eyelid gap over eye width),
    ``browInnerUp`` (inner brow above the inner eye corners), ``browOuterUpLeft``/``Right``.
    Left/right are the person's own (as ARKit and MediaPipe name them).

A part missing on some frames is filled by linear interpolation between the nearest frames where it
was found (held at the clip's ends); :func:`part_masks` gives the per-frame masks (1 = observed) the
loss uses. A hand never seen in a clip is zeros with mask 0 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, PARTS, hand_names, landmark_index

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
class ClipScale:
    """Per-clip normalisation facts (pixels), kept to map blocks back to the image.

    Attributes:
        origin: ``(2,)`` median shoulder centre.
        shoulder_width: median shoulder width.
        palm_sizes: ``(2,)`` median palm size of the left and right hand (NaN: hand never seen).
    """

    origin: np.ndarray
    shoulder_width: float
    palm_sizes: np.ndarray


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


def clip_scale(pixels: np.ndarray, present: np.ndarray) -> ClipScale:
    """Median shoulder centre and width over the frames with a pose, and the palm sizes.

    Raises:
        ValueError: no frame has a pose (no person found).
    """
    pose = present[:, PARTS.index("pose")]
    if not pose.any():
        raise ValueError("no person found: MediaPipe detected no pose on any frame")
    left, right = pixels[pose, landmark_index("pose.left_shoulder"), :2], pixels[pose, landmark_index("pose.right_shoulder"), :2]
    width = float(np.median(np.linalg.norm(left - right, axis=-1)))
    if not width > 0:
        raise ValueError("the shoulders coincide on every frame; cannot scale the body")
    palms = np.full(2, np.nan, dtype=np.float32)
    for column, hand in enumerate(("left_hand", "right_hand")):
        seen = present[:, PARTS.index(hand)]
        if seen.any():
            wrist = pixels[seen, landmark_index(f"{hand}.wrist"), :2]
            mcp = pixels[seen, landmark_index(f"{hand}.middle_finger_mcp"), :2]
            palms[column] = float(np.median(np.linalg.norm(mcp - wrist, axis=-1)))
    return ClipScale(np.median(0.5 * (left + right), axis=0).astype(np.float32), width, palms)


def part_masks(present: np.ndarray) -> np.ndarray:
    """``(T, 4)`` float32 masks in :data:`MASK_NAMES` order (body, face, left hand, right hand)."""
    order = [PARTS.index(part) for part in ("pose", "face", "left_hand", "right_hand")]
    return present[:, order].astype(np.float32)


def slovo_blocks(landmarks: np.ndarray, present: np.ndarray, width: int, height: int) -> tuple[dict[str, np.ndarray], ClipScale]:
    """The ``body``, ``hands`` and ``face`` blocks and the masks of one clip (module docstring).

    Args:
        landmarks: ``(T, 543, 3)`` normalised image coordinates, NaN where missing.
        present: ``(T, 4)`` bool per part (pose, face, left_hand, right_hand).
        width, height: frame size in pixels.

    Returns:
        ``({"body": (T, 26), "hands": (T, 120), "face": (T, 9), "mask": (T, 4)}, scale)``.

    Raises:
        ValueError: no pose on any frame.
    """
    pixels = to_pixels(landmarks, width, height)
    scale = clip_scale(pixels, present)
    pose_seen = present[:, PARTS.index("pose")]
    body_index = [landmark_index(f"pose.{name}") for name in BODY_LANDMARKS]
    body = (pixels[:, body_index, :2] - scale.origin) / scale.shoulder_width
    hands = []
    for column, hand in enumerate(("left_hand", "right_hand")):
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

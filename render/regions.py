"""Image regions rendered in their own square crop: boxes around named landmark groups (the face,
each hand), cropping, and blending back.

A box is ``(centre x, centre y, side)``: the centre normalised like the landmarks (x by the frame
width, y by its height) and the side of the square in units of the frame height (so a box means
the same region at any resolution of one frame). Centre and side follow each frame's landmarks:
the side is ``scale`` times the larger side of the region's bounding box, so the crop holds the
whole face (or hand) with some margin and the region has one scale in every crop (a person
walking towards the camera does not leave the crop; the blend back scales it). Portrait
animators work the same way: the face is rendered in its own crop at a higher resolution and
blended back into the body frame with a feathered mask; the hand path does the same per hand.
"""

from __future__ import annotations

import cv2
import numpy as np

from motiongen.core.holistic_layout import PART_SLICES, landmark_index

HANDS = ("left_hand", "right_hand")
# Landmark indices of each region: its box is their bounding box (grown by the region's scale).
REGIONS: dict[str, np.ndarray] = {part: np.arange(PART_SLICES[part].start, PART_SLICES[part].stop)
                                  for part in ("face", *HANDS)}
# Where MediaPipe found no hand, the pose's wrist and knuckle points still place it (the reference
# image a hand crop is taken from); they span about half the hand, hence twice the scale.
HAND_FALLBACK = {f"{side}_hand": np.array([landmark_index(f"pose.{side}_{point}") for point in ("wrist", "pinky", "index", "thumb")])
                 for side in ("left", "right")}
FALLBACK_SCALE = 2.0


def region_boxes(landmarks: np.ndarray, image_size: tuple[int, int], indices: np.ndarray, scale: float) -> np.ndarray:
    """``(T, 3)`` float32 boxes of ``(T, 543, 2+)`` normalised landmarks on frames of
    ``image_size`` ``(height, width)``: the centre of the bounding box of the landmarks
    ``indices`` and ``scale`` times its larger side; NaN rows for frames without any of them."""
    height, width = image_size
    points = landmarks[:, indices, :2].astype(np.float64)
    finite = np.isfinite(points).all(-1)
    present = finite.any(-1)
    low = np.where(finite[..., None], points, np.inf).min(1)
    high = np.where(finite[..., None], points, -np.inf).max(1)
    low, high = np.where(present[:, None], low, 0.0), np.where(present[:, None], high, 0.0)
    extent = ((high - low) * [width, height]).max(-1, keepdims=True) / height
    boxes = np.concatenate([(low + high) / 2, scale * extent], 1)
    boxes[~present] = np.nan
    return boxes.astype(np.float32)


def face_boxes(landmarks: np.ndarray, image_size: tuple[int, int], scale: float = 1.8) -> np.ndarray:
    """``(T, 3)`` face boxes (:func:`region_boxes` of the 468 face landmarks)."""
    return region_boxes(landmarks, image_size, REGIONS["face"], scale)


def hand_boxes(landmarks: np.ndarray, image_size: tuple[int, int], scale: float = 2.0, fallback: bool = False) -> np.ndarray:
    """``(T, 2, 3)`` boxes of the left and right hand (:func:`region_boxes` of each hand's 21
    landmarks), NaN for a frame without that hand; with ``fallback``, a hand MediaPipe missed is
    boxed around the pose's wrist and knuckle points instead (NaN only when those are missing too)."""
    boxes = []
    for hand in HANDS:
        box = region_boxes(landmarks, image_size, REGIONS[hand], scale)
        if fallback:
            spare = region_boxes(landmarks, image_size, HAND_FALLBACK[hand], scale * FALLBACK_SCALE)
            box = np.where(np.isfinite(box).all(-1, keepdims=True), box, spare)
        boxes.append(box)
    return np.stack(boxes, 1)


def crop_matrix(box: np.ndarray, image_size: tuple[int, int], size: int) -> np.ndarray:
    """``(2, 3)`` affine map from crop pixels (``size x size``) to frame pixels."""
    height, width = image_size
    cx, cy, side = box[0] * width, box[1] * height, box[2] * height
    step = side / size
    return np.array([[step, 0, cx - side / 2 + step / 2 - 0.5], [0, step, cy - side / 2 + step / 2 - 0.5]])


def crop_regions(frames: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 frames → ``(T, size, size, 3)`` crops of ``boxes`` ``(T, 3)``
    (area-filtered when shrinking, edges replicated; black for NaN boxes)."""
    crops = np.zeros((len(frames), size, size, 3), np.uint8)
    image_size = frames.shape[1:3]
    for index, (frame, box) in enumerate(zip(frames, boxes)):
        if not np.isfinite(box).all():
            continue
        matrix = crop_matrix(box, image_size, size)
        source = frame
        shrink = matrix[0, 0]
        if shrink > 1.5:   # pre-shrink so the bilinear warp does not alias
            factor = int(shrink)
            source = cv2.resize(frame, (frame.shape[1] // factor, frame.shape[0] // factor), interpolation=cv2.INTER_AREA)
            matrix = crop_matrix(box, source.shape[:2], size)
        crops[index] = cv2.warpAffine(source, matrix, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                      borderMode=cv2.BORDER_REPLICATE)
    return crops


def to_crop(landmarks: np.ndarray, boxes: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Normalised frame landmarks ``(T, L, 2+)`` → normalised crop coordinates ``(T, L, 2)``."""
    height, width = image_size
    side = boxes[:, None, 2] * height
    x = (landmarks[..., 0] - boxes[:, None, 0]) * width / side + 0.5
    y = (landmarks[..., 1] - boxes[:, None, 1]) * height / side + 0.5
    return np.stack([x, y], -1)


def blend_mask(size: int, radius: tuple[float, float] = (0.36, 0.42), feather: float = 0.06) -> np.ndarray:
    """``(size, size)`` float32 weights in ``[0, 1]``: an ellipse of ``radius`` (x, y, in crop
    sides) around the crop centre with a Gaussian edge of ``feather`` crop sides."""
    mask = np.zeros((size, size), np.float32)
    centre = (size / 2 - 0.5, size / 2 - 0.5)
    cv2.ellipse(mask, (round(centre[0]), round(centre[1])), (round(radius[0] * size), round(radius[1] * size)), 0, 0, 360, 1.0, -1)
    sigma = feather * size
    return cv2.GaussianBlur(mask, (0, 0), sigma) if sigma > 0 else mask


def paste_regions(frames: np.ndarray, crops: np.ndarray, boxes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Blend region crops ``(T, C, C, 3)`` into ``frames`` ``(T, H, W, 3)`` uint8 at ``boxes``
    ``(T, 3)`` with ``mask`` ``(C, C)``; frames with a NaN box are left as they are."""
    out = frames.copy()
    height, width = frames.shape[1:3]
    size = crops.shape[1]
    full_mask = mask
    for index, (crop, box) in enumerate(zip(crops, boxes)):
        mask = full_mask
        if not np.isfinite(box).all():
            continue
        matrix = crop_matrix(box, (height, width), size)
        if matrix[0, 0] < 0.75:   # shrinking: area-filter first so the bilinear warp does not alias
            small = max(2, round(size * matrix[0, 0]))
            crop = cv2.resize(crop, (small, small), interpolation=cv2.INTER_AREA)
            mask = cv2.resize(mask, (small, small), interpolation=cv2.INTER_AREA)
            matrix = crop_matrix(box, (height, width), small)
        warped = cv2.warpAffine(crop, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        alpha = cv2.warpAffine(mask, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[..., None]
        out[index] = np.round(alpha * warped + (1 - alpha) * frames[index]).astype(np.uint8)
    return out

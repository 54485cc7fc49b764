"""The face region: square crop boxes around the face landmarks, cropping, and blending back.

A box is ``(centre x, centre y, side)``: the centre normalised like the landmarks (x by the frame
width, y by its height) and the side of the square in units of the frame height (so a box means
the same region at any resolution of one frame). Centre and side follow each frame's face: the
side is ``scale`` times the larger side of the face's bounding box, so the crop holds the whole
head with some margin and the face has one scale in every crop (a person walking towards the
camera does not leave the crop; the blend back scales it). Portrait animators work the same way: the face is rendered in its own crop at a higher
resolution and blended back into the body frame with a feathered mask.
"""

from __future__ import annotations

import cv2
import numpy as np

from motiongen.core.holistic_layout import PART_SLICES

FACE = PART_SLICES["face"]


def face_boxes(landmarks: np.ndarray, image_size: tuple[int, int], scale: float = 1.8) -> np.ndarray:
    """``(T, 3)`` float32 boxes of ``(T, 543, 2+)`` normalised landmarks on frames of
    ``image_size`` ``(height, width)``: the centre of each frame's face bounding box and
    ``scale`` times its larger side; NaN rows for frames without a face."""
    height, width = image_size
    face = landmarks[:, FACE, :2].astype(np.float64)
    present = np.isfinite(face).all(-1).any(-1)
    filled = np.where(present[:, None, None], face, 0.0)
    low, high = np.nanmin(filled, 1), np.nanmax(filled, 1)
    extent = ((high - low) * [width, height]).max(-1, keepdims=True) / height
    boxes = np.concatenate([(low + high) / 2, scale * extent], 1)
    boxes[~present] = np.nan
    return boxes.astype(np.float32)


def crop_matrix(box: np.ndarray, image_size: tuple[int, int], size: int) -> np.ndarray:
    """``(2, 3)`` affine map from crop pixels (``size x size``) to frame pixels."""
    height, width = image_size
    cx, cy, side = box[0] * width, box[1] * height, box[2] * height
    step = side / size
    return np.array([[step, 0, cx - side / 2 + step / 2 - 0.5], [0, step, cy - side / 2 + step / 2 - 0.5]])


def crop_faces(frames: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
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


def paste_faces(frames: np.ndarray, faces: np.ndarray, boxes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Blend face crops ``(T, C, C, 3)`` into ``frames`` ``(T, H, W, 3)`` uint8 at ``boxes``
    ``(T, 3)`` with ``mask`` ``(C, C)``; frames with a NaN box are left as they are."""
    out = frames.copy()
    height, width = frames.shape[1:3]
    size = faces.shape[1]
    full_mask = mask
    for index, (face, box) in enumerate(zip(faces, boxes)):
        mask = full_mask
        if not np.isfinite(box).all():
            continue
        matrix = crop_matrix(box, (height, width), size)
        if matrix[0, 0] < 0.75:   # shrinking: area-filter first so the bilinear warp does not alias
            small = max(2, round(size * matrix[0, 0]))
            face = cv2.resize(face, (small, small), interpolation=cv2.INTER_AREA)
            mask = cv2.resize(mask, (small, small), interpolation=cv2.INTER_AREA)
            matrix = crop_matrix(box, (height, width), small)
        warped = cv2.warpAffine(face, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        alpha = cv2.warpAffine(mask, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[..., None]
        out[index] = np.round(alpha * warped + (1 - alpha) * frames[index]).astype(np.uint8)
    return out

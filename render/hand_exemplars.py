"""Hand exemplars: real hand images of the person, moved onto the driving hands after rendering.

A renderer trained on one short video draws hands well only in the poses that video shows; in
others (the quickstart's hands in front of the belly, on the Slovo sample) it draws a smear.
Speech-driven body video work met the same problem and pasted hands retrieved from a dictionary
of the person's own hand images (Liao et al., "Speech2Video Synthesis with 3D Skeleton
Regularization and Expressive Body Poses", ACCV 2020). This module does that with a video of the
person (``--hand-exemplars``, e.g. the renderer's training video):

1. **Bank.** MediaPipe Holistic on every ``stride``-th frame; each hand it finds gives a square crop
   (``size`` pixels, side ``box_scale`` times the hand's bounding box, :mod:`render.regions`) and its
   21 landmarks in crop pixels. Of each side's hands only the sharpest ``sharp_fraction`` are kept
   (:func:`sharpness`: a waving hand is a smear in the video itself; on the Slovo sample the hands
   the shape chose first were in the blurrier half). Each hand also serves, mirrored, as the other
   side's hand. Its mask is the convex hull of its landmarks, grown by a tenth of the crop and
   feathered, times MediaPipe's selfie segmentation of its frame, so the wall behind a raised
   hand is not pasted with it.
2. **Choice.** Per frame and side, the exemplar whose hand shape is closest to the driving hand's
   (21 points relative to the wrist, rotated so the wrist-to-middle-knuckle line points one way and
   divided by its length: :func:`hand_shape`). The previous frame's exemplar is kept unless another
   is closer by more than ``switch_margin`` (relative), so the hand does not flicker between
   near-equal exemplars.
3. **Paste.** The least-squares similarity from the exemplar's landmarks to the driving ones
   (:func:`render.geometry.fit_similarity`) warps the crop and its mask into the frame, blended
   over the rendered pixels.

The finger pose is the exemplar's nearest one, not the driving one: the re-detected hand
landmarks' error against the driving ones (``render animate --report``) measures the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from motiongen.core.holistic_layout import PART_SLICES
from render.errors import RenderError
from render.geometry import fit_similarity
from render.regions import HANDS, crop_regions, hand_boxes, to_crop

WRIST, MIDDLE_KNUCKLE = 0, 9   # rows of MediaPipe's 21 hand landmarks


@dataclass
class HandBank:
    """Exemplar hands.

    Attributes:
        crops: ``(N, S, S, 3)`` uint8 RGB crops.
        points: ``(N, 21, 2)`` the hand's landmarks in crop pixels.
        masks: ``(N, S, S)`` float32 blend weights in ``[0, 1]`` (the hand in the crop).
        sides: ``(N,)`` 0 for a left hand, 1 for a right hand (after mirroring).
        mirrored: ``(N,)`` True where the crop is the other side's hand flipped.
        source: where the exemplars come from (for reports).
        frames: how many frames were searched for hands.
        detected: per side (``left_hand``, ``right_hand``), the frames MediaPipe found that hand
            on, before the sharpness cut: the share a real video of the person reaches, beside
            which the hands re-detected on a rendering can be read.
    """

    crops: np.ndarray
    points: np.ndarray
    masks: np.ndarray
    sides: np.ndarray
    mirrored: np.ndarray
    source: str = ""
    frames: int = 0
    detected: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Exemplars per side, as found (not mirrored) and kept."""
        return {hand: int(((self.sides == side) & ~self.mirrored).sum()) for side, hand in enumerate(HANDS)}


def sharpness(crops: np.ndarray, hulls: np.ndarray) -> np.ndarray:
    """``(N,)`` focus measure of each crop ``(N, S, S, 3)``: the variance of the Laplacian of its
    grey levels inside the hand (``hulls`` ``(N, S, S)``, :func:`hull_mask`, above 0.5)."""
    values = []
    for crop, hull in zip(crops, hulls):
        laplacian = cv2.Laplacian(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F)
        values.append(laplacian[hull > 0.5].var())
    return np.array(values)


def build_hand_bank(frames: np.ndarray, landmarks: np.ndarray, person: np.ndarray | None = None, size: int = 128,
                    box_scale: float = 2.0, sharp_fraction: float = 0.5, source: str = "") -> HandBank:
    """Exemplars of the sharpest hands the landmarks have, each also mirrored as the other side's.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB.
        landmarks: ``(T, 543, 2+)`` normalised Holistic landmarks of ``frames``, NaN where missing.
        person: ``(T, H, W)`` probability in ``[0, 1]`` that a pixel is the person (none: the hull
            mask alone).
        size: crop side in pixels; box_scale: crop side over the hand's bounding-box side.
        sharp_fraction: the share of each side's hands kept, the sharpest (at least one).
    """
    image_size = frames.shape[1:3]
    boxes = hand_boxes(landmarks, image_size, box_scale)                          # (T, 2, 3)
    crops, points, masks, sides, detected = [], [], [], [], {}
    for side, hand in enumerate(HANDS):
        rows = np.flatnonzero(np.isfinite(landmarks[:, PART_SLICES[hand], :2]).all((1, 2)))
        detected[hand] = int(len(rows))
        if not len(rows):
            continue
        side_crops = crop_regions(frames[rows], boxes[rows, side], size)
        side_points = to_crop(landmarks[rows, :, :2], boxes[rows, side], image_size)[:, PART_SLICES[hand]] * size
        hulls = np.stack([hull_mask(hand_points, size) for hand_points in side_points])
        keep = np.argsort(-sharpness(side_crops, hulls), kind="stable")[:max(1, round(sharp_fraction * len(rows)))]
        keep = np.sort(keep)
        side_masks = hulls[keep]
        if person is not None:
            layers = np.repeat(np.round(255 * person[rows[keep]]).astype(np.uint8)[..., None], 3, -1)
            side_masks *= crop_regions(layers, boxes[rows[keep], side], size)[..., 0] / np.float32(255)
        crops.append(side_crops[keep])
        points.append(side_points[keep])
        masks.append(side_masks)
        sides.append(np.full(len(keep), side))
    if not crops:
        raise RenderError(f"no hand found in the hand exemplars {source or 'frames'}")
    crops, points, masks, sides = (np.concatenate(parts) for parts in (crops, points, masks, sides))
    flipped = points.copy()
    flipped[..., 0] = size - flipped[..., 0]
    return HandBank(np.concatenate([crops, crops[:, :, ::-1]]), np.concatenate([points, flipped]).astype(np.float64),
                    np.concatenate([masks, masks[:, :, ::-1]]), np.concatenate([sides, 1 - sides]),
                    np.repeat([False, True], len(sides)), source, len(frames), detected)


def read_hand_bank(video: str | Path, stride: int = 1, size: int = 128, box_scale: float = 2.0,
                   sharp_fraction: float = 0.5) -> HandBank:
    """:func:`build_hand_bank` of every ``stride``-th frame of ``video`` (MediaPipe Holistic, and
    MediaPipe's selfie segmentation for the person's pixels)."""
    from motiongen.core.errors import InputFileError
    from motiongen.formats.video import iter_video_frames
    from render.redetect import redetect

    path = Path(video).expanduser()
    if not path.is_file():
        raise RenderError(f"hand exemplar video {path} does not exist")
    try:   # only the frames used are kept: a long video at full resolution would not fit in memory
        frames = [frame for index, frame in enumerate(iter_video_frames(path)) if index % stride == 0]
    except InputFileError as error:
        raise RenderError(str(error)) from None
    if not frames:
        raise RenderError(f"hand exemplar video {path} has no frames")
    frames = np.stack(frames)
    from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation

    with SelfieSegmentation(model_selection=0) as segmenter:
        person = np.stack([segmenter.process(frame).segmentation_mask for frame in frames])
    return build_hand_bank(frames, redetect(frames, consecutive=stride == 1), person, size, box_scale, sharp_fraction,
                           str(path))


def hand_shape(points: np.ndarray) -> np.ndarray:
    """``(N, 21, 2)`` hand landmarks → ``(N, 42)``: relative to the wrist, rotated so the
    wrist-to-middle-knuckle line points along +y, divided by its length (a mirror image differs
    in the sign of x, so a left hand does not match a right one)."""
    offsets = points - points[:, WRIST:WRIST + 1]
    direction = offsets[:, MIDDLE_KNUCKLE]
    length = np.maximum(np.linalg.norm(direction, axis=-1), 1e-9)
    cos, sin = direction[:, 1] / length, direction[:, 0] / length
    x = offsets[..., 0] * cos[:, None] - offsets[..., 1] * sin[:, None]
    y = offsets[..., 0] * sin[:, None] + offsets[..., 1] * cos[:, None]
    return (np.stack([x, y], -1) / length[:, None, None]).reshape(len(points), -1)


def choose_exemplars(distance: np.ndarray, switch_margin: float = 0.2) -> np.ndarray:
    """Per frame, the exemplar of ``distance`` ``(F, N)``: the closest, except that the previous
    frame's is kept while it is within ``1 + switch_margin`` of the closest."""
    best = distance.argmin(1)
    choice = best.copy()
    for frame in range(1, len(distance)):
        kept = choice[frame - 1]
        if distance[frame, kept] <= (1 + switch_margin) * distance[frame, best[frame]]:
            choice[frame] = kept
    return choice


def hull_mask(points: np.ndarray, size: int) -> np.ndarray:
    """``(size, size)`` float32 mask: the convex hull of ``points`` ``(21, 2)`` grown by a tenth of
    ``size`` and feathered."""
    mask = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1.0)
    grow = max(3, round(size / 10)) | 1
    mask = cv2.dilate(mask, np.ones((grow, grow), np.uint8))
    return cv2.GaussianBlur(mask, (0, 0), size / 32)


def paste_hand_exemplars(frames: np.ndarray, landmarks: np.ndarray, bank: HandBank,
                         switch_margin: float = 0.2) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """Blend the chosen exemplar over each hand the driving ``landmarks`` have.

    Args:
        frames: ``(F, H, W, 3)`` uint8 rendered frames.
        landmarks: ``(F, 543, 2)`` normalised driving landmarks.

    Returns:
        The frames with the hands pasted; per side the number of frames pasted (a side with no
        exemplar, found or mirrored, is left as rendered and counts 0); per side the number of
        distinct exemplars pasted (1 is a hand held in one pose for the whole video).
    """
    height, width = frames.shape[1:3]
    out = frames.copy()
    pasted, used = {}, {}
    for side, hand in enumerate(HANDS):
        target = landmarks[:, PART_SLICES[hand], :2] * [width, height]            # (F, 21, 2) pixels
        rows = np.flatnonzero(np.isfinite(target).all((1, 2)))
        candidates = np.flatnonzero(bank.sides == side)
        pasted[hand] = int(len(rows)) if len(candidates) else 0
        used[hand] = 0
        if not len(rows) or not len(candidates):
            continue
        distance = np.square(hand_shape(target[rows])[:, None] - hand_shape(bank.points[candidates])[None]).sum(-1)
        chosen = candidates[choose_exemplars(distance, switch_margin)]
        used[hand] = int(len(np.unique(chosen)))
        matrix, shift = (t.numpy() for t in fit_similarity(torch.from_numpy(bank.points[chosen]), torch.from_numpy(target[rows]),
                                                            torch.ones(len(rows), 21, dtype=torch.float64)))
        for row, index, scale_rotation, offset in zip(rows, chosen, matrix, shift):
            affine = np.concatenate([scale_rotation, offset[:, None]], 1)
            warped = cv2.warpAffine(bank.crops[index], affine, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
            alpha = cv2.warpAffine(bank.masks[index], affine, (width, height), flags=cv2.INTER_LINEAR)[..., None]
            out[row] = np.round(alpha * warped + (1 - alpha) * out[row]).astype(np.uint8)
    return out, pasted, used

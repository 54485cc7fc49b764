"""Image and video metrics on frames in ``[0, 1]``.

PSNR and SSIM come from torchmetrics (Gaussian 11 x 11 window, sigma 1.5 — the usual SSIM
definition); L1 is the mean absolute error; the flicker error compares the frame-to-frame change
of the rendered video with that of the reference video. All take ``(N, 3, H, W)`` float tensors.
:func:`redetection_scores` compares landmarks MediaPipe finds on rendered frames with the driving
ones, :func:`hand_redetection_scores` the hands MediaPipe's Hands solution finds; LPIPS is in
:mod:`render.lpips`.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from motiongen.core.holistic_layout import HAND_PARTS, PART_SLICES, PARTS, landmark_index
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

SHOULDERS = (landmark_index("pose.left_shoulder"), landmark_index("pose.right_shoulder"))
POSE_WRISTS = (landmark_index("pose.left_wrist"), landmark_index("pose.right_wrist"))   # in HAND_PARTS order
#: A hand found counts for a driving hand when its wrist is within this many shoulder widths of
#: the driving pose wrist (a hand is about 0.25 long from wrist to middle knuckle).
HAND_MATCH_RADIUS = 0.5


def _check_pair(prediction: torch.Tensor, target: torch.Tensor) -> None:
    if prediction.shape != target.shape or prediction.ndim != 4:
        raise ValueError(f"expected two (N, C, H, W) tensors of one shape, got {tuple(prediction.shape)} and {tuple(target.shape)}")


def psnr(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame PSNR in dB, ``(N,)``, for images with data range 1."""
    _check_pair(prediction, target)
    return peak_signal_noise_ratio(prediction, target, data_range=1.0, reduction="none", dim=(1, 2, 3))


def ssim(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame SSIM, ``(N,)`` (differentiable, also used as a training loss)."""
    _check_pair(prediction, target)
    return structural_similarity_index_measure(prediction, target, data_range=1.0, reduction="none")


def l1(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame mean absolute error, ``(N,)``."""
    _check_pair(prediction, target)
    return (prediction - target).abs().flatten(1).mean(1)


def flicker(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Temporal flicker error of consecutive frames, ``(N - 1,)``.

    Mean absolute difference between the rendered and the reference frame-to-frame changes
    ``|(p[t+1] - p[t]) - (y[t+1] - y[t])|``: zero when the video changes exactly as the reference
    does, large when it shimmers where the reference is still.
    """
    _check_pair(prediction, target)
    if prediction.shape[0] < 2:
        raise ValueError("flicker needs at least two consecutive frames")
    return ((prediction[1:] - prediction[:-1]) - (target[1:] - target[:-1])).abs().flatten(1).mean(1)


def redetection_scores(detected: np.ndarray, driving: np.ndarray, image_size: tuple[int, int]) -> dict[str, dict[str, float]]:
    """Landmarks re-detected on rendered frames against the driving landmarks, per part.

    Args:
        detected, driving: ``(N, 543, 2)`` normalised positions (x by width, y by height), NaN
            where missing.
        image_size: ``(height, width)`` of the rendered frames in pixels.

    Returns:
        Per part (``pose``, ``face``, ``left_hand``, ``right_hand``): ``found`` — the fraction of
        the frames where the driving landmarks have that part on which it was re-detected;
        ``frames`` — how many such frames; ``pixels`` — mean distance in pixels over landmarks
        present in both; ``shoulder_widths`` — the same per frame divided by the driving
        shoulder width (pose landmarks 11 and 12) and averaged (NaN when nothing matched).
    """
    if detected.shape != driving.shape:
        raise ValueError(f"landmark arrays differ in shape: {detected.shape} vs {driving.shape}")
    height, width = image_size
    scale = np.array([width, height], dtype=np.float64)
    shoulders = (driving[:, SHOULDERS[0], :2] - driving[:, SHOULDERS[1], :2]) * scale
    shoulder_width = np.linalg.norm(shoulders, axis=-1)                                # (N,), NaN if missing
    scores = {}
    for part in PARTS:
        part_slice = PART_SLICES[part]
        found_d = np.isfinite(detected[:, part_slice, :2]).all(-1)
        found_t = np.isfinite(driving[:, part_slice, :2]).all(-1)
        wanted = found_t.any(1)
        both = found_d & found_t
        distance = np.linalg.norm((detected[:, part_slice, :2] - driving[:, part_slice, :2]) * scale, axis=-1)
        per_frame = np.where(both.any(1), np.where(both, distance, 0).sum(1) / np.maximum(both.sum(1), 1), np.nan)
        matched = np.isfinite(per_frame)
        relative = per_frame / shoulder_width
        scores[part] = {
            "found": float(found_d.any(1)[wanted].mean()) if wanted.any() else float("nan"),
            "frames": int(wanted.sum()),
            "pixels": float(distance[both].mean()) if both.any() else float("nan"),
            "shoulder_widths": float(np.nanmean(relative[matched])) if np.isfinite(relative[matched]).any() else float("nan"),
        }
    return scores


def hand_visibility(landmarks: np.ndarray, image_size: tuple[int, int]) -> dict[str, dict[str, float]]:
    """What the driving hands give a detector to find, per hand, on ``(N, 543, 2)`` normalised
    landmarks drawn on frames of ``image_size`` ``(height, width)``: ``present`` — the fraction
    of frames with that hand; ``inside`` — the fraction of those with all 21 landmarks inside
    the frame; ``length_px`` — the median wrist to middle-knuckle length in pixels (a hand
    pointing at the camera is short); ``length_shoulder_widths`` — the same over the median
    shoulder width."""
    height, width = image_size
    scale = np.array([width, height], dtype=np.float64)
    shoulder = float(np.nanmedian(np.linalg.norm((landmarks[:, SHOULDERS[0], :2] - landmarks[:, SHOULDERS[1], :2]) * scale, axis=-1)))
    scores = {}
    for part in ("left_hand", "right_hand"):
        hand = landmarks[:, PART_SLICES[part], :2] * scale                                   # (N, 21, 2)
        present = np.isfinite(hand).all((1, 2))
        inside = ((hand >= 0) & (hand < scale)).all((1, 2))
        length = np.linalg.norm(hand[:, 9] - hand[:, 0], axis=-1)[present]
        median = float(np.median(length)) if len(length) else float("nan")
        scores[part] = {"present": float(present.mean()) if len(present) else float("nan"),
                        "inside": float(inside[present].mean()) if present.any() else float("nan"),
                        "length_px": median, "length_shoulder_widths": median / shoulder if shoulder > 0 else float("nan")}
    return scores


def assign_hands(hands: np.ndarray, driving: np.ndarray, image_size: tuple[int, int],
                 radius: float = HAND_MATCH_RADIUS) -> np.ndarray:
    """Hands found without a body (:func:`render.redetect.redetect_hands`) given to the driving
    hands, in the Holistic layout.

    Args:
        hands: ``(N, K, 21, 2)`` normalised landmarks of up to ``K`` hands per frame, NaN in empty slots.
        driving: ``(N, 543, 2)`` normalised driving landmarks (their pose wrists and shoulders are used).
        image_size: ``(height, width)`` of the frames in pixels.
        radius: the largest wrist-to-wrist distance, in driving shoulder widths, of a match.

    Returns:
        ``(N, 543, 2)``, NaN except the ``left_hand`` / ``right_hand`` blocks of the driving hands
        matched: one-to-one, the pairing with the least total wrist distance
        (``scipy.optimize.linear_sum_assignment``), pairs farther than ``radius`` dropped.
    """
    height, width = image_size
    scale = np.array([width, height], dtype=np.float64)
    wrists = driving[:, list(POSE_WRISTS), :2] * scale                                          # (N, 2, 2)
    shoulder = np.linalg.norm((driving[:, SHOULDERS[0], :2] - driving[:, SHOULDERS[1], :2]) * scale, axis=-1)
    distance = np.linalg.norm(hands[:, None, :, 0] * scale - wrists[:, :, None], axis=-1) / shoulder[:, None, None]
    out = np.full((len(driving), driving.shape[1], 2), np.nan)
    for frame in np.flatnonzero(np.isfinite(distance).any((1, 2))):      # at most 2 x K per frame
        cost = np.nan_to_num(distance[frame], nan=1e9)                      # the solver needs finite costs
        for side, slot in zip(*linear_sum_assignment(cost)):
            if cost[side, slot] <= radius:
                out[frame, PART_SLICES[HAND_PARTS[side]]] = hands[frame, slot]
    return out


def hand_redetection_scores(hands: np.ndarray, driving: np.ndarray, image_size: tuple[int, int],
                            radius: float = HAND_MATCH_RADIUS) -> dict[str, dict[str, float]]:
    """:func:`redetection_scores` of the ``left_hand`` and ``right_hand`` parts for hands found
    without a body (``hands`` ``(N, K, 21, 2)``), each matched to a driving hand by
    :func:`assign_hands`: ``found`` counts a driving hand only where a hand was found at its wrist."""
    scores = redetection_scores(assign_hands(hands, driving, image_size, radius), driving, image_size)
    return {part: scores[part] for part in HAND_PARTS}

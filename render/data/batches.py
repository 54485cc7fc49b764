"""Training batches as a pure function of (seed, step): exact resume and identical runs.

A batch pairs each video's reference frame (the source) with driving frames drawn from its
training frames; the driving landmarks are drawn as the conditioning image (optionally with a
fraction of landmarks dropped, BiMoDiCA's 15 % keypoint dropout) and, for the keypoint renderer,
selected as keypoints in ``grid_sample`` coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import IterableDataset

from render.conditioning.keypoints import keypoint_indices, to_grid
from render.conditioning.rasterise import draw_landmarks
from render.data.videos import VideoClip, split_frames


def to_tensor_images(frames: np.ndarray) -> torch.Tensor:
    """uint8 ``(..., H, W, 3)`` → float ``(..., 3, H, W)`` in ``[0, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(frames)).movedim(-1, -3).float().div(255)


class FramePairs:
    """Source/driving pairs of prepared videos.

    Args:
        clips: prepared videos (all at one size).
        holdout_every: hold out every n-th frame (0: none).
        keypoint_dropout: probability of dropping each landmark from the drawn condition.
        face_stride: keypoint subset (see :func:`keypoint_indices`).
    """

    def __init__(self, clips: list[VideoClip], holdout_every: int, keypoint_dropout: float = 0.0, face_stride: int = 4):
        self.clips = clips
        self.height, self.width = clips[0].frames.shape[1:3]
        self.splits = [split_frames(len(clip.frames), holdout_every) for clip in clips]
        self.keypoint_dropout = keypoint_dropout
        self.indices = keypoint_indices(face_stride)

    @property
    def num_keypoints(self) -> int:
        return len(self.indices)

    def pairs(self, clip_ids: np.ndarray, frame_ids: np.ndarray, rng: np.random.Generator | None = None) -> dict[str, torch.Tensor]:
        """Batch for driving frames ``frame_ids`` of clips ``clip_ids`` (any leading shape ``S``).

        Returns ``source`` ``(B, 3, H, W)`` (one per leading row), ``target`` and ``condition``
        ``(*S, 3, H, W)``, ``source_kp``/``driving_kp`` ``(*S, K, 2)``, ``valid`` ``(*S, K)``.
        """
        shape = frame_ids.shape
        clip_ids = np.broadcast_to(clip_ids.reshape(clip_ids.shape + (1,) * (len(shape) - clip_ids.ndim)), shape)
        references = np.array([self.clips[c].reference for c in clip_ids.reshape(-1)]).reshape(shape)
        frames = np.stack([self.clips[c].frames[f] for c, f in zip(clip_ids.reshape(-1), frame_ids.reshape(-1))])
        landmarks = np.stack([self.clips[c].landmarks[f] for c, f in zip(clip_ids.reshape(-1), frame_ids.reshape(-1))])
        source_landmarks = np.stack([self.clips[c].landmarks[r] for c, r in zip(clip_ids.reshape(-1), references.reshape(-1))])
        drawn = landmarks[..., :2].copy()
        if rng is not None and self.keypoint_dropout > 0:
            drawn[rng.random(drawn.shape[:2]) < self.keypoint_dropout] = np.nan
        condition = draw_landmarks(drawn, self.height, self.width)
        source_kp = to_grid(source_landmarks, self.indices)
        driving_kp = to_grid(landmarks, self.indices)
        valid = np.isfinite(source_kp).all(-1) & np.isfinite(driving_kp).all(-1)
        first = (slice(None),) + (0,) * (len(shape) - 1)
        sources = np.stack([self.clips[c].frames[r] for c, r in zip(clip_ids[first], references[first])])
        return {
            "source": to_tensor_images(sources),
            "target": to_tensor_images(frames.reshape(shape + frames.shape[1:])),
            "condition": to_tensor_images(condition.reshape(shape + condition.shape[1:])),
            "source_kp": torch.from_numpy(np.nan_to_num(source_kp).reshape(shape + source_kp.shape[1:])),
            "driving_kp": torch.from_numpy(np.nan_to_num(driving_kp).reshape(shape + driving_kp.shape[1:])),
            "valid": torch.from_numpy(valid.reshape(shape + valid.shape[1:])),
        }

    def training_batch(self, seed: int, step: int, batch_size: int, num_frames: int = 0) -> dict[str, torch.Tensor]:
        """Random training batch of step ``step`` (single frames, or ``num_frames`` consecutive
        training frames per row when ``num_frames`` > 0)."""
        rng = np.random.default_rng([seed, step])
        lengths = np.array([len(train) for train, _ in self.splits])
        clip_ids = rng.choice(len(self.clips), size=batch_size, p=lengths / lengths.sum())
        if num_frames:
            starts = [rng.integers(0, max(len(self.splits[c][0]) - num_frames, 0) + 1) for c in clip_ids]
            frame_ids = np.stack([self.splits[c][0][s:s + num_frames] for c, s in zip(clip_ids, starts)])
        else:
            frame_ids = np.array([rng.choice(self.splits[c][0]) for c in clip_ids])
        return self.pairs(clip_ids, frame_ids, rng)

    def held_out(self) -> dict[str, torch.Tensor]:
        """All held-out frames of all clips (no keypoint dropout)."""
        clip_ids = np.concatenate([np.full(len(held), c) for c, (_, held) in enumerate(self.splits)])
        frame_ids = np.concatenate([held for _, held in self.splits])
        if not len(frame_ids):
            raise ValueError("no held-out frames (set data.holdout_every > 0)")
        return self.pairs(clip_ids, frame_ids)


class StepBatches(IterableDataset):
    """Endless batches ``training_batch(seed, step)`` from ``start_step()`` on (read when iteration
    starts, i.e. after a checkpoint was restored)."""

    def __init__(self, pairs: FramePairs, seed: int, batch_size: int, start_step: Callable[[], int], num_frames: int = 0):
        self.pairs = pairs
        self.seed = seed
        self.batch_size = batch_size
        self.start_step = start_step
        self.num_frames = num_frames

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        step = self.start_step()
        while True:
            yield self.pairs.training_batch(self.seed, step, self.batch_size, self.num_frames)
            step += 1

"""Training batches as a pure function of (seed, step): exact resume and identical runs.

A batch pairs each video's reference frame (the source) with driving frames drawn from its
training frames; the driving landmarks are drawn as the conditioning image (optionally with a
fraction of landmarks dropped, BiMoDiCA's 15 % keypoint dropout) and, for the keypoint renderer,
selected as keypoints in ``grid_sample`` coordinates. With a face path, each row also carries the
face crops of the reference and driving frames with their landmarks in crop coordinates
(``face_*`` keys; rows whose driving frame has no face are marked by ``face_present``); with a
hand path, both hands' crops likewise (``hand_*`` keys, two rows per driving frame: left, right;
``hand_present`` marks the rows whose driving frame has that hand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import IterableDataset

from render.conditioning.keypoints import face_keypoint_indices, hand_keypoint_indices, keypoint_indices, to_grid
from render.conditioning.mouth import face_conditions, mouth_regions
from render.conditioning.rasterise import draw_landmarks
from render.data.lip_augment import open_mouth
from render.data.videos import VideoClip, split_frames
from render.regions import HANDS, REGIONS, to_crop


def to_tensor_images(frames: np.ndarray) -> torch.Tensor:
    """uint8 ``(..., H, W, 3)`` → float ``(..., 3, H, W)`` in ``[0, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(frames)).movedim(-1, -3).float().div(255)


def region_tensors(prefix: str, sources: list, targets: list, conditions: list, source_kp: list, driving_kp: list,
                   present: list) -> dict[str, torch.Tensor]:
    """A region path's batch entries ``<prefix>_source``/``_target``/``_condition`` (images),
    ``_source_kp``/``_driving_kp`` (NaN → 0), ``_valid`` (both keypoints known) and ``_present``,
    from per-row lists of crops ``(C, C, 3)``, keypoints ``(K, 2)`` and presence flags."""
    source_kp, driving_kp = np.stack(source_kp), np.stack(driving_kp)
    valid = np.isfinite(source_kp).all(-1) & np.isfinite(driving_kp).all(-1)
    return {f"{prefix}_source": to_tensor_images(np.stack(sources)), f"{prefix}_target": to_tensor_images(np.stack(targets)),
            f"{prefix}_condition": to_tensor_images(np.stack(conditions)),
            f"{prefix}_source_kp": torch.from_numpy(np.nan_to_num(source_kp)),
            f"{prefix}_driving_kp": torch.from_numpy(np.nan_to_num(driving_kp)),
            f"{prefix}_valid": torch.from_numpy(valid), f"{prefix}_present": torch.tensor(present)}


class FramePairs:
    """Source/driving pairs of prepared videos.

    Args:
        clips: prepared videos (all at one size).
        holdout_every: hold out every n-th frame (0: none).
        keypoint_dropout: probability of dropping each landmark from the drawn condition.
        face_stride: keypoint subset (see :func:`keypoint_indices`).
        holdout_tail: hold out the last fraction of every video (the contiguous split).
        face_keypoint_stride: keypoints of the face path (:func:`face_keypoint_indices`); None
            leaves the face crops out of the batches.
        mouth_channel: the face condition carries the inner-lip opening as a fourth channel
            (:func:`render.conditioning.mouth.face_conditions`).
        lip_augment: probability that a training face crop gets its mouth opened
            (:func:`render.data.lip_augment.open_mouth`) by a ``jawOpen`` weight drawn uniformly
            from ``[0, max_jaw_open]``.
        hands: add the hand path's crops (the clips must carry ``hands``) to the batches.
    """

    def __init__(self, clips: list[VideoClip], holdout_every: int, keypoint_dropout: float = 0.0, face_stride: int = 4,
                 holdout_tail: float = 0.0, face_keypoint_stride: int | None = None, mouth_channel: bool = False,
                 lip_augment: float = 0.0, max_jaw_open: float = 0.65, hands: bool = False):
        self.clips = clips
        self.height, self.width = clips[0].frames.shape[1:3]
        self.splits = [split_frames(len(clip.frames), holdout_every, holdout_tail) for clip in clips]
        self.keypoint_dropout = keypoint_dropout
        self.indices = keypoint_indices(face_stride)
        self.face_indices = face_keypoint_indices(face_keypoint_stride) if face_keypoint_stride else None
        self.mouth_channel = mouth_channel
        self.lip_augment = lip_augment
        self.max_jaw_open = max_jaw_open
        self.hand_indices = hand_keypoint_indices() if hands else None
        if hands and any(clip.hands is None for clip in clips):
            raise ValueError("the hand path needs clips prepared with hand crops (prepare_video(hand_size > 0))")

    @property
    def num_keypoints(self) -> int:
        return len(self.indices)

    @property
    def num_face_keypoints(self) -> int:
        return len(self.face_indices) if self.face_indices is not None else 0

    def face_pairs(self, clip_ids: np.ndarray, frame_ids: np.ndarray, drawn: np.ndarray,
                   rng: np.random.Generator | None = None) -> dict[str, torch.Tensor]:
        """Face-path rows for flat ``clip_ids``/``frame_ids`` ``(B,)``; ``drawn`` ``(B, 543, 2)``
        are the (possibly dropped-out) driving landmarks to draw; with ``rng`` (training) the
        lip-gap augmentation applies. ``face_mouth`` ``(B, 1, C, C)`` is the mouth region of each
        driving crop (:func:`render.conditioning.mouth.mouth_regions`)."""
        faces, sources, source_kp, driving_kp, conditions, present, mouths = [], [], [], [], [], [], []
        for row, (c, f) in enumerate(zip(clip_ids, frame_ids)):
            clip = self.clips[c]
            size = clip.faces.shape[1]
            image_size = clip.reference_image.shape[:2]
            box = clip.face_boxes[f:f + 1]
            present.append(bool(np.isfinite(box).all()))
            box = box if present[-1] else clip.face_boxes[clip.reference:clip.reference + 1]
            face = clip.faces[f] if present[-1] else clip.faces[clip.reference]
            sources.append(clip.faces[clip.reference])
            driving = to_crop(clip.landmarks[f:f + 1, :, :2], box, image_size)[0]
            condition = to_crop(drawn[row:row + 1], box, image_size)[0]
            if rng is not None and self.lip_augment > 0 and rng.random() < self.lip_augment:
                face, opened = open_mouth(face, driving, rng.uniform(0, self.max_jaw_open))
                condition = condition + (opened - driving)      # the same motion for the drawn landmarks
                driving = opened
            faces.append(face)
            source_kp.append(to_grid(to_crop(clip.landmarks[clip.reference:clip.reference + 1, :, :2],
                                             clip.face_boxes[clip.reference:clip.reference + 1], image_size)[0], self.face_indices))
            driving_kp.append(to_grid(driving, self.face_indices))
            conditions.append(face_conditions(condition[None], size, self.mouth_channel)[0])
            mouths.append(mouth_regions(driving[None], size, size)[0])
        return region_tensors("face", sources, faces, conditions, source_kp, driving_kp, present) | {
            "face_mouth": torch.from_numpy(np.stack(mouths))[:, None]}

    @property
    def num_hand_keypoints(self) -> int:
        return len(self.hand_indices) if self.hand_indices is not None else 0

    def hand_pairs(self, clip_ids: np.ndarray, frame_ids: np.ndarray, drawn: np.ndarray) -> dict[str, torch.Tensor]:
        """Hand-path rows for flat ``clip_ids``/``frame_ids`` ``(B,)``: ``2 B`` rows, each driving
        frame's left then right hand crop. ``drawn`` ``(B, 543, 2)`` are the driving landmarks to
        draw (in crop coordinates, the whole skeleton: an arm or the other hand entering the crop
        is drawn too). A row whose frame lacks that hand gets the reference crop as its target
        and ``hand_present`` False (left out of the loss)."""
        sources, targets, source_kp, driving_kp, conditions, present = [], [], [], [], [], []
        for row, (c, f) in enumerate(zip(clip_ids, frame_ids)):
            clip = self.clips[c]
            size = clip.hands.shape[2]
            image_size = clip.reference_image.shape[:2]
            reference = clip.reference
            for side, hand in enumerate(HANDS):
                found = bool(np.isfinite(clip.landmarks[f, REGIONS[hand], :2]).all())
                frame = f if found else reference
                box = clip.hand_boxes[frame:frame + 1, side]
                present.append(found)
                sources.append(clip.hands[reference, side])
                targets.append(clip.hands[frame, side])
                source_kp.append(to_grid(to_crop(clip.landmarks[reference:reference + 1, :, :2],
                                                 clip.hand_boxes[reference:reference + 1, side], image_size)[0], self.hand_indices))
                driving_kp.append(to_grid(to_crop(clip.landmarks[frame:frame + 1, :, :2], box, image_size)[0], self.hand_indices))
                conditions.append(draw_landmarks(to_crop(drawn[row:row + 1], box, image_size), size, size)[0])
        return region_tensors("hand", sources, targets, conditions, source_kp, driving_kp, present)

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
        batch = self.face_pairs(clip_ids.reshape(-1), frame_ids.reshape(-1), drawn, rng) if self.face_indices is not None and len(shape) == 1 else {}
        if self.hand_indices is not None and len(shape) == 1:
            batch |= self.hand_pairs(clip_ids, frame_ids, drawn)
        return batch | {
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
        lengths = np.array([len(split.train) for split in self.splits])
        clip_ids = rng.choice(len(self.clips), size=batch_size, p=lengths / lengths.sum())
        if num_frames:
            starts = [rng.integers(0, max(len(self.splits[c].train) - num_frames, 0) + 1) for c in clip_ids]
            frame_ids = np.stack([self.splits[c].train[s:s + num_frames] for c, s in zip(clip_ids, starts)])
        else:
            frame_ids = np.array([rng.choice(self.splits[c].train) for c in clip_ids])
        return self.pairs(clip_ids, frame_ids, rng)

    def held_out(self) -> dict[str, torch.Tensor]:
        """All held-out frames (every split) of all clips (no keypoint dropout)."""
        clip_ids = np.concatenate([np.full(len(split.all_held), c) for c, split in enumerate(self.splits)])
        frame_ids = np.concatenate([split.all_held for split in self.splits])
        if not len(frame_ids):
            raise ValueError("no held-out frames (set data.holdout_every or data.holdout_tail > 0)")
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

"""A trained renderer (from its checkpoint or a module in memory) rendering landmark sequences.

The renderer takes the reference image at any resolution and aspect ratio and normalised
Holistic landmarks (x, y in ``[0, 1]`` of that image). The body is rendered at the trained size
(the long side kept, the other side following the reference's aspect ratio); a keypoint renderer
with a face path then up-samples the body frame by its ``output_scale`` and blends the face,
rendered in its own ``C x C`` crop around the face landmarks, back in (:mod:`render.regions`);
with a hand path, each hand the driving landmarks have is rendered in its own ``S x S`` crop and
blended in on top (frames without that hand keep the body's pixels there).
The diffusion renderer uses its EMA weights and DDIM.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from render.conditioning.keypoints import face_keypoint_indices, hand_keypoint_indices, keypoint_indices, to_grid
from render.conditioning.mouth import face_conditions
from render.conditioning.rasterise import draw_landmarks
from render.data.batches import to_tensor_images
from render.errors import RenderError
from render.regions import blend_mask, crop_regions, face_boxes, hand_boxes, paste_regions, to_crop


def body_size(trained: tuple[int, int], aspect: float, multiple: int = 8) -> tuple[int, int]:
    """``(height, width)`` for a reference of ``aspect`` (height / width): the trained size when
    the aspect matches it (within 1 %), else the trained long side with the other side following
    ``aspect``, both rounded to ``multiple``."""
    height, width = trained
    if abs(aspect / (height / width) - 1) < 0.01:
        return height, width
    long_side = max(height, width)
    if aspect >= 1:
        return long_side, max(multiple, round(long_side / aspect / multiple) * multiple)
    return max(multiple, round(long_side * aspect / multiple) * multiple), long_side


class Renderer:
    """``render(reference_image, reference_landmarks, landmarks)`` for a trained module.

    Args:
        module: :class:`KeypointModule` or :class:`DiffusionModule` (eval mode is set).
        info: the renderer description stored with the checkpoint (:func:`render.training.run.renderer_info`).
        hand_path: use the module's hand path when it has one (False: the body renderer draws the hands).
    """

    def __init__(self, module, info: dict, hand_path: bool = True):
        self.module = module.eval()
        self.info = info
        self.height, self.width = info["image_size"]
        self.indices = keypoint_indices(info["face_stride"])
        face = info.get("face") or {}
        self.face_size = int(face.get("size", 0)) if getattr(module, "face_renderer", None) is not None else 0
        self.face_scale = float(face.get("box_scale", 1.8))
        self.output_scale = int(face.get("output_scale", 1)) if self.face_size else 1
        self.face_indices = face_keypoint_indices(face.get("keypoint_stride", 2)) if self.face_size else None
        self.mouth_channel = bool(face.get("mouth_channel"))
        hands = info.get("hands") or {}
        self.hand_size = int(hands.get("size", 0)) if hand_path and getattr(module, "hand_renderer", None) is not None else 0
        self.hand_scale = float(hands.get("box_scale", 2.0))

    @property
    def kind(self) -> str:
        return self.info["kind"]

    def output_size(self, image_size: tuple[int, int]) -> tuple[int, int]:
        """``(height, width)`` of the frames rendered for a reference of ``image_size``."""
        height, width = body_size((self.height, self.width), image_size[0] / image_size[1])
        return height * self.output_scale, width * self.output_scale

    @torch.no_grad()
    def render(self, reference_image: np.ndarray, reference_landmarks: np.ndarray, landmarks: np.ndarray,
               steps: int = 20, seed: int = 0, chunk: int = 16, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Frames of the reference person in the driving landmarks.

        Args:
            reference_image: ``(H0, W0, 3)`` uint8, any size.
            reference_landmarks: ``(543, 2+)`` normalised landmarks of ``reference_image``.
            landmarks: ``(F, 543, 2)`` normalised driving landmarks.
            steps, seed: DDIM steps and noise seed (diffusion renderer).
            progress: called with the number of frames finished.

        Returns:
            ``(F, h, w, 3)`` uint8 frames, ``(h, w) = output_size(reference_image.shape[:2])``.
        """
        image_size = reference_image.shape[:2]
        height, width = body_size((self.height, self.width), image_size[0] / image_size[1])
        small = cv2.resize(reference_image, (width, height), interpolation=cv2.INTER_AREA)
        source = to_tensor_images(small)[None]
        conditions = to_tensor_images(draw_landmarks(landmarks, height, width))
        if self.kind == "diffusion":
            from render.models.diffusion.objective import sample_video

            model = self.module.hparams.model
            frames = sample_video(self.module.renderer, self.module.sample_scheduler, source[0], conditions, steps,
                                  model["window"], model["overlap"], torch.Generator().manual_seed(seed))
            if progress:
                progress(len(landmarks))
            return _to_uint8(frames)
        last = not self.face_size and not self.hand_size
        body = _to_uint8(self._keypoint_frames(self.module.renderer, source, reference_landmarks, landmarks, conditions,
                                               self.indices, chunk, progress if last else None))
        if last:
            return body
        out_h, out_w = height * self.output_scale, width * self.output_scale
        frames = np.stack([cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_CUBIC) for frame in body])
        if self.face_size:
            frames = self._paste_faces(frames, reference_image, reference_landmarks, landmarks, chunk,
                                       progress if not self.hand_size else None)
        if self.hand_size:
            frames = self._paste_hands(frames, reference_image, reference_landmarks, landmarks, chunk, progress)
        return frames

    def _paste_faces(self, frames: np.ndarray, reference_image: np.ndarray, reference_landmarks: np.ndarray,
                     landmarks: np.ndarray, chunk: int, progress: Callable[[int], None] | None) -> np.ndarray:
        """``frames`` ``(F, h, w, 3)`` with the face path's crops blended in."""
        image_size = reference_image.shape[:2]
        boxes = face_boxes(landmarks, image_size, self.face_scale)
        reference_box = face_boxes(reference_landmarks[None], image_size, self.face_scale)
        face_source = to_tensor_images(crop_regions(reference_image[None], reference_box, self.face_size))
        face_driving = to_crop(landmarks[..., :2], boxes, image_size)       # NaN on frames without a face
        face_reference = to_crop(reference_landmarks[None, :, :2], reference_box, image_size)
        conditions = to_tensor_images(face_conditions(face_driving, self.face_size, self.mouth_channel))
        faces = _to_uint8(self._keypoint_frames(self.module.face_renderer, face_source, face_reference[0], face_driving,
                                                conditions, self.face_indices, chunk, progress))
        return paste_regions(frames, faces, boxes, blend_mask(self.face_size))

    def _paste_hands(self, frames: np.ndarray, reference_image: np.ndarray, reference_landmarks: np.ndarray,
                     landmarks: np.ndarray, chunk: int, progress: Callable[[int], None] | None) -> np.ndarray:
        """``frames`` ``(F, h, w, 3)`` with each hand the driving ``landmarks`` have rendered in its
        crop (the reference's crop of that hand, or of its wrist when MediaPipe missed the hand
        there) and blended in with a feathered disc; frames without the hand are left as they are."""
        image_size = reference_image.shape[:2]
        size, indices = self.hand_size, hand_keypoint_indices()
        boxes = hand_boxes(landmarks, image_size, self.hand_scale)                              # (F, 2, 3), NaN: no hand
        reference_boxes = hand_boxes(reference_landmarks[None], image_size, self.hand_scale, fallback=True)[0]
        mask = blend_mask(size, (0.4, 0.4))
        for side in range(2):
            rows = np.flatnonzero(np.isfinite(boxes[:, side]).all(-1))
            if not len(rows) or not np.isfinite(reference_boxes[side]).all():
                continue
            source = to_tensor_images(crop_regions(reference_image[None], reference_boxes[None, side], size))
            reference = to_crop(reference_landmarks[None, :, :2], reference_boxes[None, side], image_size)[0]
            driving = to_crop(landmarks[rows, :, :2], boxes[rows, side], image_size)
            conditions = to_tensor_images(draw_landmarks(driving, size, size))
            hands = _to_uint8(self._keypoint_frames(self.module.hand_renderer, source, reference, driving, conditions, indices,
                                                    chunk, None))
            frames[rows] = paste_regions(frames[rows], hands, boxes[rows, side], mask)
        if progress:
            progress(len(landmarks))
        return frames

    @staticmethod
    def _keypoint_frames(network, source: torch.Tensor, reference_landmarks: np.ndarray, landmarks: np.ndarray,
                         conditions: torch.Tensor, indices: np.ndarray, chunk: int,
                         progress: Callable[[int], None] | None) -> torch.Tensor:
        source_kp = torch.from_numpy(to_grid(reference_landmarks[None], indices))
        driving_kp = torch.from_numpy(to_grid(landmarks, indices))
        valid = torch.isfinite(source_kp).all(-1) & torch.isfinite(driving_kp).all(-1)     # (F, K)
        source_kp, driving_kp = torch.nan_to_num(source_kp), torch.nan_to_num(driving_kp)
        pieces = []
        for start in range(0, len(landmarks), chunk):
            stop = min(start + chunk, len(landmarks))
            count = stop - start
            out = network(source.expand(count, -1, -1, -1), source_kp.expand(count, -1, -1), driving_kp[start:stop],
                          valid[start:stop], conditions[start:stop])
            pieces.append(out["prediction"])
            if progress:
                progress(stop)
        return torch.cat(pieces)


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    return (frames.clamp(0, 1) * 255).round().byte().movedim(1, -1).numpy()


class LoadedRenderer(Renderer):
    """:class:`Renderer` of a checkpoint of ``render train`` (``hand_path`` as for :class:`Renderer`)."""

    def __init__(self, checkpoint: str | Path, hand_path: bool = True):
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise RenderError(f"renderer checkpoint {path} does not exist")
        try:
            hparams = torch.load(path, map_location="cpu", weights_only=False)["hyper_parameters"]
        except (KeyError, RuntimeError, OSError) as error:
            raise RenderError(f"{path} is not a render checkpoint: {error}") from error
        info = hparams.get("info") or {}
        if info.get("kind") not in ("keypoint", "diffusion"):
            raise RenderError(f"{path} is not a render checkpoint (no renderer description)")
        if info["kind"] == "keypoint":
            from render.training.keypoint_module import KeypointModule

            module = KeypointModule.load_from_checkpoint(path, map_location="cpu")
        else:
            from render.training.diffusion_module import DiffusionModule

            model = dict(hparams["model"], stage1_checkpoint=None)
            module = DiffusionModule.load_from_checkpoint(path, map_location="cpu", model=model)
            module.ema.copy_to(module.renderer.trainable_parameters())
        super().__init__(module, info, hand_path)

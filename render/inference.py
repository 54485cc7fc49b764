"""A trained renderer loaded from its checkpoint, rendering landmark sequences frame by frame.

Both renderers take the reference image at the training size and normalised Holistic landmarks
(x, y in ``[0, 1]`` of that image); the diffusion renderer uses its EMA weights and DDIM.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from render.conditioning.keypoints import keypoint_indices, to_grid
from render.conditioning.rasterise import draw_landmarks
from render.data.batches import to_tensor_images
from render.errors import RenderError


class LoadedRenderer:
    """``render(reference, reference_landmarks, landmarks)`` for a checkpoint of ``render train``."""

    def __init__(self, checkpoint: str | Path):
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise RenderError(f"renderer checkpoint {path} does not exist")
        try:
            hparams = torch.load(path, map_location="cpu", weights_only=False)["hyper_parameters"]
        except (KeyError, RuntimeError, OSError) as error:
            raise RenderError(f"{path} is not a render checkpoint: {error}") from error
        self.info = hparams.get("info") or {}
        if self.info.get("kind") not in ("keypoint", "diffusion"):
            raise RenderError(f"{path} is not a render checkpoint (no renderer description)")
        self.height, self.width = self.info["image_size"]
        self.indices = keypoint_indices(self.info["face_stride"])
        if self.info["kind"] == "keypoint":
            from render.training.keypoint_module import KeypointModule

            self.module = KeypointModule.load_from_checkpoint(path, map_location="cpu")
        else:
            from render.training.diffusion_module import DiffusionModule

            model = dict(hparams["model"], stage1_checkpoint=None)
            self.module = DiffusionModule.load_from_checkpoint(path, map_location="cpu", model=model)
            self.module.ema.copy_to(self.module.renderer.trainable_parameters())
        self.module.eval()

    @property
    def kind(self) -> str:
        return self.info["kind"]

    @torch.no_grad()
    def render(self, reference: np.ndarray, reference_landmarks: np.ndarray, landmarks: np.ndarray,
               steps: int = 20, seed: int = 0, chunk: int = 16, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Frames of the reference person in the driving landmarks.

        Args:
            reference: ``(H, W, 3)`` uint8 at the training size.
            reference_landmarks: ``(543, 2+)`` normalised landmarks of ``reference``.
            landmarks: ``(F, 543, 2)`` normalised driving landmarks.
            steps, seed: DDIM steps and noise seed (diffusion renderer).
            progress: called with the number of frames finished.

        Returns:
            ``(F, H, W, 3)`` uint8 frames.
        """
        source = to_tensor_images(reference)[None]
        conditions = to_tensor_images(draw_landmarks(landmarks, self.height, self.width))
        if self.kind == "diffusion":
            from render.models.diffusion.objective import sample_video

            model = self.module.hparams.model
            frames = sample_video(self.module.renderer, self.module.sample_scheduler, source[0], conditions, steps,
                                  model["window"], model["overlap"], torch.Generator().manual_seed(seed))
            if progress:
                progress(len(landmarks))
        else:
            source_kp = torch.from_numpy(to_grid(reference_landmarks[None], self.indices))
            driving_kp = torch.from_numpy(to_grid(landmarks, self.indices))
            valid = torch.isfinite(source_kp).all(-1) & torch.isfinite(driving_kp).all(-1)     # (F, K)
            source_kp, driving_kp = torch.nan_to_num(source_kp), torch.nan_to_num(driving_kp)
            pieces = []
            for start in range(0, len(landmarks), chunk):
                stop = min(start + chunk, len(landmarks))
                count = stop - start
                out = self.module.renderer(source.expand(count, -1, -1, -1), source_kp.expand(count, -1, -1),
                                           driving_kp[start:stop], valid[start:stop], conditions[start:stop])
                pieces.append(out["prediction"])
                if progress:
                    progress(stop)
            frames = torch.cat(pieces)
        return (frames.clamp(0, 1) * 255).round().byte().movedim(1, -1).numpy()

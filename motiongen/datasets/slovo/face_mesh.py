"""A linear face-mesh model of the Slovo face block: expression weights -> MediaPipe face mesh.

The face block of :mod:`motiongen.datasets.slovo.motion` is nine ARKit-named weights; MediaPipe's
topology wants the 468 face-mesh points. This model maps the weights back to a mesh, fitted on the
real meshes of a corpus's training frames, and places it at a (generated) head.

Face frame (all model geometry): origin at the midpoint of the outer eye corners (face-mesh points
263 and 33), unit = their 3-D distance ("eye spans"), rolled in the image plane so the eye line is
horizontal (x towards the person's left eye outer corner as seen in the picture, y down, z as
MediaPipe's, scaled like x). The model holds, for ``W`` weights::

    mesh(w)    = mean_mesh    + (w - weight_mean) @ mesh_basis       (468, 3) eye spans
    anchors(w) = mean_anchors + (w - weight_mean) @ anchor_basis     (A, 2)   eye spans

``anchors`` are the pose landmarks of :data:`ANCHORS` (nose, eyes, ears, mouth corners; 2-D as the
generated body block) in the same frame: they tie the mesh to the pose the body block generates.
The fit is ridge regression on centred weights, accumulated video by video
(:class:`FaceMeshFit`: only sums of ``W + 1`` columns are kept, so a corpus of any size fits in a
few megabytes). It cannot express more than the weights say: identity is the corpus mean face,
expression is nine weights' worth, and the head's yaw/pitch are not generated (the placement is a
2-D similarity: scale, roll, translation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.holistic_layout import PART_SIZES, PART_SLICES, landmark_index

#: Pose landmarks the mesh is placed by (they are in the body block).
ANCHORS: tuple[str, ...] = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "mouth_left", "mouth_right")
FACE_POINTS = PART_SIZES["face"]
_EYE_OUTER_LEFT, _EYE_OUTER_RIGHT = 263, 33  # face-mesh indices; "left" = the person's left


def face_frames(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face mesh and pose anchors of each frame in the face frame (module docstring).

    Args:
        pixels: ``(T, 543, 3)`` Holistic landmarks in isotropic pixels
            (:func:`~motiongen.datasets.slovo.motion.to_pixels`), rows with a face.

    Returns:
        ``(mesh (T, 468, 3), anchors (T, A, 2))`` in eye spans.
    """
    face = pixels[:, PART_SLICES["face"]].astype(np.float64)
    left, right = face[:, _EYE_OUTER_LEFT], face[:, _EYE_OUTER_RIGHT]
    origin = 0.5 * (left + right)
    span = np.maximum(np.linalg.norm(left - right, axis=-1), 1e-9)
    eye = left[:, :2] - right[:, :2]
    angle = np.arctan2(eye[:, 1], eye[:, 0])
    cos, sin = np.cos(angle), np.sin(angle)
    unroll = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)  # (T, 2, 2): rotate by -angle
    centred = (face - origin[:, None]) / span[:, None, None]
    mesh = np.concatenate([np.einsum("tij,tpj->tpi", unroll, centred[..., :2]), centred[..., 2:]], axis=-1)
    pose = pixels[:, [landmark_index(f"pose.{name}") for name in ANCHORS], :2].astype(np.float64)
    anchors = np.einsum("tij,tpj->tpi", unroll, (pose - origin[:, None, :2]) / span[:, None, None])
    return mesh, anchors


@dataclass(frozen=True, eq=False)
class FaceMeshModel:
    """Weights -> face mesh and pose anchors in the face frame (module docstring).

    Attributes:
        weight_names: the ``W`` expression weights the model reads, in column order.
        weight_mean: ``(W,)`` the training frames' mean weights.
        mean_mesh: ``(468, 3)`` the training frames' mean mesh (eye spans).
        mesh_basis: ``(W, 468, 3)`` mesh change per unit of each weight.
        mean_anchors: ``(A, 2)``; anchor_basis: ``(W, A, 2)``: the same for :data:`ANCHORS`.
        facts: how the model was fitted (frames, ridge, held-out errors), plain JSON values.
    """

    weight_names: tuple[str, ...]
    weight_mean: np.ndarray
    mean_mesh: np.ndarray
    mesh_basis: np.ndarray
    mean_anchors: np.ndarray
    anchor_basis: np.ndarray
    facts: dict

    def __post_init__(self) -> None:
        count = len(self.weight_names)
        shapes = {"weight_mean": (count,), "mean_mesh": (FACE_POINTS, 3), "mesh_basis": (count, FACE_POINTS, 3),
                  "mean_anchors": (len(ANCHORS), 2), "anchor_basis": (count, len(ANCHORS), 2)}
        for name, shape in shapes.items():
            value = np.asarray(getattr(self, name), dtype=np.float32)
            if value.shape != shape or not np.isfinite(value).all():
                raise ValueError(f"face-mesh model: {name} must be finite of shape {shape}, got {value.shape}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "weight_names", tuple(str(n) for n in self.weight_names))

    def _check(self, weights: np.ndarray) -> np.ndarray:
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(self.weight_names):
            raise ValueError(f"face-mesh model reads (F, {len(self.weight_names)}) weights, got {weights.shape}")
        return weights - self.weight_mean

    def mesh(self, weights: np.ndarray) -> np.ndarray:
        """``(F, W)`` weights -> ``(F, 468, 3)`` mesh in the face frame (eye spans)."""
        return self.mean_mesh + np.einsum("fw,wpc->fpc", self._check(weights), self.mesh_basis)

    def anchors(self, weights: np.ndarray) -> np.ndarray:
        """``(F, W)`` weights -> ``(F, A, 2)`` pose anchors in the face frame (eye spans)."""
        return self.mean_anchors + np.einsum("fw,wpc->fpc", self._check(weights), self.anchor_basis)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (``np.savez`` / checkpoint tensors); inverse :meth:`from_arrays`."""
        import json

        return {"weight_names": np.array(self.weight_names, dtype=str), "weight_mean": self.weight_mean,
                "mean_mesh": self.mean_mesh, "mesh_basis": self.mesh_basis, "mean_anchors": self.mean_anchors,
                "anchor_basis": self.anchor_basis, "anchor_names": np.array(ANCHORS, dtype=str),
                "facts": np.array(json.dumps(self.facts))}

    @classmethod
    def from_arrays(cls, arrays) -> "FaceMeshModel":
        """Inverse of :meth:`to_arrays` (any mapping of array-likes).

        Raises:
            ValueError: a missing array, wrong shapes, or anchors other than :data:`ANCHORS`.
        """
        import json

        try:
            anchors = tuple(str(n) for n in np.asarray(arrays["anchor_names"]).tolist())
            if anchors != ANCHORS:
                raise ValueError(f"face-mesh model anchored at {anchors}, this motiongen places by {ANCHORS}")
            return cls(tuple(str(n) for n in np.asarray(arrays["weight_names"]).tolist()),
                       *(np.asarray(arrays[k]) for k in ("weight_mean", "mean_mesh", "mesh_basis", "mean_anchors",
                                                         "anchor_basis")),
                       facts=json.loads(str(np.asarray(arrays["facts"]))))
        except KeyError as err:
            raise ValueError(f"face-mesh model lacks {err}") from None


class FaceMeshFit:
    """Accumulates frames (video by video) for the ridge fit of :class:`FaceMeshModel`.

    Sums kept (float64): count, ``sum w (W,)``, ``sum w w^T (W, W)``, ``sum y (P,)``, ``sum w y^T
    (W, P)`` with ``y`` the flattened mesh and anchors (``P = 468 * 3 + A * 2``).
    """

    def __init__(self, weight_names: tuple[str, ...]):
        self.weight_names = tuple(weight_names)
        width, targets = len(self.weight_names), FACE_POINTS * 3 + len(ANCHORS) * 2
        self.count = 0
        self.sum_w, self.sum_ww = np.zeros(width), np.zeros((width, width))
        self.sum_y, self.sum_wy = np.zeros(targets), np.zeros((width, targets))

    def add(self, mesh: np.ndarray, anchors: np.ndarray, weights: np.ndarray) -> None:
        """Add frames: ``mesh (T, 468, 3)``, ``anchors (T, A, 2)`` (:func:`face_frames`), ``weights (T, W)``."""
        targets = np.concatenate([mesh.reshape(len(mesh), -1), anchors.reshape(len(anchors), -1)], axis=1)
        weights = np.asarray(weights, dtype=np.float64)
        keep = np.isfinite(targets).all(axis=1) & np.isfinite(weights).all(axis=1)
        targets, weights = targets[keep], weights[keep]
        self.count += len(weights)
        self.sum_w += weights.sum(axis=0)
        self.sum_ww += weights.T @ weights
        self.sum_y += targets.sum(axis=0)
        self.sum_wy += weights.T @ targets

    def solve(self, ridge: float, facts: dict | None = None) -> FaceMeshModel:
        """The ridge solution ``(S_ww / n + ridge I) B = S_wy / n`` on centred weights.

        Raises:
            ValueError: no frame was added.
        """
        if self.count == 0:
            raise ValueError("no frame with a face to fit the face-mesh model on")
        n = float(self.count)
        weight_mean, target_mean = self.sum_w / n, self.sum_y / n
        covariance = self.sum_ww / n - np.outer(weight_mean, weight_mean)
        cross = self.sum_wy / n - np.outer(weight_mean, target_mean)
        basis = np.linalg.solve(covariance + ridge * np.eye(len(weight_mean)), cross)
        cut = FACE_POINTS * 3
        width = len(self.weight_names)
        return FaceMeshModel(
            self.weight_names, weight_mean, target_mean[:cut].reshape(FACE_POINTS, 3),
            basis[:, :cut].reshape(width, FACE_POINTS, 3), target_mean[cut:].reshape(len(ANCHORS), 2),
            basis[:, cut:].reshape(width, len(ANCHORS), 2),
            facts={"frames": int(self.count), "ridge": float(ridge), **(facts or {})},
        )


class MeshError:
    """Mean face-mesh point error (eye spans) of a model and of the mean-mesh baseline, accumulated
    video by video on held-out frames."""

    def __init__(self, model: FaceMeshModel):
        self.model, self.frames, self.model_sum, self.mean_sum = model, 0, 0.0, 0.0

    def add(self, mesh: np.ndarray, weights: np.ndarray) -> None:
        """``mesh (T, 468, 3)`` real meshes in the face frame, ``weights (T, W)`` their weights."""
        keep = np.isfinite(mesh).all(axis=(1, 2)) & np.isfinite(weights).all(axis=1)
        mesh, weights = mesh[keep], weights[keep]
        self.frames += len(mesh)
        self.model_sum += float(np.linalg.norm(self.model.mesh(weights) - mesh, axis=-1).mean(axis=1).sum())
        self.mean_sum += float(np.linalg.norm(self.model.mean_mesh - mesh, axis=-1).mean(axis=1).sum())

    def facts(self) -> dict:
        """``{"frames", "model_error", "mean_mesh_error"}`` (errors None without frames)."""
        if not self.frames:
            return {"frames": 0, "model_error": None, "mean_mesh_error": None}
        return {"frames": self.frames, "model_error": self.model_sum / self.frames,
                "mean_mesh_error": self.mean_sum / self.frames}


def similarity_2d(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame least-squares similarity (Umeyama, no reflection) mapping ``source`` onto ``target``.

    Args:
        source, target: ``(F, A, 2)`` corresponding points.

    Returns:
        ``(scale (F,), rotation (F, 2, 2), translation (F, 2))`` with ``target ~ scale * R @ source + t``.
    """
    source_mean, target_mean = source.mean(axis=1), target.mean(axis=1)
    src, tgt = source - source_mean[:, None], target - target_mean[:, None]
    covariance = np.einsum("fai,faj->fij", tgt, src) / source.shape[1]
    u, singular, vt = np.linalg.svd(covariance)
    flip = np.sign(np.linalg.det(u @ vt))
    flip[flip == 0] = 1.0
    signs = np.stack([np.ones_like(flip), flip], axis=-1)
    rotation = u @ (signs[..., None] * vt)
    variance = (src ** 2).sum(axis=(1, 2)) / source.shape[1]
    scale = (singular * signs).sum(axis=-1) / np.maximum(variance, 1e-12)
    translation = target_mean - scale[:, None] * np.einsum("fij,fj->fi", rotation, source_mean)
    return scale, rotation, translation


def place_mesh(model: FaceMeshModel, weights: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """The model's mesh for ``weights (F, W)`` placed at pose ``anchors (F, A, 2)`` (:data:`ANCHORS`
    positions in any 2-D frame, e.g. the body block's shoulder widths): x, y by the per-frame
    similarity that maps the model's anchors onto ``anchors``; z scaled by the same factor (from the
    eye-corner midpoint). Returns ``(F, 468, 3)`` in the anchors' units."""
    anchors = np.asarray(anchors, dtype=np.float64)
    scale, rotation, translation = similarity_2d(model.anchors(weights).astype(np.float64), anchors)
    mesh = model.mesh(weights).astype(np.float64)
    xy = scale[:, None, None] * np.einsum("fij,fpj->fpi", rotation, mesh[..., :2]) + translation[:, None]
    return np.concatenate([xy, scale[:, None, None] * mesh[..., 2:]], axis=-1).astype(np.float32)


def clip_face_frames(landmarks: np.ndarray, present: np.ndarray, width: int, height: int,
                     weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frames of one clip where MediaPipe found the face (and the pose), in the face frame.

    Args:
        landmarks: ``(T, 543, 3)`` normalised image coordinates; present: ``(T, 4)`` part flags.
        width, height: frame size in pixels; weights: ``(T, W)`` the clip's face block.

    Returns:
        ``(mesh (K, 468, 3), anchors (K, A, 2), weights (K, W))`` of the ``K`` frames with both.
    """
    from motiongen.core.holistic_layout import PARTS
    from motiongen.datasets.slovo.motion import to_pixels

    seen = present[:, PARTS.index("face")] & present[:, PARTS.index("pose")]
    mesh, anchors = face_frames(to_pixels(landmarks[seen], width, height))
    return mesh, anchors, np.asarray(weights)[seen]

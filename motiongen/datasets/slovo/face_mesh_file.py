"""The face-mesh model of a landmark cache (Slovo): fitted when the cache is built, stored beside it
as ``face_mesh.npz`` (:meth:`~motiongen.datasets.slovo.face_mesh.FaceMeshModel.to_arrays`), copied
into every checkpoint trained on the cache, and used by generation to write the face mesh.

The fit (:class:`~motiongen.datasets.slovo.face_mesh.FaceMeshFit`) uses every train-split frame with
a face and a pose; its error is then measured on the validation frames (the test frames when there
is no validation split) against the baseline of always predicting the mean mesh, in eye spans
(outer-eye-corner distances). The figures are in the model's ``facts`` and printed by
``motiongen preprocess``.
"""

from __future__ import annotations

from pathlib import Path

from motiongen.core.atomic import savez
from motiongen.core.errors import InputFileError
from motiongen.datasets.slovo.face_mesh import FaceMeshFit, FaceMeshModel, MeshError, clip_face_frames

FACE_MESH = "face_mesh.npz"
#: The checkpoint extra that carries the model (:meth:`~motiongen.datasets.slovo.SlovoCorpus.checkpoint_extras`).
EXTRA = "face_mesh"


def write_face_mesh(cache_dir: str | Path, model: FaceMeshModel) -> Path:
    """Store ``model`` as ``<cache_dir>/face_mesh.npz`` (atomically)."""
    path = Path(cache_dir) / FACE_MESH
    savez(path, model.to_arrays())
    return path


def read_face_mesh(cache_dir: str | Path) -> FaceMeshModel | None:
    """The cache's face-mesh model, or None when it has none (a cache built before the model existed).

    Raises:
        InputFileError: the file exists but is not a face-mesh model.
    """
    import numpy as np

    path = Path(cache_dir) / FACE_MESH
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return FaceMeshModel.from_arrays({key: data[key] for key in data.files})
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"not a face-mesh model: {err}") from None


def describe_fit(model: FaceMeshModel) -> str:
    """One line with the fit's frames and held-out errors (eye spans), for summaries."""
    facts = model.facts
    held = facts.get("heldout", {})
    line = f"face-mesh model: fitted on {facts['frames']} train frames (ridge {facts['ridge']:g})"
    if held.get("frames"):
        return (line + f"; held-out {held['split']} frames {held['frames']}: mean point error "
                f"{held['model_error']:.4f} eye spans (mean-mesh baseline {held['mean_mesh_error']:.4f})")
    return line + "; no validation or test frames to measure its error on"


def face_mesh_of_extras(extras) -> FaceMeshModel | None:
    """The face-mesh model among a checkpoint's extras (``{extra: {array: value}}``), or None.

    Raises:
        ValueError: the extra is there but is not a face-mesh model.
    """
    import numpy as np

    arrays = (extras or {}).get(EXTRA)
    if arrays is None:
        return None
    return FaceMeshModel.from_arrays({key: np.asarray(value) for key, value in arrays.items()})


def fit_face_mesh(cache_dir: str | Path, clips, weight_names, ridge: float) -> list[str]:
    """Fit the face-mesh model on ``clips["train"]``, measure it on ``clips["val"]`` (else
    ``clips["test"]``) and store it; each clip is ``(landmark entry, face weights (T, W))`` of a
    whole video. Returns the summary notes (the fit's figures, or why there is no model)."""
    def frames(entry, weights):
        return clip_face_frames(entry.landmarks, entry.present, entry.meta["width"], entry.meta["height"], weights)

    fit = FaceMeshFit(tuple(weight_names))
    for entry, weights in clips.get("train", []):
        fit.add(*frames(entry, weights))
    if fit.count == 0:
        (Path(cache_dir) / FACE_MESH).unlink(missing_ok=True)
        return ["face-mesh model not fitted: no train frame has a face; generation will write no face mesh"]
    model = fit.solve(ridge)
    split = "val" if clips.get("val") else "test"
    error = MeshError(model)
    for entry, weights in clips.get(split, []):
        mesh, _, face_weights = frames(entry, weights)
        error.add(mesh, face_weights)
    model.facts["heldout"] = {"split": split, **error.facts()}
    write_face_mesh(cache_dir, model)
    return [describe_fit(model)]

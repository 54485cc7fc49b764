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

from motiongen.core.atomic import write_npz_atomic
from motiongen.core.errors import InputFileError
from motiongen.datasets.slovo.face_mesh import FaceMeshModel

FACE_MESH = "face_mesh.npz"
#: The checkpoint extra that carries the model (:meth:`~motiongen.datasets.slovo.SlovoCorpus.checkpoint_extras`).
EXTRA = "face_mesh"


def write_face_mesh(cache_dir: str | Path, model: FaceMeshModel) -> Path:
    """Store ``model`` as ``<cache_dir>/face_mesh.npz`` (atomically)."""
    path = Path(cache_dir) / FACE_MESH
    write_npz_atomic(path, model.to_arrays())
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

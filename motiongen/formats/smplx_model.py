"""SMPL-X model files (``SMPLX_<GENDER>.npz``): locating and checking them, and writing a
synthetic stand-in with the real layout.

The licensed model files cannot be shipped or downloaded here. :func:`write_synthetic_smplx_model`
writes a file with the same keys, shapes and dtypes as ``SMPLX_NEUTRAL.npz`` (SMPL-X 1.1 /
2020: 10 475 vertices, 20 908 faces, 55 joints, 300 shape + 100 expression directions) that
``smplx.create`` loads, so the mesh code paths run in tests, benchmarks and demos. Its geometry is
a body made of tubes along the bones of the approximate rest skeleton
(:data:`motiongen.core.smplx_skeleton.SMPLX_APPROX_REST_OFFSETS_M`), rigidly skinned with a
blend towards the parent near each joint; shape, expression and pose-corrective directions,
hand PCA components and landmark bindings are seeded random values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motiongen.core.atomic import savez
from motiongen.core.smplx_skeleton import (
    NUM_FLAME_EXPRESSIONS,
    NUM_SMPLX_BETAS,
    NUM_SMPLX_JOINTS,
    SMPLX_APPROX_REST_OFFSETS_M,
    SMPLX_PARENTS,
    rest_joint_positions,
)
from motiongen.core.errors import InputFileError

NUM_VERTICES = 10475
NUM_FACES = 20908
NUM_POSE_BASIS = 9 * (NUM_SMPLX_JOINTS - 1)
NUM_HAND_COMPONENTS = 45
NUM_STATIC_LANDMARKS = 51
NUM_DYNAMIC_CONTOUR_ANGLES = 79
NUM_DYNAMIC_CONTOUR_POINTS = 17

#: Keys ``smplx.create(model_type="smplx")`` reads, with their shapes (None: any length).
MODEL_KEYS: dict[str, tuple] = {
    "v_template": (NUM_VERTICES, 3),
    "f": (NUM_FACES, 3),
    "shapedirs": (NUM_VERTICES, 3, None),
    "posedirs": (NUM_VERTICES, 3, NUM_POSE_BASIS),
    "J_regressor": (NUM_SMPLX_JOINTS, NUM_VERTICES),
    "weights": (NUM_VERTICES, NUM_SMPLX_JOINTS),
    "kintree_table": (2, NUM_SMPLX_JOINTS),
    "hands_componentsl": (NUM_HAND_COMPONENTS, NUM_HAND_COMPONENTS),
    "hands_componentsr": (NUM_HAND_COMPONENTS, NUM_HAND_COMPONENTS),
    "hands_meanl": (NUM_HAND_COMPONENTS,),
    "hands_meanr": (NUM_HAND_COMPONENTS,),
    "lmk_faces_idx": (NUM_STATIC_LANDMARKS,),
    "lmk_bary_coords": (NUM_STATIC_LANDMARKS, 3),
    "dynamic_lmk_faces_idx": (NUM_DYNAMIC_CONTOUR_ANGLES, NUM_DYNAMIC_CONTOUR_POINTS),
    "dynamic_lmk_bary_coords": (NUM_DYNAMIC_CONTOUR_ANGLES, NUM_DYNAMIC_CONTOUR_POINTS, 3),
}

#: File names tried, in order, when a model folder is given without a gender.
MODEL_FILE_NAMES = ("SMPLX_NEUTRAL_2020.npz", "SMPLX_NEUTRAL.npz")


def find_model_file(folder: str | Path, gender: str | None = None) -> tuple[Path, str]:
    """The model file in ``folder`` and the ``gender`` argument ``smplx.create`` needs for it.

    Args:
        folder: a folder holding ``SMPLX_<GENDER>.npz`` (or a ``smplx/`` sub-folder holding it,
            as the ``smplx`` package's download layout has).
        gender: e.g. ``neutral``, ``NEUTRAL_2020``, ``male``; None tries
            :data:`MODEL_FILE_NAMES`.

    Raises:
        InputFileError: naming the folder and the file names looked for.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(folder, "SMPL-X model folder not found")
    names = [f"SMPLX_{gender.upper()}.npz"] if gender else list(MODEL_FILE_NAMES)
    for base in (folder, folder / "smplx"):
        for name in names:
            if (base / name).is_file():
                return base / name, name[len("SMPLX_"):-len(".npz")]
    raise InputFileError(folder, f"no SMPL-X model file ({' or '.join(names)}) in this folder or its "
                                 "smplx/ sub-folder; download the model files from smpl-x.is.tue.mpg.de")


def check_model_file(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Validate the keys and shapes of a SMPL-X ``.npz`` model file; returns ``{key: shape}``.

    Raises:
        InputFileError: naming every missing key and every wrong shape.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=True) as data:
            shapes = {key: tuple(data[key].shape) for key in data.files}
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"not a readable .npz file ({err})") from None
    problems = [f"missing key '{key}'" for key in MODEL_KEYS if key not in shapes]
    for key, expected in MODEL_KEYS.items():
        shape = shapes.get(key)
        if shape is None:
            continue
        if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape)):
            wanted = "(" + ", ".join("any" if e is None else str(e) for e in expected) + ")"
            problems.append(f"'{key}' has shape {shape}, expected {wanted}")
    if problems:
        raise InputFileError(path, "not an SMPL-X model file: " + "; ".join(problems))
    return shapes


def _bone_ends(rest: np.ndarray) -> np.ndarray:
    """``(55, 3)`` far end of each joint's tube: the spine above the pelvis, a skull above the
    head, else the first child, or an extension of the bone for joints without children."""
    ends = rest.copy()
    first_child = {}
    for joint in range(NUM_SMPLX_JOINTS - 1, 0, -1):
        first_child[int(SMPLX_PARENTS[joint])] = joint
    first_child[0] = 3  # pelvis -> spine1
    first_child[9] = 12  # spine3 -> neck
    for joint in range(NUM_SMPLX_JOINTS):
        if joint == 15:
            ends[joint] = rest[joint] + (0.0, 0.2, 0.0)
        elif joint in first_child:
            ends[joint] = rest[first_child[joint]]
        else:
            bone = rest[joint] - rest[SMPLX_PARENTS[joint]]
            ends[joint] = rest[joint] + 0.7 * bone
    return ends


def _tube_radius(name_index: int) -> float:
    if name_index >= 25:
        return 0.009  # fingers
    if name_index in (22, 23, 24):
        return 0.015  # jaw, eyes
    if name_index in (0, 3, 6, 9):
        return 0.12  # pelvis and spine
    if name_index == 15:
        return 0.09
    return 0.05


def synthetic_body_geometry(rings: int = 23, segments: int = 8):
    """Tube body of the approximate rest skeleton in the real SMPL-X sizes.

    Returns:
        ``(v_template (10475, 3) m, faces (20908, 3) int, weights (10475, 55),
        J_regressor (55, 10475))``: one tube of ``rings`` x ``segments`` vertices per joint,
        capped at both ends; the vertex count is filled up with points at the joints and the face
        count with zero-area triangles on them (never drawn).
    """
    rest = rest_joint_positions(SMPLX_APPROX_REST_OFFSETS_M)
    ends = _bone_ends(rest)
    per_tube = rings * segments
    pad_vertices = NUM_VERTICES - NUM_SMPLX_JOINTS * per_tube
    if pad_vertices < 0:
        raise ValueError(f"{rings} x {segments} tubes exceed {NUM_VERTICES} vertices")
    t = np.linspace(0.0, 1.0, rings)
    angle = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    vertices, faces = [], []
    weights = np.zeros((NUM_VERTICES, NUM_SMPLX_JOINTS))
    regressor = np.zeros((NUM_SMPLX_JOINTS, NUM_VERTICES))
    grid = np.arange(per_tube).reshape(rings, segments)
    quads = np.stack([grid[:-1], np.roll(grid[:-1], -1, 1), grid[1:], np.roll(grid[1:], -1, 1)], -1).reshape(-1, 4)
    tube_faces = np.concatenate([quads[:, [0, 1, 2]], quads[:, [1, 3, 2]]])
    fan = np.arange(1, segments - 1)
    caps = np.concatenate([np.stack([np.zeros_like(fan), fan + 1, fan], 1),
                           np.stack([np.zeros_like(fan), fan, fan + 1], 1) + (rings - 1) * segments])
    tube_faces = np.concatenate([tube_faces, caps])
    for joint in range(NUM_SMPLX_JOINTS):
        axis = ends[joint] - rest[joint]
        length = max(float(np.linalg.norm(axis)), 1e-6)
        direction = axis / length
        helper = np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        u = np.cross(direction, helper)
        u /= np.linalg.norm(u)
        v = np.cross(direction, u)
        radius = min(_tube_radius(joint), 0.45 * length) * (1 - 0.3 * t[:, None] ** 2)
        circle = np.cos(angle)[None, :, None] * u + np.sin(angle)[None, :, None] * v
        points = rest[joint] + t[:, None, None] * axis + radius[..., None] * circle
        start = joint * per_tube
        vertices.append(points.reshape(-1, 3))
        faces.append(tube_faces + start)
        own = np.repeat(0.5 + 0.5 * np.minimum(1.0, t / 0.3), segments)
        parent = SMPLX_PARENTS[joint]
        rows = np.arange(start, start + per_tube)
        if parent < 0:
            weights[rows, joint] = 1.0
        else:
            weights[rows, joint] = own
            weights[rows, parent] = 1 - own
        regressor[joint, start:start + segments] = 1.0 / segments
    pad_joints = np.arange(pad_vertices) % NUM_SMPLX_JOINTS
    vertices.append(rest[pad_joints])
    weights[NUM_SMPLX_JOINTS * per_tube + np.arange(pad_vertices), pad_joints] = 1.0
    faces = np.concatenate(faces)
    pad_faces = NUM_FACES - len(faces)
    if pad_faces < 0:
        raise ValueError(f"{rings} x {segments} tubes exceed {NUM_FACES} faces")
    degenerate = NUM_SMPLX_JOINTS * per_tube + np.arange(pad_faces) % max(pad_vertices, 1)
    faces = np.concatenate([faces, np.repeat(degenerate[:, None], 3, axis=1)])
    return np.concatenate(vertices), faces, weights, regressor


def write_synthetic_smplx_model(folder: str | Path, gender: str = "NEUTRAL", seed: int = 0,
                                num_shape: int = NUM_SMPLX_BETAS,
                                num_expression: int = NUM_FLAME_EXPRESSIONS) -> Path:
    """Write ``<folder>/SMPLX_<GENDER>.npz`` with the real keys, shapes and dtypes.

    Args:
        folder: created if needed.
        gender: the file's gender tag (``NEUTRAL``, ``NEUTRAL_2020``, ``MALE``, ``FEMALE``).
        seed: seeds the random directions and landmark bindings.
        num_shape, num_expression: shape and expression directions (real files: 300 and 100).

    Returns:
        The path written (about 110 MB with the default sizes, float32 arrays).
    """
    rng = np.random.default_rng(seed)
    v_template, faces, weights, regressor = synthetic_body_geometry()
    kintree = np.stack([SMPLX_PARENTS, np.arange(NUM_SMPLX_JOINTS)]).astype(np.int64)
    kintree[0, 0] = np.iinfo(np.uint32).max  # as in the released files; smplx resets it to -1
    hands = {}
    for side in "lr":
        basis, _ = np.linalg.qr(rng.standard_normal((NUM_HAND_COMPONENTS, NUM_HAND_COMPONENTS)))
        hands[f"hands_components{side}"] = basis.astype(np.float32)
        hands[f"hands_mean{side}"] = (0.1 * rng.standard_normal(NUM_HAND_COMPONENTS)).astype(np.float32)
    bary = rng.random((NUM_STATIC_LANDMARKS, 3))
    dynamic_bary = rng.random((NUM_DYNAMIC_CONTOUR_ANGLES, NUM_DYNAMIC_CONTOUR_POINTS, 3))
    arrays = {
        "v_template": v_template.astype(np.float32),
        "f": faces.astype(np.uint32),
        "shapedirs": (2e-5 * rng.standard_normal((NUM_VERTICES, 3, num_shape + num_expression))).astype(np.float32),
        "posedirs": (2e-5 * rng.standard_normal((NUM_VERTICES, 3, NUM_POSE_BASIS))).astype(np.float32),
        "J_regressor": regressor.astype(np.float32),
        "weights": weights.astype(np.float32),
        "kintree_table": kintree,
        **hands,
        "lmk_faces_idx": rng.integers(0, NUM_FACES, NUM_STATIC_LANDMARKS).astype(np.int64),
        "lmk_bary_coords": (bary / bary.sum(-1, keepdims=True)).astype(np.float32),
        "dynamic_lmk_faces_idx": rng.integers(0, NUM_FACES, dynamic_bary.shape[:2]).astype(np.int64),
        "dynamic_lmk_bary_coords": (dynamic_bary / dynamic_bary.sum(-1, keepdims=True)).astype(np.float32),
    }
    return savez(Path(folder) / f"SMPLX_{gender.upper()}.npz", arrays)

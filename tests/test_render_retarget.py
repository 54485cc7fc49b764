"""Retargeting generated motion to Holistic landmarks: joint table, camera fit, face blendshapes."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, landmark_index, landmark_names
from motiongen.formats.arkit import ARKIT_NAMES
from render.errors import RenderError
from render.retarget.face import default_basis, deform_face, face_frame, fit_basis
from render.retarget.holistic import retarget
from render.retarget.joint_table import beat_to_holistic
from render.retarget.motion import read_generation_folder
from tests.render_helpers import generation_folder

FACE = PART_SLICES["face"]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """A plausible frontal person in a 720 x 1280 image: the retargeted first frame of the
    template, with a face mesh made of the Slovo-like unit layout (eyes 60 px apart)."""
    rng = np.random.default_rng(0)
    points = np.full((LANDMARK_COUNT, 3), np.nan)
    face = np.stack([rng.uniform(320, 400, 468), rng.uniform(180, 290, 468), rng.uniform(-10, 10, 468)], -1)
    from render.retarget.face import _face_points

    face[_face_points("left_eye"), :2] = [390, 220] + rng.normal(0, 3, (len(_face_points("left_eye")), 2))
    face[_face_points("right_eye"), :2] = [330, 220] + rng.normal(0, 3, (len(_face_points("right_eye")), 2))
    for index, xy in {13: (360, 262), 14: (360, 263), 61: (335, 262), 291: (385, 262), 152: (360, 300)}.items():
        face[index, :2] = xy   # closed mouth: inner lip centres, corners, chin
    points[FACE] = face
    for name, xy in {"pose.left_shoulder": (440, 350), "pose.right_shoulder": (280, 350), "pose.left_elbow": (460, 500),
                     "pose.right_elbow": (260, 500), "pose.left_hip": (410, 650), "pose.right_hip": (310, 650),
                     "pose.nose": (360, 250)}.items():
        points[landmark_index(name), :2] = xy
        points[landmark_index(name), 2] = 0
    return points


def test_every_table_landmark_is_a_holistic_landmark_and_a_beat_joint(tmp_path):
    motion = read_generation_folder(generation_folder(tmp_path / "gen"))
    table = beat_to_holistic()
    assert set(table) <= set(landmark_names())
    assert set(table.values()) <= set(motion.joint_names)
    assert sum(name.startswith(("left_hand.", "right_hand.")) for name in table) == 42
    assert sum(name.startswith("pose.") for name in table) == 22


def test_every_table_landmark_is_mapped(tmp_path, reference):
    motion = read_generation_folder(generation_folder(tmp_path / "gen"))
    out = retarget(motion, reference)
    assert out.shape == (10, LANDMARK_COUNT, 2)
    mapped = [landmark_index(name) for name in beat_to_holistic()]
    assert np.isfinite(out[:, mapped]).all()
    assert np.isfinite(out[:, FACE]).all()


def test_first_frame_keeps_the_reference_and_the_swinging_arm_moves(tmp_path, reference):
    motion = read_generation_folder(generation_folder(tmp_path / "gen"))
    out = retarget(motion, reference)
    known = np.isfinite(reference[:, 0])
    assert np.allclose(out[0, known], reference[known, :2], atol=1e-6)
    wrist = landmark_index("pose.right_wrist")
    elbow = landmark_index("pose.right_elbow")
    assert np.linalg.norm(out[-1, wrist] - out[0, wrist]) > 5
    left_wrist = landmark_index("pose.left_wrist")
    assert np.linalg.norm(out[-1, left_wrist] - out[0, left_wrist]) < 1e-6
    assert np.linalg.norm(out[-1, elbow] - out[0, elbow]) > 5
    shoulder = landmark_index("pose.right_shoulder")   # the rotating joint itself stays put
    assert np.linalg.norm(out[-1, shoulder] - out[0, shoulder]) < 1e-6


def test_zero_blendshapes_reproduce_the_reference_face(reference):
    faces = deform_face(reference[FACE, :2], np.zeros((3, len(ARKIT_NAMES))))
    assert np.allclose(faces, reference[FACE, :2], atol=1e-9)


def test_jaw_open_widens_the_lip_gap_monotonically(reference):
    weights = np.zeros((6, len(ARKIT_NAMES)))
    weights[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0, 1, 6)
    faces = deform_face(reference[FACE, :2], weights)
    gap = np.linalg.norm(faces[:, 14] - faces[:, 13], axis=-1)   # inner lower vs upper lip centre
    assert np.all(np.diff(gap) > 0)


def test_blink_closes_the_eye():
    rng = np.random.default_rng(1)
    face = rng.uniform(0, 100, (468, 2))
    weights = np.zeros((1, len(ARKIT_NAMES)))
    weights[0, ARKIT_NAMES.index("eyeBlinkLeft")] = 1
    from render.retarget.face import _face_points

    eye = _face_points("left_eye")
    closed = face_frame(face).to_face(deform_face(face, weights)[0])[eye]
    assert np.ptp(closed[:, 1]) < 1e-9


def test_fitted_basis_recovers_offsets_from_a_video():
    rng = np.random.default_rng(2)
    neutral = rng.normal(size=(468, 2))
    truth = default_basis(neutral) + rng.normal(0, 0.01, (52, 468, 2))
    weights = rng.uniform(0, 1, (200, 52))
    faces = neutral + np.einsum("tb,bnc->tnc", weights, truth)
    assert np.allclose(fit_basis(neutral, faces, weights, ridge=1e-9), truth, atol=1e-6)


def test_reference_without_a_person_or_face_is_refused(tmp_path, reference):
    motion = read_generation_folder(generation_folder(tmp_path / "gen"))
    with pytest.raises(RenderError, match="no person"):
        retarget(motion, np.full((LANDMARK_COUNT, 3), np.nan))
    no_face = reference.copy()
    no_face[FACE] = np.nan
    with pytest.raises(RenderError, match="no face"):
        retarget(motion, no_face)


def test_motion_folder_without_the_face_block_is_refused(tmp_path):
    from motiongen.core.motion_file import write_motion_file
    from motiongen.core.motion_format import Representation
    from tests.render_helpers import face_format

    folder = generation_folder(tmp_path / "gen")
    write_motion_file(folder / "motion.npz", face_format(Representation.COEFFICIENTS), {"face": np.zeros((1, 10, 52))})
    with pytest.raises(RenderError, match="motion.npz: motion file has no ARKit blendshape block.*face \\(coefficients\\)"):
        read_generation_folder(folder)
    np.savez(folder / "motion.npz", out_fps=np.float64(30))
    with pytest.raises(RenderError, match="motion.npz.*not a motiongen motion file"):
        read_generation_folder(folder)
    (folder / "motion.bvh").unlink()
    with pytest.raises(RenderError, match="lacks motion.bvh"):
        read_generation_folder(folder)


def test_face_curves_are_resampled_to_the_bvh_rate():
    from render.retarget.motion import _resample

    curve = np.arange(4, dtype=float)[:, None]
    assert np.allclose(_resample(curve, 30, 13, 120)[:, 0], np.minimum(np.arange(13) / 4, 3))


def _with_hand(reference: np.ndarray, length: float) -> np.ndarray:
    out = reference.copy()
    out[landmark_index("right_hand.wrist"), :2] = (250, 640)
    out[landmark_index("right_hand.middle_finger_mcp"), :2] = (250, 640 + length)
    return out


def test_hands_hang_from_the_wrist_at_the_persons_hand_size(tmp_path, reference):
    from render.retarget.holistic import person_hand_length

    motion = read_generation_folder(generation_folder(tmp_path / "gen"))
    small, large = retarget(motion, _with_hand(reference, 40)), retarget(motion, _with_hand(reference, 80))
    for side in ("left", "right"):
        hand = np.arange(PART_SLICES[f"{side}_hand"].start, PART_SLICES[f"{side}_hand"].stop)
        wrist = landmark_index(f"pose.{side}_wrist")
        for out in (small, large):
            assert np.allclose(out[:, hand[0]], out[:, wrist])              # the hand's wrist is the arm's
        small_offsets, large_offsets = small[:, hand] - small[:, [wrist]], large[:, hand] - large[:, [wrist]]
        assert np.allclose(large_offsets, 2 * small_offsets)               # the person's size, the motion's shape
        assert np.linalg.norm(small_offsets, axis=-1).max() > 1
    assert person_hand_length(_with_hand(reference, 40)) == 40
    no_hand = reference.copy()
    no_hand[landmark_index("pose.left_wrist"), :2] = (470, 620)
    no_hand[landmark_index("pose.left_index"), :2] = (470, 650)
    assert person_hand_length(no_hand) == 30                               # the pose's knuckle point instead
    assert np.isnan(person_hand_length(reference))


def test_hands_are_the_motions_turned_to_the_camera_by_the_chosen_fraction(tmp_path, reference):
    """Strength 0 is the motion's hand as projected; 1 lays every hand flat at full length with
    the on-screen direction kept; in between, a fraction of that rotation (lengths kept in 3-D)."""
    from render.retarget.hands import turn_to_camera

    motion = read_generation_folder(generation_folder(tmp_path / "gen"))
    person = _with_hand(reference, 40)
    wrist, knuckle = landmark_index("pose.right_wrist"), landmark_index("right_hand.middle_finger_mcp")
    projected, flat, half = (retarget(motion, person, hands_to_camera=strength) for strength in (0.0, 1.0, 0.5))
    length = {name: np.linalg.norm(out[:, knuckle] - out[:, wrist], axis=-1) for name, out in
              (("projected", projected), ("flat", flat), ("half", half))}
    assert np.allclose(length["flat"], 40, rtol=1e-6)                     # the person's full hand length
    assert (length["projected"] < 40 - 1e-3).any()                         # the motion foreshortens it
    assert np.all(length["half"] >= length["projected"] - 1e-9) and np.all(length["half"] <= 40 + 1e-9)
    direction = lambda out: _unit(out[:, knuckle] - out[:, wrist])
    assert np.allclose(direction(flat), direction(projected), atol=2e-3)  # on-screen direction kept
    body = [landmark_index(name) for name in beat_to_holistic()
            if name.startswith("pose.") and not name.endswith(("_pinky", "_index", "_thumb"))]
    for out in (flat, half):                                               # the rest of the body does not move
        assert np.allclose(out[:, body], projected[:, body])

    rng = np.random.default_rng(0)
    offsets = rng.normal(size=(50, 21, 3))
    for strength in (0.0, 0.3, 1.0):
        turned = turn_to_camera(offsets, 9, 5, 17, strength)
        assert np.allclose(np.linalg.norm(turned, axis=-1), np.linalg.norm(offsets, axis=-1))   # rigid
        gram = np.einsum("fhi,fki->fhk", turned, turned)
        assert np.allclose(gram, np.einsum("fhi,fki->fhk", offsets, offsets))
    turned = turn_to_camera(offsets, 9, 5, 17, 1.0)
    normal, along = np.cross(turned[:, 5], turned[:, 17]), _unit(turned[:, 9])
    palm = _unit(normal - (normal * along).sum(-1, keepdims=True) * along)   # the palm's normal across the hand
    assert np.allclose(np.abs(turned[:, 9, 2]), 0, atol=1e-2)              # the knuckle line lies in the image
    assert np.allclose(palm[:, 2], palm[0, 2]) and np.allclose(np.abs(palm[:, 2]), 1)   # one palm side, facing the camera
    with pytest.raises(RenderError, match=r"hands_to_camera must be in \[0, 1\], got 1.5"):
        turn_to_camera(offsets, 9, 5, 17, 1.5)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
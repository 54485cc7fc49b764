"""The face-mesh model of the Slovo face block: its fit, its placement at the head, and the landmark
outputs that carry the mesh. The round trips run on the real sample's landmarks (session fixture
``slovo_cache``: its cache fits the model on the sample and its altered copies)."""

import json

import numpy as np
import pytest

from motiongen.core.holistic_layout import PART_SLICES, landmark_index
from motiongen.datasets.slovo.face_mesh import (
    ANCHORS,
    FACE_POINTS,
    FaceMeshFit,
    FaceMeshModel,
    MeshError,
    face_frames,
    place_mesh,
    similarity_2d,
)
from motiongen.datasets.slovo.motion import BODY_LANDMARKS, FACE_WEIGHTS, face_weights, slovo_blocks, to_pixels


def _rotation(angle):
    return np.stack([np.stack([np.cos(angle), -np.sin(angle)], -1), np.stack([np.sin(angle), np.cos(angle)], -1)], -2)


def test_similarity_recovers_scale_rotation_and_translation_per_frame():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(6, 7, 2))
    scale, angle, shift = rng.uniform(0.1, 3, 6), rng.uniform(-3, 3, 6), rng.normal(size=(6, 2))
    target = scale[:, None, None] * np.einsum("fij,fpj->fpi", _rotation(angle), source) + shift[:, None]
    found_scale, found_rotation, found_shift = similarity_2d(source, target)
    np.testing.assert_allclose(found_scale, scale, rtol=1e-9)
    np.testing.assert_allclose(found_rotation, _rotation(angle), atol=1e-9)
    np.testing.assert_allclose(found_shift, shift, atol=1e-9)
    mirrored = target * np.array([-1.0, 1.0])  # no reflection: a mirror image is not reached exactly
    assert (np.linalg.det(similarity_2d(source, mirrored)[1]) > 0).all()


def test_face_frame_is_centred_unit_and_level():
    rng = np.random.default_rng(1)
    pixels = rng.uniform(100, 600, size=(4, 543, 3))
    mesh, anchors = face_frames(pixels)
    left, right = mesh[:, 263], mesh[:, 33]
    np.testing.assert_allclose(0.5 * (left + right), 0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(left - right, axis=-1), 1.0)
    np.testing.assert_allclose(left[:, 1] - right[:, 1], 0, atol=1e-9)
    assert (left[:, 0] > right[:, 0]).all() and anchors.shape == (4, len(ANCHORS), 2)


def _synthetic_model(rng, weights=3):
    return FaceMeshModel(tuple(f"w{i}" for i in range(weights)), rng.uniform(0, 0.3, weights),
                         rng.normal(size=(FACE_POINTS, 3)), rng.normal(size=(weights, FACE_POINTS, 3)),
                         rng.normal(size=(len(ANCHORS), 2)), rng.normal(size=(weights, len(ANCHORS), 2)), {})


def test_ridge_fit_recovers_a_linear_model_from_frames_added_clip_by_clip():
    rng = np.random.default_rng(2)
    truth = _synthetic_model(rng)
    fit = FaceMeshFit(truth.weight_names)
    for frames in (50, 1, 80):
        weights = rng.uniform(0, 1, (frames, 3))
        fit.add(truth.mesh(weights), truth.anchors(weights), weights)
    nan_frame = np.full((1, 3), np.nan)
    fit.add(truth.mesh(np.zeros((1, 3))), truth.anchors(np.zeros((1, 3))), nan_frame)  # skipped
    model = fit.solve(1e-9)
    assert model.facts["frames"] == 131
    probe = rng.uniform(0, 1, (5, 3))
    np.testing.assert_allclose(model.mesh(probe), truth.mesh(probe), atol=1e-4)
    np.testing.assert_allclose(model.anchors(probe), truth.anchors(probe), atol=1e-4)
    error = MeshError(model)
    error.add(truth.mesh(probe), probe)
    facts = error.facts()
    assert facts["frames"] == 5 and facts["model_error"] < 1e-4 < facts["mean_mesh_error"]
    with pytest.raises(ValueError, match="no frame with a face"):
        FaceMeshFit(("a",)).solve(1e-4)


def test_model_arrays_round_trip_and_bad_arrays_are_refused():
    rng = np.random.default_rng(3)
    model = _synthetic_model(rng)
    model.facts["frames"] = 7
    again = FaceMeshModel.from_arrays(model.to_arrays())
    assert again.weight_names == model.weight_names and again.facts == {"frames": 7}
    np.testing.assert_array_equal(again.mesh_basis, model.mesh_basis)
    arrays = model.to_arrays()
    arrays["anchor_names"] = np.array(["nose"])
    with pytest.raises(ValueError, match="anchored at"):
        FaceMeshModel.from_arrays(arrays)
    arrays = model.to_arrays()
    arrays["mean_mesh"] = arrays["mean_mesh"][:10]
    with pytest.raises(ValueError, match="mean_mesh must be finite of shape"):
        FaceMeshModel.from_arrays(arrays)
    with pytest.raises(ValueError, match=r"reads \(F, 3\) weights"):
        model.mesh(np.zeros((2, 4)))


# ---------------------------------------------------------------- the real sample


@pytest.fixture(scope="module")
def real_clip(slovo_cache):
    """The cache's face-mesh model and the real sample's landmarks, blocks and clip scale."""
    from motiongen.datasets.slovo.face_mesh_file import read_face_mesh
    from motiongen.datasets.slovo.landmarks import entry_path, read_landmark_entry

    _, cache, summary = slovo_cache
    entry = read_landmark_entry(entry_path(cache, "orig"))
    width, height = entry.meta["width"], entry.meta["height"]
    blocks, scale = slovo_blocks(entry.landmarks, entry.present, width, height)
    return read_face_mesh(cache), entry, blocks, scale, summary


def test_cache_fits_the_model_and_measures_it_on_the_validation_frames(real_clip):
    model, _, _, _, summary = real_clip
    assert model.weight_names == FACE_WEIGHTS
    facts = model.facts
    # train: orig, mirrored, reversed (112 frames each; MediaPipe may miss the face on a few); val: shifted (signer u4)
    assert 320 <= facts["frames"] <= 3 * 112 and facts["heldout"]["split"] == "val"
    assert 100 <= facts["heldout"]["frames"] <= 112
    print(f"face-mesh fit on the sample corpus: {facts}")
    assert facts["heldout"]["model_error"] < 0.8 * facts["heldout"]["mean_mesh_error"]
    assert any(note.startswith(f"face-mesh model: fitted on {facts['frames']} train frames") for note in summary.notes)


def test_preprocess_summary_prints_the_fit(real_clip, capsys):
    from motiongen.commands.preprocess import print_summary

    print_summary(real_clip[4])
    printed = " ".join(capsys.readouterr().out.split())
    assert "face-mesh model: fitted on" in printed and "mean-mesh baseline" in printed


def test_weights_to_mesh_to_weights_round_trip_on_the_real_sample(real_clip):
    model, _, blocks, _, _ = real_clip
    weights = blocks["face"]
    again = face_weights(model.mesh(weights) * 100.0)  # any scale: the weights are ratios
    difference = np.abs(again - weights)
    print(f"round trip |weights - weights(mesh(weights))|: mean {difference.mean():.4f}, max {difference.max():.4f}; "
          f"weights' own spread (std) {weights.std(axis=0).mean():.4f}")
    assert difference.mean() < 0.01 and difference.max() < 0.25
    for name in ("jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "browInnerUp"):  # the weights that move in the sample
        column = FACE_WEIGHTS.index(name)
        assert np.corrcoef(again[:, column], weights[:, column])[0, 1] > 0.9, name


def test_placed_mesh_lies_at_the_real_face(real_clip):
    model, entry, blocks, scale, _ = real_clip
    pixels = to_pixels(entry.landmarks, entry.meta["width"], entry.meta["height"])
    real = (pixels[:, PART_SLICES["face"], :2] - scale.origin) / scale.shoulder_width
    body = blocks["body"].reshape(-1, len(BODY_LANDMARKS), 2)
    anchors = body[:, [BODY_LANDMARKS.index(name) for name in ANCHORS]]
    placed = place_mesh(model, blocks["face"], anchors)
    assert placed.shape == (112, FACE_POINTS, 3) and np.isfinite(placed).all()
    error = np.linalg.norm(placed[..., :2] - real, axis=-1).mean()
    at_nose = np.linalg.norm(body[:, None, BODY_LANDMARKS.index("nose")] - real, axis=-1).mean()
    mean_face = place_mesh(model, np.tile(model.weight_mean, (112, 1)), anchors)
    mean_error = np.linalg.norm(mean_face[..., :2] - real, axis=-1).mean()
    eye_span = np.linalg.norm(real[:, 263] - real[:, 33], axis=-1).mean()
    print(f"placed mesh vs the real face: {error:.4f} shoulder widths (eye span {eye_span:.3f}); mean mesh placed "
          f"the same way {mean_error:.4f}; every point at the nose {at_nose:.4f}")
    assert error < 0.25 * at_nose and error < mean_error and error < 0.15 * eye_span


def test_landmark_outputs_carry_the_placed_face_mesh(real_clip, tmp_path):
    from motiongen.datasets.slovo.format import slovo_motion_format
    from motiongen.datasets.slovo.face_mesh_file import EXTRA
    from motiongen.export.landmarks import _write_landmarks, _write_preview
    from motiongen.export.registry import ExportJob
    from motiongen.formats.video import probe_video, read_video_frames

    model, _, blocks, _, _ = real_clip
    arrays = {name: blocks[name][None] for name in ("body", "hands", "face")}
    fmt = slovo_motion_format(30.0, ["привет"], ["u1"])
    job = ExportJob(tmp_path, arrays, fmt, 30, suffixes=[""], options={"extras": {EXTRA: model.to_arrays()}})
    _write_landmarks(job)
    _write_preview(job)
    assert not job.warnings
    saved = np.load(tmp_path / "landmarks.npz")
    face = saved["landmarks"][:, PART_SLICES["face"]]
    anchors = blocks["body"].reshape(-1, 13, 2)[:, [BODY_LANDMARKS.index(name) for name in ANCHORS]]
    np.testing.assert_allclose(face, place_mesh(model, blocks["face"], anchors), atol=1e-5)
    assert saved["present"][PART_SLICES["face"]].all() and saved["present"].sum() == 13 + 468 + 42
    assert saved["names"][landmark_index("face.000")] == "face.000"
    document = json.loads((tmp_path / "landmarks.json").read_text(encoding="utf-8"))
    first = document["frames"][0]
    assert set(first) == {"pose", "face", "left_hand", "right_hand", "face_weights"}
    assert len(first["face"]) == 468 and first["face"]["263"] == pytest.approx(face[0, 263].tolist(), abs=1e-4)
    assert "face z" in document["units"]
    info = probe_video(tmp_path / "landmarks_preview.mp4")
    assert (info.width, info.height, info.frame_count) == (960, 480, 112)
    close_up = read_video_frames(tmp_path / "landmarks_preview.mp4")[:, :, 480:]
    assert (close_up.astype(int).sum(axis=-1) < 600).mean(axis=(1, 2)).min() > 0.01  # the mesh is drawn on every frame


def test_without_a_model_the_face_mesh_is_absent_and_the_reason_is_reported(real_clip, tmp_path):
    from motiongen.datasets.slovo.format import slovo_motion_format
    from motiongen.export.landmarks import _write_landmarks
    from motiongen.export.registry import ExportJob

    _, _, blocks, _, _ = real_clip
    arrays = {name: blocks[name][None, :20] for name in ("body", "hands", "face")}
    job = ExportJob(tmp_path, arrays, slovo_motion_format(30.0, ["да"], ["u1"]), 30, suffixes=[""])
    _write_landmarks(job)
    assert len(job.warnings) == 1 and "carries no face-mesh model" in job.warnings[0]
    assert not np.isfinite(np.load(tmp_path / "landmarks.npz")["landmarks"][:, PART_SLICES["face"]]).any()
    assert "face" not in json.loads((tmp_path / "landmarks.json").read_text(encoding="utf-8"))["frames"][0]

"""The tiny Slovo experiment on the cache of the real sample and its altered copies: it overfits the
labelled clips, text-to-sign generation for a label is closest (DTW-MJE) to that label's clip, and
classifier-free guidance on the label makes the generated signs more distinct."""

import json

import shutil

import numpy as np
import pytest
from lightning.pytorch.callbacks import Callback

from motiongen.config import compose
from motiongen.evaluation.metrics import dtw_mje

TRAIN_CLIPS = {"привет": "orig", "да": "mirrored", "нет": "reversed"}
SIGNERS = {"привет": "u1", "да": "u2", "нет": "u3"}  # each training clip's signer
STEPS = 400


class LossHistory(Callback):
    """Sum of the unweighted task losses per step."""

    def __init__(self, blocks):
        self.blocks, self.losses = blocks, []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        metrics = trainer.callback_metrics
        self.losses.append(float(sum(metrics[f"train/loss_{name}"] for name in self.blocks)))


@pytest.fixture(scope="module")
def trained(slovo_cache, tmp_path_factory):
    from motiongen.cache.info import CacheInfo
    from motiongen.training.run import train

    _, cache, _ = slovo_cache
    out = tmp_path_factory.mktemp("slovo_run")
    cfg = compose("config", ["experiment=slovo_tiny", f"data.cache_dir={cache}", f"trainer.default_root_dir={out}",
                             f"trainer.max_steps={STEPS}", f"trainer.val_check_interval={STEPS}",
                             f"trainer.loop.figure_every_n_steps={STEPS}", f"trainer.loop.checkpoint_every_n_steps={STEPS}",
                             "model.cond_drop_prob=0.0", "model.optim.lr=3e-3",
                             "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"])
    info = CacheInfo.load(cache)
    history = LossHistory(info.format.block_names())
    run = train(cfg, extra_callbacks=[history])
    return run, history, info


@pytest.mark.slow
def test_tiny_slovo_experiment_overfits_the_labelled_clips(trained):
    run, history, _ = trained
    assert run.trainer.global_step == STEPS
    first, last = np.mean(history.losses[:20]), np.mean(history.losses[-20:])
    print(f"slovo_tiny, {STEPS} steps: loss {first:.4f} -> {last:.4f} (fell {first / last:.1f}x)")
    assert last * 10 <= first, f"loss fell only from {first:.4f} to {last:.4f}"


@pytest.mark.slow
def test_generation_for_a_label_is_closest_to_that_labels_clip(trained):
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.sampling import generate
    from motiongen.generation.types import GenerationRequest

    run, _, info = trained
    assets = load_assets(run.checkpoint_dir / "last.ckpt")
    references = {label: np.asarray(info.block(take, "body")).reshape(-1, 13, 2) for label, take in TRAIN_CLIPS.items()}
    for label in TRAIN_CLIPS:
        frames = len(references[label])
        generated = generate(assets, GenerationRequest(seconds=frames / 30, text_label=label, speaker=SIGNERS[label], seed=1,
                                                       sampler=SamplerSettings(steps=20)))
        body = generated.blocks["body"][0].reshape(-1, 13, 2)
        assert len(body) == frames
        distance = {other: dtw_mje(body, reference) for other, reference in references.items()}
        print(f"DTW-MJE of the sign generated for {label!r} to each clip: {distance}")
        assert min(distance, key=distance.get) == label, f"{label}: {distance}"


@pytest.mark.slow
def test_checkpoint_keeps_the_label_word_vectors_and_the_face_mesh_model(trained, slovo_cache):
    from motiongen.datasets.slovo.face_mesh_file import face_mesh_of_extras, read_face_mesh
    from motiongen.cache.label_vectors import read_label_vectors
    from motiongen.generation.checkpoint import load_assets

    run, _, _ = trained
    vectors = read_label_vectors(slovo_cache[1])
    assets = load_assets(run.checkpoint_dir / "last.ckpt")
    table = assets.model.class_vectors["sign"].table
    np.testing.assert_array_equal(table.numpy(), vectors.vectors)
    assert assets.model.cfg.guided == ["sign"] and assets.model.cfg.seed_frames == 0
    assert assets.label_frames == {"sign": {"привет": 112, "да": 112, "нет": 112}}
    cached = read_face_mesh(slovo_cache[1])
    carried = face_mesh_of_extras(assets.extras)
    assert carried.weight_names == cached.weight_names and carried.facts == cached.facts
    np.testing.assert_array_equal(carried.mesh_basis, cached.mesh_basis)


@pytest.mark.slow
def test_a_checkpoint_without_a_face_mesh_model_still_generates_without_the_face(trained, tmp_path):
    import torch

    from motiongen.cli import main
    from motiongen.training.bundle import BUNDLE_KEY

    run, _, _ = trained
    checkpoint = torch.load(run.checkpoint_dir / "last.ckpt", map_location="cpu", weights_only=True)
    del checkpoint[BUNDLE_KEY]["extras"]  # as written before face-mesh models existed
    old = tmp_path / "old.ckpt"
    torch.save(checkpoint, old)
    out = tmp_path / "sign"
    assert main(["generate", "--sign", "нет", "--checkpoint", str(old), "--out", str(out), "--steps", "2",
                 "--seconds", "0.5", "--no-preview"]) == 0
    assert not np.isfinite(np.load(out / "landmarks.npz")["landmarks"][:, 33:501]).any()
    warnings = json.loads((out / "metadata.json").read_text(encoding="utf-8"))["warnings"]
    assert any("no face mesh in the landmark outputs: the checkpoint carries no face-mesh model" in w for w in warnings)


@pytest.mark.slow
def test_generate_command_performs_a_sign(trained, tmp_path, capsys):
    from motiongen.cli import main
    from motiongen.core.motion_file import read_motion_file
    from motiongen.formats.video import probe_video

    run, _, _ = trained
    checkpoint = run.checkpoint_dir / "last.ckpt"
    out = tmp_path / "sign"
    code = main(["generate", "--sign", "да", "--speaker", "u2", "--checkpoint", str(checkpoint), "--out", str(out),
                 "--steps", "3", "--seconds", "1.5", "--guidance", "2"])
    assert code == 0
    motion = read_motion_file(out / "motion.npz")
    assert motion.blocks["body"].shape == (1, 45, 26) and motion.blocks["face"].shape == (1, 45, 9)
    assert motion.metadata["inputs"] == {"sign": "да", "seconds": 1.5}
    assert (out / ".motiongen-output").is_file()
    landmarks = np.load(out / "landmarks.npz")
    assert landmarks["landmarks"].shape == (45, 543, 3) and landmarks["names"][0] == "pose.nose"
    body = motion.blocks["body"][0].reshape(45, 13, 2)
    np.testing.assert_allclose(landmarks["landmarks"][:, 15, :2], body[:, 11])  # pose.left_wrist
    np.testing.assert_allclose(landmarks["landmarks"][:, 501, :2], body[:, 11])  # left_hand.wrist sits there
    assert landmarks["present"].sum() == 13 + 468 + 42 and np.isfinite(landmarks["landmarks"][:, 33:501]).all()
    face = landmarks["landmarks"][:, 33:501, :2]
    eyes = body[:, [1, 2]].mean(axis=1)  # pose.left_eye, pose.right_eye
    assert np.linalg.norm(face.mean(axis=1) - eyes, axis=-1).max() < 0.25  # the mesh sits at the generated head
    document = json.loads((out / "landmarks.json").read_text(encoding="utf-8"))
    assert document["topology"] == "mediapipe_holistic" and len(document["frames"]) == 45
    first = document["frames"][0]
    assert set(first) == {"pose", "face", "left_hand", "right_hand", "face_weights"} and len(first["face"]) == 468
    assert len(first["pose"]) == 13 and len(first["left_hand"]) == 21 and "index_finger_tip" in first["right_hand"]
    assert first["pose"]["left_wrist"] == pytest.approx(body[0, 11].tolist(), abs=1e-4)
    assert set(first["face_weights"]) >= {"jawOpen", "eyeBlinkLeft"}
    info = probe_video(out / "landmarks_preview.mp4")
    assert (info.width, info.height, info.frame_count) == (960, 480, 45)

    assert main(["generate", "--sign", "да", "--checkpoint", str(checkpoint), "--out", str(out), "--steps", "2",
                 "--seconds", "1"]) != 0  # an existing run folder needs --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(["generate", "--sign", "да", "--checkpoint", str(checkpoint), "--out", str(out), "--steps", "2",
                 "--overwrite", "--no-preview"]) == 0  # default length: the sign's training clip (112 frames)
    assert np.load(out / "landmarks.npz")["landmarks"].shape[0] == 112 and not (out / "landmarks_preview.mp4").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not motiongen's")
    assert main(["generate", "--sign", "да", "--checkpoint", str(checkpoint), "--out", str(foreign), "--steps", "2",
                 "--seconds", "1", "--overwrite"]) != 0
    assert (foreign / "notes.txt").read_text() == "not motiongen's"
    capsys.readouterr()

    code = main(["generate", "--sign", "привт", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "bad")])
    assert code != 0
    error = capsys.readouterr().err
    assert "unknown label 'привт'" in error and "nearest known labels are: привет" in error
    assert not (tmp_path / "bad").exists()


@pytest.fixture(scope="module")
def one_signer_run(slovo_cache, tmp_path_factory):
    """The three training clips performed by one signer (so only the label tells them apart; in the
    corpus above each label has its own signer and the network learns the signer instead), cached
    from the landmarks already extracted, and 100 steps of slovo_tiny with 20 % of the labels
    dropped: ``(run, {label: body (T, 13, 2)})``."""
    from slovo_samples import write_annotations

    from motiongen.cache.info import CacheInfo
    from motiongen.datasets.slovo.landmarks import LANDMARKS_DIR
    from motiongen.cache.build import build_cache
    from motiongen.output_folders import MARKER_NAME
    from motiongen.training.run import train

    root, cache, _ = slovo_cache
    folder = tmp_path_factory.mktemp("one_signer")
    rows = [{"attachment_id": take, "user_id": "u1", "text": label, "train": True} for label, take in TRAIN_CLIPS.items()]
    rows.append({"attachment_id": "shifted", "user_id": "u2", "text": "привет", "train": True})
    annotations = write_annotations(folder / "annotations.csv", rows)
    shutil.copytree(cache / LANDMARKS_DIR, folder / "cache" / LANDMARKS_DIR)  # MediaPipe does not run again
    shutil.copy(cache / MARKER_NAME, folder / "cache")  # a copy of motiongen's cache, marked as such
    stored = {path.name: path.stat().st_mtime_ns for path in (folder / "cache" / LANDMARKS_DIR).iterdir()}
    summary = build_cache(compose("config", ["data=slovo", f"data.root={root}", f"data.annotations={annotations}",
                                             f"data.cache_dir={folder / 'cache'}", "data.val_signers=[u2]"]),
                          progress=False)
    assert set(summary.processed) == {*TRAIN_CLIPS.values(), "shifted"} and not summary.failed
    assert {path.name: path.stat().st_mtime_ns for path in (folder / "cache" / LANDMARKS_DIR).iterdir()} == stored
    steps = 100
    run = train(compose("config", ["experiment=slovo_tiny", f"data.cache_dir={folder / 'cache'}",
                                   f"trainer.default_root_dir={folder / 'run'}", f"trainer.max_steps={steps}",
                                   f"trainer.val_check_interval={steps}", f"trainer.loop.figure_every_n_steps={steps}",
                                   f"trainer.loop.checkpoint_every_n_steps={steps}", "model.cond_drop_prob=0.2",
                                   "model.optim.lr=3e-3", "trainer.enable_progress_bar=false",
                                   "trainer.enable_model_summary=false"]))
    info = CacheInfo.load(folder / "cache")
    return run, {label: np.asarray(info.block(take, "body")).reshape(-1, 13, 2) for label, take in TRAIN_CLIPS.items()}


def label_margins(assets, references: dict, guidance: float) -> list[float]:
    """Per generated sign (each label, two seeds, the one signer): DTW-MJE to the nearest other
    label's clip minus DTW-MJE to its own label's clip (shoulder widths; > 0: closer to its own)."""
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.sampling import generate
    from motiongen.generation.types import GenerationRequest

    margins = []
    for label, reference in references.items():
        for seed in (1, 2):
            generated = generate(assets, GenerationRequest(seconds=len(reference) / 30, text_label=label, speaker="u1",
                                                           seed=seed, sampler=SamplerSettings(steps=20, guidance=guidance)))
            body = generated.blocks["body"][0].reshape(-1, 13, 2)
            distance = {other: dtw_mje(body, clip) for other, clip in references.items()}
            margins.append(min(d for other, d in distance.items() if other != label) - distance[label])
    return margins


@pytest.mark.slow
def test_guidance_on_the_label_makes_the_signs_more_distinct(one_signer_run):
    """Guidance scale 3 vs 1 (none) on a model that has partly learnt the labels: the generated signs
    move towards their own label's clip and away from the others'. Scales 0 (unconditional), 2 and 5
    are printed beside them for the README's figures."""
    from motiongen.generation.checkpoint import load_assets

    run, references = one_signer_run
    assets = load_assets(run.checkpoint_dir / "last.ckpt")
    margins = {scale: label_margins(assets, references, scale) for scale in (0.0, 1.0, 2.0, 3.0, 5.0)}
    plain, guided = margins[1.0], margins[3.0]
    print("own-label DTW-MJE margin (nearest other label's clip - own label's clip, shoulder widths) by guidance scale: "
          + "; ".join(f"{scale:g}: mean {np.mean(m):.4f} min {np.min(m):.4f}" for scale, m in margins.items()))
    assert min(plain) > 0, f"without guidance some sign is nearer another label's clip: {plain}"
    assert np.mean(guided) >= np.mean(plain) + 0.02, f"guidance did not make the signs more distinct: {plain} -> {guided}"
    assert min(guided) >= min(plain), f"guidance made the least distinct sign less distinct: {plain} -> {guided}"

"""The Slovo cache built from the real sample video and altered copies (session fixture
``slovo_cache`` in conftest.py)."""

import json

import numpy as np

from motiongen.cache.info import CacheInfo
from motiongen.datasets.slovo.landmarks import entry_path, read_landmark_entry
from motiongen.cache.build import build_cache
from motiongen.config import compose
from motiongen.core.motion_format import ConditionKind, Representation


def test_bad_videos_are_reported_and_the_rest_is_cached(slovo_cache):
    _, cache, summary = slovo_cache
    assert set(summary.failed) == {"corrupt", "nobody"}
    assert "corrupt.mp4" in summary.failed["corrupt"] and "no person found" in summary.failed["nobody"]
    assert set(summary.processed) == {"orig", "mirrored", "reversed", "shifted", "trimmed"}
    saved = json.loads((cache / "preprocess_summary.json").read_text(encoding="utf-8"))
    assert set(saved["failed"]) == {"corrupt", "nobody"}


def test_landmarks_of_the_real_sample(slovo_cache):
    _, cache, _ = slovo_cache
    entry = read_landmark_entry(entry_path(cache, "orig"))
    assert entry.landmarks.shape == (112, 543, 3)
    assert entry.present[:, 0].all() and entry.present[:, 1].all()  # pose and face on every frame
    assert 20 < entry.present[:, 2].sum() < 112 and 20 < entry.present[:, 3].sum() < 112
    mirrored = read_landmark_entry(entry_path(cache, "mirrored"))
    # the mirrored video's left hand is the original's right hand, at 1 - x
    both = entry.present[:, 3] & mirrored.present[:, 2]
    assert both.sum() > 20
    x_right = entry.landmarks[both, 522, 0]
    x_mirror_left = mirrored.landmarks[both, 501, 0]
    assert np.median(np.abs((1 - x_right) - x_mirror_left)) < 0.03


def test_cache_declares_the_slovo_format(slovo_cache):
    _, cache, _ = slovo_cache
    info = CacheInfo.load(cache)
    fmt = info.format
    assert fmt.block_names() == ("body", "hands", "face")
    assert [b.width for b in fmt.blocks] == [26, 120, 9]
    assert fmt.block("body").representation == Representation.LANDMARKS_2D
    assert fmt.block("face").names[0] == "jawOpen" and fmt.fps == 30.0
    assert not fmt.conditions_of(ConditionKind.AUDIO)
    assert fmt.condition("sign").labels == ("да", "нет", "привет")
    assert {t.take_id: t.split for t in info.takes_in("val")} == {"shifted": "val"}
    assert [t.take_id for t in info.takes_in("test")] == ["trimmed"]
    assert len(info.takes_in("train")) == 3
    for take in ("orig", "trimmed"):
        for block in fmt.block_names():
            assert np.isfinite(np.asarray(info.block(take, block))).all()
    assert info.block("trimmed", "body").shape == (80, 26)


def test_rebuild_resumes_without_running_mediapipe_again(slovo_cache, russian_fasttext_bin):
    root, cache, _ = slovo_cache
    cfg = compose("config", ["data=slovo", f"data.root={root}", f"data.cache_dir={cache}", "data.val_signers=[u4]",
                             f"data.label_vectors={russian_fasttext_bin}"])
    again = build_cache(cfg, progress=False)
    assert set(again.up_to_date) == {"orig", "mirrored", "reversed", "shifted", "trimmed"}
    assert not again.processed and set(again.failed) == {"corrupt", "nobody"}


def test_cache_holds_the_labels_word_vectors(slovo_cache, russian_fasttext_bin):
    import fasttext

    from motiongen.cache.label_vectors import read_label_vectors

    _, cache, _ = slovo_cache
    vectors = read_label_vectors(cache)
    assert vectors.stream == "sign" and vectors.labels == CacheInfo.load(cache).format.condition("sign").labels
    model = fasttext.load_model(str(russian_fasttext_bin))
    np.testing.assert_allclose(vectors.vectors[vectors.labels.index("привет")], model.get_word_vector("привет"), rtol=1e-6)


def test_missing_label_vectors_fail_before_any_video_is_read(tmp_path):
    import pytest

    from motiongen.core.errors import InputFileError

    cfg = compose("config", ["data=slovo", f"data.root={tmp_path}", f"data.cache_dir={tmp_path / 'cache'}",
                             f"data.label_vectors={tmp_path / 'cc.ru.300.bin'}"])
    with pytest.raises(InputFileError, match="cc.ru.300.bin: data.label_vectors: fastText vectors not found"):
        build_cache(cfg, progress=False)


def test_masks_follow_mediapipe_and_reach_the_training_items(slovo_cache):
    from motiongen.data.clips import ClipDataset

    from motiongen.datasets.slovo.motion import clip_scale, to_pixels

    _, cache, _ = slovo_cache
    info = CacheInfo.load(cache)
    entry = read_landmark_entry(entry_path(cache, "orig"))
    rejected = clip_scale(to_pixels(entry.landmarks, 720, 1280), entry.present).rejected_hands
    present = entry.present.copy()
    present[:, 2:4] &= ~rejected  # implausible detections count as missing
    hands_mask = np.asarray(info.block("orig", "hands_mask"))
    np.testing.assert_array_equal(hands_mask, present[:, 2:4].astype(np.float32))
    assert np.asarray(info.block("orig", "body_mask")).all()
    clips = ClipDataset(cache, "train", clip_frames=60, stride=10, seed_frames=1)
    row = next(i for i in range(len(clips)) if clips.clip_source(i)[0] == "orig")
    take, start = clips.clip_source(row)
    item = clips[row]
    assert item["hands_mask"].shape == (60, 120)
    np.testing.assert_array_equal(item["hands_mask"][:, 0].numpy(), present[start : start + 60, 2])
    np.testing.assert_array_equal(item["hands_mask"][:, 60].numpy(), present[start : start + 60, 3])


def test_rows_without_files_files_without_rows_and_official_frame_counts_are_reported(slovo_cache, russian_fasttext_bin):
    """Rebuilt on the session corpus (no MediaPipe run: every entry is current), then restored."""
    root, cache, _ = slovo_cache
    annotations = root / "annotations.csv"
    original = annotations.read_text(encoding="utf-8")
    official = root / "slovo_mediapipe.json"
    orphan = root / "train" / "orphan.mp4"
    hand = [{"x": 0.5, "y": 0.5, "z": 0.0}] * 21
    try:
        official.write_text(json.dumps({"orig": [{"hand 1": hand}] * 100, "mirrored": [{}] * 112}), encoding="utf-8")
        orphan.write_bytes(b"never read")
        annotations.write_text(original + "\t".join(["ghost", "u9", "720", "1280", "112", "да", "True", "5", "100"]) + "\n",
                               encoding="utf-8")
        cfg = compose("config", ["data=slovo", f"data.root={root}", f"data.cache_dir={cache}", "data.val_signers=[u4]",
                                 f"data.label_vectors={russian_fasttext_bin}"])
        summary = build_cache(cfg, progress=False)
    finally:
        annotations.write_text(original, encoding="utf-8")
        official.unlink(missing_ok=True)
        orphan.unlink(missing_ok=True)
    text = "\n".join(summary.warnings + summary.notes)
    assert f"{official}: orig has 100 frames, the video 112" in text and "mirrored has" not in text
    assert "no video file ghost" in text and "orphan.mp4: video has no row" in text
    assert set(summary.up_to_date) == {"orig", "mirrored", "reversed", "shifted", "trimmed"}
    assert set(summary.failed) == {"corrupt", "nobody"}
    saved = json.loads((cache / "preprocess_summary.json").read_text(encoding="utf-8"))
    assert saved["warnings"] == summary.warnings


def test_no_hand_in_the_blocks_reaches_beyond_the_fingertip_limit_and_rejections_are_reported(slovo_cache):
    """On the real sample MediaPipe's left hand reaches for the camera on the last frames it is seen
    (perspective makes it up to 3.5x the clip's palm): those detections are treated as missing and
    listed per video, so no hands-block frame holds a fingertip beyond ``max_fingertip_palms``."""
    from motiongen.datasets.slovo.motion import HandLimits

    _, cache, summary = slovo_cache
    info = CacheInfo.load(cache)
    limit = HandLimits().max_fingertip_palms
    assert info.manifest["settings"]["corpus"]["hand_limits"] == HandLimits().to_dict()
    for take in ("orig", "mirrored", "reversed", "shifted", "trimmed"):
        hands = np.asarray(info.block(take, "hands")).reshape(-1, 2, 20, 3)
        fingertips = np.linalg.norm(hands[:, :, [3, 7, 11, 15, 19]], axis=-1)
        assert fingertips.max() <= limit + 1e-4, (take, fingertips.max())
    notes = [w for w in summary.processed["orig"]["warnings"] if w.startswith("left_hand:")]
    assert len(notes) == 1 and "implausible" in notes[0] and "treated as missing: frames" in notes[0]
    rejected = int(notes[0].split(": ")[1].split(" of ")[0])
    assert 5 <= rejected <= 40
    entry = read_landmark_entry(entry_path(cache, "orig"))
    take = info.manifest["takes"]["orig"]
    assert any("left_hand:" in w for w in take["warnings"])
    mask = np.asarray(info.block("orig", "hands_mask"))[:, 0]
    assert mask.sum() == entry.present[:, 2].sum() - rejected


def test_the_cache_records_its_corpus_and_the_corpus_reads_a_take_as_the_cache_holds_it(slovo_cache):
    """The manifest's data config rebuilds SlovoCorpus; its read_take (MediaPipe on the video, no
    landmark cache) gives the cached arrays, so the generic builder can cache Slovo through it."""
    from motiongen.cache.info import corpus_of_cache
    from motiongen.cache.writer import stored_names
    from motiongen.datasets.slovo import SlovoCorpus
    from motiongen.datasets.slovo.face_mesh_file import EXTRA, read_face_mesh

    _, cache, _ = slovo_cache
    info = CacheInfo.load(cache)
    corpus = corpus_of_cache(info)
    assert isinstance(corpus, SlovoCorpus) and info.manifest["corpus"]["data"]["_target_"].endswith("SlovoCorpus")
    assert (corpus.evaluation_suite, corpus.evaluator) == ("sign", "sign_classifier")
    found = corpus.discover()
    takes = {take.take_id: take for take in found.takes}
    assert set(takes) == {"orig", "mirrored", "reversed", "shifted", "trimmed", "corrupt", "nobody"}
    assert takes["shifted"].split == "val" and takes["trimmed"].categories["sign"] == "да"
    motion = corpus.read_take(takes["trimmed"], info.fps)
    assert motion.categories == info.takes_in("test")[0].categories
    for name in stored_names(info.format):
        np.testing.assert_allclose(motion.blocks[name], info.block("trimmed", name), atol=1e-5, err_msg=name)
    extras = corpus.checkpoint_extras(cache)
    np.testing.assert_array_equal(extras[EXTRA]["mesh_basis"], read_face_mesh(cache).mesh_basis)

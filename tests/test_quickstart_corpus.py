"""The procedural quickstart corpus: BEAT layout readable by the real readers, motion that follows
the speech, and the packaged 75-joint template."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.datasets.beat.takes import assign_splits, discover_beat, read_emotion_labels, read_semantic_labels
from motiongen.datasets.beat.emotions import EMOTIONS
from motiongen.formats.arkit import ARKIT_NAMES, read_beat_face_json
from motiongen.formats.audio import load_audio
from motiongen.formats.bvh import read_bvh
from motiongen.skeletons import load_joint_set
from motiongen.formats.textgrid import read_textgrid
from motiongen.quickstart.corpus import MANIFEST, build_corpus
from motiongen.quickstart.script import SPEAKERS, ScriptTake
from motiongen.quickstart.speech import rms_envelope
from motiongen.skeletons import load_beat75_template

TAKES = (
    ScriptTake(9, ("We write down what the users need.", "Then we split the work into small steps.")),
    ScriptTake(66, ("I am so happy that you could join us tonight!",)),
    ScriptTake(57, ("The garden is small but full of plants.",)),
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("qs") / "corpus", takes=TAKES, seed=3, progress=False)


def test_template_has_the_beat75_hierarchy():
    template = load_beat75_template()
    skeleton = template.skeleton
    assert skeleton.names == load_joint_set("beat75")
    assert skeleton.channels[0] == ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
    assert all(order == "XYZ" for order in skeleton.rotation_orders)
    assert template.num_frames == 1
    parent = {n: skeleton.names[p] for n, p in zip(skeleton.names, skeleton.parents) if p >= 0}
    assert parent["RightHandPinky"] == "RightHandRing" and parent["LeftHandThumb1"] == "LeftHandIndex"
    assert parent["RightUpLeg"] == "Hips" and parent["Head"] == "Neck1"


def test_layout_is_read_by_the_beat_reader(corpus):
    takes = discover_beat(corpus.root)
    assert not takes.problems
    assert len(takes) == len(SPEAKERS) * len(TAKES) == len(corpus.takes)
    assert all(not take.missing for take in takes)
    assert {take.speaker_id for take in takes} == {s.speaker_id for s in SPEAKERS}
    splits = assign_splits(takes)
    assert splits["1_ava_0_9_9"] == "train" and splits["2_ben_0_57_57"] == "val"


def test_every_file_reads_back_consistently(corpus):
    for take in discover_beat(corpus.root):
        motion = read_bvh(take.files["bvh"])
        face = read_beat_face_json(take.files["json"])
        tiers = read_textgrid(take.files["TextGrid"])
        wave, rate = load_audio(take.files["wav"], target_sr=None)
        duration = len(wave) / rate
        assert rate == 16000
        assert motion.fps == 120.0 and face.fps == pytest.approx(60.0)
        assert motion.skeleton.names == load_joint_set("beat75")
        assert motion.duration == pytest.approx(duration, abs=0.02)
        assert face.duration == pytest.approx(duration, abs=0.05)
        assert not motion.warnings and not face.warnings
        spoken = [i.label for i in tiers["words"] if i.label]
        script = next(t for t in TAKES if t.index == take.start)
        assert len(spoken) == sum(len(s.split()) for s in script.sentences)
        emotion = read_emotion_labels(take.files["csv"])
        assert EMOTIONS[emotion.segments[0].emotion] == ("happiness" if take.start == 66 else "neutral")
        assert read_semantic_labels(take.files["txt"]).segments


def test_jaw_follows_the_speech_envelope(corpus):
    for take in discover_beat(corpus.root):
        face = read_beat_face_json(take.files["json"])
        wave, rate = load_audio(take.files["wav"])
        envelope = rms_envelope(wave, rate, face.fps, face.num_frames)
        jaw = face.weights[:, ARKIT_NAMES.index("jawOpen")]
        assert np.corrcoef(jaw, envelope)[0, 1] > 0.8


def test_gestures_follow_emphasis(corpus):
    """Wrist speed is higher around the beat strokes the semantic file lists than elsewhere."""
    from motiongen.core.kinematics import local_rotation_matrices
    from motiongen.core.kinematics import forward_kinematics

    for take in discover_beat(corpus.root):
        motion = read_bvh(take.files["bvh"])
        skeleton = motion.skeleton
        positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, motion.euler_deg),
                                       motion.root_translation)
        wrists = skeleton.index_of(["RightHand", "LeftHand"])
        speed = np.linalg.norm(np.diff(positions[:, wrists], axis=0), axis=-1).max(axis=1) * motion.fps
        time = (np.arange(len(speed)) + 0.5) / motion.fps
        strokes = read_semantic_labels(take.files["txt"]).segments
        near = np.zeros(len(time), dtype=bool)
        for segment in strokes:
            near |= (time >= segment.start) & (time <= segment.end)
        assert speed[near].mean() > 2 * speed[~near].mean()


def test_happy_take_smiles_more_than_neutral(corpus):
    root = corpus.root / "1"
    smile = [ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("mouthSmileRight")]
    happy = read_beat_face_json(root / "1_ava_0_66_66.json").weights[:, smile].mean()
    neutral = read_beat_face_json(root / "1_ava_0_9_9.json").weights[:, smile].mean()
    assert happy > neutral + 0.2


def test_matching_manifest_reuses_the_folder(corpus):
    assert (corpus.root / MANIFEST).is_file()
    stamp = (corpus.root / "1" / "1_ava_0_9_9.bvh").stat().st_mtime_ns
    again = build_corpus(corpus.root, takes=TAKES, seed=3, progress=False)
    assert [t.take_id for t in again.takes] == [t.take_id for t in corpus.takes]
    assert (corpus.root / "1" / "1_ava_0_9_9.bvh").stat().st_mtime_ns == stamp


def test_take_outside_beat_speech_indices_is_rejected(tmp_path):
    from motiongen.core.errors import ConfigError

    with pytest.raises(ConfigError, match="1-118"):
        build_corpus(tmp_path / "bad", takes=(ScriptTake(200, ("Hello there.",)),), progress=False)


def test_corpus_bvh_reads_with_bvhio(corpus, cross_check_module):
    bvhio = cross_check_module("bvhio")
    path = corpus.root / "2" / "2_ben_0_66_66.bvh"
    ours = read_bvh(path)
    container = bvhio.readAsBvh(str(path))
    joints = [joint for joint, _, _ in container.Root.layout()]
    assert [joint.Name for joint in joints] == ours.skeleton.names
    assert container.FrameCount == ours.num_frames
    assert abs(container.FrameTime - 1 / 120) < 1e-6

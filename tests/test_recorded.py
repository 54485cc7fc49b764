"""Run folders (``motiongen live --record``, ``motiongen generate --out``) read as the generated takes of
an evaluation: matched to the evaluated takes by their audio, cut to the ground truth, mistakes named."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.cli import main
from motiongen.core.errors import ConfigError, InputFileError
from motiongen.core.motion_file import read_motion_file
from motiongen.evaluation.corpus import EvaluationTake, MotionRoles
from motiongen.evaluation.recorded import recorded_takes
from motiongen.formats.arkit import ARKIT_NAMES
from test_generate_cli import speech_like, tiny_checkpoint, write_wav  # noqa: F401  (session fixture)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_checkpoint):  # noqa: F811
    folder = tmp_path_factory.mktemp("recorded")
    speech = write_wav(folder / "speech.wav", speech_like(3.0, seed=2)[0])
    other = write_wav(folder / "other.wav", speech_like(3.0, seed=3)[0])
    made = {}
    for name, audio, seed in (("a1", speech, 1), ("a2", speech, 2), ("b", other, 1)):
        made[name] = folder / name
        assert main(["generate", "--audio", str(audio), "--checkpoint", str(tiny_checkpoint), "--out", str(made[name]),
                     "--seed", str(seed), "--steps", "2", "--no-preview", "words_without_transcript=silence"]) == 0
    return speech, other, made


def take(audio) -> EvaluationTake:
    return EvaluationTake(audio.stem, {}, 80, audio, None, None)


def roles(folder) -> MotionRoles:
    joints = tuple(read_motion_file(folder / "motion.npz").format.block("gesture").names)
    return MotionRoles("gesture", "expression", joints, tuple(ARKIT_NAMES))


def test_the_folders_of_a_take_become_its_samples_cut_to_the_ground_truth(runs):
    speech, other, made = runs
    gestures, faces = recorded_takes([made["b"], made["a1"], made["a2"]], [take(speech), take(other)], [80, 70],
                                     roles(made["a1"]))
    assert gestures[0].shape == (2, 80, 141) and faces[0].shape == (2, 80, 52)
    assert gestures[1].shape == (1, 70, 141) and faces[1].shape == (1, 70, 52)
    for k, name in enumerate(("a1", "a2")):
        blocks = read_motion_file(made[name] / "motion.npz").blocks
        np.testing.assert_array_equal(gestures[0][k], blocks["gesture"][0, :80])
        np.testing.assert_array_equal(faces[0][k], blocks["expression"][0, :80])
    assert not np.array_equal(gestures[0][0], gestures[0][1]), "two seeds, two samples"


def test_mistakes_name_the_folder_and_what_is_expected(runs, tmp_path):
    speech, other, made = runs
    wanted = roles(made["a1"])
    with pytest.raises(ConfigError, match="audio is none of the evaluated takes"):
        recorded_takes([made["b"]], [take(speech)], [80], wanted)
    with pytest.raises(ConfigError, match="no run folder for take"):
        recorded_takes([made["a1"]], [take(speech), take(other)], [80, 80], wanted)
    with pytest.raises(ConfigError, match="90 frames for the 200"):
        recorded_takes([made["a1"]], [take(speech)], [200], wanted)
    with pytest.raises(InputFileError, match="no motion.npz"):
        recorded_takes([tmp_path], [take(speech)], [80], wanted)
    with pytest.raises(InputFileError, match="channels"):
        recorded_takes([made["a1"]], [take(speech)], [80], MotionRoles("gesture", None, ("Hips",), ()))

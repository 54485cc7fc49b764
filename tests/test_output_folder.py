"""The generation output folder is declared once (``motiongen.core.output_folder``): export writes
it through the declaration, readers (``render/``, the quickstart) open it through the same one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motiongen.core.errors import InputFileError
from motiongen.core.motion_file import read_motion_file
from motiongen.core.output_folder import (
    AUDIO_INPUT,
    FACE_JSON_FILE,
    LIVE_LINK_FILE,
    METADATA_FILE,
    MOTION_FILE,
    RunMetadata,
    file_record,
    read_output_folder,
    sample_name,
    write_metadata,
)
from motiongen.export.run import write_run
from motiongen.generation.types import GeneratedMotion
from tests.render_helpers import face_format, generation_folder


def face_motion(samples: int) -> GeneratedMotion:
    weights = np.random.default_rng(0).uniform(0, 1, (samples, 12, 52)).astype(np.float32)
    return GeneratedMotion({"face": weights}, face_format(), metadata={"seed": 3})


def test_a_written_folder_round_trips(tmp_path):
    speech = tmp_path / "speech.wav"
    speech.write_bytes(b"RIFF")
    run = write_run(tmp_path / "run", face_motion(2), inputs={AUDIO_INPUT: file_record(speech, "ab" * 32)},
                    model={"checkpoint": "x.ckpt"}, config={"generate": {"seed": 3}})
    folder = read_output_folder(run.folder / MOTION_FILE)  # the motion file names its folder too
    assert folder.folder == run.folder
    metadata = folder.metadata
    assert metadata.outputs == ["arkit"] and metadata.output_fps == 30 and metadata.generation["seed"] == 3
    assert metadata.model == {"checkpoint": "x.ckpt"} and metadata.config == {"generate": {"seed": 3}}
    assert metadata.input_path(AUDIO_INPUT) == speech and folder.speech() == speech
    assert json.loads((run.folder / METADATA_FILE).read_text()) == metadata.to_dict()
    assert read_motion_file(folder.motion).metadata["outputs"] == ["arkit"]
    for k in range(2):
        assert folder.path(sample_name(FACE_JSON_FILE, k, 2)).name == f"face_{k}.json"
        assert folder.path(sample_name(LIVE_LINK_FILE, k, 2)) in run.files.values()
    assert sorted(run.files) == sorted([METADATA_FILE, MOTION_FILE, "face_0.json", "face_1.json",
                                        "face_livelink_0.csv", "face_livelink_1.csv"])


def test_render_finds_the_motion_and_the_speech_through_the_declaration(tmp_path):
    from render.retarget.motion import read_generation_folder

    folder = generation_folder(tmp_path / "gen", frames=8)
    assert read_generation_folder(folder).audio is None
    speech = tmp_path / "take.wav"
    speech.write_bytes(b"RIFF")
    write_metadata(folder, RunMetadata(inputs={AUDIO_INPUT: file_record(speech, "0" * 64)}))
    motion = read_generation_folder(folder / MOTION_FILE)
    assert motion.audio == speech and motion.weights.shape == (8, 52)
    speech.unlink()  # the recorded speech is gone: the preview's audio track stands in
    (folder / "preview.mp4").write_bytes(b"")
    assert read_generation_folder(folder).audio == folder.resolve() / "preview.mp4"


def test_a_folder_missing_a_file_gives_a_one_line_error(tmp_path):
    from render.errors import RenderError
    from render.retarget.motion import read_generation_folder

    folder = generation_folder(tmp_path / "gen")
    (folder / "motion.bvh").unlink()
    with pytest.raises(RenderError) as err:
        read_generation_folder(folder)
    message = str(err.value)
    assert "\n" not in message and str(folder) in message and "lacks motion.bvh" in message and "motion.npz" in message
    (folder / METADATA_FILE).unlink()
    with pytest.raises(InputFileError, match=f"lacks {METADATA_FILE} \\(it holds: motion.npz\\)$"):
        read_output_folder(folder)
    (folder / METADATA_FILE).write_text(json.dumps({"inputs": {}, "model": {}}))
    with pytest.raises(InputFileError, match="metadata lacks generation, output_fps, outputs, warnings, config"):
        read_output_folder(folder)
    with pytest.raises(InputFileError, match="no such folder"):
        read_output_folder(tmp_path / "absent")

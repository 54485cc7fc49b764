"""ARKit blendshape curves: BEAT facial JSON and Live Link Face CSV, on format-exact synthetic files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from motiongen.core.errors import InputFileError
from motiongen.formats.arkit import (
    ARKIT_NAMES,
    BEAT_JSON_NAMES,
    LIVE_LINK_COLUMNS,
    format_timecodes,
    read_beat_face_json,
    read_live_link_csv,
    write_beat_face_json,
    write_live_link_csv,
)

# The header Live Link Face writes (as exported by the app and read by public importers).
LIVE_LINK_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,"
    "EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,"
    "EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,"
    "MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,"
    "MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,"
    "MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,"
    "CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,"
    "LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
)

# The 51 names of a released BEAT v0.2.1 facial JSON, in the file's (alphabetical) order.
BEAT_51 = [
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft",
    "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight",
    "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight",
    "mouthFrownLeft", "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
    "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
]  # fmt: skip


def beat_json(path, names, values, times=None, rotation=None):
    """Write a BEAT-layout facial JSON: values (F, len(names)), times (F,) seconds."""
    values = np.asarray(values, dtype=np.float64)
    if times is None:
        times = 0.81 + np.arange(len(values)) / 60.0
    frames = [
        {"weights": list(map(float, row)), "time": float(t), "rotation": [] if rotation is None else list(rotation[i])}
        for i, (row, t) in enumerate(zip(values, times))
    ]
    path.write_text(json.dumps({"names": list(names), "frames": frames}))
    return path


def canonical(rng, frames=90):
    return rng.uniform(0.0, 1.0, size=(frames, 52))


def test_arkit_name_tables():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert ARKIT_NAMES[0] == "eyeBlinkLeft" and ARKIT_NAMES[-1] == "tongueOut"
    assert ",".join(LIVE_LINK_COLUMNS) == LIVE_LINK_HEADER
    assert list(BEAT_JSON_NAMES[:51]) == BEAT_51 and BEAT_JSON_NAMES[51] == "tongueOut"


def test_beat_51_names_shuffled_map_by_name(tmp_path):
    rng = np.random.default_rng(0)
    truth = canonical(rng)
    truth[:, ARKIT_NAMES.index("tongueOut")] = 0.0
    order = rng.permutation(BEAT_51)
    values = truth[:, [ARKIT_NAMES.index(n) for n in order]]
    curves = read_beat_face_json(beat_json(tmp_path / "f.json", order, values))
    np.testing.assert_allclose(curves.weights, truth, atol=1e-7)
    assert curves.weights.dtype == np.float32 and curves.weights.shape == (90, 52)
    assert curves.fps == pytest.approx(60.0)
    assert curves.start_time == pytest.approx(0.81)
    assert curves.head_rotation is None
    assert len(curves.warnings) == 1 and "tongueOut" in curves.warnings[0] and "filled with 0" in curves.warnings[0]


def test_beat_52_names_case_and_suffix_aliases(tmp_path):
    rng = np.random.default_rng(1)
    truth = canonical(rng, 30)
    order = list(rng.permutation(ARKIT_NAMES))
    spelled = [n[0].upper() + n[1:] for n in order]
    spelled[order.index("mouthSmileLeft")] = "mouthSmile_L"
    spelled[order.index("eyeBlinkRight")] = "EYEBLINK_R"
    values = truth[:, [ARKIT_NAMES.index(n) for n in order]]
    curves = read_beat_face_json(beat_json(tmp_path / "f.json", spelled, values))
    np.testing.assert_allclose(curves.weights, truth, atol=1e-7)
    assert curves.warnings == []
    assert curves.source_names == spelled


def test_beat_resample_by_time_stamps(tmp_path):
    rng = np.random.default_rng(2)
    truth = canonical(rng, 121)
    path = beat_json(tmp_path / "f.json", ARKIT_NAMES, truth)
    at30 = read_beat_face_json(path, target_fps=30)
    np.testing.assert_allclose(at30.weights, truth[::2], atol=1e-6)
    assert at30.fps == 30 and at30.num_frames == 61
    at24 = read_beat_face_json(path, target_fps=24)
    source_t = np.arange(121) / 60.0
    expected = np.interp(np.arange(49) / 24.0, source_t, truth[:, 17])
    np.testing.assert_allclose(at24.weights[:, 17], expected, atol=1e-6)
    assert at24.duration == pytest.approx(49 / 24)


def test_beat_irregular_stamps_interpolated_and_gap_warned(tmp_path):
    times = np.array([0.0, 1 / 60, 2 / 60, 5 / 60, 6 / 60])
    ramp = np.tile(times[:, None] * 6, (1, 52))  # linear in time -> exact under linear interpolation
    curves = read_beat_face_json(beat_json(tmp_path / "f.json", ARKIT_NAMES, ramp, times), target_fps=60)
    np.testing.assert_allclose(curves.weights[:, 0], np.arange(7) / 60 * 6, atol=1e-6)
    assert any("gap" in w for w in curves.warnings)


def test_beat_head_rotation_read(tmp_path):
    rotation = np.random.default_rng(3).normal(size=(10, 3))
    path = beat_json(tmp_path / "f.json", ARKIT_NAMES, np.zeros((10, 52)), rotation=rotation)
    np.testing.assert_allclose(read_beat_face_json(path).head_rotation, rotation, atol=1e-6)


def test_beat_writer_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    truth = canonical(rng, 50).astype(np.float32)
    write_beat_face_json(tmp_path / "out.json", truth, fps=60)
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["names"] == list(BEAT_JSON_NAMES)
    assert document["frames"][3]["time"] == pytest.approx(3 / 60)
    assert document["frames"][0]["rotation"] == []
    back = read_beat_face_json(tmp_path / "out.json")
    np.testing.assert_allclose(back.weights, truth, atol=1e-6)
    assert back.fps == pytest.approx(60) and back.warnings == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"names": ["jawOpen"], "frames": [', "not valid JSON"),
        ("[1, 2]", "expected an object with 'names' and 'frames'"),
        ('{"names": ["jawOpen"]}', "expected an object"),
        ('{"names": ["jawOpen"], "frames": []}', "no frames"),
        ('{"names": [], "frames": [{"time": 0, "weights": []}]}', "no blendshape names"),
        ('{"names": ["jawOpen", "smile"], "frames": [{"time": 0, "weights": [0, 0]}]}', "unknown blendshape name(s) ['smile']"),
        ('{"names": ["jawOpen", "JawOpen"], "frames": [{"time": 0, "weights": [0, 0]}]}', "duplicate blendshape name 'JawOpen'"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": [0.1]}, {"time": 0.1, "weights": [0.1, 0.2]}]}', "frame 1: 2 weights for 1 names"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": [NaN]}]}', "frame 0: blendshape 'jawOpen' is nan"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": [Infinity]}]}', "is inf"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": ["x"]}]}', "frame 0: 'weights' holds a non-number 'x'"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": [0.2]}, {"time": 0.1, "weights": [1.7]}]}', "frame 1: blendshape 'jawOpen' = 1.7 is outside [0, 1]"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": [-0.3]}]}', "outside [0, 1]"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0.2, "weights": [0]}, {"time": 0.1, "weights": [0]}]}', "frame 1: time stamps not increasing"),
        ('{"names": ["jawOpen"], "frames": [{"time": 0.2, "weights": [0]}, {"time": 0.2, "weights": [0]}]}', "not increasing"),
        ('{"names": ["jawOpen"], "frames": [{"weights": [0]}]}', "frame 0: no 'time' field"),
        ('{"names": ["jawOpen"], "frames": [{"time": "0", "weights": [0]}]}', "frame 0: 'time' holds a non-number"),
        ('{"names": ["jawOpen"], "frames": [[0.1]]}', "frame 0: expected an object"),
    ],
)
def test_beat_bad_input(tmp_path, content, needle):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputFileError) as caught:
        read_beat_face_json(path)
    assert needle in str(caught.value)
    assert str(path) in str(caught.value)


def test_beat_json_error_has_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n"names": ["jawOpen"],\n"frames": [oops]}')
    with pytest.raises(InputFileError) as caught:
        read_beat_face_json(path)
    assert caught.value.line == 3


def test_beat_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        read_beat_face_json(tmp_path / "none.json")


def test_beat_small_excursions_clipped_with_warning(tmp_path):
    values = np.full((3, 52), 0.5)
    values[0, 5] = 1.03
    values[2, 7] = -0.01
    curves = read_beat_face_json(beat_json(tmp_path / "f.json", ARKIT_NAMES, values))
    assert curves.weights[0, 5] == 1.0 and curves.weights[2, 7] == 0.0
    assert any("2 weight(s) slightly outside [0, 1]" in w for w in curves.warnings)
    with pytest.raises(InputFileError, match="outside"):
        read_beat_face_json(tmp_path / "f.json", clip_tolerance=0.0)


def test_live_link_writer_layout(tmp_path):
    rng = np.random.default_rng(5)
    weights = canonical(rng, 62)
    head = rng.normal(size=(62, 3))
    eyes = rng.normal(size=(62, 6))
    path = tmp_path / "take.csv"
    write_live_link_csv(path, weights, fps=60, head_rotation=head, eye_rotation=eyes)
    lines = path.read_text().splitlines()
    assert lines[0] == LIVE_LINK_HEADER
    assert len(lines) == 63
    first, sixty_first = lines[1].split(","), lines[61].split(",")
    assert first[:2] == ["00:00:00:00.000", "61"]
    assert sixty_first[0] == "00:00:01:00.000"
    assert len(first) == 63
    assert float(first[2]) == pytest.approx(weights[0, 0], abs=1e-8)
    assert float(first[54]) == pytest.approx(head[0, 0], abs=1e-8)
    back = read_live_link_csv(path)
    np.testing.assert_allclose(back.weights, weights, atol=1e-7)
    np.testing.assert_allclose(back.head_rotation, head, atol=1e-7)
    np.testing.assert_allclose(back.eye_rotation, eyes, atol=1e-7)
    assert back.fps == pytest.approx(60) and back.warnings == []


def test_live_link_round_trip_at_30_fps_and_resample(tmp_path):
    weights = canonical(np.random.default_rng(6), 31)
    write_live_link_csv(tmp_path / "a.csv", weights, fps=30)
    assert (tmp_path / "a.csv").read_text().splitlines()[31].startswith("00:00:01:00.000,61,")
    back = read_live_link_csv(tmp_path / "a.csv", fps=30)
    np.testing.assert_allclose(back.weights, weights, atol=1e-7)
    np.testing.assert_array_equal(back.head_rotation, np.zeros((31, 3)))
    at15 = read_live_link_csv(tmp_path / "a.csv", fps=30, target_fps=15)
    np.testing.assert_allclose(at15.weights, weights[::2], atol=1e-6)


def test_timecodes():
    codes = format_timecodes(3700 * 60 + 2, 60)
    assert codes[59] == "00:00:00:59.000" and codes[60] == "00:00:01:00.000"
    assert codes[-1] == "01:01:40:01.000"
    assert format_timecodes(2, 24)[1] == "00:00:00:01.000"


def test_live_link_subframe_time_codes_and_missing_columns(tmp_path):
    header = "Timecode,BlendShapeCount,JawOpen,EyeBlinkLeft"
    rows = ["07:44:57:02.944,2,0.5,0.25", "07:44:57:03.944,2,0.6,0.25", "07:44:57:05.444,2,0.8,0.25"]
    path = tmp_path / "recorded.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    curves = read_live_link_csv(path, fps=60)
    assert curves.start_time == pytest.approx(7 * 3600 + 44 * 60 + 57 + 2.944 / 60)
    assert curves.num_frames == 3
    assert curves.head_rotation is None and curves.eye_rotation is None
    assert any("50 ARKit blendshape(s) absent" in w for w in curves.warnings)
    assert any("rotation column(s) absent" in w for w in curves.warnings)
    resampled = read_live_link_csv(path, fps=60, target_fps=60)
    # frames at 0, 1 and 2.5 frame steps: value at step 2 is interpolated between 0.6 and 0.8
    np.testing.assert_allclose(resampled.weights[:, ARKIT_NAMES.index("jawOpen")], [0.5, 0.6, 0.6 + 0.2 / 1.5], atol=1e-6)


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("", "empty file", None),
        ("Time,BlendShapeCount,JawOpen\n", "first columns must be Timecode,BlendShapeCount", 1),
        ("Timecode,BlendShapeCount,JawOpen\n", "no frames", None),
        ("Timecode,BlendShapeCount,JawOpen,Smile\n00:00:00:00.000,2,0,0\n", "unknown blendshape name(s) ['Smile']", None),
        ("Timecode,BlendShapeCount,JawOpen,jawopen\n00:00:00:00.000,2,0,0\n", "duplicate blendshape name", None),
        ("Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,0.1\n00:00:00:01.000,1\n", "2 fields, header has 3", 3),
        ("Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,abc\n", "JawOpen = 'abc' is not a number", 2),
        ("Timecode,BlendShapeCount,JawOpen\n0:0:0,1,0.1\n", "is not HH:MM:SS:FF.fff", 2),
        ("Timecode,BlendShapeCount,JawOpen\n00:00:00:02.000,1,0.1\n00:00:00:01.000,1,0.1\n", "frame 1: time stamps not increasing", None),
        ("Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,nan\n", "blendshape 'JawOpen' is nan", None),
        ("Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,3.5\n", "outside [0, 1]", None),
    ],
)
def test_live_link_bad_input(tmp_path, text, needle, line):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        read_live_link_csv(path)
    assert needle in str(caught.value)
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("weights", "kwargs", "needle"),
    [
        (np.zeros((5, 51)), {}, "shape (F, 52)"),
        (np.zeros((0, 52)), {}, "no frames"),
        (np.full((2, 52), math.nan), {}, "NaN"),
        (np.zeros((2, 52)), {"fps": 0}, "fps"),
        (np.zeros((2, 52)), {"head_rotation": np.zeros((3, 3))}, "head_rotation"),
    ],
)
def test_writers_validate(tmp_path, weights, kwargs, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        write_live_link_csv(tmp_path / "x.csv", weights, **kwargs)
    if "head_rotation" not in kwargs:
        with pytest.raises(ValueError):
            write_beat_face_json(tmp_path / "x.json", weights, **kwargs)

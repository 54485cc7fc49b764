"""The declared motion format: validation, storage round trips, the generic cache writer, and motion
files read with the bottom layer only."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from motiongen.cache.info import CacheInfo
from motiongen.cache.writer import CacheWriter
from motiongen.core.errors import ConfigError, InputFileError
from motiongen.core.motion_file import read_motion_file, write_motion_file
from motiongen.core.motion_format import (
    ConditionKind,
    ConditionStream,
    FormatError,
    MotionBlock,
    MotionFormat,
    Representation,
)
from motiongen.core.skeleton import Skeleton, SkeletonTemplate


def three_block_format(with_skeleton: bool = True) -> MotionFormat:
    """Body landmarks, hand joint rotations (6-D) and face weights; no audio; a sign label."""
    skeleton = Skeleton(["Wrist", "Index", "Thumb"], [-1, 0, 0], [[0, 0, 0], [0, 8, 0], [3, 5, 0]],
                        [("Zrotation", "Xrotation", "Yrotation")] * 3, ["ZXY"] * 3)
    return MotionFormat(
        fps=30.0,
        blocks=(
            MotionBlock("body", Representation.LANDMARKS_3D, ("nose", "left_shoulder", "right_shoulder"), "shoulder widths"),
            MotionBlock("hands", Representation.ROT6D, ("Index", "Thumb"), "rotation"),
            MotionBlock("face", Representation.ARKIT_WEIGHTS, ("jawOpen", "eyeBlinkLeft"), "weight"),
        ),
        conditions=(
            ConditionStream("speaker", ConditionKind.SPEAKER, 2, labels=("u1", "u2")),
            ConditionStream("sign", ConditionKind.TEXT_LABEL, 3, labels=("привет", "пока", "да")),
        ),
        skeleton=SkeletonTemplate(skeleton, np.zeros((3, 3)), np.zeros(3)) if with_skeleton else None,
    )


def test_widths_slices_and_channel_names():
    fmt = three_block_format()
    assert [b.width for b in fmt.blocks] == [9, 12, 2] and fmt.width == 23
    assert fmt.slices() == {"body": slice(0, 9), "hands": slice(9, 21), "face": slice(21, 23)}
    assert fmt.block("body").channel_names()[:3] == ("nose.x", "nose.y", "nose.z")
    assert fmt.block("face").channel_names() == ("jawOpen", "eyeBlinkLeft")
    assert not fmt.conditions_of(ConditionKind.AUDIO) and fmt.condition("sign").index_of("пока") == 1
    motion = np.arange(2 * 23, dtype=np.float32).reshape(2, 23)
    np.testing.assert_array_equal(fmt.join(fmt.split(motion)), motion)
    with pytest.raises(KeyError, match="known: привет, пока, да"):
        fmt.condition("sign").index_of("спасибо")
    with pytest.raises(KeyError, match="blocks: body, hands, face"):
        fmt.block("gesture")


@pytest.mark.parametrize("make, message", [
    (lambda: MotionBlock("a b", "axis_angle", ("x",)), "letters"),
    (lambda: MotionBlock("a", "axis_angle", ()), "names no"),
    (lambda: MotionBlock("a", "quaternion", ("x",)), "quaternion"),
    (lambda: ConditionStream("speaker", "speaker", 3, labels=("1", "2")), "3 classes but 2 labels"),
    (lambda: MotionFormat(30.0, (MotionBlock("a", "axis_angle", ("x",)), MotionBlock("a", "rot6d", ("y",)))), "used twice"),
    (lambda: MotionFormat(30.0, ()), "at least one block"),
])
def test_inconsistent_declarations_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_statistics_and_json_round_trip(tmp_path):
    fmt = three_block_format().with_statistics({"face": (np.array([0.1, 0.2]), np.array([0.5, 0.25]))})
    restored = MotionFormat.from_json(fmt.to_json())
    assert restored.to_dict() == fmt.to_dict()
    assert restored.skeleton.skeleton.names == ["Wrist", "Index", "Thumb"]
    np.testing.assert_allclose(restored.normalise("face", np.array([0.6, 0.45])), [1.0, 1.0])
    assert restored.normalised_names() == ("face",)
    with pytest.raises(KeyError, match="no normalisation"):
        restored.normalise("body", np.zeros(9))
    with pytest.raises(FormatError, match="unknown"):
        fmt.with_statistics({"gesture": (np.zeros(1), np.ones(1))})
    payload = fmt.to_dict()
    payload["version"] = 0
    with pytest.raises(FormatError, match="version 0"):
        MotionFormat.from_dict(payload)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputFileError, match="bad.json"):
        MotionFormat.load(tmp_path / "bad.json")


def write_three_block_cache(cache_dir, frames: int = 80) -> CacheInfo:
    """A cache of the three-block format with 4 takes (3 train, 1 val), written through CacheWriter."""
    fmt = three_block_format()
    writer = CacheWriter(cache_dir, fmt, settings={"source": "test"})
    rng = np.random.default_rng(0)
    time = np.arange(frames)[:, None] / 30.0
    for index, (split, speaker, sign) in enumerate([("train", "u1", "привет"), ("train", "u2", "пока"),
                                                    ("train", "u1", "да"), ("val", "u2", "привет")]):
        phase = rng.uniform(0, 6, (1, 23))
        motion = (np.sin(2 * np.pi * (0.5 + index / 4) * time + phase)).astype(np.float32)
        motion[:, 21:] = 0.5 + 0.4 * motion[:, 21:]
        arrays = fmt.split(motion)
        writer.write_take(f"clip{index}", arrays, split, categories={"speaker": speaker, "sign": sign})
    return writer.finish(std_floor=1e-3)


def test_cache_writer_declares_the_format_and_normalises_every_block(tmp_path):
    info = write_three_block_cache(tmp_path / "cache")
    assert info.format.block_names() == ("body", "hands", "face")
    assert set(info.format.normalised_names()) == {"body", "hands", "face"}
    assert [t.take_id for t in info.takes_in("train")] == ["clip0", "clip1", "clip2"]
    assert info.category_index(info.takes[1], "sign") == 1
    train = np.concatenate([np.asarray(info.block(t, "hands")) for t in ("clip0", "clip1", "clip2")])
    np.testing.assert_allclose(info.format.normalisation("hands").mean, train.mean(0), atol=1e-5)
    manifest = json.loads((tmp_path / "cache" / "manifest.json").read_text())
    assert manifest["motion_format"] == "motion_format.json" and manifest["split_counts"]["val"] == 1


@pytest.mark.parametrize("arrays, categories, message", [
    ({"body": np.zeros((5, 9)), "hands": np.zeros((5, 12))}, {"speaker": "u1", "sign": "да"}, "do not match"),
    ({"body": np.zeros((5, 9)), "hands": np.zeros((5, 11)), "face": np.zeros((5, 2))}, {"speaker": "u1", "sign": "да"},
     "hands has shape"),
    ({"body": np.zeros((5, 9)), "hands": np.zeros((4, 12)), "face": np.zeros((5, 2))}, {"speaker": "u1", "sign": "да"},
     "differ in length"),
    ({"body": np.full((5, 9), np.nan), "hands": np.zeros((5, 12)), "face": np.zeros((5, 2))},
     {"speaker": "u1", "sign": "да"}, "NaN"),
    ({"body": np.zeros((5, 9)), "hands": np.zeros((5, 12)), "face": np.zeros((5, 2))}, {"speaker": "u1"}, "no sign"),
    ({"body": np.zeros((5, 9)), "hands": np.zeros((5, 12)), "face": np.zeros((5, 2))},
     {"speaker": "u1", "sign": "нет"}, "not known"),
])
def test_cache_writer_rejects_takes_that_do_not_fit(tmp_path, arrays, categories, message):
    writer = CacheWriter(tmp_path / "cache", three_block_format())
    with pytest.raises(ConfigError, match=message):
        writer.write_take("bad", arrays, "train", categories=categories)


def test_cache_of_an_older_layout_is_refused_with_its_version(tmp_path):
    write_three_block_cache(tmp_path / "cache")
    manifest = json.loads((tmp_path / "cache" / "manifest.json").read_text())
    manifest["cache_format"] = 1
    (tmp_path / "cache" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputFileError, match="cache layout version 1.*motiongen preprocess"):
        CacheInfo.load(tmp_path / "cache")


def test_motion_file_round_trip_and_errors(tmp_path):
    fmt = three_block_format()
    blocks = {b.name: np.random.default_rng(1).normal(size=(2, 7, b.width)).astype(np.float32) for b in fmt.blocks}
    path = tmp_path / "motion.npz"
    write_motion_file(path, fmt, blocks, {"seed": 3}, extras={"note": np.arange(3)})
    motion = read_motion_file(path)
    assert motion.format.to_dict() == fmt.to_dict() and motion.metadata == {"seed": 3}
    assert motion.num_samples == 2 and motion.num_frames == 7
    for name, array in blocks.items():
        np.testing.assert_array_equal(motion.blocks[name], array)
    np.testing.assert_array_equal(motion.extras["note"], np.arange(3))
    with pytest.raises(ValueError, match="hands"):
        write_motion_file(path, fmt, {**blocks, "hands": blocks["hands"][..., :5]})
    np.savez(tmp_path / "old.npz", gesture_axis_angle=np.zeros((1, 3, 6)))
    with pytest.raises(InputFileError, match="old.npz.*no motion_file_version"):
        read_motion_file(tmp_path / "old.npz")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InputFileError, match="broken.npz"):
        read_motion_file(tmp_path / "broken.npz")


def test_a_motion_file_reads_with_the_bottom_layer_alone(tmp_path):
    """What a render-style consumer does: read a motion file and run forward kinematics, importing
    nothing of motiongen but ``motiongen.core`` (and no training framework)."""
    fmt = three_block_format()
    blocks = {b.name: np.zeros((1, 4, b.width), np.float32) for b in fmt.blocks}
    write_motion_file(tmp_path / "motion.npz", fmt, blocks)
    script = (
        "import sys\n"
        "from motiongen.core.motion_file import read_motion_file\n"
        "from motiongen.core.kinematics import forward_kinematics\n"
        "from motiongen.core.rotations import sixd_to_matrix\n"
        "import numpy as np\n"
        f"m = read_motion_file({str(tmp_path / 'motion.npz')!r})\n"
        "hands = m.blocks['hands'][0].reshape(4, 2, 6) + np.array([1, 0, 0, 0, 1, 0])\n"
        "rot = np.concatenate([np.broadcast_to(np.eye(3), (4, 1, 3, 3)), sixd_to_matrix(hands)], axis=1)\n"
        "pos = forward_kinematics(m.format.skeleton.skeleton, rot, np.zeros((4, 3)))\n"
        "assert pos.shape == (4, 3, 3)\n"
        "loaded = sorted(n for n in sys.modules if n.startswith('motiongen'))\n"
        "heavy = sorted(n for n in ('torch', 'lightning', 'hydra', 'omegaconf', 'transformers') if n in sys.modules)\n"
        "print(loaded, heavy)\n"
        "assert all(n == 'motiongen' or n.startswith('motiongen.core') for n in loaded), loaded\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

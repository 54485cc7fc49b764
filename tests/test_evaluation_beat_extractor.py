"""Loading BEAT's released FGD auto-encoder checkpoint as the gesture feature extractor."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from beat_checkpoint import beat_model_state, reference_features, write_beat_checkpoint, write_statistics
from scipy.spatial.transform import Rotation

from motiongen.core.errors import InputFileError
from motiongen.evaluation.beat_extractor import PretrainedGesture, load_beat_extractor
from motiongen.skeletons import load_joint_set

JOINTS = load_joint_set("beat47_upper")
ORDERS = ["ZXY" if i % 3 else "ZYX" for i in range(len(JOINTS))]


def _settings(tmp_path, state=None, joint_set="beat47_upper", statistics=True):
    checkpoint = write_beat_checkpoint(tmp_path / "ae_300.bin", state)
    mean, std = write_statistics(tmp_path) if statistics else (None, None)
    return PretrainedGesture(str(checkpoint), None if mean is None else str(mean), None if std is None else str(std),
                             joint_set)


@pytest.mark.parametrize("ddp", [False, True])
def test_features_match_beats_encoder_on_converted_windows(tmp_path, ddp):
    """30 fps axis-angle windows -> every 2nd frame -> per-joint Euler degrees -> BEAT's standardisation
    -> BEAT's encoder; checked against scipy's Euler angles and a functional forward pass."""
    state = beat_model_state(feature=16, seed=3, ddp=ddp)
    settings = _settings(tmp_path, state)
    extractor = load_beat_extractor(settings, JOINTS, ORDERS, fps=30.0)
    assert extractor.config.window == 68 and extractor.config.feature_dim == 16 and extractor.config.channels == 141

    rng = np.random.default_rng(0)
    windows = rng.normal(0, 0.6, (5, 68, 141))
    features = extractor.features(windows)

    decimated = windows[:, ::2].reshape(5, 34, 47, 3)
    euler = np.stack([Rotation.from_rotvec(decimated[:, :, j].reshape(-1, 3)).as_euler(ORDERS[j], degrees=True)
                      .reshape(5, 34, 3) for j in range(47)], axis=2).reshape(5, 34, 141)
    mean, std = np.load(settings.mean), np.load(settings.std)
    expected = reference_features(state, (euler - mean) / std)
    assert features.shape == (5, 16)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-4)
    assert np.abs(features[0] - features[1]).max() > 1e-3, "different windows must give different features"


def test_windows_of_the_wrong_shape_are_refused(tmp_path):
    extractor = load_beat_extractor(_settings(tmp_path), JOINTS, ORDERS, fps=15.0)
    assert extractor.config.window == 34
    with pytest.raises(ValueError, match=r"\(N, 34, 141\)"):
        extractor.features(np.zeros((2, 30, 141)))


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("pose_encoder.fc_mu.weight"), "missing ['fc_mu.weight']"),
    (lambda s: s.__setitem__("pose_encoder.fc_mu.weight", torch.zeros(16, 8)), "fc_mu.weight (16, 8) (expected (16, 16))"),
    (lambda s: s.__setitem__("pose_encoder.extra.weight", torch.zeros(3)), "unexpected ['extra.weight']"),
    (lambda s: [s.pop(k) for k in list(s) if k.startswith("pose_encoder.")], "no 'pose_encoder.*' weights"),
])
def test_checkpoint_that_does_not_fit_the_architecture_names_the_file_and_the_mismatch(tmp_path, change, message):
    state = beat_model_state(feature=16)
    change(state)
    settings = _settings(tmp_path, state)
    with pytest.raises(InputFileError) as err:
        load_beat_extractor(settings, JOINTS, ORDERS, fps=30.0)
    assert message in str(err.value) and "ae_300.bin" in str(err.value)


def test_files_that_are_not_beat_checkpoints_are_refused(tmp_path):
    other = tmp_path / "other.bin"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(InputFileError, match="model_state"):
        load_beat_extractor(PretrainedGesture(str(other), None, None), JOINTS, ORDERS, 30.0)
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a torch file")
    with pytest.raises(InputFileError, match="weights_only=True"):
        load_beat_extractor(PretrainedGesture(str(broken), None, None), JOINTS, ORDERS, 30.0)


def test_cache_channels_other_than_the_checkpoints_layout_are_refused(tmp_path):
    settings = _settings(tmp_path)
    swapped = [JOINTS[1], JOINTS[0], *JOINTS[2:]]
    with pytest.raises(InputFileError, match="first difference at position 0: cache Neck, expected Spine"):
        load_beat_extractor(settings, swapped, ORDERS, 30.0)
    with pytest.raises(InputFileError, match="46 joints .* cache nothing, expected LeftHandThumb3"):
        load_beat_extractor(settings, JOINTS[:-1], ORDERS[:-1], 30.0)
    with pytest.raises(InputFileError, match="reads 141 channels per frame, but the declared joint set beat75"):
        load_beat_extractor(PretrainedGesture(settings.checkpoint, settings.mean, settings.std, "beat75"),
                            load_joint_set("beat75"), ["ZXY"] * 75, 30.0)
    with pytest.raises(InputFileError, match="cache is at 25 fps, not a whole multiple"):
        load_beat_extractor(settings, JOINTS, ORDERS, 25.0)


def test_beats_training_statistics_are_required_and_checked(tmp_path):
    with pytest.raises(InputFileError, match="extractor.gesture_mean=bvh_mean.npy"):
        load_beat_extractor(_settings(tmp_path, statistics=False), JOINTS, ORDERS, 30.0)
    settings = _settings(tmp_path)
    np.save(settings.std, np.zeros(141))
    with pytest.raises(InputFileError, match="bvh_std.npy.*finite and positive"):
        load_beat_extractor(settings, JOINTS, ORDERS, 30.0)
    np.save(settings.mean, np.zeros(140))
    with pytest.raises(InputFileError, match="bvh_mean.npy.*must have 141 values"):
        load_beat_extractor(settings, JOINTS, ORDERS, 30.0)

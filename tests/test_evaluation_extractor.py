"""Motion feature extractor: windows, training, saving with a hash, and FGD on its features."""

import numpy as np
import pytest
import torch

from motiongen.core.errors import InputFileError
from motiongen.evaluation.evaluator_files import read_evaluator, save_evaluator
from motiongen.evaluation.extractor import ExtractorConfig, MotionAutoencoder
from motiongen.evaluation.extractor_training import WindowSampler, train_autoencoder
from motiongen.evaluation.metrics import frechet_distance_of_features
from motiongen.evaluation.windows import sliding_windows


def test_sliding_windows_are_views_with_the_right_frames():
    sequence = np.arange(20, dtype=np.float32).reshape(10, 2)
    windows = sliding_windows(sequence, 4, 3)
    assert windows.shape == (3, 4, 2)
    np.testing.assert_array_equal(windows[1], sequence[3:7])
    assert np.shares_memory(windows, sequence)
    assert sliding_windows(sequence, 11, 1).shape == (0, 11, 2)


def test_window_sampler_draws_windows_of_the_sequences():
    sequences = [np.arange(30, dtype=np.float32).reshape(15, 2), np.zeros((3, 2), np.float32)]
    sampler = WindowSampler(sequences, 5, seed=0)
    assert sampler.num_windows == 11  # the 3-frame sequence is too short
    batch = sampler.sample(16)
    assert batch.shape == (16, 5, 2)
    np.testing.assert_array_equal(np.diff(batch[:, :, 0], axis=1), 2.0)  # consecutive frames
    with pytest.raises(ValueError, match="as long as one window"):
        WindowSampler([np.zeros((3, 2))], 5, seed=0)


def _motion(rng, count, frames=200, channels=6, amplitude=1.0):
    t = np.arange(frames)[:, None] / 30.0
    return [amplitude * np.sin(2 * np.pi * rng.uniform(0.5, 2.0, channels) * t + rng.uniform(0, 6, channels))
            .astype(np.float32) for _ in range(count)]


def test_trained_extractor_tells_real_from_distorted_motion(tmp_path):
    rng = np.random.default_rng(0)
    train = _motion(rng, 12)
    model, info = train_autoencoder(train, window=32, steps=150, batch_size=32, lr=3e-3, seed=0, feature_dim=16, hidden=32,
                                    progress=False)
    assert info["final_reconstruction_l1"] < 0.8 * info["initial_reconstruction_l1"]
    real_a = np.concatenate([sliding_windows(m, 32, 16) for m in _motion(rng, 12)])
    real_b = np.concatenate([sliding_windows(m, 32, 16) for m in _motion(rng, 12)])
    frozen = np.concatenate([sliding_windows(np.repeat(m[:1], 200, 0), 32, 16) for m in _motion(rng, 12)])
    features = [model.features(w) for w in (real_a, real_b, frozen)]
    assert frechet_distance_of_features(features[0], features[1]) < 0.5 * frechet_distance_of_features(features[0], features[2])

    path = tmp_path / "evaluators" / "gesture_features.pt"
    digest = save_evaluator(path, "motion_features", model.describe(), model, info)
    payload = read_evaluator(path, "motion_features")
    assert payload["hash"] == digest and len(digest) == 12
    reloaded = MotionAutoencoder(ExtractorConfig(**payload["config"]))
    reloaded.load_state_dict(payload["state_dict"])
    np.testing.assert_allclose(reloaded.features(real_a), features[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(InputFileError, match="expected 'sync'"):
        read_evaluator(path, "sync")
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputFileError, match="broken.pt"):
        read_evaluator(tmp_path / "broken.pt", "sync")


def test_extractor_rejects_windows_of_the_wrong_shape():
    model = MotionAutoencoder(ExtractorConfig(channels=4, window=16, feature_dim=8, hidden=16))
    with pytest.raises(ValueError, match=r"\(B, 16, 4\)"):
        model.encode(torch.zeros(2, 15, 4))
    assert model.decode(model.encode(torch.zeros(2, 16, 4))).shape == (2, 16, 4)
    odd = MotionAutoencoder(ExtractorConfig(channels=3, window=34, feature_dim=8, hidden=16))
    assert odd.decode(odd.encode(torch.zeros(1, 34, 3))).shape == (1, 34, 3)

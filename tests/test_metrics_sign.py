import numpy as np
import pytest

from motiongen.evaluation.metrics import (
    active_duration,
    duration_ratio,
    dtw_mje,
    joint_error_matrix,
    path_length,
    top_k_accuracy,
    travel_ratio,
)


def _walk(frames=40, joints=5, seed=0):
    return np.cumsum(np.random.default_rng(seed).normal(size=(frames, joints, 2)), axis=0)


def test_dtw_mje_ignores_tempo_but_not_offsets_or_order():
    reference = _walk()
    assert dtw_mje(np.repeat(reference, 2, axis=0), reference) == pytest.approx(0.0)
    assert dtw_mje(reference + [3.0, 4.0], reference) == pytest.approx(5.0)
    assert dtw_mje(reference[::-1], reference) > 1.0
    other = _walk(seed=1)
    assert dtw_mje(reference[::2], reference) < dtw_mje(other, reference)


def test_masked_reference_joints_do_not_count():
    reference = _walk()
    generated = reference.copy()
    generated[:, 4] += 100.0
    mask = np.ones(reference.shape[:2])
    mask[:, 4] = 0
    assert dtw_mje(generated, reference, mask) == pytest.approx(0.0)
    assert joint_error_matrix(generated, reference).shape == (40, 40)
    with pytest.raises(ValueError, match="reference_mask"):
        dtw_mje(generated, reference, mask[:, :3])
    with pytest.raises(ValueError, match="differ"):
        dtw_mje(generated[:, :3], reference)


def test_travel_and_duration_ratios():
    reference = _walk()
    assert travel_ratio(2 * reference, reference) == pytest.approx(2.0)
    assert path_length(np.zeros((5, 2, 3))).tolist() == [0.0, 0.0]
    still = np.zeros((20, 1, 2))
    moving = still.copy()
    moving[5:15, 0, 0] = np.arange(10)  # at 0 on frame 5, moving until frame 14
    moving[15:, 0, 0] = 9
    assert active_duration(moving) == 10 and active_duration(still) == 0
    slower = np.zeros((40, 1, 2))
    slower[5:25, 0, 0] = np.arange(20) / 2  # the same path over 20 frames
    slower[25:, 0, 0] = 9.5
    assert duration_ratio(slower, moving) == pytest.approx(2.0)


def test_top_k_accuracy():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    labels = np.array([1, 1, 0])
    assert top_k_accuracy(scores, labels, 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(scores, labels, 2) == pytest.approx(2 / 3)
    assert top_k_accuracy(scores, labels, 3) == 1.0

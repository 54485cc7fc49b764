"""Known-answer tests of the evaluation metrics (plain array functions)."""

import numpy as np
import pytest

from motiongen.evaluation.metrics import (
    beat_align_beat,
    beat_consistency_emage,
    chunked_diversity,
    face_lvd,
    face_mse,
    feature_diversity,
    feature_statistics,
    frechet_distance,
    frechet_distance_of_features,
    gaussian_alignment,
    l1div,
    mouth_channels,
    onset_frames_beat,
    onset_frames_to_seconds,
    onsets_emage,
    srgr,
    srgr_normalised,
    wind,
)
from motiongen.evaluation.metrics.srgr import frame_semantic_scores


def test_frechet_of_a_set_with_itself_is_zero_and_symmetric():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6))
    b = rng.normal(loc=0.5, scale=1.5, size=(300, 6))
    assert frechet_distance_of_features(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance_of_features(a, b) == pytest.approx(frechet_distance_of_features(b, a), rel=1e-8)
    assert frechet_distance_of_features(a, b) > 1.0


def test_frechet_matches_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2 * np.sqrt(var1 * var2))
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)


def test_frechet_statistics_use_ddof_one():
    features = np.array([[0.0], [2.0]])
    mean, cov = feature_statistics(features)
    assert mean[0] == 1.0 and cov[0, 0] == pytest.approx(2.0)  # ddof=0 would give 1.0


def test_frechet_singular_product_falls_back_to_eps_and_large_imaginary_part_is_an_error():
    rng = np.random.default_rng(1)
    few = rng.normal(size=(3, 8))  # rank-2 covariances in 8 dimensions
    assert np.isfinite(frechet_distance_of_features(few, few + 0.1))
    with pytest.raises(ValueError, match="imaginary"):
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics(np.zeros((1, 3)))


def test_feature_diversity_is_zero_for_identical_clips_and_grows_with_spread():
    rng = np.random.default_rng(2)
    same = np.repeat(rng.normal(size=(1, 16)), 5, axis=0)
    assert feature_diversity(same) == 0.0
    spread = rng.normal(size=(5, 16))
    assert feature_diversity(2 * spread) == pytest.approx(2 * feature_diversity(spread))
    pair = np.array([[0.0, 0.0], [1.0, -2.0]])
    assert feature_diversity(pair) == pytest.approx(3.0)  # L1


def test_chunked_diversity_and_l1div():
    rng = np.random.default_rng(3)
    chunk = rng.normal(size=(10, 4))
    repeated = np.tile(chunk, (4, 1))
    assert chunked_diversity([repeated], 10) == 0.0
    varied = rng.normal(size=(40, 4))
    assert chunked_diversity([2 * varied], 10) == pytest.approx(2 * chunked_diversity([varied], 10))
    assert l1div(np.ones((30, 5))) == 0.0
    two_frames = np.array([[0.0, 1.0], [2.0, 1.0]])
    assert l1div(two_frames) == pytest.approx(1.0)  # (1 + 1) / 2 frames
    assert l1div(3 * varied) == pytest.approx(3 * l1div(varied))
    assert chunked_diversity([varied[:15]], 10) is None  # fewer than two chunks: not computable


def test_gaussian_alignment_is_one_on_the_onsets_and_falls_as_beats_move():
    onsets = np.array([0.5, 1.2, 2.0, 3.1])
    assert gaussian_alignment(onsets, onsets) == pytest.approx(1.0)
    scores = [gaussian_alignment(onsets, onsets + shift) for shift in (0.0, 0.1, 0.2, 0.4)]
    assert all(a > b for a, b in zip(scores, scores[1:]))
    assert gaussian_alignment(onsets, onsets + 0.3) == pytest.approx(np.exp(-0.5))
    assert gaussian_alignment(onsets, []) == 0.0
    assert np.isnan(gaussian_alignment([], onsets))


def _trajectory_with_stops(stop_frames, num_frames, depth=0.95, width=3.0):
    """(F, 3) positions moving 1 unit per frame whose speed dips to ``1 - depth`` at each of
    ``stop_frames`` (x(t) is the integral of a speed with Gaussian dips, so the dip is symmetric
    about the stop frame and its minimum strict)."""
    from scipy.special import erf

    t = np.arange(num_frames, dtype=np.float64)
    x = t.copy()
    for frame in stop_frames:
        x -= depth * width * np.sqrt(np.pi / 2) * erf((t - frame) / (width * np.sqrt(2)))
    return np.stack([x, np.zeros_like(x), np.zeros_like(x)], axis=1)


def _click_track(times_s, seconds, sample_rate=16_000):
    wave = np.zeros(int(seconds * sample_rate), dtype=np.float32)
    rng = np.random.default_rng(4)
    for time in times_s:
        start = int(time * sample_rate)
        burst = rng.normal(size=800).astype(np.float32) * np.exp(-np.arange(800) / 150.0).astype(np.float32)
        wave[start:start + 800] += burst
    return wave


def test_beat_align_on_click_track_is_high_when_stops_sit_on_clicks_and_falls_when_moved():
    fps, seconds = 15.0, 18.0  # BEAT scores 15 fps motion from 10 s on
    clicks = 10.0 + np.array([0.7, 1.6, 2.5, 3.3, 4.4, 5.2, 6.1, 7.0])
    frames_ = onset_frames_beat(_click_track(clicks, seconds), 16_000)
    onsets = onset_frames_to_seconds(frames_, 16_000)  # the true rate (motiongen's beat_align_16k)
    # backtracked to the energy minimum before each click (up to ~0.1 s early), counted from 10 s
    assert len(np.unique(onsets)) == len(clicks)
    assert np.abs(np.unique(onsets) - (clicks - 10.0)).max() < 0.12
    # BEAT's published times read the same frames at 22050 Hz: 27 % early
    np.testing.assert_allclose(onset_frames_to_seconds(frames_), onsets * 16_000 / 22_050)
    frames = int(seconds * fps)
    # BEAT's speed is the change from frame t to t + 1: a stop half-way between them is beat t
    aligned = beat_align_beat(onsets, _trajectory_with_stops(np.round(clicks * fps) + 0.5, frames), fps)
    moved = beat_align_beat(onsets, _trajectory_with_stops(np.round((clicks + 0.35) * fps) + 0.5, frames), fps)
    assert aligned > 0.9
    assert moved < aligned - 0.3


def test_emage_beat_consistency_averages_joints_and_uses_threshold():
    fps, seconds = 30.0, 12.0
    clicks = np.array([2.7, 3.6, 4.5, 5.3, 6.4, 7.2, 8.1, 9.0])
    frames = int(seconds * fps)
    onsets = onsets_emage(_click_track(clicks, seconds), 16_000, fps, frames)  # from 2 s, the last 2 s left out
    distance = np.abs(onsets[:, None] - (clicks[None, :] - 2.0))
    assert distance.min(axis=1).max() < 0.1 and distance.min(axis=0).max() < 0.1
    # EMAGE counts a minimum only where the normalised speed stays above 0.3: slow down to 0.5
    on = _trajectory_with_stops(np.round(clicks * fps), frames, depth=0.5)
    off = _trajectory_with_stops(np.round((clicks + 0.4) * fps), frames, depth=0.5)
    positions = np.stack([on, off], axis=1)  # (F, 2 joints, 3)
    mean_speed = np.full(2, fps)  # unit displacement per frame
    both = beat_consistency_emage(onsets, positions, fps, mean_speed)
    first = beat_consistency_emage(onsets, positions[:, :1], fps, mean_speed[:1])
    second = beat_consistency_emage(onsets, positions[:, 1:], fps, mean_speed[:1])
    assert first > 0.8 and second < first - 0.3
    assert both == pytest.approx((first + second) / 2)
    # no minimum passes a threshold above every speed (where EMAGE tests it: tests/test_metric_protocols.py)
    assert beat_consistency_emage(onsets, positions, fps, mean_speed, threshold=10.0) == 0.0


def test_srgr_of_ground_truth_is_one_and_falls_with_error():
    rng = np.random.default_rng(5)
    target = rng.normal(scale=30.0, size=(50, 4, 3))
    semantic = np.linspace(0.1, 0.9, 50)
    assert srgr_normalised(target, target, semantic) == 1.0
    assert srgr(target, target, semantic) == pytest.approx(semantic.mean() / 0.165)  # BEAT's scale
    wrong = target.copy()
    wrong[:25, :2] += 10.0  # half the joints of the first half of the frames off by 30 degrees in total
    weights_first_half = semantic[:25].sum() / semantic.sum()
    assert srgr_normalised(wrong, target, semantic) == pytest.approx(1.0 - 0.5 * weights_first_half)
    assert srgr(wrong, target, semantic) == pytest.approx((semantic.sum() - 0.5 * semantic[:25].sum()) / 50 / 0.165)
    assert np.isnan(srgr_normalised(target, target, np.zeros(50)))


def test_frame_semantic_scores_follow_segments():
    class Segment:
        def __init__(self, start, end, score):
            self.start, self.end, self.score = start, end, score

    scores = frame_semantic_scores([Segment(0.0, 1.0, 0.1), Segment(1.0, 1.5, 0.7)], 60, 30.0)
    assert scores[0] == 0.1 and scores[29] == 0.1 and scores[30] == 0.7 and scores[44] == 0.7 and scores[45] == 0.0


def test_face_mse_lvd_and_mouth_channels():
    rng = np.random.default_rng(6)
    target = rng.uniform(size=(2, 40, 5))
    assert face_mse(target, target) == 0.0 and face_lvd(target, target) == 0.0
    shifted = target + 0.1
    assert face_mse(shifted, target) == pytest.approx(0.01)
    assert face_lvd(shifted, target) == pytest.approx(0.0, abs=1e-12)  # a constant offset has no velocity error
    ramp = np.linspace(0.0, 0.39, 40)[:, None] * np.ones((1, 5))  # 0.01 per frame on every channel
    assert face_lvd(target[0] + ramp, target[0]) == pytest.approx(0.01 * 39 / 40)  # EMAGE divides by T, not T - 1
    names = ["eyeBlinkLeft", "jawOpen", "mouthClose", "browInnerUp", "mouthSmileLeft"]
    assert mouth_channels(names).tolist() == [1, 2, 4]
    with pytest.raises(ValueError, match="mouth"):
        mouth_channels(["eyeBlinkLeft"])


def test_wind_is_zero_for_the_same_set_and_grows_with_separation():
    rng = np.random.default_rng(7)
    a = np.concatenate([rng.normal(size=(150, 3)), rng.normal(loc=4.0, size=(150, 3))])
    b = a + np.array([1.0, 0.0, 0.0])
    c = a + np.array([3.0, 0.0, 0.0])
    assert wind(a, a, components=2) == pytest.approx(0.0, abs=1e-6)
    assert wind(a, b, components=2) == pytest.approx(1.0, rel=0.05)  # a pure shift moves each component by 1
    assert wind(a, c, components=2) > wind(a, b, components=2)


def test_table_names_a_beatalign_joint_other_than_beats():
    from motiongen.evaluation.table import markdown_table

    def report(joint):
        return {"split": "test", "takes": ["a"], "seconds_of_audio": 12.0, "evaluators": {},
                "settings": {"beat_joint": joint},
                "rows": [{"name": "run/last.ckpt", "beat_align": 0.5, "beat_align_16k": 0.4, "srgr_normalised": 1.0}]}

    default = markdown_table(report("RightHandRing2"))
    assert "BeatAlign 16k ↑" in default and "SRGR norm. ↑" in default and "not comparable" not in default
    assert "reads the joint RightForeArm (beat_joint=), not BEAT's RightHandRing2" in markdown_table(report("RightForeArm"))

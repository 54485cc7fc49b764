"""The smoothing prior on generated body motion: the filter's response, the face left alone, causal
chunking against one filter over the whole sequence, configuration and its errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import sosfilt, sosfilt_zi

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import MotionBlock, MotionFormat
from motiongen.generation.smoothing import (
    CausalSmoother,
    SmoothingSettings,
    body_mask,
    checkpoint_smoothing,
    group_delay_frames,
    smooth_take,
    smoothing_override,
)

FPS = 30.0
LOWPASS = SmoothingSettings("lowpass", cutoff_hz=6.0, order=2)


@pytest.fixture(scope="module")
def fmt() -> MotionFormat:
    """Two body blocks (rotations, root position) around an ARKit face block: 6 + 3 body, 2 face channels."""
    return MotionFormat(FPS, (MotionBlock("body", "axis_angle", ("Spine", "Neck")),
                              MotionBlock("face", "arkit_weights", ("jawOpen", "mouthClose")),
                              MotionBlock("root", "position_3d", ("Hips",))))


def body(fmt) -> torch.Tensor:
    return torch.from_numpy(body_mask(fmt))


def test_body_mask_selects_the_skeletal_blocks_only(fmt):
    assert body_mask(fmt).tolist() == [True] * 6 + [False] * 2 + [True] * 3


def take(fmt, frames: int, curve) -> torch.Tensor:
    """``(2, frames, D)``: ``curve(t)`` (seconds) on every channel, the second sample negated."""
    t = torch.arange(frames, dtype=torch.float64) / FPS
    values = curve(t).float()[None, :, None].repeat(2, 1, fmt.width)
    values[1] *= -1
    return values


@pytest.mark.parametrize("frames", [8, 30, 300])
def test_zero_phase_keeps_constants_and_ramps_even_in_short_takes(fmt, frames):
    for curve in (lambda t: torch.full_like(t, 0.7), lambda t: 0.2 + 1.5 * t):
        motion = take(fmt, frames, curve)
        smoothed = smooth_take(motion, LOWPASS, fmt)
        assert smoothed.shape == motion.shape and smoothed.dtype == motion.dtype
        torch.testing.assert_close(smoothed, motion, atol=2e-4, rtol=0)  # slope 1.5 units/s


def test_zero_phase_keeps_slow_gestures_and_removes_jitter(fmt):
    frames = 300
    slow = take(fmt, frames, lambda t: torch.sin(2 * np.pi * 1.0 * t))  # a 1 Hz gesture
    rng = np.random.default_rng(0)
    jitter = torch.from_numpy(rng.choice([-0.2, 0.2], size=(2, frames, fmt.width))).float()
    high = 0.2 * take(fmt, frames, lambda t: torch.cos(2 * np.pi * 12.0 * t))  # 12 Hz
    smoothed_slow = smooth_take(slow, LOWPASS, fmt)
    inner = slice(15, -15)
    # in phase (zero-phase: no lag) and within 1 % in amplitude
    assert (smoothed_slow - slow)[:, inner].abs().max() < 0.01
    # everywhere, edges included, within 5 %
    assert (smoothed_slow - slow).abs().max() < 0.05
    mask = body(fmt)
    # white jitter: only its part below the cutoff passes (about a third of its power, 0.59 of its RMS);
    # a 12 Hz oscillation is all but gone away from the ends (|H|^2 = 0.003 there)
    for noise, kept in ((jitter, 0.65), (high, 0.01)):
        residual = (smooth_take(slow + noise, LOWPASS, fmt) - smoothed_slow)[:, inner]
        ratio = residual[..., mask].pow(2).mean().sqrt() / noise[:, inner][..., mask].pow(2).mean().sqrt()
        assert ratio < kept
    # acceleration (second difference) of the jittered take falls to near the clean one's
    noisy = slow + jitter
    accel = lambda x: x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]  # noqa: E731
    assert accel(smooth_take(noisy, LOWPASS, fmt))[..., mask].abs().mean() < 0.2 * accel(noisy)[..., mask].abs().mean()


def test_face_channels_are_never_filtered(fmt):
    motion = torch.randn(3, 50, fmt.width, generator=torch.Generator().manual_seed(1))
    face = ~body(fmt)
    offline = smooth_take(motion, LOWPASS, fmt)
    causal = CausalSmoother(LOWPASS, fmt)(motion)
    for out in (offline, causal):
        assert torch.equal(out[..., face], motion[..., face])
        assert not torch.allclose(out[..., ~face], motion[..., ~face])


def test_none_returns_the_motion_itself(fmt):
    motion = torch.randn(1, 20, fmt.width)
    none = SmoothingSettings()
    assert smooth_take(motion, none, fmt) is motion
    assert CausalSmoother(none, fmt)(motion) is motion
    assert group_delay_frames(none, FPS) == 0.0


@pytest.mark.parametrize("splits", [[1] * 40, [5] * 8, [3, 7, 1, 13, 16], [40]])
def test_causal_chunks_equal_one_filter_over_the_whole_sequence(fmt, splits):
    motion = torch.randn(2, 40, fmt.width, generator=torch.Generator().manual_seed(2))
    smoother = CausalSmoother(LOWPASS, fmt)
    edges = np.cumsum([0, *splits])
    chunked = torch.cat([smoother(motion[:, a:b]) for a, b in zip(edges[:-1], edges[1:])], dim=1)
    mask = body_mask(fmt)
    sos = LOWPASS.causal_sos(FPS)
    np.testing.assert_array_equal(sos, np.concatenate([LOWPASS.sos(FPS)] * 2))  # the offline filter's two passes
    values = motion.double().numpy()[..., mask]
    whole = sosfilt(sos, values, axis=1, zi=sosfilt_zi(sos)[:, None, :, None] * values[None, :, :1])[0]
    np.testing.assert_allclose(chunked.double().numpy()[..., mask], whole, atol=1e-6)


def test_causal_output_reads_no_later_frame_and_starts_without_a_transient(fmt):
    motion = torch.randn(1, 30, fmt.width, generator=torch.Generator().manual_seed(3))
    changed = motion.clone()
    changed[:, 20:] += 5.0
    first = CausalSmoother(LOWPASS, fmt)(motion)
    second = CausalSmoother(LOWPASS, fmt)(changed)
    assert torch.equal(first[:, :20], second[:, :20])
    constant = torch.full((1, 12, fmt.width), 0.4)
    torch.testing.assert_close(CausalSmoother(LOWPASS, fmt)(constant), constant, atol=1e-6, rtol=0)


def test_group_delay_of_the_causal_filter():
    # a second-order Butterworth low-pass delays slow motion by sqrt(2) / (2 pi fc) seconds (analog);
    # the causal filter runs it twice
    delay = group_delay_frames(LOWPASS, FPS)
    assert delay == pytest.approx(2 * np.sqrt(2) / (2 * np.pi * 6.0) * FPS, rel=0.2)
    assert group_delay_frames(SmoothingSettings("lowpass", 10.0, 2), FPS) < delay


def test_config_group_builds_the_settings_and_uwp_beat_keeps_it_off():
    from omegaconf import OmegaConf

    from motiongen.config import compose

    assert compose("config", ["experiment=uwp_beat"]).smoothing.kind == "none"
    assert compose("config", []).smoothing.kind == "none"
    for experiment in ("tiny_cpu", "live_tiny"):
        node = compose("config", [f"experiment={experiment}"]).smoothing
        assert SmoothingSettings.from_config(node) == SmoothingSettings("lowpass", 6.0, 2)
    for command in ("generate", "evaluate", "live"):
        assert compose(command, []).get("smoothing") is None  # the checkpoint's
        assert smoothing_override(compose(command, []).get("smoothing")) is None
        chosen = compose(command, ["smoothing=lowpass", "smoothing.cutoff_hz=8"]).smoothing
        assert smoothing_override(chosen) == SmoothingSettings("lowpass", 8.0, 2)
        assert not smoothing_override(compose(command, ["smoothing=none"]).smoothing).enabled
    recorded = OmegaConf.to_container(compose("config", ["experiment=tiny_cpu"]), resolve=False)
    assert checkpoint_smoothing(recorded).enabled
    assert not checkpoint_smoothing({}).enabled  # a checkpoint older than the setting
    assert not checkpoint_smoothing(recorded, SmoothingSettings()).enabled  # an explicit choice wins


@pytest.mark.parametrize("node, message", [
    ({"kind": "median"}, "smoothing.kind must be one of none, lowpass, got 'median'"),
    ({"kind": "lowpass", "cutoff_hz": 0}, "smoothing.cutoff_hz must be > 0 Hz"),
    ({"kind": "lowpass", "order": 0}, "smoothing.order must be an integer in 1..8"),
    ({"kind": "lowpass", "order": 2.5}, "smoothing.order must be an integer in 1..8"),
])
def test_bad_settings_are_one_line_config_errors(node, message):
    with pytest.raises(ConfigError, match=message) as caught:
        SmoothingSettings.from_config(node)
    assert "\n" not in str(caught.value)


def test_cutoff_at_or_above_nyquist_is_refused(fmt):
    settings = SmoothingSettings("lowpass", cutoff_hz=15.0)
    with pytest.raises(ConfigError, match=r"smoothing.cutoff_hz=15 must be below the Nyquist frequency 15 Hz"):
        smooth_take(torch.zeros(1, 10, fmt.width), settings, fmt)
    with pytest.raises(ConfigError, match="Nyquist"):
        CausalSmoother(settings, fmt)


def test_command_line_names_the_setting(tmp_path, capsys):
    from motiongen.cli import main

    code = main(["generate", "--checkpoint", str(tmp_path / "missing.ckpt"), "--text", "Hello.", "--out",
                 str(tmp_path / "out"), "smoothing=lowpass", "smoothing.order=0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "smoothing.order must be an integer in 1..8" in err and "Traceback" not in err

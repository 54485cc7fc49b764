"""The quickstart report helpers, and (slow) the whole `motiongen quickstart` in reduced-steps mode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.quickstart.report import QuickstartReport, jaw_envelope_correlation, plot_loss_curve, write_report
from motiongen.quickstart.speech import rms_envelope


def _speech(seconds: float = 3.0, rate: int = 16000):
    t = np.arange(int(seconds * rate)) / rate
    syllables = np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 2
    return (0.3 * syllables * np.sin(2 * np.pi * 180 * t)).astype(np.float32), rate


def test_jaw_correlation_rewards_a_jaw_that_follows_the_speech():
    wave, rate = _speech()
    fps, frames = 30.0, 90
    envelope = rms_envelope(wave, rate, fps, frames)
    following = np.zeros((frames, len(ARKIT_NAMES)), np.float32)
    following[:, ARKIT_NAMES.index("jawOpen")] = 0.6 * envelope
    random = np.random.default_rng(0).uniform(0, 1, following.shape).astype(np.float32)
    assert jaw_envelope_correlation(following, fps, wave, rate) > 0.99
    assert abs(jaw_envelope_correlation(random, fps, wave, rate)) < 0.4
    assert jaw_envelope_correlation(np.zeros_like(following), fps, wave, rate) == 0.0


def _report(**changes) -> QuickstartReport:
    values = dict(
        sentence="Hello there.", voice="female", emotion="neutral", corpus_takes=20, corpus_seconds=260.0,
        training_steps=100, training_seconds=60.0, final_loss=0.5, sigma={"gesture": 0.8, "expression": 0.6},
        jaw_correlation_trained=0.7, jaw_correlation_untrained=0.05, total_seconds=300.0,
        files={"preview": "generated/preview.mp4"},
    )
    values.update(changes)
    return QuickstartReport(**values)


def test_report_files(tmp_path):
    plot = plot_loss_curve(tmp_path / "loss.png", np.arange(10), {"train": np.linspace(1, 0.1, 10)}, "loss")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    md, js = write_report(tmp_path, _report())
    data = json.loads(js.read_text())
    assert data["jaw_correlation_gain"] == pytest.approx(0.65)
    assert data["sigma"] == {"gesture": 0.8, "expression": 0.6}
    text = md.read_text()
    assert "+0.650" in text and "generated/preview.mp4" in text


def test_non_finite_report_values_are_refused():
    _report().check_finite()
    with pytest.raises(ValueError, match="sigma.gesture"):
        _report(sigma={"gesture": float("nan")}).check_finite()

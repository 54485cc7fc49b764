"""The learned sync scorer on the real sample speech: trained briefly, it finds an injected offset."""

import numpy as np
import pytest

from motiongen.evaluation.metrics import mouth_channels
from motiongen.evaluation.sync import MAX_SHIFT, log_mel, sync_scores, train_sync_scorer

FPS = 30.0


@pytest.fixture(scope="module")
def speech_and_mouth(sample_file):
    """Log-mel of the real BEAT sample speech and mouth curves that follow it (the quickstart's
    procedural face: jaw and lips driven by the loudness envelope)."""
    from motiongen.formats.arkit import ARKIT_NAMES
    from motiongen.formats.audio import load_audio
    from motiongen.quickstart.face import face_curves
    from motiongen.quickstart.speech import rms_envelope

    wave, rate = load_audio(sample_file("beat/2_scott_0_3_3.wav"), target_sr=16_000)
    frames = int(len(wave) / rate * FPS)
    envelope = rms_envelope(wave, rate, FPS, frames)
    face = face_curves(envelope, [], np.zeros(0), np.zeros(0), "neutral", FPS, np.random.default_rng(0))
    mouth = face[:, mouth_channels(list(ARKIT_NAMES))]
    return log_mel(wave, rate), mouth


def _split(mel, mouth, first_s, last_s):
    mel_part = mel[int(first_s * 80):int(last_s * 80)]
    return mel_part, mouth[int(first_s * FPS):int(last_s * FPS)]


def test_log_mel_has_80_bands_at_80_frames_per_second():
    wave = np.random.default_rng(0).normal(size=32_000).astype(np.float32)
    mel = log_mel(wave, 16_000)
    assert mel.shape[1] == 80 and abs(mel.shape[0] - 160) <= 1
    resampled = log_mel(np.random.default_rng(0).normal(size=44_100).astype(np.float32), 44_100)
    assert abs(resampled.shape[0] - 80) <= 1


def test_sync_scorer_recovers_an_injected_offset_and_scores_true_alignment_best(speech_and_mouth):
    mel, mouth = speech_and_mouth
    train = _split(mel, mouth, 0.0, 48.0)
    held_out = _split(mel, mouth, 48.0, 68.0)
    scorer, info = train_sync_scorer([train], FPS, steps=120, held_out=[held_out], seed=0, progress=False)
    assert info["sync_accuracy"] > 0.75, info

    test_mel, test_mouth = held_out
    aligned = sync_scores(scorer, test_mel, test_mouth)
    assert aligned.offset == 0
    lag = 6
    late = np.concatenate([np.repeat(test_mouth[:1], lag, axis=0), test_mouth[:-lag]])  # mouth 6 frames late
    early = np.concatenate([test_mouth[lag:], np.repeat(test_mouth[-1:], lag, axis=0)])
    shifted_late, shifted_early = sync_scores(scorer, test_mel, late), sync_scores(scorer, test_mel, early)
    assert shifted_late.offset == lag and shifted_early.offset == -lag
    assert aligned.distance < shifted_late.distances[MAX_SHIFT] and aligned.distance < shifted_early.distances[MAX_SHIFT]
    assert aligned.confidence > 0

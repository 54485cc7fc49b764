"""Spectral audio features: shapes, block layout, agreement with librosa, and time alignment."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.config import compose
from motiongen.core.errors import ConfigError
from motiongen.features import pitch, spectral
from motiongen.features.pipeline import extract_audio_features
from motiongen.features.recipe import recipe_from_config
from motiongen.formats.audio import load_audio

SR = 16000


@pytest.fixture(scope="module")
def recipe():
    cfg = compose("config", ["data/features=spectral"])
    return recipe_from_config(cfg.data.features, cfg.data.motion_fps)


def test_spectral_recipe_is_109_dimensional(recipe):
    assert recipe.layout() == {"mfcc": (0, 40), "log_mel": (40, 104), "prosody": (104, 108), "onset": (108, 109)}
    assert recipe.fps == 30 and recipe.wavlm is None


def test_uwp_recipe_adds_wavlm_before_the_onset_flag():
    cfg = compose("config", ["data/features=uwp"])
    recipe = recipe_from_config(cfg.data.features, cfg.data.motion_fps)
    assert recipe.wavlm.model == "microsoft/wavlm-large"
    assert recipe.layout(wavlm_dim=1024)["wavlm"] == (108, 1132)
    assert sum(recipe.block_dims(1024).values()) == 1133


@pytest.mark.parametrize(
    ("override", "key"),
    [("data.features.mel.fmax=9000", "data.features.mel"), ("data.features.frame_length=256", "frame_length"),
     ("data.features.prosody.f0_method=crepe", "f0_method"), ("data.features.mfcc.n_mfcc=200", "n_mfcc")],
)
def test_impossible_recipes_name_the_key(override, key):
    cfg = compose("config", ["data/features=spectral", override])
    with pytest.raises(ConfigError, match=key):
        recipe_from_config(cfg.data.features, cfg.data.motion_fps)


def test_real_24bit_wav_features_are_finite_and_frame_aligned(sample_file, recipe):
    wave, sr = load_audio(sample_file("beat/2_scott_0_3_3.wav"))
    num_frames = spectral.num_frames_for(len(wave), sr, recipe.fps)
    assert num_frames == 68 * 30
    features = extract_audio_features(wave, sr, num_frames, recipe)
    assert features.shape == (2040, 109) and features.dtype == np.float32
    assert np.isfinite(features).all()
    f0 = features[:, 104]
    assert 0.3 < (f0 > 0).mean() < 0.9  # speech: voiced and unvoiced frames
    assert 80 < np.median(f0[f0 > 0]) < 300
    assert 0.5 < features[:, 108].sum() / 68 < 10  # onsets per second of speech


def test_log_mel_and_mfcc_match_librosa_on_an_integer_hop(recipe):
    """At 25 fps the hop is exactly 640 samples, so librosa's STFT frames sit on the same centres."""
    import dataclasses

    import librosa

    fps25 = dataclasses.replace(recipe, fps=25.0)
    rng = np.random.default_rng(0)
    t = np.arange(SR * 2) / SR
    wave = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)
    features = extract_audio_features(wave, SR, 50, fps25)
    power = np.abs(librosa.stft(wave, n_fft=1024, hop_length=640, window="hann", center=True)) ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=SR, n_mels=64, fmin=0, fmax=8000)
    expected_log_mel = 10 * np.log10(np.maximum(mel, 1e-10)).T
    inner = slice(2, 48)  # librosa pads the edges differently
    np.testing.assert_allclose(features[inner, 40:104], expected_log_mel[inner], atol=1e-3, rtol=1e-4)
    mel128 = librosa.feature.melspectrogram(S=power, sr=SR, n_mels=128, fmin=0, fmax=8000)
    expected_mfcc = librosa.feature.mfcc(S=10 * np.log10(np.maximum(mel128, 1e-10)), n_mfcc=40).T
    np.testing.assert_allclose(features[inner, :40], expected_mfcc[inner], atol=1e-2, rtol=1e-4)


def test_yin_finds_a_tone_and_rejects_noise_and_silence():
    rng = np.random.default_rng(1)
    t = np.arange(SR) / SR
    tone = 0.5 * np.sin(2 * np.pi * 187.0 * t)
    centres = spectral.frame_centres(30, SR, 30)
    f0, voiced = pitch.yin(spectral.frame_signal(tone.astype(np.float32), centres, 1024), SR, 60, 500, 0.25)
    assert voiced.all()
    np.testing.assert_allclose(f0[1:], 187.0, rtol=0.001)  # frame 0 sees the reflected edge
    noise = rng.standard_normal(SR).astype(np.float32)
    _, voiced_noise = pitch.yin(spectral.frame_signal(noise, centres, 1024), SR, 60, 500, 0.25)
    assert voiced_noise.mean() < 0.1
    f0_silence, voiced_silence = pitch.yin(np.zeros((5, 1024), np.float32), SR, 60, 500, 0.25)
    assert not voiced_silence.any() and (f0_silence == 0).all()


def test_onset_of_a_click_lands_on_its_frame(recipe):
    """A click at 1.7 s (frame 51 at 30 fps) over quiet noise sets the onset flag at frame 51 +- 1."""
    rng = np.random.default_rng(2)
    wave = 0.001 * rng.standard_normal(SR * 3).astype(np.float32)
    click = int(1.7 * SR)
    wave[click : click + 80] += 0.8 * np.hanning(80).astype(np.float32) * np.sign(rng.standard_normal(80))
    features = extract_audio_features(wave, SR, 90, recipe)
    flagged = np.flatnonzero(features[:, 108])
    assert flagged.size >= 1
    assert np.min(np.abs(flagged - 51)) <= 1
    assert np.all(np.abs(flagged - 51) <= 3), f"spurious onsets at frames {flagged}"


def test_energy_and_f0_switch_on_at_the_right_frame(recipe):
    """A tone starting at exactly 1.0 s: frames well before 30 are silent/unvoiced, well after are voiced."""
    t = np.arange(SR * 2) / SR
    wave = np.where(t >= 1.0, 0.5 * np.sin(2 * np.pi * 150.0 * t), 0.0).astype(np.float32)
    features = extract_audio_features(wave, SR, 60, recipe)
    energy, f0 = features[:, 106], features[:, 104]
    # The 64 ms window reaches 32 ms (about one frame) either side of its centre.
    assert np.allclose(energy[:28], -100.0) and (energy[32:] > -10).all()
    assert (f0[:28] == 0).all() and np.allclose(f0[33:], 150.0, rtol=0.01)
    assert (features[:, 105][f0 == 0] == 0).all()  # no F0 derivative across unvoiced frames


def test_frames_beyond_the_audio_are_silence(recipe):
    wave = np.zeros(SR // 2, np.float32)
    features = extract_audio_features(wave, SR, 30, recipe)
    assert features.shape == (30, 109) and np.isfinite(features).all()
    assert np.allclose(features[:, 106], -100.0)


def test_other_sample_rates_are_resampled(recipe):
    t = np.arange(48000) / 48000
    wave = (0.5 * np.sin(2 * np.pi * 200.0 * t)).astype(np.float32)
    features = extract_audio_features(wave, 48000, 30, recipe)
    np.testing.assert_allclose(features[2:-2, 104], 200.0, rtol=0.01)


def test_long_audio_is_analysed_in_blocks_without_seams(recipe, monkeypatch):
    """Frames are analysed in blocks of FRAME_BLOCK; rows at block edges equal a one-block analysis."""
    from motiongen.features import pipeline

    rng = np.random.default_rng(5)
    wave = rng.standard_normal(SR * 3).astype(np.float32) * 0.1
    whole = extract_audio_features(wave, SR, 90, recipe)
    monkeypatch.setattr(pipeline, "FRAME_BLOCK", 7)
    np.testing.assert_allclose(extract_audio_features(wave, SR, 90, recipe), whole, rtol=1e-5, atol=1e-4)
    assert extract_audio_features(wave, SR, 0, recipe).shape == (0, 109)

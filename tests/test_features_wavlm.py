"""WavLM features through the real ``WavLMModel.from_pretrained`` path, on a tiny random-init model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from motiongen.config import compose
from motiongen.core.errors import ConfigError
from motiongen.features.pipeline import extract_audio_features
from motiongen.features.recipe import recipe_from_config
from motiongen.features.wavlm import frame_geometry, load_wavlm, wavlm_features

from feature_cache_helpers import save_tiny_wavlm

SR = 16000


@pytest.fixture(scope="module")
def tiny_wavlm(tmp_path_factory):
    return save_tiny_wavlm(tmp_path_factory.mktemp("wavlm"))


def uwp_recipe(model_dir, *overrides):
    cfg = compose("config", ["data/features=uwp", f"data.features.wavlm.model={model_dir}", *overrides])
    return recipe_from_config(cfg.data.features, cfg.data.motion_fps)


def test_uwp_features_stack_wavlm_between_prosody_and_onset(tiny_wavlm):
    recipe = uwp_recipe(tiny_wavlm)
    wave = np.random.default_rng(0).standard_normal(SR * 2).astype(np.float32) * 0.1
    features = extract_audio_features(wave, SR, 60, recipe)
    hidden = load_wavlm(recipe.wavlm).config.hidden_size
    assert features.shape == (60, 109 + hidden)
    layout = recipe.layout(hidden)
    assert layout["wavlm"] == (108, 108 + hidden) and layout["onset"] == (108 + hidden, 109 + hidden)
    assert np.isfinite(features).all()


def test_wavlm_rows_are_the_chosen_layer_at_the_frame_times(tiny_wavlm):
    """One chunk: motion frames fall on WavLM frame centres (20 ms grid) or between two of them."""
    spec = uwp_recipe(tiny_wavlm, "data.features.wavlm.layer=1").wavlm
    model = load_wavlm(spec)
    stride, field = frame_geometry(model)
    assert (stride, field) == (320, 400)
    wave = np.random.default_rng(1).standard_normal(SR * 2).astype(np.float32)
    features = wavlm_features(wave, SR, 60, 30.0, spec)
    normalised = (wave - wave.mean()) / np.sqrt(wave.var() + 1e-7)
    with torch.inference_mode():
        hidden = model(torch.from_numpy(normalised)[None], output_hidden_states=True).hidden_states[1][0].numpy()
    centres = (np.arange(len(hidden)) * stride + (field - 1) / 2) / SR
    # Frame 15 is at 0.5 s: between WavLM frames 24 (centre sample 24 * 320 + 199.5 = 0.49246875 s)
    # and 25 (0.51246875 s), 37.65625 % of the way.
    assert centres[24] == pytest.approx(0.49246875) and centres[25] == pytest.approx(0.51246875)
    expected = hidden[24] * (1 - 0.3765625) + hidden[25] * 0.3765625
    np.testing.assert_allclose(features[15], expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(features[0], hidden[0], rtol=1e-5, atol=1e-6)  # before the first centre: clamped


def test_chunks_with_full_context_reproduce_the_single_pass(tiny_wavlm):
    """With an overlap that covers the whole take every chunk sees the same audio as one pass, so the
    stitched output must equal it: this checks the chunk bookkeeping (which frames are kept, their times)."""
    wave = np.random.default_rng(2).standard_normal(int(SR * 3.3)).astype(np.float32)
    single = wavlm_features(wave, SR, 99, 30.0, uwp_recipe(tiny_wavlm).wavlm)
    spec = dataclasses.replace(uwp_recipe(tiny_wavlm).wavlm, chunk_seconds=0.7, overlap_seconds=10.0)
    np.testing.assert_allclose(wavlm_features(wave, SR, 99, 30.0, spec), single, rtol=1e-4, atol=1e-4)


def test_short_chunks_with_little_context_keep_the_shape(tiny_wavlm):
    wave = np.random.default_rng(3).standard_normal(int(SR * 3.3)).astype(np.float32)
    spec = dataclasses.replace(uwp_recipe(tiny_wavlm).wavlm, chunk_seconds=0.5, overlap_seconds=0.1)
    features = wavlm_features(wave, SR, 99, 30.0, spec)
    assert features.shape == (99, 32) and np.isfinite(features).all()


def test_unloadable_model_explains_the_way_out(tmp_path):
    missing = tmp_path / "no-such-wavlm"
    recipe = uwp_recipe(missing, "data.features.wavlm.local_files_only=true")
    with pytest.raises(ConfigError) as err:
        extract_audio_features(np.zeros(SR, np.float32), SR, 30, recipe)
    message = str(err.value)
    assert str(missing) in message
    assert "data.features.wavlm.model=" in message and "data/features=spectral" in message


def test_layer_outside_the_model_is_a_config_error(tiny_wavlm):
    spec = uwp_recipe(tiny_wavlm, "data.features.wavlm.layer=7").wavlm
    with pytest.raises(ConfigError, match="layer=7"):
        load_wavlm(spec)


def test_wavlm_needs_16khz():
    cfg = compose("config", ["data/features=uwp", "data.features.sample_rate=22050"])
    with pytest.raises(ConfigError, match="16000"):
        recipe_from_config(cfg.data.features, 30)

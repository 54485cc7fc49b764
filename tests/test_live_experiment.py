"""The causal ``live`` experiments: windows of a seed plus at most 10 new frames, spectral features
(they stream), and word dropout so that speech without words is in distribution."""

from __future__ import annotations

import pytest
import torch

from motiongen.config import compose
from motiongen.core.errors import ConfigError
from motiongen.live.causal import MAX_CHUNK_FRAMES
from motiongen.training.module import UWPLightningModule
from motiongen.training.run import word_silence_rows


@pytest.mark.parametrize("experiment", ["live_tiny", "live_beat"])
def test_live_experiments_train_the_window_live_generation_samples(experiment):
    cfg = compose("config", [f"experiment={experiment}"])
    seed, clip = int(cfg.model.network.seed_frames), int(cfg.trainer.loop.clip_frames)
    assert 1 <= clip - seed <= MAX_CHUNK_FRAMES and clip >= 2 * seed  # also generates offline in windows
    assert cfg.data.features.name == "spectral" and cfg.data.features.wavlm is None
    assert 0 < cfg.model.word_drop_prob < 1


def module(word_drop_prob: float, width: int = 5) -> UWPLightningModule:
    from motiongen.datasets.beat.format import beat_motion_format
    from motiongen.training.run import network_kwargs

    cfg = compose("config", ["experiment=live_tiny"])
    fmt = beat_motion_format(30.0, ["Spine", "Neck"], None, 3, {}, width, [2])
    model = cfg.model
    return UWPLightningModule(network_kwargs(model.network, fmt), dict(model.diffusion), dict(model.loss),
                              dict(model.optim), dict(model.ema), word_drop_prob=word_drop_prob,
                              word_silence=word_silence_rows(fmt))


def test_word_dropout_silences_whole_clips_at_the_set_rate():
    words = torch.randn(400, 10, 5)
    batch = {"word": words, "audio": torch.randn(400, 10, 3)}
    dropped = module(0.5).drop_words(batch, torch.Generator().manual_seed(0))
    silent = (dropped["word"] == torch.tensor([0.0, 0, 0, 0, 1])).all(dim=2)
    assert (silent.all(dim=1) | (~silent).all(dim=1)).all()  # whole clips, never some frames
    kept = ~silent.all(dim=1)
    assert torch.equal(dropped["word"][kept], words[kept]) and torch.equal(dropped["audio"], batch["audio"])
    assert 0.42 < 1 - kept.float().mean() < 0.58
    assert module(0.0).drop_words(batch, torch.Generator()) is batch


def test_word_drop_prob_outside_0_1_is_a_config_error():
    with pytest.raises(ConfigError, match="word_drop_prob"):
        module(1.5)

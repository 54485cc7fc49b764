"""Training building blocks: data order, LR schedule, precision choice, config composition."""

from dataclasses import replace

import pytest
import torch

from motiongen.config import compose
from motiongen.core.errors import ConfigError
from motiongen.training.data_order import StepSampler
from motiongen.training.lr_schedule import warmup_cosine
from motiongen.training.precision import resolve_precision
from motiongen.datasets.beat.format import beat_motion_format
from motiongen.training.run import network_kwargs


def take(sampler, count):
    iterator = iter(sampler)
    return [next(iterator) for _ in range(count)]


def test_step_sampler_covers_each_permutation_and_shards_ranks():
    ranks = [StepSampler(10, batch_size=3, seed=7, rank=r, world_size=2) for r in range(2)]
    streams = [take(s, 3 * 5) for s in ranks]  # 5 steps × 3 clips per rank = 30 = 3 permutations
    merged = [i for step in range(5) for r in range(2) for i in streams[r][3 * step: 3 * step + 3]]
    for epoch in range(3):
        assert sorted(merged[10 * epoch: 10 * (epoch + 1)]) == list(range(10))
    assert merged[:10] != merged[10:20], "each pass over the data uses a new permutation"


def test_step_sampler_resumes_exactly_where_the_stream_was():
    full = take(StepSampler(13, batch_size=4, seed=3, rank=1, world_size=3), 4 * 9)
    resumed = take(StepSampler(13, batch_size=4, seed=3, rank=1, world_size=3, start_step=5), 4 * 4)
    assert resumed == full[4 * 5:]


def test_step_sampler_rejects_empty_data():
    with pytest.raises(ConfigError):
        StepSampler(0, batch_size=2, seed=0)


def test_warmup_then_cosine():
    assert warmup_cosine(0, 10, 110) == pytest.approx(0.1)
    assert warmup_cosine(9, 10, 110) == pytest.approx(1.0)
    assert warmup_cosine(60, 10, 110, 0.0) == pytest.approx(0.5)
    assert warmup_cosine(110, 10, 110, 0.01) == pytest.approx(0.01)
    assert warmup_cosine(500, 10, 110, 0.01) == pytest.approx(0.01)
    with pytest.raises(ConfigError):
        warmup_cosine(0, 10, 0)


def test_precision_auto_follows_the_hardware():
    assert resolve_precision("32-true", "cpu") == "32-true"
    expected = "bf16-mixed" if (torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()) else "32-true"
    assert resolve_precision("auto", "cpu") == expected


@pytest.mark.parametrize(
    "experiment, tasks, weighting, fusion",
    [("uwp_beat", ["gesture", "expression"], "uwp", "joint"),
     ("ablation_fixed_weights", ["gesture", "expression"], "fixed", "joint"),
     ("ablation_a2g", ["gesture"], "fixed", "joint"),
     ("ablation_a2e", ["expression"], "fixed", "joint"),
     ("ablation_oneway", ["gesture", "expression"], "fixed", "oneway"),
     ("ablation_oneway_uwp", ["gesture", "expression"], "uwp", "oneway")],
)
def test_experiments_compose_to_the_paper_settings(experiment, tasks, weighting, fusion):
    cfg = compose("config", [f"experiment={experiment}"])
    assert (cfg.trainer.loop.batch_size, cfg.trainer.loop.clip_frames, cfg.trainer.max_steps) == (200, 150, 180000)
    assert cfg.model.loss.weighting == weighting
    assert cfg.model.network.fusion == fusion and cfg.model.network.latent_dim == 384 and cfg.model.network.num_layers == 8
    fmt = beat_motion_format(30.0, [f"j{i}" for i in range(47)], None, 1133, {}, 301, [2, 4, 6, 8])
    kwargs = network_kwargs(cfg.model.network, fmt)
    assert kwargs["blocks"] == {t: {"gesture": 141, "expression": 52}[t] for t in tasks}
    assert kwargs["frame_conditions"] == {"audio": 1133, "word": 301}
    assert kwargs["category_conditions"] == {"speaker": 4}


def test_emotion_condition_needs_an_emotion_stream():
    cfg = compose("config", ["model.network.emotion_condition=true"])
    fmt = beat_motion_format(30.0, ["Spine"], None, 4, {}, 2, [1])
    without = replace(fmt, conditions=tuple(c for c in fmt.conditions if c.name != "emotion"))
    with pytest.raises(ConfigError, match="emotion stream"):
        network_kwargs(cfg.model.network, without)
    assert network_kwargs(cfg.model.network, fmt)["category_conditions"] == {"speaker": 1, "emotion": 8}


def test_tasks_must_be_blocks_of_the_format():
    cfg = compose("config", ["model.network.tasks=[gesture,face]"])
    with pytest.raises(ConfigError, match=r"subset of the data's motion blocks \['gesture', 'expression'\]"):
        network_kwargs(cfg.model.network, beat_motion_format(30.0, ["Spine"], None, 4, {}, 2, [1]))


def test_periodic_checkpoints_hold_the_whole_training_state(tmp_path):
    """The save asks Lightning for the full state (optimiser, loops, callbacks) explicitly: left unset,
    Lightning logs "`weights_only` was not set" at every save of every run."""
    from types import SimpleNamespace

    from motiongen.training.checkpointing import AtomicCheckpoint

    calls = []

    def save_checkpoint(path, **options):
        calls.append(options)
        path.write_bytes(b"state")

    trainer = SimpleNamespace(is_global_zero=True, save_checkpoint=save_checkpoint,
                              strategy=SimpleNamespace(barrier=lambda name: None))
    written = AtomicCheckpoint(tmp_path, every_n_steps=1).save(trainer, 5)
    assert calls == [{"weights_only": False}]
    assert written.read_bytes() == b"state" and (tmp_path / "last.ckpt").read_bytes() == b"state"

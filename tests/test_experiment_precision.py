"""Every shipped experiment trains under its own trainer and precision settings, gradient clipping on.

Each ``conf/experiment/*.yaml`` is composed as a user would compose it, then only shrunk (a tiny
network, small batches) and put on the CPU (``trainer.accelerator=cpu``): its trainer group, its
``precision`` (``auto`` resolves to bf16 autocast on a CPU with native bf16, as on every Ampere+ GPU)
and its fused AdamW stay. ``gradient_clip_val`` is lowered so that clipping certainly acts, and the
gradients the optimiser stepped with are checked to be clipped. Each experiment trains on a tiny
cache of its own corpus, built by ``motiongen preprocess``'s builders.
"""

from __future__ import annotations

import pytest
import torch

from motiongen.config import compose, conf_dir
from motiongen.training.precision import resolve_precision

from feature_cache_helpers import make_take, preprocess_overrides
from smplx_samples import write_beat2_corpus
from training_helpers import description, step_gradient_norms

ALL_EXPERIMENTS = sorted(path.stem for path in (conf_dir() / "experiment").glob("*.yaml"))
#: presets of `motiongen distill` (conf/distill.yaml) are named distill_*; the others are `motiongen train`'s
DISTILL_EXPERIMENTS = [name for name in ALL_EXPERIMENTS if name.startswith("distill_")]
EXPERIMENTS = [name for name in ALL_EXPERIMENTS if name not in DISTILL_EXPERIMENTS]
CLIP = 1e-4
TINY_NETWORK = dict(latent_dim=32, feature_dim=8, seed_dim=8, num_layers=1, num_heads=2, ff_dim=32, local_heads=2, window=10)
SHRINK = [f"model.network.{key}={value}" for key, value in TINY_NETWORK.items()]


def two_clipped_steps(tmp_path) -> list[str]:
    """Overrides of a run on the CPU: 2 optimiser steps of 2 clips, clipping at :data:`CLIP`."""
    return ["trainer.accelerator=cpu", "trainer.max_steps=2", "trainer.loop.batch_size=2",
            f"trainer.gradient_clip_val={CLIP}", f"trainer.default_root_dir={tmp_path / 'run'}",
            "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def assert_clipped_steps_under_own_precision(run, cfg, clipped) -> None:
    """The run took 2 steps at the config's own precision with the fused AdamW, each clipped."""
    assert run.trainer.global_step == 2
    assert run.trainer.precision == resolve_precision(cfg.trainer.precision, "cpu")
    assert run.trainer.optimizers[0].defaults["fused"] is True
    assert len(clipped.norms) == 2 and max(clipped.norms) <= CLIP * 1.01, clipped.norms


@pytest.fixture(scope="module")
def beat_cache(tmp_path_factory):
    from motiongen.cache.build import build_cache

    root = tmp_path_factory.mktemp("beat_precision")
    for take_id, seed in (("2_scott_0_10_10", 1), ("2_scott_0_11_11", 2), ("2_scott_0_60_60", 3)):
        make_take(root / "corpus", take_id, seed=seed)
    overrides = preprocess_overrides(root / "corpus", root / "cache")
    build_cache(compose("config", overrides), progress=False)
    return overrides


@pytest.fixture(scope="module")
def beat2_cache(tmp_path_factory):
    from motiongen.cli import main

    root = tmp_path_factory.mktemp("beat2_precision")
    corpus = write_beat2_corpus(root / "corpus", {"2_scott_0_1_1": "train", "2_scott_0_2_2": "train",
                                                  "2_scott_0_3_3": "val"}, seconds=4.0)
    overrides = preprocess_overrides(corpus, root / "cache", "data=beat2")
    assert main(["preprocess", "--no-progress", *overrides]) == 0
    return overrides


def cache_overrides(request, corpus: str) -> list[str]:
    if corpus == "slovo":
        _, cache, _ = request.getfixturevalue("slovo_cache")
        return [f"data.cache_dir={cache}"]
    return request.getfixturevalue(f"{corpus}_cache")


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_trains_under_its_own_precision_with_clipping(experiment, request, tmp_path):
    from motiongen.training.run import train

    corpus = compose("config", [f"experiment={experiment}"]).data.name
    shrink = list(SHRINK)
    if corpus != "slovo":
        shrink += ["model.network.seed_frames=10", "trainer.loop.clip_frames=40"]
    cfg = compose("config", [f"experiment={experiment}", *cache_overrides(request, corpus), *shrink,
                             *two_clipped_steps(tmp_path)])
    clipped = step_gradient_norms()
    run = train(cfg, extra_callbacks=[clipped])

    assert_clipped_steps_under_own_precision(run, cfg, clipped)


def test_bf16_autocast_trains_tiny_cpu_with_the_fused_optimiser_and_clipping(beat_cache, tmp_path):
    """Explicit bf16-mixed, whatever this CPU's native support: the crash of Lightning's clipping check."""
    from motiongen.training.run import train

    cfg = compose("config", ["experiment=tiny_cpu", *beat_cache, "trainer.precision=bf16-mixed", "trainer.max_steps=3",
                             f"trainer.gradient_clip_val={CLIP}", f"trainer.default_root_dir={tmp_path / 'run'}",
                             "trainer.loop.batch_size=2", "trainer.loop.clip_frames=40", "trainer.enable_progress_bar=false"])
    clipped = step_gradient_norms()
    run = train(cfg, extra_callbacks=[clipped])
    assert run.trainer.precision == "bf16-mixed" and run.trainer.global_step == 3
    assert max(clipped.norms) <= CLIP * 1.01 and min(clipped.norms) > 0


def test_the_train_command_runs_the_paper_recipe_under_bf16(beat_cache, tmp_path, capsys):
    """``motiongen train experiment=uwp_beat`` itself (the command of the issue), shrunk, precision auto."""
    from motiongen.cli import main

    code = main(["train", "experiment=uwp_beat", *beat_cache, *SHRINK, "model.network.seed_frames=10",
                 "trainer.accelerator=cpu", "trainer.max_steps=2", "trainer.loop.batch_size=2",
                 "trainer.loop.clip_frames=40", f"trainer.default_root_dir={tmp_path / 'run'}",
                 "trainer.enable_progress_bar=false"])
    assert code == 0
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()


def test_fp16_loss_scaling_gets_the_unfused_optimiser_that_lightning_can_clip():
    """Under ``16-mixed`` (pre-Ampere GPUs) the GradScaler unscales before clipping, which a fused
    AdamW would defer to its own step(): the module picks the foreach AdamW there."""
    from types import SimpleNamespace

    from lightning.pytorch.plugins.precision import MixedPrecision

    from motiongen.training.run import build_module

    cfg = compose("config", ["experiment=tiny_cpu"])
    module = build_module(cfg, description())
    assert module.configure_optimizers()["optimizer"].defaults["fused"] is True
    scaled = MixedPrecision("16-mixed", "cpu", scaler=torch.amp.GradScaler("cpu"))
    module._trainer = SimpleNamespace(precision_plugin=scaled)
    optimizer = module.configure_optimizers()["optimizer"]
    assert not optimizer.defaults["fused"] and optimizer.defaults["foreach"] is True


@pytest.fixture(scope="module")
def tiny_teacher(beat_cache, tmp_path_factory):
    """A 2-step tiny_cpu checkpoint on the BEAT cache (a real teacher file with its generation bundle)."""
    from motiongen.training.run import train

    cfg = compose("config", ["experiment=tiny_cpu", *beat_cache, *SHRINK, "trainer.max_steps=2", "trainer.loop.batch_size=2",
                             "trainer.loop.clip_frames=40", "trainer.enable_progress_bar=false",
                             f"trainer.default_root_dir={tmp_path_factory.mktemp('teacher') / 'run'}"])
    return train(cfg).checkpoint_dir / "last.ckpt"


@pytest.mark.parametrize("experiment", DISTILL_EXPERIMENTS)
def test_every_distillation_preset_trains_under_its_own_precision_with_clipping(experiment, tiny_teacher, tmp_path):
    from motiongen.distillation.run import distill

    cfg = compose("distill", [f"experiment={experiment}", f"teacher={tiny_teacher}", *two_clipped_steps(tmp_path)])
    clipped = step_gradient_norms()
    run = distill(cfg, extra_callbacks=[clipped])
    assert_clipped_steps_under_own_precision(run, cfg, clipped)

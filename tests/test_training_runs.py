"""End-to-end training runs of the tiny experiment on in-memory clips (the ClipDataset contract)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from training_helpers import datasets, description, tiny_overrides

from motiongen.config import compose
from motiongen.training.module import UWPLightningModule
from motiongen.training.run import train

HELPERS = Path(__file__).with_name("training_helpers.py")


def run_tiny(out_dir, *overrides, extra_callbacks=(), data=None):
    cfg = compose("config", tiny_overrides(out_dir, "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false", *overrides))
    return train(cfg, description(), data or datasets(), extra_callbacks=extra_callbacks)


class SimulatedKill(RuntimeError):
    pass


class KillAtStep:
    """Callback raising when step ``step`` is about to run, as if the process died right there."""

    def __init__(self, step: int):
        self.step = step

    def __getattr__(self, name):  # every other Lightning hook is a no-op
        if name.startswith("on_") or name in ("setup", "teardown", "state_dict", "load_state_dict"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)

    def on_train_batch_start(self, trainer, *args):
        if trainer.global_step == self.step:
            raise SimulatedKill(f"killed before step {self.step + 1}")


def state_of(module: UWPLightningModule) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_resume_after_a_kill_gives_the_same_parameters_as_an_uninterrupted_run(tmp_path):
    settings = ["trainer.max_steps=8", "trainer.loop.checkpoint_every_n_steps=4", "trainer.val_check_interval=3",
                "trainer.loop.figure_every_n_steps=1000", "model.network.dropout=0.1", "model.optim.warmup_steps=3"]
    straight = run_tiny(tmp_path / "straight", *settings)
    from lightning.pytorch.callbacks import Callback

    killer = type("Killer", (KillAtStep, Callback), {})(4)
    with pytest.raises(SimulatedKill):
        run_tiny(tmp_path / "killed", *settings, extra_callbacks=[killer])
    checkpoint = tmp_path / "killed" / "checkpoints" / "step00000004.ckpt"
    assert checkpoint.is_file() and not list(checkpoint.parent.glob(".*tmp"))
    resumed = run_tiny(tmp_path / "killed", *settings, f"resume={checkpoint}")
    assert resumed.trainer.global_step == straight.trainer.global_step == 8
    expected, actual = state_of(straight.module), state_of(resumed.module)
    assert expected.keys() == actual.keys()
    for name in expected:
        assert torch.equal(expected[name], actual[name]), f"{name} differs after resume"
    assert not torch.equal(expected["uncertainty.log_var"], torch.zeros(2)), "σ must have moved"
    opt_a = straight.trainer.optimizers[0].state_dict()["state"]
    opt_b = resumed.trainer.optimizers[0].state_dict()["state"]
    assert all(torch.equal(opt_a[i]["exp_avg"], opt_b[i]["exp_avg"]) for i in opt_a)
    assert straight.trainer.lr_scheduler_configs[0].scheduler.last_epoch == resumed.trainer.lr_scheduler_configs[0].scheduler.last_epoch


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("logged")
    run = run_tiny(out, "trainer.max_steps=12", "trainer.log_every_n_steps=2", "trainer.val_check_interval=6",
                   "trainer.loop.checkpoint_every_n_steps=6", "trainer.loop.figure_every_n_steps=6",
                   "trainer.loop.figure_ddim_steps=3")
    return out, run


def test_tensorboard_holds_losses_sigmas_weights_lr_grad_norm_throughput_val_and_figures(logged_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, _ = logged_run
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0, "scalars": 0}).Reload()
    scalars = set(events.Tags()["scalars"])
    expected = {"train/loss", "train/loss_gesture", "train/loss_expression", "uwp/sigma_gesture", "uwp/sigma_expression",
                "uwp/weight_gesture", "uwp/weight_expression", "train/lr", "train/grad_norm", "train/samples_per_sec",
                "val/loss", "val/loss_gesture", "val/loss_expression"}
    assert expected <= scalars, expected - scalars
    weights = [events.Scalars(f"uwp/weight_{t}")[-1].value for t in ("gesture", "expression")]
    assert sum(weights) == pytest.approx(1.0, abs=1e-5)
    assert len(events.Scalars("val/loss")) == 2  # validation after steps 6 and 12
    final = logged_run[1].metrics  # train() returns the final metrics, as sweeps and evaluations read them
    assert final["val/loss"] == pytest.approx(events.Scalars("val/loss")[-1].value)
    assert expected <= set(final) and all(isinstance(value, float) for value in final.values())
    images = events.Images("preview/motion")
    assert [i.step for i in images] == [6, 12] and images[0].width > 100 and images[0].encoded_image_string[:4] == b"\x89PNG"
    assert images[0].height >= 1.8 * images[0].width * 3 / 8  # two panels (jawOpen and the wrist trajectory), 8 x 6 in


def test_checkpoint_loads_with_ema_and_samples(logged_run):
    from motiongen.diffusion.samplers import SamplerSettings

    out, run = logged_run
    checkpoints = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert checkpoints == ["last.ckpt", "step00000006.ckpt", "step00000012.ckpt"]
    loaded = UWPLightningModule.load_from_checkpoint(out / "checkpoints" / "last.ckpt")
    for name, value in run.module.ema_model.state_dict().items():
        assert torch.equal(loaded.ema_model.state_dict()[name], value)
    assert not torch.equal(loaded.ema_model.module.decoders["gesture"][0].weight, loaded.model.decoders["gesture"][0].weight)
    clip = datasets()["val"][0]
    batch = {k: v.unsqueeze(0) for k, v in clip.items()}
    x0 = loaded.motion(batch)
    settings = SamplerSettings(kind="ddim", steps=4, guidance=2.0)
    sample = loaded.generate(loaded.condition(batch, x0), 40, settings, torch.Generator().manual_seed(0))
    again = loaded.generate(loaded.condition(batch, x0), 40, settings, torch.Generator().manual_seed(0))
    assert sample.shape == x0.shape and torch.equal(sample, again)


@pytest.mark.parametrize("experiment", ["ablation_fixed_weights", "ablation_a2g", "ablation_a2e", "ablation_oneway",
                                        "ablation_oneway_uwp", "uwp_beat"])
def test_every_experiment_trains_a_few_steps(tmp_path, experiment):
    tiny_net = [f"model.network.{k}={v}" for k, v in dict(seed_frames=10, latent_dim=32, feature_dim=8, seed_dim=8, num_layers=1,
                                                           num_heads=2, ff_dim=32, local_heads=2, window=10).items()]
    cfg = compose("config", [f"experiment={experiment}", f"trainer.default_root_dir={tmp_path}", "trainer=cpu",
                             "trainer.max_steps=3", "trainer.loop.batch_size=4", "trainer.loop.clip_frames=40",
                             "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
                             "model.diffusion.num_steps=50", "model.diffusion.beta_start=2e-3", "model.diffusion.beta_end=0.4",
                             "model.optim.warmup_steps=1", "model.optim.lr=1e-2", *tiny_net])
    run = train(cfg, description(), datasets())
    module = run.module
    assert run.trainer.global_step == 3 and (tmp_path / "checkpoints" / "step00000003.ckpt").is_file()
    metrics = run.trainer.callback_metrics
    for task in module.uncertainty.tasks:
        assert torch.isfinite(metrics[f"train/loss_{task}"])
    if module.uncertainty.mode == "uwp":
        assert not torch.allclose(module.uncertainty.log_var, torch.zeros(2)), "σ did not move"
    else:
        assert list(module.uncertainty.parameters()) == []


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_two_process_ddp_steps_syncs_and_writes_one_checkpoint(tmp_path, precision):
    """2 gloo processes under trainer=ddp, in fp32 and under bf16 autocast with the fused AdamW and
    gradient clipping active (clip value far below the gradients' norm)."""
    out = tmp_path / "ddp"
    clip = 1e-4
    result = subprocess.run(
        [sys.executable, str(HELPERS), str(out), "2", "trainer.max_steps=4", "trainer.loop.checkpoint_every_n_steps=4",
         f"trainer.precision={precision}", f"trainer.gradient_clip_val={clip}", "trainer.val_check_interval=2",
         "trainer.loop.figure_every_n_steps=1000", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    finished = re.findall(r"rank (\d) finished at step (\d+) checksum (\S+) precision (\S+) grad_norm (\S+)", result.stdout)
    assert sorted(rank for rank, *_ in finished) == ["0", "1"] and {step for _, step, *_ in finished} == {"4"}
    assert len({checksum for _, _, checksum, *_ in finished}) == 1, f"ranks hold different weights: {finished}"
    assert {used for *_, used, _ in finished} == {precision}
    assert all(0 < float(norm) <= clip * 1.01 for *_, norm in finished), finished
    files = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert files == ["last.ckpt", "step00000004.ckpt"]
    state = torch.load(out / "checkpoints" / "last.ckpt", weights_only=False)
    assert state["global_step"] == 4
    assert state["hyper_parameters"]["network"]["blocks"] == {"gesture": 12, "expression": 52}


def test_training_refuses_a_run_folder_of_other_files(tmp_path):
    """Checkpoints are pruned and last.ckpt replaced in the run folder: never in one motiongen did not write."""
    from motiongen.core.errors import ConfigError
    from motiongen.output_folders import is_owned

    theirs = tmp_path / "experiments"
    (theirs / "checkpoints").mkdir(parents=True)
    (theirs / "checkpoints" / "step00000001.ckpt").write_text("someone else's model")
    (theirs / "checkpoints" / "last.ckpt").write_text("someone else's model")
    with pytest.raises(ConfigError, match=f"{theirs}.*not written by motiongen"):
        run_tiny(theirs, "trainer.max_steps=2", "trainer.loop.checkpoint_every_n_steps=1", "trainer.loop.keep_checkpoints=1")
    assert sorted(p.name for p in (theirs / "checkpoints").iterdir()) == ["last.ckpt", "step00000001.ckpt"]
    assert (theirs / "checkpoints" / "last.ckpt").read_text() == "someone else's model"
    run_tiny(tmp_path / "ours", "trainer.max_steps=1")
    assert is_owned(tmp_path / "ours")


@pytest.mark.parametrize("experiment", ["tiny_cpu", "uwp_beat", "ablation_a2g"])
def test_every_experiment_schedule_ends_in_pure_noise(experiment):
    """Sampling starts from pure noise, so training must reach it (tiny_cpu's 100 steps ended at 0.36)."""
    from motiongen.diffusion.schedule import NoiseSchedule
    from motiongen.training.run import MAX_FINAL_ALPHA_BAR

    cfg = compose("config", [f"experiment={experiment}"])
    assert float(NoiseSchedule(**cfg.model.diffusion).alphas_cumprod[-1]) < MAX_FINAL_ALPHA_BAR


def test_a_schedule_that_keeps_signal_at_the_last_step_is_refused(tmp_path):
    from motiongen.core.errors import ConfigError
    from motiongen.training.run import build_module

    cfg = compose("config", tiny_overrides(tmp_path, "model.diffusion.beta_start=1e-4", "model.diffusion.beta_end=0.02"))
    with pytest.raises(ConfigError, match="alpha_bar_T = 0.36"):
        build_module(cfg, description())

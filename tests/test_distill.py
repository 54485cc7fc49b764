"""`motiongen distill`: consistency distillation of the quickstart-size model through the real CLI."""

from __future__ import annotations

import json

import pytest
import torch

from motiongen.cli import main

DISTILL = ["experiment=distill_tiny_cpu", "trainer.val_check_interval=3", "trainer.limit_val_batches=1",
           "trainer.loop.checkpoint_every_n_steps=3", "trainer.loop.batch_size=4", "trainer.enable_progress_bar=false"]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    """`motiongen quickstart --fast --steps 20`: a real corpus, cache and tiny_cpu checkpoint."""
    out = tmp_path_factory.mktemp("distill") / "qs"
    assert main(["quickstart", "--out", str(out), "--fast", "--steps", "20", "--no-progress"]) == 0
    return out / "runs" / "checkpoints" / "last.ckpt"


@pytest.fixture(scope="module")
def student(teacher, tmp_path_factory):
    root = tmp_path_factory.mktemp("student") / "run"
    assert main(["distill", f"teacher={teacher}", "trainer.max_steps=6", f"trainer.default_root_dir={root}", *DISTILL]) == 0
    return root / "checkpoints"


def ema_weights(path) -> dict[str, torch.Tensor]:
    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    return {name: value for name, value in state.items() if name.startswith("ema_model.module.")}


@pytest.mark.slow
def test_distilled_student_is_a_checkpoint_that_generate_samples_with_lcm(teacher, student, tmp_path, capsys):
    checkpoint = torch.load(student / "last.ckpt", map_location="cpu", weights_only=True)
    assert checkpoint["global_step"] == 6 and checkpoint["hyper_parameters"]["distill"]["grid_steps"] == 5
    assert checkpoint["hyper_parameters"]["distill"]["velocity_weight"] == 64.0, "the preset's velocity term (ours)"
    assert not any(name.startswith("teacher") for name in checkpoint["state_dict"]), "the teacher stays out of the file"
    assert (student.parent / "tensorboard").is_dir()
    changed = [name for name, value in ema_weights(student / "last.ckpt").items()
               if not torch.equal(value, ema_weights(teacher)[name])]
    assert changed, "distillation must move the student away from the teacher"
    out = tmp_path / "generated"
    assert main(["generate", "--text", "Hello there, nice to meet you.", "--checkpoint", str(student / "last.ckpt"),
                 "--out", str(out), "--no-preview", "--precision", "float32", "sampler=lcm", "sampler.steps=2"]) == 0, \
        capsys.readouterr().err
    metadata = json.loads((out / "metadata.json").read_text())
    sampler = metadata["generation"]["sampler"]
    assert sampler["kind"] == "lcm" and sampler["steps"] == 2 and sampler["scheduler"] == "LCMScheduler"
    assert sampler["options"]["original_inference_steps"] == 5, "the student's own grid, not lcm.yaml's 50"


@pytest.mark.slow
def test_a_resumed_distillation_continues_exactly(teacher, student, tmp_path):
    """3 steps, then resume to 6: the same target weights as the uninterrupted 6-step run."""
    root = tmp_path / "resumed"
    assert main(["distill", f"teacher={teacher}", "trainer.max_steps=6", f"trainer.default_root_dir={root}",
                 f"resume={student / 'step00000003.ckpt'}", *DISTILL]) == 0
    resumed, straight = ema_weights(root / "checkpoints" / "last.ckpt"), ema_weights(student / "last.ckpt")
    assert resumed.keys() == straight.keys()
    for name, value in straight.items():
        torch.testing.assert_close(resumed[name], value, rtol=0, atol=0, msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("override, message", [
    ("teacher=/nonexistent.ckpt", "teacher=/nonexistent.ckpt: no such checkpoint file"),
    ("distill.grid_steps=30", "distill.grid_steps must divide"),
])
def test_distill_mistakes_are_one_line_errors(teacher, tmp_path, capsys, override, message):
    args = ["distill", f"teacher={teacher}", f"trainer.default_root_dir={tmp_path / 'run'}", *DISTILL, override]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.slow
def test_a_student_is_not_distilled_again(student, tmp_path, capsys):
    assert main(["distill", f"teacher={student / 'last.ckpt'}", f"trainer.default_root_dir={tmp_path / 'run'}",
                 *DISTILL]) == 2
    assert "already a distilled student" in capsys.readouterr().err


def test_the_consistency_function_is_the_identity_at_t0_and_the_x0_output_at_high_noise():
    """LCM's boundary scalings as the student uses them: f(x, 0) = x, f(x, T-1) ≈ F(x, T-1)."""
    from diffusers import LCMScheduler

    scheduler = LCMScheduler(num_train_timesteps=100, timestep_scaling=10.0)
    c_skip, c_out = scheduler.get_scalings_for_boundary_condition_discrete(torch.tensor([0.0, 99.0]))
    torch.testing.assert_close(c_skip, torch.tensor([1.0, 0.0]), atol=1e-6, rtol=0)
    torch.testing.assert_close(c_out, torch.tensor([0.0, 1.0]), atol=1e-6, rtol=0)


def test_ddim_step_moves_an_exact_x0_along_the_forward_marginal():
    """With the true x0 the ODE step lands on q_sample(x0, t_prev, ε) with the same ε."""
    from motiongen.diffusion.schedule import NoiseSchedule

    schedule = NoiseSchedule("linear", 100, 1e-3, 0.2)
    generator = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(2, 3, 8, 4, generator=generator, dtype=torch.float64)
    t, t_prev = torch.tensor([99, 51, 7]), torch.tensor([97, 49, 0])
    moved = schedule.ddim_step(schedule.q_sample(x0, t, noise), t, x0, t_prev)
    torch.testing.assert_close(moved, schedule.q_sample(x0, t_prev, noise))


@pytest.mark.slow
def test_live_streams_a_student_with_its_own_lcm_grid(teacher, student, tmp_path, capsys):
    """`motiongen live --sampler lcm --steps 2` on a student: the recorded frames are the student's causal
    LCM-2 frames on its own timestep grid (grid 5, not lcm.yaml's 50), as run offline on the same audio."""
    import numpy as np
    import soundfile

    from motiongen.config import compose
    from motiongen.core.motion_file import read_motion_file
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.formats.audio import load_audio
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.sampling import denormalise
    from motiongen.live.causal import CausalGenerator, generate_causal
    from test_live import stream_features

    speech = next((teacher.parents[2] / "corpus").rglob("*.wav"))  # the quickstart corpus's speech, first 2 s
    wave, rate = load_audio(speech, target_sr=16000)
    clip = tmp_path / "speech.wav"
    soundfile.write(clip, wave[: 2 * rate], rate)
    out = tmp_path / "session"
    code = main(["live", "--checkpoint", str(student / "last.ckpt"), "--audio", str(clip), "--record", str(out),
                 "--sampler", "lcm", "--steps", "2", "--seed", "3"])
    assert code == 0, capsys.readouterr().err
    motion = read_motion_file(out / "motion.npz")
    sampler = motion.metadata["generation"]["sampler"]
    assert sampler["kind"] == "lcm" and sampler["steps"] == 2 and sampler["options"]["original_inference_steps"] == 5

    assets = load_assets(student / "last.ckpt")
    settings = SamplerSettings.from_config(compose("live", ["sampler=lcm", "sampler.steps=2"]).sampler)
    rows = stream_features(wave[: 2 * rate], assets.audio_recipe, 60)
    reference = denormalise(assets, generate_causal(CausalGenerator(assets, settings, 5, 3), rows)[None])
    for name, values in reference.items():
        np.testing.assert_allclose(motion.blocks[name][0], values[0], atol=1e-5, err_msg=name)

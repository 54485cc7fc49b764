"""Where generated arm jitter comes from: the x0 prediction per noise level, the sampler, the windows.

On validation clips of a checkpoint's own cache (each conditioned on its own audio, words and seed
motion, as in training) it prints the arms' angular speed and acceleration (mean of the four arm
joints, deg/s and deg/s²) as ratios of the same clips' ground truth:

1. **x0 prediction per timestep** — the EMA network's x̂0 from x_t = q_sample(x0, t, ε) at several
   t: which noise levels produce a rough x̂0, and how much of its error is frame-to-frame (the RMS
   of the error's second difference; white noise of RMS σ has 2.45σ there, a smooth error ~0);
2. **samplers on one window** — a whole reverse run per sampler (no window chaining), with the
   acceleration ratio of the seed frames, the interior and the window's last frames apart (the
   clip edges and the stretches the generation crossfades);
3. **whole takes through windows** — ``generate`` on the val takes' speech (seed chaining and
   the joins of :mod:`motiongen.generation.windows`), the acceleration ratio in the frames two
   windows share (the overlap), in the stretch after it over which a join's offset decays
   (``join_frames``), and elsewhere.

    python tools/diagnose_jitter.py quickstart/runs/checkpoints/last.ckpt
    python tools/diagnose_jitter.py CKPT --clips 16 --samplers ddim:25 ddim:5 dpmsolver:10 ddpm
    python tools/diagnose_jitter.py CKPT --samplers ddim:25 ddim:25+eta=1.0 --takes-sampler dpmsolver:10
"""

from __future__ import annotations

import argparse
import inspect
import os

import numpy as np
import torch

from motiongen.config import compose
from motiongen.core.motion_energy import joint_angular_acceleration, joint_angular_speed
from motiongen.diffusion.samplers import SamplerSettings, sample_network

ARM_JOINTS = ("RightArm", "RightForeArm", "LeftArm", "LeftForeArm")


def arm_energy(rotations: np.ndarray, names: list[str], fps: float) -> tuple[float, float]:
    """Mean arm angular speed (deg/s) and acceleration (deg/s²) over clips ``(B, F, 3J)`` radians."""
    arms = [names.index(name) for name in ARM_JOINTS]
    clips = np.asarray(rotations).reshape(len(rotations), rotations.shape[1], -1, 3)[:, :, arms]
    speed = np.concatenate([joint_angular_speed(clip, fps) for clip in clips]).mean()
    accel = np.concatenate([joint_angular_acceleration(clip, fps) for clip in clips]).mean()
    return float(speed), float(accel)


def settings_of(spec: str) -> SamplerSettings:
    """``name[:steps][+key=value...]`` -> the settings of ``conf/sampler/<name>.yaml`` with that step
    count and those sampler fields (e.g. ``ddim:25+eta=1.0``)."""
    spec, *fields = spec.split("+")
    name, _, steps = spec.partition(":")
    overrides = [f"sampler={name}"] + ([f"sampler.steps={steps}"] if steps else [])
    overrides += [f"sampler.{field}" for field in fields]
    return SamplerSettings.from_config(compose("generate", overrides).sampler)


def main() -> None:
    from omegaconf import OmegaConf

    from motiongen.cache.info import CacheInfo
    from motiongen.generation.checkpoint import load_assets
    from motiongen.quickstart.pipeline import rotation_block
    from motiongen.training.module import UWPLightningModule
    from motiongen.training.run import build_datamodule

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--clips", type=int, default=16, help="validation clips (spread over the split)")
    parser.add_argument("--samplers", nargs="+", default=["ddim:25", "ddim:5", "dpmsolver:10", "ddpm"])
    parser.add_argument("--seeds", type=int, default=3, help="sampling seeds per sampler (mean ± std)")
    parser.add_argument("--takes-sampler", default="ddim:25", help="sampler of part 3")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    assets = load_assets(args.checkpoint)
    cfg = OmegaConf.create(assets.config)
    info = CacheInfo.load(cfg.data.cache_dir)
    hparams = torch.load(args.checkpoint, map_location="cpu", weights_only=True)["hyper_parameters"]
    accepted = inspect.signature(UWPLightningModule).parameters
    module = UWPLightningModule(**{key: value for key, value in hparams.items() if key in accepted}).eval()
    module.ema_model.module.load_state_dict(assets.model.state_dict())  # a distilled student's checkpoint too
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    dataset = datamodule.datasets["val"]
    indices = np.unique(np.linspace(0, len(dataset) - 1, min(args.clips, len(dataset))).round().astype(int))
    items = [dataset[int(i)] for i in indices]
    batch = {key: torch.stack([item[key] for item in items]) for key in items[0]}
    block = rotation_block(info.format)
    part, names, fps = module.slices[block.name], list(block.names), info.fps

    def energy(motion: torch.Tensor) -> tuple[float, float]:
        return arm_energy(info.denormalise(block.name, motion[..., part].float().numpy()), names, fps)

    def accel_profile(motion: torch.Tensor) -> np.ndarray:
        """(N,) mean arm acceleration per frame of the window (deg/s², frames 1..N-2 filled)."""
        rotations = info.denormalise(block.name, motion[..., part].float().numpy())
        arms = [names.index(name) for name in ARM_JOINTS]
        clips = rotations.reshape(len(rotations), rotations.shape[1], -1, 3)[:, :, arms]
        inner = np.mean([joint_angular_acceleration(clip, fps).mean(axis=1) for clip in clips], axis=0)
        return np.concatenate([[inner[0]], inner, [inner[-1]]])

    x0 = module.motion(batch)
    cond = module.condition(batch, x0)
    truth_speed, truth_accel = energy(x0)
    print(f"{len(items)} val clips of {x0.shape[1]} frames; ground truth arms: speed {truth_speed:.1f} deg/s, "
          f"acceleration {truth_accel:.0f} deg/s²\n")

    network = module.ema_model.module
    schedule = module.schedule
    print("1. x0 prediction from x_t = q_sample(x0, t, eps), 3 noise draws; ratios of the ground truth's")
    print("| t | sqrt(1-abar_t) | speed ratio | acceleration ratio | x0 error RMS | error RMS of the 2nd difference |")
    print("|---|---|---|---|---|---|")
    for t in np.unique(np.linspace(0, schedule.num_steps - 1, 9).round().astype(int)):
        speeds, accels, errors, rough = [], [], [], []
        for draw in range(3):
            generator = torch.Generator().manual_seed(draw)
            noise = torch.randn(x0.shape, generator=generator)
            steps = torch.full((x0.shape[0],), int(t), dtype=torch.long)
            with torch.no_grad():
                x0_hat = network(schedule.q_sample(x0, steps, noise), steps, cond, None)
            speed, accel = energy(x0_hat)
            speeds.append(speed / truth_speed)
            accels.append(accel / truth_accel)
            error = (x0_hat - x0)[..., part]
            errors.append(float(error.pow(2).mean().sqrt()))
            rough.append(float(error.diff(n=2, dim=1).pow(2).mean().sqrt()))
        noise_level = float((1 - schedule.alphas_cumprod[int(t)]).sqrt())
        print(f"| {t} | {noise_level:.3f} | {np.mean(speeds):.2f} | {np.mean(accels):.2f} | {np.mean(errors):.3f} | "
              f"{np.mean(rough):.3f} |")

    seed_frames = module.network_cfg.seed_frames
    regions = {"seed frames": slice(0, seed_frames), "interior": slice(seed_frames, x0.shape[1] - seed_frames),
               "last seed-length": slice(x0.shape[1] - seed_frames, x0.shape[1])}
    truth_profile = accel_profile(x0)
    print(f"\n2. whole reverse runs on the same clips (one window each), mean ± std over {args.seeds} seeds; "
          "acceleration ratio also per stretch of the window")
    print("| sampler | speed ratio | acceleration ratio | " + " | ".join(regions) + " |")
    print("|---|---|---|" + "---|" * len(regions))
    for spec in args.samplers:
        settings = settings_of(spec)
        ratios, profiles = [], []
        for seed in range(args.seeds):
            with torch.no_grad():
                motion = sample_network(network, schedule, cond, tuple(x0.shape), settings, torch.Generator().manual_seed(seed))
            speed, accel = energy(motion)
            ratios.append((speed / truth_speed, accel / truth_accel))
            profiles.append(accel_profile(motion))
        mean, std = np.mean(ratios, axis=0), np.std(ratios, axis=0)
        profile = np.mean(profiles, axis=0)
        parts = [f"{profile[cut].mean() / truth_profile[cut].mean():.2f}" for cut in regions.values()]
        print(f"| {spec} | {mean[0]:.2f} ± {std[0]:.2f} | {mean[1]:.2f} ± {std[1]:.2f} | " + " | ".join(parts) + " |")

    whole_takes(assets, info, block, settings_of(args.takes_sampler), args.takes_sampler, args.seeds)


def whole_takes(assets, info, block, settings: SamplerSettings, label_text: str, seeds: int) -> None:
    """Part 3: the val takes generated through windows; arm acceleration in and out of the joins."""
    from motiongen.evaluation.corpus import evaluation_takes
    from motiongen.evaluation.run import _speech
    from motiongen.generation.sampling import _plan, generate
    from motiongen.generation.types import GenerationRequest
    from motiongen.generation.windows import join_frames

    names, fps = list(block.names), info.fps
    arms = [names.index(name) for name in ARM_JOINTS]
    regions = ("overlap", "after the overlap", "elsewhere")
    per_region, truth_accel, speeds, truth_speed = {name: [] for name in regions}, [], [], []
    for take in evaluation_takes(info, "val"):
        truth = np.asarray(info.block(take.take_id, block.name))
        speech = _speech(take, len(truth), fps)
        real = truth.reshape(len(truth), -1, 3)[:, arms]
        truth_accel.append(joint_angular_acceleration(real, fps).mean(axis=1))
        truth_speed.append(joint_angular_speed(real, fps).mean())
        for seed in range(seeds):
            request = GenerationRequest(speech=speech, seed=seed, sampler=settings)
            generated = generate(assets, request).blocks[block.name][0]
            plan = _plan(assets, request)
            motion = generated.reshape(len(generated), -1, 3)[:, arms]
            accel = joint_angular_acceleration(motion, fps).mean(axis=1)  # frame i+1 of the take
            label = np.full(len(generated), 2)
            for index in range(1, plan.num_windows):
                stretch, overlap_end = join_frames(plan, index), plan.window_slice(index).start + plan.seed_frames
                label[overlap_end + 1:stretch.stop + 1] = 1
                label[max(stretch.start - 1, 0):overlap_end + 1] = 0
            for code, name in enumerate(regions):
                per_region[name].append(accel[label[1:-1] == code])
            speeds.append(joint_angular_speed(motion, fps).mean())
    reference = np.concatenate(truth_accel).mean()
    every = np.concatenate([a for name in regions for a in per_region[name]])
    parts = ", ".join(f"{np.concatenate(per_region[name]).mean() / reference:.2f} {name} "
                      f"({np.concatenate(per_region[name]).size / every.size:.0%} of frames)" for name in regions)
    print(f"\n3. whole val takes through windows ({label_text}, {seeds} seeds, window "
          f"{assets.window_frames} frames, seed {assets.seed_frames}): arm speed ratio "
          f"{np.mean(speeds) / np.mean(truth_speed):.2f}; acceleration ratio {every.mean() / reference:.2f} overall; "
          f"{parts} (overlap: the frames two windows share, one frame each side; after it: the join's decay, "
          "join_frames)")


if __name__ == "__main__":
    main()

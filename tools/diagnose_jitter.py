"""Where generated arm jitter comes from: the x0 prediction per noise level, the sampler, the windows.

On validation clips of a checkpoint's own cache (each conditioned on its own audio, words and seed
motion, as in training) it prints the arms' angular speed and acceleration (mean of the four arm
joints, deg/s and deg/s²) as ratios of the same clips' ground truth:

1. **x0 prediction per timestep** — the EMA network's x̂0 from x_t = q_sample(x0, t, ε) at several
   t: which noise levels produce a rough x̂0 (the last sampler steps hand it on unchanged);
2. **samplers on one window** — a whole reverse run per sampler (no window chaining);
3. **generation through windows** — ``generate`` on the whole val takes (seed chaining and
   crossfades), with the acceleration split into frames near a window border and the rest.

    python tools/diagnose_jitter.py quickstart/runs/checkpoints/last.ckpt
    python tools/diagnose_jitter.py CKPT --clips 16 --samplers ddim:25 ddim:5 dpmsolver:10 ddpm
"""

from __future__ import annotations

import argparse
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
    """``name[:steps]`` -> the settings of ``conf/sampler/<name>.yaml`` with that step count."""
    name, _, steps = spec.partition(":")
    overrides = [f"sampler={name}"] + ([f"sampler.steps={steps}"] if steps else [])
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
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    assets = load_assets(args.checkpoint)
    cfg = OmegaConf.create(assets.config)
    info = CacheInfo.load(cfg.data.cache_dir)
    module = UWPLightningModule.load_from_checkpoint(args.checkpoint, map_location="cpu").eval()
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

    print("\n2. whole reverse runs on the same clips (one window each), mean ± std over seeds")
    print("| sampler | speed ratio | acceleration ratio |")
    print("|---|---|---|")
    for spec in args.samplers:
        settings = settings_of(spec)
        ratios = []
        for seed in range(args.seeds):
            with torch.no_grad():
                motion = sample_network(network, schedule, cond, tuple(x0.shape), settings, torch.Generator().manual_seed(seed))
            speed, accel = energy(motion)
            ratios.append((speed / truth_speed, accel / truth_accel))
        mean, std = np.mean(ratios, axis=0), np.std(ratios, axis=0)
        print(f"| {spec} | {mean[0]:.2f} ± {std[0]:.2f} | {mean[1]:.2f} ± {std[1]:.2f} |")


if __name__ == "__main__":
    main()

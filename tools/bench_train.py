"""Training throughput and peak memory of the UWP model at the paper's dimensions, on this machine.

One measured step is exactly what the Lightning loop runs per batch: the diffusion losses of
``UWPLightningModule`` (q_sample, condition dropout, denoiser, per-task Huber, UWP weighting),
backward, gradient-norm clipping, AdamW step, LR scheduler step and EMA update — under the same
autocast Lightning applies for the chosen precision. Clips are random tensors of the cache's shapes
(the denoiser's cost does not depend on values).

Defaults: batch 32, 150 frames, motion 141 + 52 = 193 channels, audio 1133 + word 301, latent 384,
8 layers. Prints samples/s (median over the timed steps), the step time spread, the peak RSS of the
process and the machine load. On a shared machine the wall-clock figure depends on what else runs,
so it also prints samples per CPU-second of this process (with ``--threads 1`` that is the rate one
uncontended core gives).

    python tools/bench_train.py                       # precision auto (bf16 autocast on AMX CPUs)
    python tools/bench_train.py --precision 32-true   # fp32
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

import torch

from motiongen.config import compose
from motiongen.training.precision import resolve_precision
from motiongen.corpus.beat_format import paper_motion_format
from motiongen.training.run import build_module


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--audio", type=int, default=1133)
    parser.add_argument("--word", type=int, default=301)
    parser.add_argument("--speakers", type=int, default=30)
    parser.add_argument("--steps", type=int, default=8, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--precision", default="auto", help="32-true | bf16-mixed | auto")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the model, e.g. model.network.num_layers=8")
    return parser.parse_args()


def random_batch(args: argparse.Namespace, fmt, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """A batch of every block and stream of ``fmt``: per-frame ``(B, N, width)``, categories ``(B,)``."""
    shape = (args.batch, args.frames)
    batch = {block.name: torch.randn(*shape, block.width, generator=generator) for block in fmt.blocks}
    for stream in fmt.conditions:
        batch[stream.name] = (torch.randn(*shape, stream.width, generator=generator) if stream.per_frame
                              else torch.randint(0, stream.width, (args.batch,), generator=generator))
    return batch


def main() -> None:
    args = parse()
    if args.threads:
        torch.set_num_threads(args.threads)
    precision = resolve_precision(args.precision, "cpu")
    cfg = compose("config", ["trainer.max_steps=1000", *args.overrides])
    fmt = paper_motion_format(args.speakers, args.audio, args.word)
    module = build_module(cfg, fmt)
    module.train()
    optimisers = module.configure_optimizers()
    optimiser, scheduler = optimisers["optimizer"], optimisers["lr_scheduler"]["scheduler"]
    clip = float(cfg.trainer.gradient_clip_val)
    generator = torch.Generator().manual_seed(0)
    batch = random_batch(args, fmt, generator)
    autocast = precision == "bf16-mixed"
    durations, cpu_times = [], []
    for step in range(args.warmup + args.steps):
        started, cpu_started = time.perf_counter(), time.process_time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            losses = module.diffusion_losses(module.model, batch, generator, module.cond_drop_prob)
            total = module.uncertainty(losses)
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
        optimiser.step()
        scheduler.step()
        module.ema_model.update_parameters(module.model)
        if step >= args.warmup:
            durations.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
    median = statistics.median(durations)
    cpu_median = statistics.median(cpu_times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parameters = sum(p.numel() for p in module.model.parameters())
    print(f"UWP training step, batch {args.batch} × {args.frames} frames, motion {fmt.describe()}, "
          f"audio {args.audio} + word {args.word}, latent {module.network_cfg.latent_dim}, "
          f"{module.network_cfg.num_layers} layers, {parameters / 1e6:.1f} M parameters")
    print(f"precision {precision}, threads {torch.get_num_threads()}, load average before/after: {os.getloadavg()}")
    print(f"step time median {median:.3f} s (min {min(durations):.3f}, max {max(durations):.3f}) over {len(durations)} steps")
    print(f"throughput {args.batch / median:.1f} samples/s, peak RSS {peak_mb:.0f} MB")
    print(f"CPU time per step {cpu_median:.3f} s: {args.batch / cpu_median:.1f} samples per CPU-second")


if __name__ == "__main__":
    main()

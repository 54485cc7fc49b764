"""Training throughput and peak memory of the UWP model at the paper's dimensions, on this machine.

The measured steps are ``motiongen train``'s own: :func:`motiongen.training.run.train` builds the
module, data module, callbacks and Lightning Trainer from ``experiment=uwp_beat`` (its trainer
group and precision: ``auto`` is bf16 autocast on a CPU with native bf16), and Lightning runs the
loop — data loading, diffusion losses, backward, gradient clipping, fused AdamW, LR schedule, EMA.
Only the data differs: clips of random values with the paper cache's shapes (the denoiser's cost
does not depend on values), served by the same data module and sampler.

Defaults: batch 32, 150 frames, motion 141 + 52 = 193 channels, audio 1133 + word 301, latent 384,
8 layers. A step's time is the interval between two consecutive ends of training batches (so it
includes loading the batch). Prints samples/s (median over the timed steps), the step time spread,
the peak RSS of the process and the machine load. On a shared machine the wall-clock figure depends
on what else runs, so it also prints samples per CPU-second of this process (with ``--threads 1``
that is the rate one uncontended core gives).

    python tools/bench_train.py                                   # precision auto (bf16 autocast on bf16 CPUs)
    python tools/bench_train.py trainer.precision=32-true         # fp32
    python tools/bench_train.py --batch 8 model.network.num_layers=4
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import lightning.pytorch as pl
import torch
from torch.utils.data import Dataset

from docs_section import add_docs_flag, recorded

from motiongen.config import compose
from motiongen.datasets.beat.format import paper_motion_format
from motiongen.training.run import train


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--audio", type=int, default=1133)
    parser.add_argument("--word", type=int, default=301)
    parser.add_argument("--speakers", type=int, default=30)
    parser.add_argument("--steps", type=int, default=8, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of experiment=uwp_beat, e.g. trainer.precision=32-true")
    add_docs_flag(parser)
    return parser.parse_args()


class RandomClips(Dataset):
    """``num_clips`` clips of ``fmt``'s blocks and streams with random values, in the ClipDataset
    item contract: per-frame ``(frames, width)`` float32, categories int64 scalars."""

    def __init__(self, fmt, num_clips: int, frames: int):
        self.fmt, self.num_clips, self.frames = fmt, num_clips, frames

    def __len__(self) -> int:
        return self.num_clips

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        generator = torch.Generator().manual_seed(index)
        item = {block.name: torch.randn(self.frames, block.width, generator=generator) for block in self.fmt.blocks}
        for stream in self.fmt.conditions:
            item[stream.name] = (torch.randn(self.frames, stream.width, generator=generator) if stream.per_frame
                                 else torch.randint(0, stream.width, (), generator=generator))
        return item


class StepTimes(pl.Callback):
    """Wall and process CPU seconds between consecutive ends of training batches."""

    def __init__(self):
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._last: tuple[float, float] | None = None

    def on_train_batch_end(self, *args) -> None:
        now = (time.perf_counter(), time.process_time())
        if self._last is not None:
            self.wall.append(now[0] - self._last[0])
            self.cpu.append(now[1] - self._last[1])
        self._last = now


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    if args.threads:
        torch.set_num_threads(args.threads)
    fmt = paper_motion_format(args.speakers, args.audio, args.word)
    steps = args.warmup + args.steps
    with tempfile.TemporaryDirectory(prefix="bench_train_") as folder:
        cfg = compose("config", [
            "experiment=uwp_beat", "trainer.accelerator=cpu", f"trainer.max_steps={steps}",
            f"trainer.loop.batch_size={args.batch}", f"trainer.loop.clip_frames={args.frames}",
            f"trainer.default_root_dir={Path(folder) / 'run'}", "trainer.limit_val_batches=0",
            f"trainer.loop.checkpoint_every_n_steps={steps + 1}", f"trainer.loop.figure_every_n_steps={steps + 1}",
            "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false", *args.overrides])
        clips = RandomClips(fmt, max(4 * args.batch, 64), args.frames)
        times = StepTimes()
        run = train(cfg, fmt, {"train": clips, "val": RandomClips(fmt, args.batch, args.frames)}, extra_callbacks=[times])
    first = max(args.warmup - 1, 0)  # interval i ends batch i + 2: the first timed batch is warmup + 1
    wall, cpu = times.wall[first:], times.cpu[first:]
    median, cpu_median = statistics.median(wall), statistics.median(cpu)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    module = run.module
    parameters = sum(p.numel() for p in module.model.parameters())
    print(f"UWP training step (motiongen train's Lightning loop), batch {args.batch} × {args.frames} frames, "
          f"motion {fmt.describe()}, audio {args.audio} + word {args.word}, latent {module.network_cfg.latent_dim}, "
          f"{module.network_cfg.num_layers} layers, {parameters / 1e6:.1f} M parameters")
    print(f"precision {run.trainer.precision}, gradient clipping {cfg.trainer.gradient_clip_val} "
          f"({cfg.trainer.gradient_clip_algorithm}), threads {torch.get_num_threads()}, "
          f"data workers {cfg.trainer.loop.num_workers}, load average after: {os.getloadavg()}")
    print(f"step time median {median:.3f} s (min {min(wall):.3f}, max {max(wall):.3f}) over {len(wall)} steps")
    print(f"throughput {args.batch / median:.1f} samples/s, peak RSS {peak_mb:.0f} MB")
    print(f"CPU time per step {cpu_median:.3f} s: {args.batch / cpu_median:.1f} samples per CPU-second of the main process")


def main() -> None:
    args = parse()
    with recorded("bench_train.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

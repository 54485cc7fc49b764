"""Generation speed at the paper's model size: motion seconds per wall second, and streaming latency.

Runs the product's sampling path (``WindowSampler`` + ``stream_windows``: DDIM, seed chaining,
window joins) with the paper-size UWP denoiser (random weights — speed does not depend on them) on
pre-computed conditioning of the paper's widths (audio 1133, word 301), so the figures measure
sampling, not feature extraction (reported separately for the spectral recipe).

    python tools/bench_generate.py                       # DDIM-25, 60 s of speech, float32 and bfloat16, 1 and 2 threads
    python tools/bench_generate.py --seconds 20 --threads 1 --precision auto
    python tools/bench_generate.py --seconds 20 --threads 2 --precision auto --floor   # + where the time goes
    python tools/bench_generate.py --sampler lcm --steps 2 --threads 2        # a distilled student (conf/sampler/lcm.yaml)

Targets (issue 5): >= 15x real time, first-window latency <= 0.3 s. Besides wall-clock figures it
prints the same figures per CPU second used by this process: on a machine shared with other jobs
those approximate what a dedicated core would give (with threads=1).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from docs_section import add_docs_flag, recorded

from motiongen.config import compose
from motiongen.diffusion.samplers import SamplerSettings
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.datasets.beat.format import paper_motion_format
from motiongen.generation.conditioning import Condition
from motiongen.generation.runtime import fast_bfloat16
from motiongen.generation.sampling import WindowSampler
from motiongen.generation.types import GenerationAssets
from motiongen.generation.windows import WindowPlan, inertialized_channels, stream_windows
from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser
from motiongen.training.run import network_kwargs

FPS = 30.0


def paper_model() -> tuple[UWPDenoiser, DenoiserConfig]:
    """The paper-size denoiser: ``conf/model/uwp.yaml`` as composed by default (latent 384, 8 layers)
    on the BEAT format at the paper's widths (gesture 141, expression 52, audio 1133, word 301, 30 speakers)."""
    cfg = DenoiserConfig(**network_kwargs(compose("config").model.network, paper_motion_format()))
    torch.manual_seed(0)
    return UWPDenoiser(cfg).eval(), cfg


def paper_assets(model, dtype: torch.dtype) -> GenerationAssets:
    """Generation assets of ``model`` without a data cache (the sampler reads the model, schedule,
    format and window lengths)."""
    return GenerationAssets(model=model.to(dtype), schedule=NoiseSchedule("linear", 1000),
                            motion_format=paper_motion_format(), window_frames=150, seed_frames=model.cfg.seed_frames,
                            dtype=dtype)


def run_case(model, cfg, dtype, threads: int, seconds: float, settings: SamplerSettings, first_window: int | None):
    torch.set_num_threads(threads)
    frames = int(seconds * FPS)
    plan = WindowPlan(frames, 150, cfg.seed_frames, first_window)
    rng = np.random.default_rng(0)
    condition = Condition(
        {name: rng.standard_normal((plan.padded_frames, width), dtype=np.float32)
         for name, width in cfg.frame_conditions.items()},
        transcript_used=True,
    )
    assets = paper_assets(model, dtype)
    categories = {name: 0 for name in cfg.category_conditions}
    warm = WindowSampler(assets, condition, WindowPlan(150, 150, cfg.seed_frames), settings, categories, 1, 0)
    warm(0, torch.zeros(1, cfg.seed_frames, cfg.motion_dim))  # oneDNN kernel selection, allocator warm-up
    sampler = WindowSampler(assets, condition, plan, settings, categories, 1, 0)
    started, cpu_started = time.perf_counter(), time.process_time()
    first = first_cpu = None
    joins = inertialized_channels(assets.motion_format)
    for chunk in stream_windows(sampler, plan, torch.zeros(1, cfg.seed_frames, cfg.motion_dim), joins):
        if first is None:
            first, first_cpu = chunk.seconds_since_start, time.process_time() - cpu_started
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    calls = plan.num_windows * settings.steps
    return {
        "speed_x_realtime": seconds / total,
        "speed_x_cpu": seconds / cpu,
        "first_window_s": first,
        "first_window_cpu_s": first_cpu,
        "ms_per_denoiser_call": 1000 * total / calls,
        "total_s": total,
        "windows": plan.num_windows,
    }


def matmul_floor(model, cfg, dtype, threads: int, calls: int = 20) -> dict[str, float]:
    """Profile ``calls`` batch-1 denoiser calls on one 150-frame window (as the sampler makes them)
    and split the time per call into the dense layers' matrix products, the attention products and
    everything else (torch.profiler self CPU time; profiler overhead inflates "everything else").
    The products alone bound the speed from above: no fusion of the other operations can beat it."""
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(threads)
    frames = 150
    x = torch.randn(1, frames, cfg.motion_dim, dtype=dtype)
    cond = {name: torch.randn(1, frames, width, dtype=dtype) for name, width in cfg.frame_conditions.items()}
    cond.update({name: torch.zeros(1, dtype=torch.long) for name in cfg.category_conditions})
    cond["seed"] = torch.randn(1, cfg.seed_frames, cfg.motion_dim, dtype=dtype)
    t = torch.full((1,), 500)
    model = model.to(dtype)

    def call():
        with torch.inference_mode(), torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            return model(x, t, cond, None)

    for _ in range(5):
        call()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            call()
    self_ms = {event.key: event.self_cpu_time_total / 1000 / calls for event in prof.key_averages()}
    dense = sum(self_ms.get(name, 0.0) for name in ("aten::addmm", "aten::mm"))
    attention = sum(self_ms.get(name, 0.0) for name in ("aten::bmm", "aten::baddbmm"))
    return {"dense_ms": dense, "attention_ms": attention, "other_ms": sum(self_ms.values()) - dense - attention}


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""

    print(f"load average before: {os.getloadavg()}  (cpus: {os.cpu_count()}, torch {torch.__version__}, "
          f"native bf16: {fast_bfloat16()})")
    settings = SamplerSettings.from_config(compose("generate", [f"sampler={args.sampler}", f"sampler.steps={args.steps}",
                                                                f"sampler.guidance={args.guidance}"]).sampler)
    base, cfg = paper_model()
    print(f"paper-size denoiser: {sum(p.numel() for p in base.parameters()) / 1e6:.1f} M parameters, "
          f"{settings.kind}-{args.steps} ({settings.scheduler}), guidance {args.guidance}, {args.seconds:g} s of speech at {FPS:g} fps")
    for precision in args.precision:
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16,
                 "auto": torch.bfloat16 if fast_bfloat16() else torch.float32}[precision]
        for threads in args.threads:
            for first_window in args.first_window:
                model, _ = paper_model()
                result = run_case(model, cfg, dtype, threads, args.seconds, settings, first_window)
                print(f"{precision:>8} ({str(dtype).replace('torch.', '')}) threads={threads} "
                      f"first window {first_window} frames: {result['speed_x_realtime']:.2f}x real time, "
                      f"first chunk after {result['first_window_s']:.3f} s, {result['ms_per_denoiser_call']:.1f} ms "
                      f"per denoiser call (mean), {result['windows']} windows in {result['total_s']:.2f} s | per CPU "
                      f"second of this process: {result['speed_x_cpu']:.2f}x, first chunk {result['first_window_cpu_s']:.3f} "
                      f"CPU-s", flush=True)
    if args.floor:
        new_seconds = (150 - cfg.seed_frames) / FPS
        for threads in args.threads:
            model, _ = paper_model()
            split = matmul_floor(model, cfg, torch.bfloat16 if fast_bfloat16() else torch.float32, threads)
            products_ms = split["dense_ms"] + split["attention_ms"]
            ceiling = new_seconds / (args.steps * products_ms / 1000)
            print(f"one batch-1 call, threads={threads}: dense-layer products {split['dense_ms']:.1f} ms, attention "
                  f"products {split['attention_ms']:.1f} ms, everything else {split['other_ms']:.1f} ms per call | "
                  f"the matrix products alone cap DDIM-{args.steps} at {ceiling:.1f}x real time "
                  f"({new_seconds:g} s of new motion per 150-frame window)")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="speech length to generate")
    parser.add_argument("--sampler", default="ddim", help="a conf/sampler file (ddim, dpmsolver, unipc, lcm, ...)")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--guidance", type=float, default=1.0, help="CFG scale (!= 1 doubles the batch)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--precision", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16", "auto"])
    parser.add_argument("--first-window", type=int, nargs="+", default=[150, 60],
                        help="first-window lengths to try (frames; 150 = full window, 60 = streaming default)")
    parser.add_argument("--floor", action="store_true",
                        help="also profile one batch-1 call: time in the dense and attention products and the "
                             "real-time ceiling the products alone allow")
    add_docs_flag(parser)
    args = parser.parse_args()
    with recorded("bench_generate.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

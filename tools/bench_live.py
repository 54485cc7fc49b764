"""Live streaming at real-time pace on this machine: latency, late frames and CPU of ``motiongen live``.

Streams speech (default: the long sample speech file ``speech/Forrest_tts.wav`` of the shared
samples, looped to ``--seconds``) through the live path — the file source paced by the system
clock, incremental features, causal chunks of ``--chunk-frames`` new frames, Live Link Face and VMC
datagrams sent to localhost receivers on the 30 fps frame clock — for the tiny model (the
``live_tiny`` experiment's network: latent 64, 2 layers, seed 5) and the paper-size one
(``live_beat``: the paper's latent 384, 8 layers, seed 10) on the spectral audio recipe, with
random weights (speed does not depend on them). It prints, per model:

* latency from an audio block's arrival to the sending of the first frame it affects (p50/p95/max);
* frames sent late (more than half a frame after their slot) and dropped (never sent) at 30 fps;
* CPU used by the process (cores = CPU seconds / wall seconds) and the generation step time.

The generated frames pass through the smoothing prior the experiment records (``live_tiny``: the
causal low-pass; ``live_beat``: none) unless ``--smoothing none|lowpass|lowpass@HZ`` chooses one;
its group delay is printed (a lag of the body's motion, not a wait: no frame is held back).

``--words recognise`` also runs pocketsphinx's streaming recogniser on every block and feeds each
step the settled words (``motiongen live --words recognise``), to measure what recognition costs.

    python tools/bench_live.py                               # both models, 300 s each
    python tools/bench_live.py --models tiny --seconds 60 --steps 4 --delay 0.3
    python tools/bench_live.py --models tiny --seconds 60 --words recognise
    python tools/bench_live.py --models tiny --seconds 60 --smoothing none

Goal (issue 23): p95 <= 300 ms, no dropped frame, <= 1 core. Figures depend on the machine's load:
the 1-minute load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from docs_section import add_docs_flag, recorded

from motiongen.config import compose
from motiongen.core.skeleton import SkeletonTemplate
from motiongen.datasets.beat.format import AUDIO, EXPRESSION, GESTURE, beat_motion_format
from motiongen.diffusion.samplers import SamplerSettings
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.features.recipe import recipe_from_config
from motiongen.features.words import WordTable
from motiongen.formats.audio import load_audio
from motiongen.generation.smoothing import SmoothingSettings, group_delay_frames, smoothing_override
from motiongen.generation.types import GenerationAssets
from motiongen.skeletons import load_joint_set
from motiongen.live import livelink, vmc
from motiongen.live.audio_features import StreamingAudioFeatures
from motiongen.live.audio_io import FileSource
from motiongen.live.causal import CausalGenerator
from motiongen.live.frames import FrameBuilder
from motiongen.live.session import LiveSession, UdpSink
from motiongen.live.targets import UdpSender, parse_target
from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser
from motiongen.skeletons import load_beat75_template
from motiongen.text.asr import StreamingWords
from motiongen.training.run import network_kwargs

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AUDIO = ROOT.parent / "shared" / "data" / "speech" / "Forrest_tts.wav"
WORD_DIM = 300
EXPERIMENTS = {"tiny": "live_tiny", "paper": "live_beat"}


def assets_for(model_name: str) -> GenerationAssets:
    """Random-weight assets of the tiny or paper-size network on the BEAT format with spectral audio."""
    cfg = compose("config", [f"experiment={EXPERIMENTS[model_name]}"])
    recipe = recipe_from_config(cfg.data.features, 30.0)
    template = SkeletonTemplate.from_motion(load_beat75_template())
    width = sum(recipe.block_dims().values())
    fmt = beat_motion_format(30.0, load_joint_set("beat47_upper"), template, width, recipe.layout(), WORD_DIM + 1,
                             list(range(1, 31)))
    fmt = fmt.with_statistics({GESTURE: (np.zeros(fmt.block(GESTURE).width), np.full(fmt.block(GESTURE).width, 0.2)),
                               EXPRESSION: (np.full(52, 0.2), np.full(52, 0.1)),
                               AUDIO: (np.zeros(width), np.ones(width) * 20)})
    torch.manual_seed(0)
    network = UWPDenoiser(DenoiserConfig(**network_kwargs(cfg.model.network, fmt))).eval()
    diffusion = cfg.model.diffusion
    schedule = NoiseSchedule("linear", int(diffusion.num_steps), float(diffusion.beta_start), float(diffusion.beta_end))
    words = WordTable(["<unk>"], np.zeros((1, WORD_DIM)), "bench zeros")
    recorded_config = {"smoothing": OmegaConf.to_container(cfg.smoothing)}  # as a training run records it
    return GenerationAssets(model=network, schedule=schedule, motion_format=fmt, window_frames=150,
                            seed_frames=network.cfg.seed_frames, audio_recipe=recipe, word_vectors=words,
                            config=recorded_config)


def smoothing_choice(spec: str | None) -> SmoothingSettings | None:
    """``--smoothing``: None (the experiment's), or ``none`` / ``lowpass`` / ``lowpass@HZ``."""
    if spec is None:
        return None
    kind, _, cutoff = spec.partition("@")
    overrides = [f"smoothing={kind}"] + ([f"smoothing.cutoff_hz={cutoff}"] if cutoff else [])
    return smoothing_override(compose("live", overrides).smoothing)


class Drain:
    """A localhost UDP receiver counting datagrams."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.count = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                self.sock.recv(65536)
                self.count += 1
            except socket.timeout:
                pass


def run(model_name: str, wave: np.ndarray, args) -> dict:
    assets = assets_for(model_name)
    recipe = assets.audio_recipe
    generator = CausalGenerator(assets, SamplerSettings(kind="ddim", steps=args.steps), args.chunk_frames, seed=0,
                                smoothing=smoothing_choice(args.smoothing))
    drains = [Drain(), Drain()]
    senders = [UdpSender([parse_target(f"127.0.0.1:{d.sock.getsockname()[1]}", "--bench")]) for d in drains]
    sinks = [UdpSink("livelink", livelink.LiveLinkFaceEncoder(fps=30), senders[0]),
             UdpSink("vmc", vmc.VmcEncoder(FrameBuilder(assets.motion_format).bones), senders[1])]
    words = StreamingWords() if args.words == "recognise" else None
    session = LiveSession(assets, generator, StreamingAudioFeatures(recipe), sinks, args.delay, words)
    frames = int(round(len(wave) / recipe.sample_rate * 30))
    load_before = os.getloadavg()[0]
    report = session.run(FileSource(wave, recipe.sample_rate), frames)
    for drain in drains:
        drain.stop.set()
        drain.thread.join()
    summary = report.summary()
    summary.update(model=model_name, words=args.words, smoothing=generator.smoothing.describe(),
                   smoothing_group_delay_ms=1000 * group_delay_frames(generator.smoothing, assets.fps) / assets.fps, words_used=len(generator.used_words), parameters=sum(p.numel() for p in assets.model.parameters()),
                   seconds=len(wave) / recipe.sample_rate, frames_expected=frames,
                   received={"livelink": drains[0].count, "vmc": drains[1].count},
                   load_1min={"before": load_before, "after": os.getloadavg()[0]})
    summary["dropped_frames"] = frames - report.frames  # also frames never generated
    summary["smoothing_ms_per_step"] = smoothing_cost_ms(generator.smoothing, assets, args.chunk_frames)
    return summary


def smoothing_cost_ms(smoothing: SmoothingSettings, assets: GenerationAssets, chunk_frames: int, calls: int = 2000) -> float:
    """Wall milliseconds of the causal smoothing of one step's chunk (``(1, C, D)``), median of 5
    runs of ``calls`` chunks."""
    import time

    from motiongen.generation.smoothing import CausalSmoother

    chunk = torch.randn(1, chunk_frames, assets.motion_dim)
    runs = []
    for _ in range(5):
        smoother = CausalSmoother(smoothing, assets.motion_format)
        started = time.perf_counter()
        for _ in range(calls):
            smoother(chunk)
        runs.append((time.perf_counter() - started) / calls * 1000)
    return float(np.median(runs))


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    torch.set_num_threads(args.threads)
    if not args.audio.is_file():
        raise SystemExit(f"{args.audio} not found (the shared samples); pass --audio")
    wave, _ = load_audio(args.audio, target_sr=16000)
    wave = np.resize(wave, int(args.seconds * 16000)).astype(np.float32)  # looped
    print(f"cores: {os.cpu_count()}, torch threads: {args.threads}, audio: {args.audio.name} looped to "
          f"{args.seconds:g} s, DDIM {args.steps} steps, {args.chunk_frames} frames per chunk, delay {args.delay} s, words: {args.words}")
    for name in args.models:
        result = run(name, wave, args)
        lat = result["latency_ms"]
        print(f"{name:5s} ({result['parameters'] / 1e6:.2f} M params): latency p50 {lat['p50']:.0f} ms, "
              f"p95 {lat['p95']:.0f} ms, max {lat['max']:.0f} ms; frames {result['frames_sent']}/"
              f"{result['frames_expected']} sent, {result['late_frames']} late, {result['dropped_frames']} dropped; "
              f"CPU {result['cpu_cores']:.2f} cores; step p95 {result['step_ms_p95']:.0f} ms; smoothing "
              f"{result['smoothing']['kind']} (group delay {result['smoothing_group_delay_ms']:.0f} ms, "
              f"{result['smoothing_ms_per_step']:.3f} ms per step); "
              f"load {result['load_1min']['before']:.1f} -> {result['load_1min']['after']:.1f}", flush=True)
        print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=DEFAULT_AUDIO, help="speech file, looped to --seconds")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--models", nargs="+", choices=tuple(EXPERIMENTS), default=list(EXPERIMENTS))
    parser.add_argument("--steps", type=int, default=4, help="DDIM steps per chunk (default 4)")
    parser.add_argument("--chunk-frames", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--words", choices=("none", "recognise"), default="none",
                        help="recognise: also run the streaming word recogniser (motiongen live --words recognise)")
    parser.add_argument("--smoothing", default=None,
                        help="none | lowpass | lowpass@HZ (default: the experiment's own, as its checkpoints record it)")
    add_docs_flag(parser)
    args = parser.parse_args()
    with recorded("bench_live.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

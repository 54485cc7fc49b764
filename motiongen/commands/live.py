"""``motiongen live``: speech in (a file at real-time pace or a microphone), holistic motion out in real
time to Unreal (Live Link Face), VRM/Unity apps (VMC protocol), and a record folder.

Examples::

    motiongen live --checkpoint model.ckpt --audio speech.wav --livelink 127.0.0.1:11111
    motiongen live --checkpoint model.ckpt --mic --vmc 127.0.0.1:39539 --record out/live
    motiongen live --checkpoint model.ckpt --audio speech.wav --vmc 192.168.1.20:39539 --steps 4 --chunk-frames 5

Frames go only to the targets named; see docs/live.md for connecting Unreal, VSeeFace/Warudo.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from motiongen.commands.hydra_command import SAMPLERS, flag_overrides

log = logging.getLogger(__name__)

WORD_SOURCES = ("none", "recognise")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--audio", type=Path, help="speech file played at real-time pace (wav/flac/mp3)")
    source.add_argument("--mic", action="store_true", help="speech from a microphone (PortAudio input device)")
    parser.add_argument("--device", type=int, help="--mic: PortAudio input device index (default: the system's)")
    parser.add_argument("--play", action="store_true", help="--audio: also play the file on the sound card, which "
                        "then paces it (default: paced by the system clock)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="trained model checkpoint (.ckpt)")
    parser.add_argument("--livelink", metavar="HOST:PORT", help="send Live Link Face frames here (Unreal's Live Link, "
                        "default app port 11111)")
    parser.add_argument("--livelink-subject", help="Live Link subject name (default motiongen)")
    parser.add_argument("--vmc", metavar="HOST:PORT", help="send VMC protocol bundles here (VSeeFace, Warudo, EVMC4U; "
                        "default port 39539)")
    parser.add_argument("--web", type=int, metavar="PORT", help="serve a page drawing the live skeleton and face at "
                        "http://127.0.0.1:PORT/ (0: any free port)")
    parser.add_argument("--web-host", help="interface the page listens on (default 127.0.0.1, "
                        "this machine only; 0.0.0.0 opens it to the network)")
    parser.add_argument("--record", type=Path, metavar="DIR", help="write what was sent as a run folder (BVH, ARKit "
                        "JSON, Live Link CSV, motion.npz)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --record folder")
    parser.add_argument("--chunk-frames", type=int, help="new frames per generation step, 1-10 (default 5)")
    parser.add_argument("--delay", type=float, help="seconds between an audio frame and its motion frame being sent "
                        "(buffer for generation; default 0.3)")
    parser.add_argument("--words", choices=WORD_SOURCES, help="word stream: none = silence vectors (default), "
                        "recognise = pocketsphinx's words as they settle (~0.3 s after each word ends)")
    parser.add_argument("--sampler", choices=SAMPLERS, help="conf/sampler file (default ddim; lcm for a distilled student)")
    parser.add_argument("--steps", type=int, help="sampler steps per chunk (default 4)")
    parser.add_argument("--seed", type=int, help="random seed (default 0)")
    parser.add_argument("--speaker", help="speaker label of the training data (default: the first)")
    parser.add_argument("--emotion", help="emotion class (default: the first, e.g. neutral)")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), help="inference dtype (default float32)")
    parser.add_argument("--threads", type=int, help="CPU threads for the network (default 1)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of conf/live.yaml, e.g. sampler.eta=0.5")


def _overrides(args: argparse.Namespace) -> list[str]:
    """Command-line flags as Hydra overrides of conf/live.yaml (flags win over trailing overrides)."""
    return flag_overrides(args, {"chunk_frames": args.chunk_frames, "delay_seconds": args.delay, "sampler.steps": args.steps,
                                 "seed": args.seed, "precision": args.precision, "threads": args.threads,
                                 "livelink_subject": args.livelink_subject, "web_host": args.web_host, "words": args.words})


def _smoothing_note(smoothing, fps: float) -> str:
    """``none`` or e.g. ``lowpass 6 Hz (causal, 1.0 frames of group delay)`` for the start-up line."""
    from motiongen.generation.smoothing import group_delay_frames

    if not smoothing.enabled:
        return "none"
    return (f"{smoothing.kind} {smoothing.cutoff_hz:g} Hz (causal, {group_delay_frames(smoothing, fps):.1f} frames "
            "of group delay)")


def run(args: argparse.Namespace) -> int:
    import json

    from omegaconf import OmegaConf

    from motiongen.config import compose
    from motiongen.core.errors import ConfigError
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.export.folder import check_destination
    from motiongen.generation.checkpoint import load_assets
    from motiongen.core.hashing import sha256_file
    from motiongen.generation.inputs import require_file
    from motiongen.generation.runtime import inference_threads
    from motiongen.generation.smoothing import group_delay_frames, smoothing_override
    from motiongen.live import livelink, vmc
    from motiongen.live.audio_features import StreamingAudioFeatures
    from motiongen.live.audio_io import FileSource, MicrophoneSource
    from motiongen.live.causal import CausalGenerator
    from motiongen.live.frames import FrameBuilder
    from motiongen.live.record import record_session
    from motiongen.live.session import LiveSession, UdpSink
    from motiongen.live.targets import UdpSender, parse_target

    cfg = compose("live", _overrides(args))
    if not (args.livelink or args.vmc or args.record or args.web is not None):
        raise ConfigError("name at least one output: --livelink HOST:PORT, --vmc HOST:PORT, --web PORT or --record DIR")
    if args.device is not None and not args.mic:
        raise ConfigError("--device goes with --mic")
    if cfg.delay_seconds <= 0:
        raise ConfigError(f"--delay (delay_seconds) must be > 0 seconds, got {cfg.delay_seconds}")
    if str(cfg.words) not in WORD_SOURCES:
        raise ConfigError(f"conf/live.yaml: words={cfg.words} is not a word source; use one of {', '.join(WORD_SOURCES)}")
    targets = {flag: parse_target(value, f"--{flag}") for flag, value in (("livelink", args.livelink),
                                                                          ("vmc", args.vmc)) if value}
    if args.record is not None:
        check_destination(args.record, args.overwrite)
    checkpoint = require_file(args.checkpoint, "checkpoint")
    settings = SamplerSettings.from_config(cfg.sampler)
    smoothing = smoothing_override(cfg.get("smoothing"))

    import torch

    torch.set_num_threads(inference_threads(cfg.threads))
    assets = load_assets(checkpoint, precision=str(cfg.precision))
    recipe = assets.audio_recipe
    if recipe is None:
        raise ConfigError(f"{checkpoint} was trained without audio features; live generation needs a speech model")
    generator = CausalGenerator(assets, settings, int(cfg.chunk_frames), int(cfg.seed), args.speaker, args.emotion,
                                blend=bool(cfg.blend_chunks), smoothing=smoothing)
    features = StreamingAudioFeatures(recipe)
    FrameBuilder(assets.motion_format)  # a format without body rotations or ARKit weights fails here
    inputs: dict = {}
    if args.audio is not None:
        from motiongen.core.output_folder import AUDIO_INPUT, file_record
        from motiongen.formats.audio import load_audio

        path = require_file(args.audio, "audio file")
        wave, _ = load_audio(path, target_sr=recipe.sample_rate)
        source = FileSource(wave, recipe.sample_rate, play=args.play)
        inputs = {AUDIO_INPUT: file_record(path, sha256_file(path))}
        num_frames = int(round(len(wave) / recipe.sample_rate * assets.fps))
    else:
        source = MicrophoneSource(recipe.sample_rate, args.device)
        inputs = {"microphone": {"device": args.device}}
        num_frames = None

    senders, sinks = [], []
    if "livelink" in targets:
        import datetime

        now = datetime.datetime.now()
        seconds = now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6
        encoder = livelink.LiveLinkFaceEncoder(str(cfg.livelink_subject), int(assets.fps),
                                               livelink.frames_since_midnight(seconds, int(assets.fps)))
        senders.append(UdpSender([targets["livelink"]]))
        sinks.append(UdpSink("livelink", encoder, senders[-1]))
    if "vmc" in targets:
        senders.append(UdpSender([targets["vmc"]]))
        sinks.append(UdpSink("vmc", vmc.VmcEncoder(FrameBuilder(assets.motion_format).bones), senders[-1]))

    web = None
    if args.web is not None:
        from motiongen.live.web import WebView

        web = WebView(assets.motion_format.skeleton.skeleton, assets.fps, args.web, str(cfg.web_host))
        web.start()
        sinks.append(web)
        targets["web"] = web.url
        print(f"live: browser view at {web.url}", flush=True)

    words = None
    if cfg.words == "recognise":
        from motiongen.text.asr import StreamingWords

        words = StreamingWords()
    session = LiveSession(assets, generator, features, sinks, float(cfg.delay_seconds), words)
    print(f"live: {', '.join(f'{s.name} -> {targets[s.name]}' for s in sinks) or 'recording only'}; "
          f"{cfg.chunk_frames} frames per step, words: {cfg.words}, {generator.settings.kind} {generator.settings.steps} steps, "
          f"smoothing {_smoothing_note(generator.smoothing, assets.fps)}, delay {cfg.delay_seconds:g} s "
          "(Ctrl+C stops)", flush=True)
    try:
        report = session.run(source, num_frames)
    finally:
        for sender in senders:
            sender.close()
        if web is not None:
            web.stop()
    summary = report.summary()
    print("live: " + json.dumps(summary), flush=True)
    for sender in senders:
        if sender.errors:
            print(f"warning: {sender.errors} datagram(s) to {', '.join(map(str, sender.targets))} could not be sent")
    if args.record is not None and session.batches:
        meta = {"sampler": generator.settings.describe(),  # as fitted to the checkpoint (a student's LCM grid)
                "smoothing": {**generator.smoothing.describe(),
                              **({"filter": "causal", "group_delay_frames": group_delay_frames(generator.smoothing, assets.fps)}
                                 if generator.smoothing.enabled else {}),
                              "source": "checkpoint" if smoothing is None else "live config"},
                "live": {"config": OmegaConf.to_container(cfg, resolve=True),
                         "words": {"source": str(cfg.words),  # the spoken words that reached a frame
                                   **({"settle_seconds": words.settle_seconds} if words is not None else {}),
                                   "used": [{"word": w.label, "start": w.start, "end": w.end}
                                            for w in generator.used_words.values()]},
                         "targets": {k: str(v) for k, v in targets.items()}, **summary}}
        audio = (features.wave.copy(), recipe.sample_rate)
        folder = record_session(args.record, assets, session.batches, meta, inputs, audio, args.overwrite)
        print(f"recorded {folder.folder}: {', '.join(sorted(folder.files))}")
    return 0

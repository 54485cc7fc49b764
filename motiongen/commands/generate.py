"""``motiongen generate``: speech (audio file or text) → BVH, ARKit JSON, Live Link CSV, arrays, preview;
or a sign label (``--sign``) → sign-language motion of a model trained on a sign corpus, written by
the exporters its motion format allows (e.g. MediaPipe Holistic landmarks ``landmarks.npz``,
``landmarks.json`` and ``landmarks_preview.mp4``); its length follows the corpus's rule
(:meth:`~motiongen.datasets.base.Corpus.generation_frames`).

Examples::

    motiongen generate --audio speech.wav --transcript speech.TextGrid --checkpoint model.ckpt
    motiongen generate --text "Hello there, nice to meet you." --voice male --checkpoint model.ckpt
    motiongen generate --audio speech.wav --checkpoint model.ckpt --stream --fps 120 sampler.eta=0.5
    motiongen generate --sign "привет" --checkpoint runs/signs/checkpoints/last.ckpt --seconds 2 --guidance 2

Every input is validated before the model loads; the output folder appears only when complete.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from motiongen.commands.hydra_command import SAMPLERS, flag_overrides

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--audio", type=Path, help="speech audio (wav/flac/mp3, any sample rate)")
    source.add_argument("--text", help="text to speak with the offline eSpeak NG voice (instead of --audio)")
    source.add_argument("--sign", help="sign label to perform, as labelled in the training data (a model trained "
                        "on a sign corpus, e.g. 'привет')")
    parser.add_argument("--seconds", type=float, help="length of the motion for --sign (default: the median length of "
                        "that sign's training clips, else the training clip length; a model without seed frames "
                        "generates at most one training clip)")
    parser.add_argument("--transcript", type=Path, help="Praat TextGrid with a 'words' tier for --audio, or a "
                        "plain-text .txt aligned with pocketsphinx (without it the words are recognised with "
                        "pocketsphinx; words_without_transcript=silence: the silence/unknown vector)")
    parser.add_argument("--voice", default="female", help="voice for --text: female or male (default female)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="trained model checkpoint (.ckpt)")
    parser.add_argument("--out", type=Path, help="output folder (default: outputs/<input>-<time>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing non-empty output folder")
    parser.add_argument("--seed", type=int, help="random seed (default from conf/generate.yaml: 0)")
    parser.add_argument("--num-samples", type=int, help="diverse samples of the same input (default 1)")
    parser.add_argument("--sampler", choices=SAMPLERS,
                        help="sampler, a conf/sampler file (default ddim; lcm for a `motiongen distill` student)")
    parser.add_argument("--steps", type=int, help="denoiser calls per window (default: the sampler file's, DDIM 25)")
    parser.add_argument("--eta", type=float, help="DDIM eta in [0, 1] (default 0; DDIM only)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance scale (default 1 = conditional)")
    parser.add_argument("--speaker", help="speaker to imitate, as labelled in the training data (e.g. a speaker id; "
                        "default: the first training speaker)")
    parser.add_argument("--emotion", help="emotion condition: neutral, happiness, anger, sadness, contempt, "
                        "surprise, fear, disgust (default: estimated from --text, else neutral)")
    parser.add_argument("--fps", type=int, choices=(30, 120), help="output frame rate (default 30)")
    parser.add_argument("--stream", action="store_true", help="sample window by window and report each as it is ready")
    parser.add_argument("--init-bvh", type=Path, help="BVH whose last second is the starting pose (default: dataset mean pose)")
    parser.add_argument("--no-preview", action="store_true", help="skip preview.mp4 and face_curves.png")
    parser.add_argument("--smplx-model", type=Path, help="SMPL-X model folder (SMPLX_NEUTRAL*.npz): smplx_preview.mp4 "
                        "shows the body mesh (default from conf/generate.yaml; without one, the skeleton)")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), help="inference dtype (default auto)")
    parser.add_argument("--threads", type=int, help="CPU threads for the network (default: the cores idle now)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of conf/generate.yaml, e.g. sampler.eta=0.5")


def _overrides(args: argparse.Namespace) -> list[str]:
    """Command-line flags as Hydra overrides (flags win over trailing overrides)."""
    out = flag_overrides(args, {"seed": args.seed, "num_samples": args.num_samples, "sampler.steps": args.steps,
                                "sampler.eta": args.eta, "sampler.guidance": args.guidance, "out_fps": args.fps,
                                "precision": args.precision, "threads": args.threads, "smplx_model": args.smplx_model})
    if args.no_preview:
        out.append("preview=false")
    return out


def _emotion(args: argparse.Namespace, assets, text_emotion) -> tuple[str | None, str]:
    """Emotion condition (a class name, or None for the model's default) and how it was chosen."""
    from motiongen.core.errors import ConfigError
    from motiongen.core.motion_format import ConditionKind

    stream = assets.category_stream(ConditionKind.EMOTION)
    if args.emotion is not None:
        if stream is None:
            raise ConfigError("this checkpoint was trained without an emotion condition; drop --emotion")
        if args.emotion not in stream.labels:
            raise ConfigError(f"unknown emotion {args.emotion!r}; choose one of {', '.join(stream.labels)}")
        return args.emotion, "command line"
    if stream is not None and text_emotion is not None:
        from motiongen.text.emotion import model_emotion

        label = model_emotion(text_emotion.label, stream.labels)
        if label is not None:
            return label, f"estimated from the text ({text_emotion.label})"
        return None, f"{stream.labels[0]} (default: the text's {text_emotion.label} is not one of the model's classes)"
    return None, f"{stream.labels[0]} (default)" if stream is not None else "model has no emotion condition"


def _first_window(setting, assets) -> int | None:
    """Frames of the first streaming window: ``min`` = 2 x seed, ``full`` = the training window, or a number."""
    if setting == "min":
        return 2 * assets.seed_frames
    if setting == "full":
        return None
    try:
        return int(setting)
    except (TypeError, ValueError):
        from motiongen.core.errors import ConfigError

        raise ConfigError(f"stream_first_window must be min, full or a frame count, got {setting!r}") from None


def _default_out(args: argparse.Namespace) -> Path:
    stem = args.audio.stem if args.audio else ("sign" if args.sign is not None else "text")
    return Path("outputs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def run(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from motiongen.config import compose
    from motiongen.core.errors import ConfigError
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.export.folder import check_destination
    from motiongen.export.run import SUPPORTED_FPS
    from motiongen.generation.checkpoint import load_assets
    from motiongen.core.hashing import sha256_file
    from motiongen.core.output_folder import INIT_BVH_INPUT, file_record
    from motiongen.generation.inputs import require_file, speech_from_audio, speech_from_text
    from motiongen.generation.smoothing import smoothing_override
    from motiongen.generation.types import GenerationRequest
    from motiongen.runs.generate import export_generation

    cfg = compose("generate", _overrides(args))
    settings = SamplerSettings.from_config(cfg.sampler)
    smoothing = smoothing_override(cfg.get("smoothing"))
    if cfg.num_samples < 1:
        raise ConfigError(f"--num-samples must be >= 1, got {cfg.num_samples}")
    if cfg.out_fps not in SUPPORTED_FPS:
        raise ConfigError(f"out_fps must be one of {SUPPORTED_FPS}, got {cfg.out_fps}")
    out_dir = check_destination(args.out or _default_out(args), args.overwrite)
    checkpoint = require_file(args.checkpoint, "checkpoint")
    if args.transcript is not None and args.text is not None:
        raise ConfigError("--transcript goes with --audio; --text brings its own word timings")
    init_bvh = require_file(args.init_bvh, "initial-pose BVH") if args.init_bvh else None

    text_emotion = None
    if args.seconds is not None and args.sign is None:
        raise ConfigError("--seconds goes with --sign; speech sets the length otherwise")
    if args.sign is not None:
        speech = None
    elif args.text is not None:
        from motiongen.text.emotion import estimate_emotion

        speech = speech_from_text(args.text, args.voice, cfg.min_speech_seconds, cfg.silence_dbfs)
        text_emotion = estimate_emotion(args.text)
    else:
        if cfg.words_without_transcript not in ("recognise", "silence"):
            raise ConfigError(f"words_without_transcript must be recognise or silence, got "
                              f"{cfg.words_without_transcript!r}")
        speech = speech_from_audio(args.audio, args.transcript, cfg.min_speech_seconds, cfg.silence_dbfs,
                                   cfg.transcript_tolerance_seconds,
                                   recognise=cfg.words_without_transcript == "recognise")
        for warning in speech.warnings:
            print(f"warning: {warning}", flush=True)

    import torch

    from motiongen.generation.runtime import inference_threads

    torch.set_num_threads(inference_threads(cfg.threads))
    assets = load_assets(checkpoint, precision=str(cfg.precision))
    emotion, emotion_source = _emotion(args, assets, text_emotion)
    initial_motion = None
    label, seconds = None, None
    if args.sign is not None:
        from motiongen.core.motion_format import ConditionKind
        from motiongen.datasets.recorded import recorded_corpus
        from motiongen.generation.labels import label_frames, text_label

        label = text_label(assets, args.sign)
        if args.seconds is not None and args.seconds <= 0:
            raise ConfigError(f"--seconds must be > 0, got {args.seconds}")
        requested = None if args.seconds is None else max(1, round(args.seconds * assets.fps))
        frames, note = label_frames(recorded_corpus(assets.config.get("data")), assets,
                                    {assets.category_stream(ConditionKind.TEXT_LABEL).name: label}, requested)
        seconds = frames / assets.fps
        if note:
            assets.warnings.append(note)
        inputs = {"sign": label, "seconds": seconds}
    else:
        inputs = dict(speech.description)
    if init_bvh is not None:
        from motiongen.formats.bvh import TruncatedBvhError
        from motiongen.generation.checkpoint import motion_from_bvh

        try:
            initial_motion = motion_from_bvh(init_bvh, assets)
        except TruncatedBvhError as err:
            raise err.with_remedy("give a complete BVH as --init-bvh") from None
        inputs[INIT_BVH_INPUT] = file_record(init_bvh, sha256_file(init_bvh))

    def report(chunk) -> None:
        end = chunk.start_frame + chunk.motion.shape[1]
        print(f"window {chunk.window_index}: frames {chunk.start_frame}-{end - 1} ready after "
              f"{chunk.seconds_since_start:.3f} s", flush=True)

    request = GenerationRequest(
        speech=speech, seconds=seconds, text_label=label, speaker=args.speaker, emotion=emotion, seed=int(cfg.seed),
        num_samples=int(cfg.num_samples),
        sampler=settings, initial_motion=initial_motion,
        first_window_frames=_first_window(cfg.stream_first_window, assets) if args.stream else None,
        window_join=str(cfg.window_join), smoothing=smoothing,
    )
    extra = {"emotion_source": emotion_source, "stream": bool(args.stream), "threads": torch.get_num_threads()}
    if text_emotion is not None:
        extra["text_emotion_scores"] = text_emotion.scores
    generated, run_folder = export_generation(
        assets, request, out_dir, out_fps=int(cfg.out_fps), inputs=inputs, metadata=extra,
        config=OmegaConf.to_container(cfg, resolve=True), outputs=None if cfg.outputs is None else list(cfg.outputs),
        preview=bool(cfg.preview), overwrite=args.overwrite, on_chunk=report if args.stream else None,
        options={"smplx_model": cfg.smplx_model, "flat_hand_mean": bool(cfg.flat_hand_mean)},
    )
    if args.stream:
        print(f"streaming start-up latency (first window ready): {generated.metadata['first_window_seconds']:.3f} s")
    print(f"wrote {run_folder.folder} ({generated.num_frames} frames at {generated.fps:g} fps, "
          f"{cfg.num_samples} sample(s)): {', '.join(sorted(run_folder.files))}")
    for warning in run_folder.warnings:
        print(f"warning: {warning}")
    return 0

"""``motiongen avatar``: a reference image + speech (text or audio) → an avatar video with the speech.

Two stages through the public entry points: ``motiongen generate`` (the motion model's generation
API and exporters) writes the motion folder, then the renderer (``render.animate``) animates the
reference image with it. Everything lands in one output folder: the generation outputs
(``motion.bvh``, ``motion.npz``, ``preview.mp4``, ...), ``avatar.mp4`` (the reference image's
aspect ratio, the speech muxed) and ``avatar_check.json``: MediaPipe re-detects the rendered
frames (pose, face and hands found) and the lip gap on the pixels is correlated with the driving
``jawOpen`` and the speech envelope (``render/lipsync.py``).

Examples::

    motiongen avatar --image ref.png --text "Nice to meet you." --checkpoint motion.ckpt --renderer render.ckpt
    motiongen avatar --image ref.png --audio speech.wav --transcript speech.TextGrid --checkpoint motion.ckpt \\
        --renderer render.ckpt --out outputs/hello

The image, the renderer checkpoint and the reference person are checked before the motion is
generated; the command layer is the only place that imports both motiongen's generation and the
renderer (``render/`` reads motion files only).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", type=Path, required=True, help="reference image of the person (PNG/JPEG; or a video, see --frame)")
    parser.add_argument("--frame", type=int, default=0, help="frame of --image when it is a video")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="text to speak with the offline eSpeak NG voice")
    source.add_argument("--audio", type=Path, help="speech audio (wav/flac/mp3)")
    parser.add_argument("--transcript", type=Path, help="Praat TextGrid with a 'words' tier for --audio")
    parser.add_argument("--voice", default="female", help="voice for --text: female or male (default female)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="trained motion model checkpoint (.ckpt)")
    parser.add_argument("--renderer", type=Path, required=True, help="trained renderer checkpoint (from render train)")
    parser.add_argument("--out", type=Path, help="output folder (default: outputs/avatar-<time>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder motiongen wrote")
    parser.add_argument("--seed", type=int, help="random seed of the motion (default 0)")
    parser.add_argument("--steps", type=int, help="DDIM steps of the motion model (default 25)")
    parser.add_argument("--render-steps", type=int, default=20, help="DDIM steps of a diffusion renderer (default 20)")
    parser.add_argument("--hands-to-camera", type=float, default=1.0,
                        help="fraction (0-1) of the turn of the hands towards the camera (default 1; see render animate)")
    parser.add_argument("--hand-exemplars", type=Path,
                        help="a video of the person whose hands are pasted onto the driving hands (see render animate)")
    parser.add_argument("--no-check", action="store_true", help="skip the MediaPipe re-detection check of the video")


def _generate_arguments(args: argparse.Namespace, out: Path) -> argparse.Namespace:
    """The ``motiongen generate`` arguments for this request (its own parser, so defaults match)."""
    from motiongen.commands import generate

    parser = argparse.ArgumentParser(prog="motiongen generate")
    generate.add_arguments(parser)
    argv = ["--text", args.text] if args.text is not None else ["--audio", str(args.audio)]
    if args.transcript is not None:
        argv += ["--transcript", str(args.transcript)]
    argv += ["--voice", args.voice, "--checkpoint", str(args.checkpoint), "--out", str(out)]
    argv += ["--seed", str(args.seed)] if args.seed is not None else []
    argv += ["--steps", str(args.steps)] if args.steps is not None else []
    argv += ["--overwrite"] if args.overwrite else []
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    from motiongen.commands import generate
    from motiongen.core.errors import MotiongenError
    from render.errors import RenderError

    out = args.out or Path("outputs") / f"avatar-{time.strftime('%Y%m%d-%H%M%S')}"
    if not 0.0 <= args.hands_to_camera <= 1.0:
        raise MotiongenError(f"--hands-to-camera must be in [0, 1], got {args.hands_to_camera}")
    if args.hand_exemplars is not None and not args.hand_exemplars.expanduser().is_file():
        raise MotiongenError(f"hand exemplar video {args.hand_exemplars} does not exist")
    try:
        from render.animate import reference_landmarks
        from render.inference import LoadedRenderer
        from render.video_io import read_reference

        LoadedRenderer(args.renderer)
        reference_landmarks(read_reference(args.image, args.frame), str(args.image))
    except RenderError as error:
        raise MotiongenError(str(error)) from error
    code = generate.run(_generate_arguments(args, out))
    if code:
        return code
    from render.animate import animate

    try:
        result = animate(args.image, out, args.renderer, out / "avatar.mp4", frame=args.frame, steps=args.render_steps,
                         report=None if args.no_check else out / "avatar_check.json", hands_to_camera=args.hands_to_camera,
                         hand_exemplars=args.hand_exemplars)
    except RenderError as error:
        raise MotiongenError(str(error)) from error
    print(f"avatar: {out / 'avatar.mp4'} ({result['frames']} frames of {result['size'][1]} x {result['size'][0]}, "
          f"speech {'muxed' if result['audio'] else 'missing'})")
    return 0

"""Benchmark: FFmpeg's faster H.264 decoding modes on a Slovo video — decoding CPU time and how far
they move the MediaPipe Holistic landmarks.

Usage (from the repository root)::

    python tools/bench_slovo_decode.py [--video ../shared/data/slovo/<id>.mp4] [--repeats 7] [--landmarks]

Decoding modes (FFmpeg decoder options through :func:`motiongen.formats.video.open_video`; none
changes the frame count or the resolution, which the script checks):

* ``exact``: no option, decoding as the encoder meant;
* ``skip_loop_filter=noref|bidir|nokey|all``: skip H.264's in-loop deblocking filter on
  non-reference / B / non-key / all frames (the filter smooths block edges; skipped on a reference
  frame, the difference carries into the frames predicted from it);
* ``flags2=+fast``: "allow non-spec-compliant speedup tricks", alone and with ``skip_loop_filter=all``;
* ``skip_idct=all``: skip the inverse transform (FFmpeg's H.264 decoder ignores it; listed to show that).

Part 1, speed: each mode decodes the whole video (``to_ndarray("rgb24")`` included, as extraction
does) ``--repeats`` times, the modes interleaved; printed are the median CPU milliseconds per frame
(one pinned core) and the pixel difference to exact decoding (mean, 99th percentile and maximum
absolute difference in grey levels over all RGB values).

Part 2, ``--landmarks``: MediaPipe Holistic (:func:`motiongen.formats.holistic.extract_frames`, the
extraction's own code) on the frames of each lossy mode, compared with the landmarks of exactly
decoded frames: pixel displacement (mean, 95th percentile, max) of the 13 upper-body pose landmarks
the Slovo body block uses, the 468 face and the 2 x 21 hand landmarks (on frames where both runs
found the part), the same in shoulder widths (the Slovo motion unit), and on how many frames the
two runs disagree whether a hand is present. A sceptic's reference for how much landmarks move
anyway: the same comparison for the exactly decoded frames re-encoded with libx264 at visually
lossless quality (CRF 12 and 18, preset medium) and decoded again — a copy of the corpus that went
through one more high-quality transcode — and for a second run on the same frames (MediaPipe's
run-to-run repeatability).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from docs_section import add_docs_flag, recorded

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("MOTIONGEN_SAMPLES_DIR", REPO.parent / "shared" / "data"))
DEFAULT_VIDEO = SAMPLES / "slovo" / "f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"

MODES: dict[str, dict[str, str]] = {
    "exact": {},
    "skip_loop_filter=noref": {"skip_loop_filter": "noref"},
    "skip_loop_filter=bidir": {"skip_loop_filter": "bidir"},
    "skip_loop_filter=nokey": {"skip_loop_filter": "nokey"},
    "skip_loop_filter=all": {"skip_loop_filter": "all"},
    "flags2=+fast": {"flags2": "+fast"},
    "skip_loop_filter=all,flags2=+fast": {"skip_loop_filter": "all", "flags2": "+fast"},
    "skip_idct=all": {"skip_idct": "all"},
}
REENCODE_CRF = (12, 18)


def decode(video: Path, options: dict[str, str]) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 RGB frames decoded with ``options``."""
    from motiongen.formats.video import open_video

    _, frames = open_video(video, decoder_options=options)
    return np.stack(list(frames))


def decode_seconds(video: Path, options: dict[str, str]) -> float:
    """CPU seconds of decoding the whole video to RGB arrays."""
    from motiongen.formats.video import open_video

    started = time.process_time()
    _, frames = open_video(video, decoder_options=options)
    for _ in frames:
        pass
    return time.process_time() - started


def reencode(frames: np.ndarray, fps: float, crf: int, folder: Path) -> np.ndarray:
    """``frames`` through libx264 (yuv420p, ``crf``, preset medium) and back."""
    import av

    path = folder / f"reencoded_crf{crf}.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium"}
        for rgb in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode(None))
    return decode(path, {})


def speed(video: Path, repeats: int, reference: np.ndarray) -> None:
    count = len(reference)
    seconds: dict[str, list[float]] = {name: [] for name in MODES}
    for _ in range(repeats):
        for name, options in MODES.items():
            seconds[name].append(decode_seconds(video, options))
    exact_ms = 1000 * statistics.median(seconds["exact"]) / count
    print(f"decoding, median of {repeats} interleaved runs, CPU ms per frame (RGB conversion included):")
    for name, options in MODES.items():
        frames = decode(video, options)
        if frames.shape != reference.shape:
            raise SystemExit(f"{name}: decoded {frames.shape}, exact decoding gave {reference.shape}")
        difference = np.abs(frames.astype(np.int16) - reference)
        ms = 1000 * statistics.median(seconds[name]) / count
        print(f"  {name:>34}: {ms:5.2f} ms ({100 * (ms / exact_ms - 1):+5.1f} %)  "
              f"pixels vs exact: mean {difference.mean():.3f}, p99 {np.percentile(difference, 99):.0f}, "
              f"max {difference.max()} grey levels; {len(frames)} frames {frames.shape[2]}x{frames.shape[1]}")


def landmark_pixels(frames: np.ndarray, fps: float):
    """``(pixels (T, 543, 2), present (T, 4))`` of Holistic on ``frames``."""
    from motiongen.formats.holistic import extract_frames

    result = extract_frames(iter(frames), fps=fps, expected_count=len(frames))
    return result.pixels()[..., :2], result.present


def compare(name: str, exact, other, shoulder_width: float) -> None:
    from motiongen.core.holistic_layout import PART_SLICES, PARTS, landmark_index
    from motiongen.datasets.slovo.motion import BODY_LANDMARKS

    (pixels_a, present_a), (pixels_b, present_b) = exact, other
    groups = {
        "body": ("pose", [landmark_index(f"pose.{n}") for n in BODY_LANDMARKS]),
        "face": ("face", np.arange(PART_SLICES["face"].start, PART_SLICES["face"].stop)),
        "left hand": ("left_hand", np.arange(PART_SLICES["left_hand"].start, PART_SLICES["left_hand"].stop)),
        "right hand": ("right_hand", np.arange(PART_SLICES["right_hand"].start, PART_SLICES["right_hand"].stop)),
    }
    cells = []
    for label, (part, index) in groups.items():
        column = PARTS.index(part)
        both = present_a[:, column] & present_b[:, column]
        disagree = int((present_a[:, column] != present_b[:, column]).sum())
        if not both.any():
            cells.append(f"{label}: never found by both; presence differs on {disagree} frames")
            continue
        moved = np.linalg.norm(pixels_a[both][:, index] - pixels_b[both][:, index], axis=-1)
        mean, p95, top = moved.mean(), np.percentile(moved, 95), moved.max()
        cells.append(f"{label}: mean {mean:.2f} px ({mean / shoulder_width:.4f} sw), p95 {p95:.2f} px, "
                     f"max {top:.1f} px ({top / shoulder_width:.3f} sw); presence differs on {disagree} frames")
    print(f"  {name}:")
    for cell in cells:
        print(f"    {cell}")


def landmark_deviation(video: Path, reference: np.ndarray, fps: float) -> None:
    import tempfile

    from motiongen.core.holistic_layout import PARTS, landmark_index
    from motiongen.datasets.slovo.motion import clip_scale

    exact = landmark_pixels(reference, fps)
    width, height = reference.shape[2], reference.shape[1]
    pixels3 = np.concatenate([exact[0], np.zeros_like(exact[0][..., :1])], axis=-1)
    shoulder_width = clip_scale(pixels3, exact[1]).shoulder_width
    hands = {part: int(exact[1][:, PARTS.index(part)].sum()) for part in ("left_hand", "right_hand")}
    print(f"landmark deviation from exact decoding ({width}x{height}, {len(reference)} frames; shoulder width "
          f"sw = {shoulder_width:.1f} px; exact decoding finds the left hand on {hands['left_hand']} and the "
          f"right hand on {hands['right_hand']} frames; nose at "
          f"{np.nanmedian(exact[0][:, landmark_index('pose.nose')], axis=0).round(0)} px):")
    compare("reference: the same frames again", exact, landmark_pixels(reference, fps), shoulder_width)
    with tempfile.TemporaryDirectory() as folder:
        for crf in REENCODE_CRF:
            copy = reencode(reference, fps, crf, Path(folder))
            difference = np.abs(copy.astype(np.int16) - reference).mean()
            compare(f"reference: re-encoded with libx264 CRF {crf} (pixels vs exact: mean {difference:.3f})",
                    exact, landmark_pixels(copy, fps), shoulder_width)
    for name, options in MODES.items():
        frames = decode(video, options)
        if np.array_equal(frames, reference):
            print(f"  {name}: pixel-identical to exact decoding (same landmarks)")
            continue
        compare(name, exact, landmark_pixels(frames, fps), shoulder_width)


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    if not args.video.is_file():
        raise SystemExit(f"{args.video}: not found (pass --video)")
    sys.path.insert(0, str(REPO))
    if args.cores > 0:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    from motiongen.formats.video import probe_video

    info = probe_video(args.video)
    print(f"video: {args.video.name}  {info.codec} {info.width}x{info.height}  {info.fps:g} fps  {info.frame_count} "
          f"frames; CPUs {sorted(os.sched_getaffinity(0))}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    reference = decode(args.video, {})
    speed(args.video, args.repeats, reference)
    if args.landmarks:
        landmark_deviation(args.video, reference, info.fps)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeats", type=int, default=7, help="interleaved decoding runs per mode")
    parser.add_argument("--landmarks", action="store_true", help="also measure the landmark deviation (slow)")
    parser.add_argument("--cores", type=int, default=1, help="pin to this many CPUs (0: no pinning)")
    add_docs_flag(parser)
    args = parser.parse_args()
    with recorded("bench_slovo_decode.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

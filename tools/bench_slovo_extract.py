"""Benchmark: Slovo landmark extraction end to end against bare MediaPipe Holistic, side by side.

Usage (from the repository root)::

    python tools/bench_slovo_extract.py [--video ../shared/data/slovo/<id>.mp4] [--repeats 3] [--cores 1]

Both paths run in one process on the same video, alternating, ``--repeats`` rounds each (the best
round is reported, and every round is printed):

* **bare**: ``mediapipe.solutions.holistic.Holistic(model_complexity=1).process(frame)`` on frames
  decoded beforehand (the floor: MediaPipe's own inference, nothing else);
* **end to end**: what the cache build runs per video — :func:`motiongen.cache.landmarks.process_video`
  (PyAV decoding in a background thread, Holistic, conversion to the 543-landmark arrays, atomic
  ``.npz`` write) followed by reading the entry back and deriving the Slovo motion blocks
  (:func:`motiongen.corpus.slovo_motion.slovo_blocks`).

Printed: frames/s of each (wall clock), their ratio (goal >= 0.9), CPU seconds per frame, and the
machine load. ``--cores 1`` (default) pins the process to one CPU, so frames/s is the per-core
figure of the speed goal (>= 25 frames/s per core); ``--cores 0`` leaves the affinity alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("MOTIONGEN_SAMPLES_DIR", REPO.parent / "shared" / "data"))
DEFAULT_VIDEO = SAMPLES / "slovo" / "f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


def bare(frames) -> tuple[float, float]:
    from mediapipe.python.solutions.holistic import Holistic

    with Holistic(static_image_mode=False, model_complexity=1) as graph:
        wall, cpu = time.perf_counter(), time.process_time()
        for frame in frames:
            graph.process(frame)
        return time.perf_counter() - wall, time.process_time() - cpu


def end_to_end(video: Path, cache_dir: Path) -> tuple[float, float]:
    from motiongen.cache.landmarks import VideoJob, entry_path, landmark_settings, process_video, read_landmark_entry
    from motiongen.corpus.slovo_motion import slovo_blocks

    job = VideoJob("bench", str(video), str(cache_dir), landmark_settings())
    wall, cpu = time.perf_counter(), time.process_time()
    result = process_video(job)
    if result.status != "processed":
        raise SystemExit(f"extraction failed: {result.reason}")
    entry = read_landmark_entry(entry_path(cache_dir, "bench"))
    slovo_blocks(entry.landmarks, entry.present, entry.meta["width"], entry.meta["height"])
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=1, help="pin to this many CPUs (0: no pinning)")
    args = parser.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"{args.video}: not found (pass --video)")
    sys.path.insert(0, str(REPO))
    if args.cores > 0:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    from motiongen.formats.video import probe_video, read_video_frames

    info = probe_video(args.video)
    frames = list(read_video_frames(args.video))
    count = len(frames)
    print(f"video: {args.video.name}  {info.width}x{info.height}  {info.fps:g} fps  {count} frames")
    print(f"CPUs used: {sorted(os.sched_getaffinity(0))} of {os.cpu_count()}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bare(frames[:5])  # warm-up: graph start, model files into the page cache
    rounds = {"bare": [], "end-to-end": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            rounds["bare"].append(bare(frames))
            rounds["end-to-end"].append(end_to_end(args.video, Path(tmp)))
            print(f"round {repeat + 1}: bare {count / rounds['bare'][-1][0]:.1f} frames/s, "
                  f"end-to-end {count / rounds['end-to-end'][-1][0]:.1f} frames/s")
    best = {name: min(values) for name, values in rounds.items()}
    for name, (wall, cpu) in best.items():
        print(f"{name:>11}: {count / wall:6.1f} frames/s wall, {1000 * cpu / count:6.1f} ms CPU per frame")
    ratio = best["bare"][0] / best["end-to-end"][0]
    print(f"end-to-end / bare frame rate: {ratio:.3f} (goal >= 0.9)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

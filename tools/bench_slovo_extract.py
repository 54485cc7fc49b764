"""Benchmark: Slovo landmark extraction end to end against bare MediaPipe Holistic, side by side.

Usage (from the repository root)::

    python tools/bench_slovo_extract.py [--video ../shared/data/slovo/<id>.mp4] [--passes 3] [--repeats 3] [--cores 1]

Four paths run in one process on the same video, interleaved, ``--repeats`` rounds; each round
runs every path over the video ``--passes`` times, the paths alternating pass by pass (a fresh graph
per pass, as per video in a cache build), so a round covers ``passes x frames`` frames per path:

* **bare**: ``mediapipe.solutions.holistic.Holistic(model_complexity=1).process(frame)`` on frames
  decoded beforehand — MediaPipe's own inference, nothing else: the floor of the speed goal;
* **decode+bare**: a plain loop of PyAV decoding (``to_ndarray("rgb24")``) and ``process`` — what
  any extraction from a video file must do at least;
* **nodeblock+bare**: the same loop with FFmpeg's ``skip_loop_filter=all`` (H.264 decoded without
  its deblocking filter) — the most a faster decoder mode could give; not used by the extraction,
  which decodes exactly (``tools/bench_slovo_decode.py`` measures what the mode costs in landmark
  accuracy, docs/benchmarks.md gives the figures);
* **end to end**: what the cache build runs per video — :func:`motiongen.datasets.slovo.landmarks.extract_landmarks`
  (PyAV decoding, Holistic, conversion to the 543-landmark arrays, atomic ``.npz`` write) followed by
  reading the entry back and deriving the Slovo motion blocks
  (:func:`motiongen.datasets.slovo.motion.slovo_blocks`).

Printed per round and as the median of the rounds: frames/s of each path by wall clock and by CPU
time (frames per CPU-second of this process, all its threads). The two figures of the speed goal:

* RATIO = end-to-end frame rate / bare frame rate (goal >= 0.9), by CPU time and by wall clock;
* PER CORE = end-to-end frames per CPU-second (goal >= 25);

both also for the nodeblock+bare loop, side by side. ``--cores 1`` (default) pins the process to
one CPU, so its wall-clock frame rate is a per-core figure as well.

Other processes on the machine slow every path alike within a round; compare ratios within a run,
and take absolute frame rates from an idle machine (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from docs_section import add_docs_flag, recorded

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("MOTIONGEN_SAMPLES_DIR", REPO.parent / "shared" / "data"))
DEFAULT_VIDEO = SAMPLES / "slovo" / "f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


def _timed(run) -> tuple[float, float]:
    """Wall and CPU seconds of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare(frames: list) -> None:
    from mediapipe.python.solutions.holistic import Holistic

    with Holistic(static_image_mode=False, model_complexity=1) as graph:
        for frame in frames:
            graph.process(frame)


def decode_and_bare(video: Path, decoder_options: dict[str, str] | None = None) -> None:
    import av
    from mediapipe.python.solutions.holistic import Holistic

    with Holistic(static_image_mode=False, model_complexity=1) as graph, av.open(str(video)) as container:
        container.streams.video[0].codec_context.options = dict(decoder_options or {})
        for frame in container.decode(video=0):
            graph.process(frame.to_ndarray(format="rgb24"))


def end_to_end(video: Path, cache_dir: Path, take_id: str) -> None:
    from motiongen.datasets.slovo.landmarks import VideoJob, extract_landmarks, landmark_settings
    from motiongen.datasets.slovo.motion import slovo_blocks

    job = VideoJob(take_id, str(video), str(cache_dir), landmark_settings())
    entry = extract_landmarks(job)
    slovo_blocks(entry.landmarks, entry.present, entry.meta["width"], entry.meta["height"])


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    if not args.video.is_file():
        raise SystemExit(f"{args.video}: not found (pass --video)")
    sys.path.insert(0, str(REPO))
    if args.cores > 0:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    from motiongen.formats.video import probe_video, read_video_frames

    info = probe_video(args.video)
    frames = list(read_video_frames(args.video))
    count = len(frames) * args.passes
    print(f"video: {args.video.name}  {info.width}x{info.height}  {info.fps:g} fps  {len(frames)} frames "
          f"x {args.passes} passes = {count} frames per path and round")
    print(f"CPUs used: {sorted(os.sched_getaffinity(0))} of {os.cpu_count()}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bare(frames[:5])  # warm-up: graph start, model files into the page cache
    paths = ("bare", "decode+bare", "nodeblock+bare", "end-to-end")
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            totals = {name: [0.0, 0.0] for name in paths}
            for index in range(args.passes):  # the paths alternate pass by pass, so load changes hit all alike
                runs = {
                    "bare": lambda: bare(frames),
                    "decode+bare": lambda: decode_and_bare(args.video),
                    "nodeblock+bare": lambda: decode_and_bare(args.video, {"skip_loop_filter": "all"}),
                    "end-to-end": lambda: end_to_end(args.video, Path(tmp), f"bench{index}"),
                }
                for name in paths:
                    wall, cpu = _timed(runs[name])
                    totals[name][0] += wall
                    totals[name][1] += cpu
            for name in paths:
                rounds[name].append(tuple(totals[name]))
            wall = {name: count / rounds[name][-1][0] for name in paths}
            cpu = {name: count / rounds[name][-1][1] for name in paths}
            print(f"round {repeat + 1}: " + ", ".join(f"{name} {wall[name]:.1f} wall / {cpu[name]:.1f} CPU" for name in paths)
                  + f" frames/s; ratio {cpu['end-to-end'] / cpu['bare']:.3f} CPU, {wall['end-to-end'] / wall['bare']:.3f} wall")
    median_wall = {name: statistics.median(count / wall for wall, _ in values) for name, values in rounds.items()}
    median_cpu = {name: statistics.median(count / cpu for _, cpu in values) for name, values in rounds.items()}
    print("median of the rounds:")
    for name in paths:
        print(f"  {name:>14}: {median_wall[name]:6.1f} frames/s wall, {median_cpu[name]:6.1f} frames per CPU-second, "
              f"{1000 / median_cpu[name]:5.1f} ms CPU per frame")
    for name, what in (("end-to-end", "exact decoding, what the extraction runs"),
                       ("nodeblock+bare", "decoding without the deblocking filter, no extraction work: its ceiling")):
        ratios_cpu = [b[1] / e[1] for b, e in zip(rounds["bare"], rounds[name])]
        ratios_wall = [b[0] / e[0] for b, e in zip(rounds["bare"], rounds[name])]
        print(f"RATIO {name} / bare ({what}): {statistics.median(ratios_cpu):.3f} by CPU time, "
              f"{statistics.median(ratios_wall):.3f} by wall clock (goal >= 0.9; rounds: "
              f"{' '.join(f'{r:.3f}' for r in ratios_cpu)})")
        print(f"PER CORE {name}: {median_cpu[name]:.1f} frames per CPU-second (goal >= 25); "
              f"bare MediaPipe: {median_cpu['bare']:.1f}")
    print(f"RATIO decode+bare / bare: {median_cpu['decode+bare'] / median_cpu['bare']:.3f} by CPU time "
          f"(what decoding alone leaves); end-to-end / decode+bare: {median_cpu['end-to-end'] / median_cpu['decode+bare']:.3f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--passes", type=int, default=3, help="passes over the video per path and round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds")
    parser.add_argument("--cores", type=int, default=1, help="pin to this many CPUs (0: no pinning)")
    add_docs_flag(parser)
    args = parser.parse_args()
    with recorded("bench_slovo_extract.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

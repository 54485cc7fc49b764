"""Benchmark: resident memory of ``ClipDataset`` does not grow with the size of the cache.

Usage (from the repository root)::

    /work/venv/bin/python tools/bench_dataset_memory.py [--takes 8] [--seconds 60] [--scale 10]

Builds a small cache with ``motiongen preprocess``'s builder from ``--takes`` synthetic BEAT takes
of ``--seconds`` each (spectral audio, 300-d fallback word vectors: 141 + 52 + 109 + 301 floats per
frame), then a cache ``--scale`` times larger by copying those take entries under new take ids (real
copies, so every file has its own pages) and listing them in its manifest. For each cache, a fresh
Python process opens a ``ClipDataset`` over the train split (150-frame clips, stride 30), reads
every clip once, and reports its resident set size (VmRSS) before and after, and its peak (VmHWM).
Goal: RSS after iterating the large cache within 200 MB of the small one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def measure(cache_dir: str) -> None:
    """Child process: iterate every train clip once and print a JSON line of memory facts."""
    import torch

    from motiongen.data.clips import ClipDataset

    before = status_mb("VmRSS")
    dataset = ClipDataset(cache_dir, "train", clip_frames=150, stride=30, seed_frames=30)
    checksum = 0.0
    started = time.perf_counter()
    for index in range(len(dataset)):
        item = dataset[index]
        checksum += float(item["audio"][0, 0]) + float(torch.sum(item["gesture"][-1]))
    print(json.dumps({
        "clips": len(dataset), "takes": len(dataset.takes), "rss_before_mb": round(before, 1),
        "rss_after_mb": round(status_mb("VmRSS"), 1), "peak_mb": round(status_mb("VmHWM"), 1),
        "seconds": round(time.perf_counter() - started, 2), "checksum": checksum,
    }))


def build_small(workdir: Path, takes: int, seconds: float) -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    from feature_cache_helpers import make_take

    from motiongen.cache.build import build_cache
    from motiongen.config import compose

    root = workdir / "beat"
    for i in range(takes):  # speech takes 9-56 of a four-hour speaker are in CaMN's train split
        make_take(root, f"2_scott_0_{10 + i}_{10 + i}", seconds=seconds, seed=i)
    cache = workdir / "small"
    cfg = compose("config", [f"data.root={root}", f"data.cache_dir={cache}", "data/features=spectral",
                             "data.speakers=[2]", "data.workers=2", "data.words.train.subsample=1.0"])
    summary = build_cache(cfg, progress=False)
    if summary.failed:
        sys.exit(f"building the small cache failed: {summary.failed}")
    return cache


def scale_up(small: Path, target: Path, scale: int) -> None:
    """Copy ``small`` and add ``scale - 1`` copies of every take entry under new ids."""
    shutil.copytree(small, target)
    manifest = json.loads((target / "manifest.json").read_text())
    originals = dict(manifest["takes"])
    for copy in range(1, scale):
        for take_id, facts in originals.items():
            new_id = f"{take_id}-copy{copy}"
            shutil.copytree(small / "takes" / take_id, target / "takes" / new_id)
            manifest["takes"][new_id] = facts
    (target / "manifest.json").write_text(json.dumps(manifest))


def run_child(cache: Path) -> dict:
    output = subprocess.run([sys.executable, __file__, "--measure", str(cache)], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        small = build_small(workdir, args.takes, args.seconds)
        large = workdir / "large"
        scale_up(small, large, args.scale)
        size = {name: sum(p.stat().st_size for p in (workdir / name).rglob("*.npy")) / 2**20 for name in ("small", "large")}
        results = {"small": run_child(small), "large": run_child(large)}
    for name, facts in results.items():
        print(f"{name:5s} cache: {facts['takes']:4d} takes, {size[name]:7.1f} MB of arrays, {facts['clips']:5d} clips read "
              f"in {facts['seconds']:.1f} s; RSS {facts['rss_before_mb']:.0f} MB before -> {facts['rss_after_mb']:.0f} MB "
              f"after (peak {facts['peak_mb']:.0f} MB)")
    growth = results["large"]["rss_after_mb"] - results["small"]["rss_after_mb"]
    print(f"RSS after iterating the {args.scale}x larger cache minus the small one: {growth:+.0f} MB (goal <= 200 MB)")


if __name__ == "__main__":
    main()

"""Ray Tune's overhead per sweep trial on this machine (start-up seconds), as `motiongen sweep` uses it.

Measures, on a local Ray instance:

1. ``ray.init`` (once per sweep);
2. a sweep of ``--trials`` trials, one at a time, whose trainable does what a motiongen trial does
   besides training: import torch + Lightning, then report ``--reports`` results each with a 1 MB
   checkpoint. Run with a new worker process per trial (``reuse_actors=false``) and with a reused
   one (``reuse_actors=true``, the sweep configs' default);
3. the same trainable called in-process (no Ray) ``--trials`` times.

Per-trial overhead = (Tune wall time - in-process wall time) / trials. Prints the machine load,
because on a shared machine the numbers move with it.

    python tools/bench_sweep.py [--trials 4 --reports 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from docs_section import add_docs_flag, recorded


def probe(config: dict) -> None:
    """A trial without training: imports and ``reports`` results with checkpoints."""
    import lightning  # noqa: F401  (a motiongen trial imports it)
    import torch  # noqa: F401
    from ray import tune

    for step in range(config["reports"]):
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "checkpoint.ckpt"), "wb") as handle:
                handle.write(os.urandom(1 << 20))
            tune.report({"val/loss": 1.0 / (step + 1), "step": step}, checkpoint=tune.Checkpoint.from_directory(folder))


def tune_seconds(trials: int, reports: int, reuse: bool, storage: str) -> float:
    from ray import tune

    tuner = tune.Tuner(
        tune.with_resources(probe, {"cpu": 1}),
        param_space={"reports": reports, "seed": tune.randint(0, 1000)},
        tune_config=tune.TuneConfig(metric="val/loss", mode="min", num_samples=trials, max_concurrent_trials=1,
                                    reuse_actors=reuse),
        run_config=tune.RunConfig(name=f"bench_reuse_{reuse}", storage_path=storage, verbose=0),
    )
    start = time.perf_counter()
    tuner.fit()
    return time.perf_counter() - start


def in_process_seconds(trials: int, reports: int) -> float:
    """The probe's work without Ray: imports (cached after the first) and writing the checkpoints."""
    start = time.perf_counter()
    import lightning  # noqa: F401
    import torch  # noqa: F401

    for _ in range(trials):
        for _ in range(reports):
            with tempfile.TemporaryDirectory() as folder:
                with open(os.path.join(folder, "checkpoint.ckpt"), "wb") as handle:
                    handle.write(os.urandom(1 << 20))
    return time.perf_counter() - start


def measure(args: argparse.Namespace) -> None:
    """Run the benchmark and print its figures."""
    import ray

    print(f"load average before: {os.getloadavg()[0]:.2f} (cpus: {os.cpu_count()})")
    start = time.perf_counter()
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    init = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as storage:
        fresh = tune_seconds(args.trials, args.reports, reuse=False, storage=storage)
        reused = tune_seconds(args.trials, args.reports, reuse=True, storage=storage)
    ray.shutdown()
    local = in_process_seconds(args.trials, args.reports)
    print(f"ray.init (local instance, once per sweep): {init:.1f} s")
    print(f"in-process work of {args.trials} trials: {local:.1f} s")
    for label, seconds in (("new worker per trial (reuse_actors=false)", fresh), ("reused worker (reuse_actors=true)", reused)):
        print(f"{label}: {seconds:.1f} s for {args.trials} trials -> overhead {(seconds - local) / args.trials:.1f} s per trial")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--reports", type=int, default=3, help="reports (validations) per trial")
    add_docs_flag(parser)
    args = parser.parse_args()
    with recorded("bench_sweep.py", args.docs):
        measure(args)


if __name__ == "__main__":
    main()

"""Run a per-take task (:func:`motiongen.cache.take.process_take`, for every corpus) over many takes: in-process, in
local worker processes, or as Ray tasks — the same function and the same results either way. A
task takes one job (with a ``take_id``) and returns a :class:`~motiongen.cache.take.TakeResult`.

Results are yielded as takes finish (for the progress bar). Worker processes are started with
``spawn`` (no fork of a parent that may hold threads) and pin their numeric libraries to one thread
each: parallelism comes from the processes. If a worker process dies (killed, out of memory, a
crash in native code) its takes are retried once in a fresh pool, then reported as failed.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Sequence

from motiongen.cache.take import TakeJob, TakeResult, process_take

log = logging.getLogger(__name__)

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def init_worker(uses_torch: bool) -> None:
    """Pin a worker's numeric libraries to one thread: BLAS/OpenMP pools already started (numpy is
    imported with this module) through threadpoolctl, later ones through the environment."""
    from threadpoolctl import threadpool_limits

    for name in _THREAD_VARS:
        os.environ[name] = "1"
    threadpool_limits(1)
    if uses_torch:
        import torch

        torch.set_num_threads(1)


Task = Callable[[TakeJob], TakeResult]


def run_in_process(jobs: Sequence[TakeJob], task: Task = process_take) -> Iterator[TakeResult]:
    for job in jobs:
        yield task(job)


def run_in_processes(jobs: Sequence[TakeJob], workers: int, uses_torch: bool,
                     task: Task = process_take) -> Iterator[TakeResult]:
    """Run ``jobs`` on ``workers`` spawned processes; a take whose worker died twice is failed."""
    import multiprocessing

    pending = list(jobs)
    deaths: dict[str, int] = {}
    while pending:
        retry: list[TakeJob] = []
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(pending)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(uses_torch,),
        )
        try:
            futures = {pool.submit(task, job): job for job in pending}
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    job = futures.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        deaths[job.take_id] = deaths.get(job.take_id, 0) + 1
                        if deaths[job.take_id] >= 2:
                            yield TakeResult(job.take_id, "failed", "its worker process died twice (killed, out of memory or crashed)")
                        else:
                            retry.append(job)
        finally:  # also when the caller stops early: queued takes are cancelled, not run
            pool.shutdown(wait=True, cancel_futures=True)
        if retry:
            log.warning("a worker process died; retrying %d take(s) in a fresh pool", len(retry))
        pending = retry


def run_on_ray(jobs: Sequence[TakeJob], address: str, workers: int, task: Task = process_take) -> Iterator[TakeResult]:
    """Run each job as a Ray task (one CPU each).

    ``address`` ``"local"`` starts a local Ray instance with ``workers`` CPUs; anything else
    (``"auto"``, ``"ray://head:10001"``, ``"10.0.0.1:6379"``) connects to that cluster. A Ray
    already initialised in this process is used as it is. On a cluster the cache folder must be on a
    file system every node mounts at the same path.
    """
    import ray

    if not ray.is_initialized():
        if address == "local":
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=1)(task)
    refs = {remote.remote(job): job for job in jobs}
    while refs:
        done, _ = ray.wait(list(refs), num_returns=1)
        for ref in done:
            job = refs.pop(ref)
            try:
                yield ray.get(ref)
            except (ray.exceptions.RayError, OSError) as err:
                yield TakeResult(job.take_id, "failed", f"Ray task failed: {type(err).__name__}: {err}")

"""Start (or resume) a Ray Tune sweep from a composed config with a ``sweep`` group.

The experiment folder is ``<sweep.storage_path>/<sweep.name>``: fixed by the config (no time stamp),
so ``resume=true`` finds it again with ``Tuner.restore``. It holds Tune's experiment state, one
``trial_<id>/`` folder per trial (Lightning TensorBoard logs and checkpoints, Tune's results and
reported checkpoints, ``attempts.jsonl``) and ``sweep_request.json`` (the overrides the sweep was
started with, reused on resume). On a Ray cluster the storage path must be a filesystem every node
mounts at the same path.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from motiongen.core.errors import ConfigError
from motiongen.output_folders import MARKER_NAME, owned_or_new
from motiongen.sweeps.space import Dimension, check_paths, param_space, parse_space
from motiongen.sweeps.trial import TrialRequest, run_trial, trial_dirname

log = logging.getLogger(__name__)

REQUEST_NAME = "sweep_request.json"
SEARCHES = ("random", "optuna")
SCHEDULERS = ("asha", "none")
RANKINGS = ("best", "last")
# Settings holding file or folder paths that training reads; relative values are resolved against
# the launching directory before any trial starts (Ray runs trials in other working directories).
PATH_SETTINGS = ("data.cache_dir", "data.root")
# Overrides that configure the sweep itself, not the trained model (left out of trials and of the
# best-trial experiment file).
SWEEP_ONLY_PREFIXES = ("sweep", "resume", "ray", "hydra", "+sweep", "~sweep")


@dataclass
class SweepSettings:
    """The validated ``sweep`` group (see ``conf/sweep/tiny_cpu.yaml`` for every key)."""

    name: str
    sweep_dir: Path
    metric: str
    mode: str
    rank_by: str
    search: str
    seed: int
    scheduler: dict
    num_samples: int
    max_concurrent: int
    max_failures: int
    keep_checkpoints: int
    reuse_actors: bool
    cpus: float
    gpus: float
    dims: list[Dimension]
    fault_injection: dict | None
    max_steps: int


def is_sweep_override(override: str) -> bool:
    key = override.split("=", 1)[0].strip()
    return key.split(".", 1)[0].split("/", 1)[0] in SWEEP_ONLY_PREFIXES


def sweep_settings(cfg: DictConfig, launch_dir: Path) -> SweepSettings:
    """Validate ``cfg.sweep`` against the composed training config; errors name the key."""
    sweep = cfg.get("sweep")
    if sweep is None:
        raise ConfigError("no sweep selected: add sweep=<name> (a file in conf/sweep/), e.g. sweep=tiny_cpu")
    for key, allowed in (("search", SEARCHES), ("rank_by", RANKINGS)):
        if sweep[key] not in allowed:
            raise ConfigError(f"sweep.{key}={sweep[key]!r}; expected one of {', '.join(allowed)}")
    if sweep.mode not in ("min", "max"):
        raise ConfigError(f"sweep.mode={sweep.mode!r}; expected min or max")
    scheduler = OmegaConf.to_container(sweep.scheduler, resolve=True)
    if scheduler.get("name") not in SCHEDULERS:
        raise ConfigError(f"sweep.scheduler.name={scheduler.get('name')!r}; expected one of {', '.join(SCHEDULERS)}")
    resources = OmegaConf.to_container(sweep.resources, resolve=True)
    unknown = sorted(set(resources) - {"cpu", "gpu"})
    if unknown:
        raise ConfigError(f"sweep.resources has unknown keys {unknown}; use cpu and gpu (fractions allowed)")
    cpus, gpus = float(resources.get("cpu", 1)), float(resources.get("gpu", 0))
    if cpus <= 0 or gpus < 0:
        raise ConfigError(f"sweep.resources needs cpu > 0 and gpu >= 0, got cpu={cpus}, gpu={gpus}")
    for key in ("num_samples", "max_concurrent"):
        if int(sweep[key]) < 1:
            raise ConfigError(f"sweep.{key} must be >= 1, got {sweep[key]}")
    name = str(sweep.name)
    if not name or "/" in name:
        raise ConfigError(f"sweep.name={name!r} must be a non-empty folder name")
    dims = parse_space(sweep.space)
    check_paths(dims, cfg)
    fault = sweep.get("fault_injection")
    return SweepSettings(
        name=name,
        sweep_dir=(launch_dir / Path(str(sweep.storage_path)).expanduser()).resolve() / name,
        metric=str(sweep.metric),
        mode=str(sweep.mode),
        rank_by=str(sweep.rank_by),
        search=str(sweep.search),
        seed=int(sweep.seed),
        scheduler=scheduler,
        num_samples=int(sweep.num_samples),
        max_concurrent=int(sweep.max_concurrent),
        max_failures=int(sweep.max_failures),
        keep_checkpoints=int(sweep.keep_checkpoints),
        reuse_actors=bool(sweep.reuse_actors),
        cpus=cpus,
        gpus=gpus,
        dims=dims,
        fault_injection=None if fault is None else OmegaConf.to_container(fault, resolve=True),
        max_steps=int(cfg.trainer.max_steps),
    )


def resolved_overrides(overrides: list[str], cfg: DictConfig, launch_dir: Path) -> list[str]:
    """The sweep's overrides for its trials: sweep-only ones dropped, and every relative path
    setting (``PATH_SETTINGS``, including defaults such as ``data.cache_dir``) made absolute."""
    kept = [item for item in overrides if not is_sweep_override(item) and item.split("=", 1)[0] not in PATH_SETTINGS]
    for key in PATH_SETTINGS:
        value = OmegaConf.select(cfg, key, default=None, throw_on_missing=False)
        if isinstance(value, str) and value:
            kept.append(f"{key}={(launch_dir / Path(value).expanduser()).resolve()}")
    return kept


def init_ray(cfg: DictConfig) -> None:
    """Connect to ``ray.address`` (``auto``, ``ray://head:10001``, ``host:6379``) or start a local
    instance (``ray.address`` null or ``local``) with ``ray.num_cpus`` CPUs (null = all)."""
    import ray

    if ray.is_initialized():
        return
    address = OmegaConf.select(cfg, "ray.address", default=None)
    if address in (None, "local"):
        num_cpus = OmegaConf.select(cfg, "ray.num_cpus", default=None)
        ray.init(num_cpus=None if num_cpus is None else int(num_cpus), include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=str(address), log_to_driver=False)


def _scheduler(settings: SweepSettings):
    if settings.scheduler["name"] == "none":
        return None
    from motiongen.sweeps.scheduler import ResumableASHA

    return ResumableASHA(
        time_attr="step",
        max_t=settings.max_steps,
        grace_period=int(settings.scheduler.get("grace_period", 1)),
        reduction_factor=float(settings.scheduler.get("reduction_factor", 2)),
    )


def _search(settings: SweepSettings):
    if settings.search == "random":
        from ray.tune.search.basic_variant import BasicVariantGenerator

        return BasicVariantGenerator(random_state=settings.seed)
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    return OptunaSearch(sampler=optuna.samplers.TPESampler(seed=settings.seed))


def _trial_dirname(trial) -> str:
    # the experiment tag starts with the search algorithm's trial counter ("3_lr=0.001,...")
    return trial_dirname(int(trial.experiment_tag.split("_", 1)[0]), trial.trial_id)


def _trainable(settings: SweepSettings, request: TrialRequest):
    from ray import tune

    resources = {"cpu": settings.cpus, "gpu": settings.gpus}
    return tune.with_resources(tune.with_parameters(run_trial, request=request), resources)


def run_sweep(cfg: DictConfig, overrides: list[str], resume: bool, launch_dir: Path | None = None):
    """Run (or, with ``resume``, continue) the sweep of ``cfg.sweep``; return (settings, ResultGrid).

    Args:
        cfg: config composed from ``overrides`` (``motiongen.config.compose``).
        overrides: the command's Hydra overrides (stored on start, reused on resume).
        resume: continue the interrupted sweep in the same folder with ``Tuner.restore``; finished
            trials are not run again, unfinished and errored ones continue from their checkpoints.
    """
    from ray import tune

    launch_dir = Path(launch_dir or os.getcwd()).resolve()
    settings = sweep_settings(cfg, launch_dir)
    request_file = settings.sweep_dir / REQUEST_NAME
    if resume:
        if not tune.Tuner.can_restore(str(settings.sweep_dir)):
            raise ConfigError(
                f"resume=true: no sweep to resume in {settings.sweep_dir} (sweep.storage_path and sweep.name "
                "must be those the sweep was started with)"
            )
        stored = json.loads(request_file.read_text(encoding="utf-8"))
        started = [item for item in stored["command_overrides"] if not is_sweep_override(item)]
        given = [item for item in overrides if not is_sweep_override(item)]
        if given and given != started:
            raise ConfigError(
                f"resume=true with other training overrides than {request_file}: started with "
                f"{started}, now {given}; drop them or start a new sweep.name"
            )
        base = stored["overrides"]
        if not given:  # same experiment as started: recompose it for the settings read below
            from motiongen.config import compose

            cfg = compose("config", started + [item for item in overrides if is_sweep_override(item)])
            settings = sweep_settings(cfg, launch_dir)
    else:
        if settings.sweep_dir.exists() and any(path.name != MARKER_NAME for path in settings.sweep_dir.iterdir()):
            raise ConfigError(
                f"{settings.sweep_dir} already holds a sweep: continue it with resume=true, or choose another "
                "sweep.name / sweep.storage_path"
            )
        base = resolved_overrides(overrides, cfg, launch_dir)
        owned_or_new(settings.sweep_dir, "sweep", "sweep folder (sweep.storage_path/sweep.name)")
        request_file.write_text(json.dumps({"overrides": base, "command_overrides": list(overrides)}, indent=1), encoding="utf-8")
    request = TrialRequest(
        base_overrides=tuple(base),
        dims=tuple(settings.dims),
        sweep_dir=str(settings.sweep_dir),
        metric=settings.metric,
        cpus=settings.cpus,
        gpus=settings.gpus,
        launch_dir=str(launch_dir),
        fault_injection=settings.fault_injection,
    )
    init_ray(cfg)
    trainable = _trainable(settings, request)
    if resume:
        tuner = tune.Tuner.restore(str(settings.sweep_dir), trainable, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=param_space(settings.dims),
            tune_config=tune.TuneConfig(
                metric=settings.metric,
                mode=settings.mode,
                search_alg=_search(settings),
                scheduler=_scheduler(settings),
                num_samples=settings.num_samples,
                max_concurrent_trials=settings.max_concurrent,
                trial_dirname_creator=_trial_dirname,
                reuse_actors=settings.reuse_actors,
            ),
            run_config=tune.RunConfig(
                name=settings.name,
                storage_path=str(settings.sweep_dir.parent),
                failure_config=tune.FailureConfig(max_failures=settings.max_failures),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=settings.keep_checkpoints),
                verbose=1,
            ),
        )
    return settings, tuner.fit()

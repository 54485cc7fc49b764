"""Search spaces declared in ``conf/sweep/*.yaml`` as Ray Tune distributions over Hydra overrides.

Each entry of ``sweep.space`` is ``name: {path: <Hydra override path>, distribution: ..., ...}``:

- ``uniform`` / ``loguniform``: ``low``, ``high`` (floats; ``loguniform`` needs ``low > 0``);
- ``int``: ``low``, ``high`` (integers, both included);
- ``choice``: ``values`` (a non-empty list).

A trial's sampled values (``{name: value}``) become the overrides ``path=value`` on top of the
sweep's own command-line overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from motiongen.core.errors import ConfigError

DISTRIBUTIONS = ("uniform", "loguniform", "int", "choice")
# Significant digits of a sampled float in its override: the trial trains with exactly the value the
# summary shows, and no one reads 0.0006466422717414558.
FLOAT_DIGITS = 4


@dataclass(frozen=True)
class Dimension:
    """One searched setting: its Tune key ``name``, Hydra override ``path`` and distribution."""

    name: str
    path: str
    distribution: str
    low: float | int | None = None
    high: float | int | None = None
    values: tuple | None = None

    def tune_domain(self):
        """The ``ray.tune`` sampling domain of this dimension."""
        from ray import tune

        if self.distribution == "uniform":
            return tune.uniform(self.low, self.high)
        if self.distribution == "loguniform":
            return tune.loguniform(self.low, self.high)
        if self.distribution == "int":
            return tune.randint(self.low, self.high + 1)  # tune.randint excludes its upper bound
        return tune.choice(list(self.values))


def parse_space(space: Mapping | DictConfig, source: str = "sweep.space") -> list[Dimension]:
    """Validate ``sweep.space`` and return its dimensions in declaration order.

    Raises:
        ConfigError: naming ``source``, the entry and what is wrong with it.
    """
    entries = OmegaConf.to_container(space, resolve=True) if isinstance(space, DictConfig) else dict(space or {})
    if not entries:
        raise ConfigError(f"{source} is empty: declare at least one searched setting")
    dims = []
    for name, entry in entries.items():
        where = f"{source}.{name}"
        if not isinstance(entry, Mapping) or "path" not in entry or "distribution" not in entry:
            raise ConfigError(f"{where} must be a mapping with 'path' and 'distribution', got {entry!r}")
        kind = entry["distribution"]
        if kind not in DISTRIBUTIONS:
            raise ConfigError(f"{where}.distribution={kind!r}; expected one of {', '.join(DISTRIBUTIONS)}")
        unknown = sorted(set(entry) - {"path", "distribution", "low", "high", "values"})
        if unknown:
            raise ConfigError(f"{where} has unknown keys {unknown}")
        if kind == "choice":
            values = entry.get("values")
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{where}: distribution 'choice' needs a non-empty 'values' list")
            dims.append(Dimension(str(name), str(entry["path"]), kind, values=tuple(values)))
            continue
        low, high = entry.get("low"), entry.get("high")
        if low is None or high is None or not low < high:
            raise ConfigError(f"{where}: distribution {kind!r} needs low < high, got low={low}, high={high}")
        if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
            raise ConfigError(f"{where}: distribution 'int' needs integer bounds, got low={low}, high={high}")
        if kind == "loguniform" and low <= 0:
            raise ConfigError(f"{where}: distribution 'loguniform' needs low > 0, got {low}")
        cast = int if kind == "int" else float
        dims.append(Dimension(str(name), str(entry["path"]), kind, low=cast(low), high=cast(high)))
    return dims


def check_paths(dims: list[Dimension], cfg: DictConfig, source: str = "sweep.space") -> None:
    """Every searched path must name an existing setting of the composed training config."""
    for dim in dims:
        if OmegaConf.select(cfg, dim.path, default="<missing>") == "<missing>":
            raise ConfigError(f"{source}.{dim.name}.path={dim.path} is not a setting of the composed config")


def param_space(dims: list[Dimension]) -> dict[str, Any]:
    """Ray Tune ``param_space``: ``{name: domain}``."""
    return {dim.name: dim.tune_domain() for dim in dims}


def format_value(value: Any) -> str:
    """A Python value as Hydra override syntax (strings quoted when needed, lists in brackets)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(float(f"{value:.{FLOAT_DIGITS}g}"))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(item) for item in value) + "]"
    text = str(value)
    if any(char in text for char in " ,=[]{}()'\"") or text == "":
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    return text


def trial_overrides(dims: list[Dimension], sampled: Mapping[str, Any]) -> list[str]:
    """Hydra overrides ``path=value`` for one trial's sampled ``{name: value}``."""
    missing = [dim.name for dim in dims if dim.name not in sampled]
    if missing:
        raise ConfigError(f"trial config lacks searched settings {missing} (got {sorted(sampled)})")
    return [f"{dim.path}={format_value(sampled[dim.name])}" for dim in dims]

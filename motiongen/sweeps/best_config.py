"""The best trial's settings as a named experiment file that ``motiongen train`` accepts.

Written to ``<sweep dir>/conf/experiment/<sweep name>_best.yaml``: the sweep's experiment (as a
defaults entry), its config-group choices (``override /group: choice``), then its other
command-line values and the best trial's sampled values. Train it with::

    motiongen train hydra.searchpath=[file://<sweep dir>/conf] experiment=<sweep name>_best

(or copy the file into the repository's ``conf/experiment/``).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from motiongen.core.errors import ConfigError


def _is_group(key: str, conf_root: Path) -> bool:
    return "/" in key or ("." not in key and (conf_root / key).is_dir())


def experiment_text(overrides: list[str], conf_root: Path, header: str) -> str:
    """YAML of a ``# @package _global_`` experiment reproducing ``overrides`` on top of the root config.

    Raises:
        ConfigError: for an override an experiment file cannot express (deletions ``~key``).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    experiment, groups, values = None, [], OmegaConf.create()
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if override.is_delete():
            raise ConfigError(f"override {override.input_line!r}: deletions cannot be written to an experiment file")
        if key == "experiment":
            experiment = override.value()
        elif _is_group(key, conf_root):
            groups.append(f"override /{key}: {override.value()}")
        else:
            OmegaConf.update(values, key, override.value(), force_add=True)
    defaults = ([str(experiment)] if experiment else []) + groups + ["_self_"]
    lines = ["# @package _global_"] + [f"# {line}" for line in header.splitlines()]
    lines += ["defaults:"] + [f"  - {entry}" for entry in defaults]
    body = OmegaConf.to_yaml(values) if len(values) else ""
    return "\n".join(lines) + "\n" + body


def write_best_experiment(sweep_dir: Path, sweep_name: str, overrides: list[str], conf_root: Path, header: str) -> Path:
    """Write ``<sweep_dir>/conf/experiment/<sweep_name>_best.yaml``; return its path."""
    folder = sweep_dir / "conf" / "experiment"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sweep_name}_best.yaml"
    path.write_text(experiment_text(overrides, conf_root, header), encoding="utf-8")
    return path


def train_command(sweep_dir: Path, sweep_name: str) -> str:
    """The ``motiongen train`` command line that trains the best experiment file."""
    return f"motiongen train 'hydra.searchpath=[file://{sweep_dir / 'conf'}]' experiment={sweep_name}_best"

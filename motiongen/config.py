"""Locating and composing the Hydra configuration shipped in the repository's ``conf/`` folder."""

from __future__ import annotations

import os
from pathlib import Path

from motiongen.errors import ConfigError

CONF_ENV_VAR = "MOTIONGEN_CONF_DIR"


def conf_dir() -> Path:
    """Return the Hydra config directory.

    ``$MOTIONGEN_CONF_DIR`` wins; otherwise the ``conf/`` folder next to the package (the
    repository layout used by ``pip install -e .``).
    """
    override = os.environ.get(CONF_ENV_VAR)
    path = Path(override) if override else Path(__file__).resolve().parent.parent / "conf"
    if not (path / "config.yaml").is_file():
        raise ConfigError(
            f"Hydra config folder not found at {path} (no config.yaml). Install motiongen from its "
            f"repository with `pip install -e .` or point ${CONF_ENV_VAR} at the repository's conf/."
        )
    return path


def compose(config_name: str = "config", overrides: list[str] | None = None):
    """Compose a config with Hydra's compose API (no working-directory change, no logging setup)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=list(overrides or []))

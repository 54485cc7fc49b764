"""Locating and composing the Hydra configuration of the repository's ``conf/`` folder.

``conf/`` stays at the top of the repository; a regular (non-editable) install ships it inside the
package as ``motiongen/conf`` (see ``setup.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from motiongen.core.config_errors import composition_error_message
from motiongen.core.errors import ConfigError

CONF_ENV_VAR = "MOTIONGEN_CONF_DIR"


def conf_dir() -> Path:
    """Return the Hydra config directory.

    ``$MOTIONGEN_CONF_DIR`` wins; then the configs installed inside the package (``pip install .``:
    ``motiongen/conf``); then the repository's ``conf/`` next to the package (``pip install -e .``
    or a source checkout on ``PYTHONPATH``).
    """
    override = os.environ.get(CONF_ENV_VAR)
    package = Path(__file__).resolve().parent
    candidates = [Path(override)] if override else [package / "conf", package.parent / "conf"]
    for path in candidates:
        if (path / "config.yaml").is_file():
            return path
    raise ConfigError(
        f"Hydra config folder not found (no config.yaml in {' or '.join(str(p) for p in candidates)}). "
        f"Reinstall motiongen (`pip install .` or `pip install -e .` from its repository) or point "
        f"${CONF_ENV_VAR} at the repository's conf/."
    )


def _hydra_compose(folder: Path, config_name: str, overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(folder), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=overrides)


def compose(config_name: str = "config", overrides: list[str] | None = None):
    """Compose a config with Hydra's compose API (no working-directory change, no logging setup).

    Raises:
        ConfigError: an override names a key, group option or syntax Hydra cannot use; one line naming
            it and what exists (:func:`motiongen.core.config_errors.composition_error_message`).
    """
    from hydra.errors import HydraException
    from omegaconf import OmegaConf

    folder = conf_dir()
    overrides = list(overrides or [])
    try:
        return _hydra_compose(folder, config_name, overrides)
    except HydraException as err:
        def plain(attempt: list[str]) -> dict | None:
            try:
                return OmegaConf.to_container(_hydra_compose(folder, config_name, attempt), resolve=False)
            except HydraException:
                return None

        raise ConfigError(composition_error_message(err, folder, config_name, overrides, plain)) from None


def instantiate_settings(config, cls: type, group: str):
    """Build a settings object of ``cls`` from the config node of ``group`` (``"sampler"``,
    ``"smoothing"``): its ``_target_`` (default: ``cls``) called with the node's keys.

    Raises:
        ConfigError: the class's own validation failed (its one-line message), the keys do not fit
            it, or ``_target_`` names another class.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    name = f"{cls.__module__}.{cls.__qualname__}"
    node = OmegaConf.create(dict(config) if not OmegaConf.is_config(config) else config)
    if node.get("_target_") is None:
        node["_target_"] = name
    try:
        settings = instantiate(node, _convert_="all")
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise ConfigError(f"{group} settings {OmegaConf.to_container(node)}: {cause or error}") from None
    if not isinstance(settings, cls):
        raise ConfigError(f"{group}._target_ must be {name}, got {node['_target_']}")
    return settings

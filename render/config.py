"""Composing the renderer's Hydra configuration shipped inside the package (``render/conf``)."""

from __future__ import annotations

from pathlib import Path

from render.errors import RenderError

CONF_DIR = Path(__file__).resolve().parent / "conf"


def _hydra_compose(config_name: str, overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=overrides)


def compose(config_name: str = "train", overrides: list[str] | None = None):
    """Compose ``render/conf/<config_name>.yaml`` with overrides (no working-directory change).

    Raises:
        RenderError: an override names a key, group option or syntax Hydra cannot use; one line naming
            it and what exists (:func:`motiongen.core.config_errors.composition_error_message`).
    """
    from hydra.errors import HydraException
    from omegaconf import OmegaConf

    from motiongen.core.config_errors import composition_error_message

    overrides = list(overrides or [])
    try:
        return _hydra_compose(config_name, overrides)
    except HydraException as err:
        def plain(attempt: list[str]) -> dict | None:
            try:
                return OmegaConf.to_container(_hydra_compose(config_name, attempt), resolve=False)
            except HydraException:
                return None

        raise RenderError(composition_error_message(err, CONF_DIR, config_name, overrides, plain)) from None

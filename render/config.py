"""Composing the renderer's Hydra configuration shipped inside the package (``render/conf``)."""

from __future__ import annotations

from pathlib import Path

CONF_DIR = Path(__file__).resolve().parent / "conf"


def compose(config_name: str = "train", overrides: list[str] | None = None):
    """Compose ``render/conf/<config_name>.yaml`` with overrides (no working-directory change)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=list(overrides or []))

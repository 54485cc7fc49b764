"""Build the diffusion renderer and its schedulers from a config (variants ``tiny``, ``small``, ``sd15``).

``tiny`` and ``small`` are built from the config's layout; ``sd15`` loads Stable Diffusion 1.5
(``unet/``, ``vae/``), a CLIP image encoder (``image_encoder/``) and, for stage 2, an AnimateDiff
motion adapter (``motion_adapter/``) from a local folder, never from the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffusers import AutoencoderKL, AutoencoderTiny, DDIMScheduler, DDPMScheduler, MotionAdapter, UNet2DConditionModel

from render.errors import RenderError
from render.models.diffusion.pose_guider import PoseGuider
from render.models.diffusion.renderer import ClipImageTokens, DiffusionRenderer, ImageTokens

SD15_PARTS = ("unet", "vae", "image_encoder")


def _unet_from_layout(layout: dict[str, Any]) -> UNet2DConditionModel:
    return UNet2DConditionModel(**layout)


def _require_folder(folder: Path, parts: tuple[str, ...]) -> None:
    if not folder.is_dir():
        raise RenderError(f"weights folder {folder} does not exist (the sd15 renderer loads Stable Diffusion 1.5 from a local folder only)")
    missing = [part for part in parts if not (folder / part / "config.json").is_file()]
    if missing:
        raise RenderError(f"weights folder {folder} lacks {', '.join(f'{part}/config.json' for part in missing)} "
                          f"(expected the diffusers layout: {', '.join(p + '/' for p in parts)})")


def build_renderer(cfg: dict[str, Any]) -> DiffusionRenderer:
    """Renderer for ``cfg['variant']``: ``tiny`` (pixel space), ``small`` (``AutoencoderTiny``
    or a user-trained VAE folder), ``sd15`` (local Stable Diffusion 1.5 folder)."""
    variant = cfg["variant"]
    guider_channels = tuple(cfg["pose_guider_channels"])
    if variant == "sd15":
        folder = Path(cfg["weights"]).expanduser()
        _require_folder(folder, SD15_PARTS)
        from transformers import CLIPVisionModelWithProjection

        denoiser = UNet2DConditionModel.from_pretrained(folder / "unet")
        reference_net = UNet2DConditionModel.from_pretrained(folder / "unet")
        autoencoder = AutoencoderKL.from_pretrained(folder / "vae")
        encoder = CLIPVisionModelWithProjection.from_pretrained(folder / "image_encoder")
        encoder.requires_grad_(False)
        tokens = ClipImageTokens(encoder)
        latent_scale = autoencoder.config.scaling_factor
    else:
        layout = dict(cfg["unet"])
        denoiser = _unet_from_layout(layout)
        reference_net = _unet_from_layout(layout)
        tokens = ImageTokens(layout["cross_attention_dim"], cfg["token_patch"])
        autoencoder, latent_scale = None, 1.0
        if variant == "small":
            vae_path = cfg.get("autoencoder")
            if not vae_path:
                raise RenderError("the small diffusion renderer needs model.autoencoder: a local AutoencoderTiny or AutoencoderKL folder")
            autoencoder = _load_autoencoder(Path(vae_path).expanduser())
            latent_scale = getattr(autoencoder.config, "scaling_factor", 1.0)
        elif variant != "tiny":
            raise RenderError(f"unknown diffusion renderer variant {variant!r} (tiny, small or sd15)")
    guider = PoseGuider(denoiser.config.block_out_channels[0], guider_channels)
    return DiffusionRenderer(denoiser, reference_net, guider, tokens, autoencoder, latent_scale)


def _load_autoencoder(folder: Path):
    config = folder / "config.json"
    if not config.is_file():
        raise RenderError(f"autoencoder folder {folder} has no config.json")
    import json

    kind = json.loads(config.read_text()).get("_class_name", "")
    return (AutoencoderTiny if kind == "AutoencoderTiny" else AutoencoderKL).from_pretrained(folder)


def build_motion_adapter(cfg: dict[str, Any], renderer: DiffusionRenderer) -> MotionAdapter:
    """Stage-2 temporal modules: from ``<weights>/motion_adapter`` for ``sd15``, else a new
    ``MotionAdapter`` matching the denoiser's layout (``cfg['motion']`` options)."""
    if cfg["variant"] == "sd15":
        folder = Path(cfg["weights"]).expanduser()
        _require_folder(folder, ("motion_adapter",))
        return MotionAdapter.from_pretrained(folder / "motion_adapter")
    unet = renderer.denoiser.config
    return MotionAdapter(block_out_channels=tuple(unet.block_out_channels), motion_layers_per_block=unet.layers_per_block,
                         motion_norm_num_groups=unet.norm_num_groups, **dict(cfg["motion"]))


def build_schedulers(cfg: dict[str, Any]) -> tuple[DDPMScheduler, DDIMScheduler]:
    """DDPM for training and DDIM for sampling, sharing one noise schedule.

    ``cfg['prediction_type']``: ``epsilon`` or ``v_prediction``; ``cfg['zero_terminal_snr']``
    rescales the betas to zero terminal SNR (Lin et al. 2024; pair it with v-prediction and
    ``timestep_spacing: trailing``).
    """
    common = dict(num_train_timesteps=cfg["train_timesteps"], beta_schedule=cfg["beta_schedule"],
                  prediction_type=cfg["prediction_type"], rescale_betas_zero_snr=cfg["zero_terminal_snr"],
                  clip_sample=False)
    return (DDPMScheduler(**common),
            DDIMScheduler(**common, timestep_spacing=cfg["timestep_spacing"], set_alpha_to_one=True))

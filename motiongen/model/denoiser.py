"""The UWP denoiser: predicts clean holistic motion x̂0 = [gesture ‖ expression] from noisy motion.

Architecture (Xuan et al., "Adaptive Diffusion Model for Co-speech Holistic Motion Generation",
Sec. 1.3-1.4), per clip of ``N`` frames at the model frame rate (30 fps):

Shared features
    Z_f  = Linear([audio ‖ word]) per frame                        (B, N, feature_dim=96)
    Z_id = speaker embedding (≡ one-hot @ W)                       (B, latent_dim=384)
    Z_t  = MLP(sinusoidal(t))                                      (B, 384)
    Z_s  = Z_t + Z_id (+ emotion embedding when enabled)           (B, 384)
Task-specific features, for each task k (gesture, expression)
    Z_k_noise = Linear(x_t[..., k])                                (B, N, 384)
    Z_k       = Linear(flattened seed frames of task k)            (B, seed_dim=96)
Per task, the per-frame token [Z_s, Z_f, Z_k, Z_k_noise] (384+96+96+384 = 960 channels) goes
through cross-local attention (rotary, block-local). Then

- ``fusion="joint"`` (the paper): the tasks' tokens are concatenated per frame, projected to
  ``latent_dim`` and refined by ``num_layers`` self-attention layers shared by both tasks; one
  decoder per task maps the refined features to x̂0 of that task. The tasks only interact through
  shared features and the shared trunk; no fixed direction is imposed.
- ``fusion="oneway"`` (DiffSHEG-style ablation): each task has its own trunk; the gesture trunk
  additionally receives the expression trunk's output features, detached, so information flows only
  expression → gesture.

Classifier-free guidance: rows with ``uncond=True`` have their condition dropped — audio/word
features, speaker and emotion embeddings are zeroed (timestep and seed motion are kept, since the
sampler always knows them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from motiongen.errors import ConfigError
from motiongen.model.attention import CrossLocalAttention, LocalWindow, TransformerBlock

FUSIONS = ("joint", "oneway")


@dataclass
class DenoiserConfig:
    """Dimensions and hyper-parameters of :class:`UWPDenoiser` (defaults = the paper's BEAT model).

    Attributes:
        task_dims: ordered task name → motion channels; x_t's D is their sum in this order.
        audio_dim / word_dim: per-frame audio and word feature channels (WavLM+acoustic, fastText+1).
        num_speakers: size of the speaker vocabulary (index = CacheInfo.speakers position).
        num_emotions: emotion classes; 0 disables the emotion condition.
        seed_frames: leading frames of ground truth given as the seed (S).
        latent_dim: trunk width (Z_s, Z_noise are this wide).
        feature_dim: Z_f width; seed_dim: Z_k width.
        num_layers / num_heads / ff_dim / dropout: self-attention trunk.
        local_heads / window / look_backward / look_forward: cross-local attention.
        fusion: ``"joint"`` or ``"oneway"`` (see module docstring).
    """

    task_dims: dict[str, int] = field(default_factory=lambda: {"gesture": 141, "expression": 52})
    audio_dim: int = 1133
    word_dim: int = 301
    num_speakers: int = 30
    num_emotions: int = 0
    seed_frames: int = 30
    latent_dim: int = 384
    feature_dim: int = 96
    seed_dim: int = 96
    num_layers: int = 8
    num_heads: int = 4
    ff_dim: int = 1024
    dropout: float = 0.1
    local_heads: int = 4
    window: int = 15
    look_backward: int = 1
    look_forward: int = 1
    fusion: str = "joint"

    def __post_init__(self) -> None:
        if not self.task_dims or any(d < 1 for d in self.task_dims.values()):
            raise ConfigError(f"model task_dims must name at least one task with positive width, got {self.task_dims}")
        if self.fusion not in FUSIONS:
            raise ConfigError(f"model fusion must be one of {FUSIONS}, got {self.fusion!r}")
        if self.fusion == "oneway" and set(self.task_dims) != {"gesture", "expression"}:
            raise ConfigError("fusion='oneway' (expression → gesture) needs exactly the tasks gesture and expression")
        if self.seed_frames < 1 or self.num_speakers < 1:
            raise ConfigError(f"seed_frames and num_speakers must be >= 1, got {self.seed_frames}, {self.num_speakers}")

    @property
    def motion_dim(self) -> int:
        return sum(self.task_dims.values())

    @property
    def token_dim(self) -> int:
        return 2 * self.latent_dim + self.feature_dim + self.seed_dim

    def task_slices(self) -> dict[str, slice]:
        """Task name → channel slice of the concatenated motion (B, N, D)."""
        slices, start = {}, 0
        for name, width in self.task_dims.items():
            slices[name] = slice(start, start + width)
            start += width
        return slices


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer diffusion steps ``t`` (B,) → (B, dim) float32."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


class Trunk(nn.Module):
    """Self-attention refinement: ``num_layers`` pre-norm rotary transformer layers + final LayerNorm."""

    def __init__(self, cfg: DenoiserConfig):
        super().__init__()
        self.layers = nn.ModuleList(
            TransformerBlock(cfg.latent_dim, cfg.num_heads, cfg.ff_dim, cfg.dropout) for _ in range(cfg.num_layers)
        )
        self.norm = nn.LayerNorm(cfg.latent_dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            h = layer(h)
        return self.norm(h)


def task_decoder(latent_dim: int, out_dim: int) -> nn.Sequential:
    """Per-task decoder: latent (B, N, latent_dim) → x̂0 of the task (B, N, out_dim)."""
    return nn.Sequential(nn.Linear(latent_dim, latent_dim), nn.GELU(), nn.Linear(latent_dim, out_dim))


class UWPDenoiser(nn.Module):
    """x0-predicting denoiser. See the module docstring for the architecture.

    ``forward(x_t (B,N,D), t (B,) long, cond, uncond (B,) bool | None) -> x0_hat (B,N,D)`` with
    ``cond = {audio (B,N,Da), word (B,N,Dw), speaker (B,) long, emotion (B,) long, seed (B,S,D)}``
    (``emotion`` is only read when ``num_emotions > 0``).
    """

    def __init__(self, cfg: DenoiserConfig):
        super().__init__()
        self.cfg = cfg
        latent = cfg.latent_dim
        self.slices = cfg.task_slices()
        self.time_mlp = nn.Sequential(nn.Linear(latent, latent), nn.SiLU(), nn.Linear(latent, latent))
        self.speaker = nn.Embedding(cfg.num_speakers, latent)
        self.emotion = nn.Embedding(cfg.num_emotions, latent) if cfg.num_emotions > 0 else None
        self.features = nn.Linear(cfg.audio_dim + cfg.word_dim, cfg.feature_dim)
        self.noise_in = nn.ModuleDict({k: nn.Linear(d, latent) for k, d in cfg.task_dims.items()})
        self.seed_in = nn.ModuleDict({k: nn.Linear(cfg.seed_frames * d, cfg.seed_dim) for k, d in cfg.task_dims.items()})
        local = LocalWindow(cfg.window, cfg.look_backward, cfg.look_forward)
        self.cross_local = CrossLocalAttention(cfg.token_dim, cfg.local_heads, local)
        if cfg.fusion == "joint":
            self.fuse = nn.Linear(cfg.token_dim * len(cfg.task_dims), latent)
            self.trunk = Trunk(cfg)
        else:
            self.task_in = nn.ModuleDict({k: nn.Linear(cfg.token_dim, latent) for k in cfg.task_dims})
            self.task_trunks = nn.ModuleDict({k: Trunk(cfg) for k in cfg.task_dims})
            self.expression_to_gesture = nn.Linear(latent, latent)
        self.decoders = nn.ModuleDict({k: task_decoder(latent, d) for k, d in cfg.task_dims.items()})

    def _check(self, x_t: torch.Tensor, t: torch.Tensor, cond: dict) -> None:
        batch, frames, dim = x_t.shape
        cfg = self.cfg
        expected = {
            "audio": (batch, frames, cfg.audio_dim),
            "word": (batch, frames, cfg.word_dim),
            "speaker": (batch,),
            "seed": (batch, cfg.seed_frames, cfg.motion_dim),
        }
        if cfg.num_emotions > 0:
            expected["emotion"] = (batch,)
        if dim != cfg.motion_dim:
            raise ValueError(f"x_t has {dim} channels, the model expects {cfg.motion_dim} ({cfg.task_dims})")
        if t.shape != (batch,):
            raise ValueError(f"t must have shape ({batch},), got {tuple(t.shape)}")
        for name, shape in expected.items():
            if name not in cond:
                raise ValueError(f"condition {name!r} is missing")
            if tuple(cond[name].shape) != shape:
                raise ValueError(f"condition {name!r} has shape {tuple(cond[name].shape)}, expected {shape}")

    def _style(self, t: torch.Tensor, cond: dict, keep: torch.Tensor | None) -> torch.Tensor:
        """Z_s = Z_t + Z_id (+ emotion), (B, latent); identity/emotion zeroed for dropped rows."""
        identity = self.speaker(cond["speaker"])
        if self.emotion is not None:
            identity = identity + self.emotion(cond["emotion"])
        if keep is not None:
            identity = identity * keep[:, None]
        return self.time_mlp(timestep_embedding(t, self.cfg.latent_dim)) + identity

    def _features(self, audio: torch.Tensor, word: torch.Tensor) -> torch.Tensor:
        """Z_f = W·[audio ‖ word] + b, (B, N, feature_dim), as two products on the column blocks of W
        (no concatenated copy of the float32 inputs, which are the widest tensors of a batch)."""
        split = self.cfg.audio_dim
        weight = self.features.weight
        return F.linear(audio, weight[:, :split]) + F.linear(word, weight[:, split:], self.features.bias)

    def _fuse(self, mixed: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``fuse`` applied to the per-frame concatenation of the tasks' tokens, one product per task's
        column block of the weight, (B, N, latent)."""
        width = self.cfg.token_dim
        weight = self.fuse.weight
        out = F.linear(mixed[0], weight[:, :width], self.fuse.bias)
        for index, tokens in enumerate(mixed[1:], start=1):
            out = out + F.linear(tokens, weight[:, index * width : (index + 1) * width])
        return out

    def forward(
        self, x_t: torch.Tensor, t: torch.Tensor, cond: dict[str, torch.Tensor], uncond: torch.Tensor | None = None
    ) -> torch.Tensor:
        self._check(x_t, t, cond)
        batch, frames, _ = x_t.shape
        keep = None if uncond is None else (~uncond).to(x_t.dtype)
        style = self._style(t, cond, keep)
        features = self._features(cond["audio"], cond["word"])
        if keep is not None:
            features = features * keep[:, None, None].to(features.dtype)
        # the tokens take the projections' dtype (bf16 under autocast): the 960-channel cross-local
        # path is memory-bound, and a float32 style block would promote every token to float32
        style = style.to(features.dtype)
        seed = cond["seed"].to(x_t.dtype)
        tasks = len(self.slices)
        seed_codes = torch.stack([self.seed_in[name](seed[..., cut].flatten(1)) for name, cut in self.slices.items()])
        noise_codes = torch.stack([self.noise_in[name](x_t[..., cut]) for name, cut in self.slices.items()])
        # per task the token is [Z_s, Z_f, Z_k, Z_k_noise]; one concatenation of broadcast views builds
        # all tasks' tokens (T·B, N, token_dim) in a single copy
        tokens = torch.cat(
            [
                style[None, :, None, :].expand(tasks, batch, frames, -1),
                features[None].expand(tasks, -1, -1, -1),
                seed_codes[:, :, None, :].expand(-1, -1, frames, -1),
                noise_codes,
            ],
            dim=-1,
        ).flatten(0, 1)
        mixed = self.cross_local(tokens).split(batch, dim=0)
        if self.cfg.fusion == "joint":
            refined = self.trunk(self._fuse(mixed))
            outputs = [self.decoders[name](refined) for name in self.slices]
        else:
            by_task = dict(zip(self.slices, mixed))
            expression = self.task_trunks["expression"](self.task_in["expression"](by_task["expression"]))
            gesture_in = self.task_in["gesture"](by_task["gesture"]) + self.expression_to_gesture(expression.detach())
            refined = {"expression": expression, "gesture": self.task_trunks["gesture"](gesture_in)}
            outputs = [self.decoders[name](refined[name]) for name in self.slices]
        return torch.cat(outputs, dim=-1)

"""The UWP denoiser: predicts clean motion x̂0 = [block_1 ‖ ... ‖ block_K] from noisy motion.

The motion blocks ("tasks") and the conditioning streams come from the declared motion format
(:mod:`motiongen.core.motion_format`); for BEAT the tasks are gesture and expression and the
streams audio, word, speaker (and emotion). Architecture (Xuan et al., "Adaptive Diffusion Model
for Co-speech Holistic Motion Generation", Sec. 1.3-1.4), per clip of ``N`` frames:

Shared features
    Z_f  = Linear([per-frame streams, e.g. audio ‖ word]) per frame (B, N, feature_dim=96);
           absent when the format has no per-frame stream (e.g. sign language without audio)
    Z_id = sum of the category embeddings (speaker, emotion, text label) (B, latent_dim=384), plus
           Linear(the class's fixed vector) for streams with ``category_vectors`` (ours: a sign
           label's fastText word vector)
    Z_t  = MLP(sinusoidal(t))                                       (B, 384)
    Z_s  = Z_t + Z_id                                               (B, 384)
Task-specific features, for each block k
    Z_k_noise = Linear(x_t[..., k])                                 (B, N, 384)
    Z_k       = Linear(flattened seed frames of block k)            (B, seed_dim=96); absent
                without seed frames (``seed_frames=0``)
    Z_pos     = Linear(sinusoidal(frame index f0..f0+N-1))          (B, N, 384), only with
                ``frame_positions=True`` (ours: a format without per-frame streams, e.g. text-to-sign,
                has nothing else telling a frame where it sits in the clip); f0 = the clip's first
                frame in its take (``first_frame`` in the condition, 0 when absent: windows of a long
                take keep their place in the sign)
Per task, the per-frame token [Z_s, Z_f, Z_k, Z_k_noise] (384+96+96+384 = 960 channels for BEAT)
is projected to ``latent_dim`` (plus Z_pos when enabled) (so every attention head mixes all modalities, as DSG+'s
``input_process2``) and goes through cross-local attention (rotary, block-local). Then

- ``fusion="joint"`` (the paper): the tasks' cross-local outputs are concatenated per frame, projected to
  ``latent_dim`` and refined by ``num_layers`` self-attention layers shared by all tasks; one
  decoder per task maps the refined features to x̂0 of that task. The tasks only interact through
  shared features and the shared trunk; no fixed direction is imposed.
- ``fusion="oneway"`` (DiffSHEG-style ablation): each task has its own trunk; every other task's
  trunk additionally receives the ``oneway_source`` task's trunk output, detached, so information
  flows only from that task (BEAT: expression → gesture).

Padded clips (corpora of short trimmed clips trained as whole takes, e.g. signs): the condition may
carry ``frame_mask (B, N)`` (True / 1 on a clip's frames, False / 0 on its padding); the attention
layers then hide each clip's padded frames as keys, so a clip's output on its frames is the same
whether it is alone or padded in a batch with longer clips (the output on padding is meaningless).

Classifier-free guidance: rows with ``uncond=True`` have their condition dropped — the per-frame
features and category codes of the ``guided`` streams (default: every stream) are zeroed; the
other streams, the timestep, the frame positions and the seed motion are kept (text-to-sign guides
the label and keeps the signer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import FIRST_FRAME, FRAME_MASK
from motiongen.model.attention import CrossLocalAttention, LocalWindow, TransformerBlock
from motiongen.model.kernels import check_kernels

FUSIONS = ("joint", "oneway")


@dataclass
class DenoiserConfig:
    """Dimensions and hyper-parameters of :class:`UWPDenoiser`.

    The blocks and condition streams have no default: they are the data's declared motion format
    (:func:`motiongen.training.run.network_kwargs` derives them), so no default spells a block name.
    The hyper-parameter defaults are the paper's BEAT model.

    Attributes:
        blocks: ordered block name → motion channels; x_t's D is their sum in this order.
        frame_conditions: per-frame condition stream → channels (BEAT: audio 1133, word 301); may be empty.
        category_conditions: category stream → number of classes (speaker, emotion, text label); may be empty.
        seed_frames: leading frames of ground truth given as the seed (S); 0 = none (the model then
            generates one window at a time, never chained).
        latent_dim: trunk width (Z_s, Z_noise are this wide).
        feature_dim: Z_f width; seed_dim: Z_k width.
        num_layers / num_heads / ff_dim / dropout: self-attention trunk.
        local_heads / window / look_backward / look_forward: cross-local attention.
        category_vectors: category stream → width of a fixed vector per class (the buffer
            ``class_vectors[stream].table``, filled by :meth:`UWPDenoiser.set_class_vectors` and
            saved with the weights), projected into Z_id beside the learned embedding.
        guided: condition streams that rows marked unconditional drop (classifier-free guidance);
            None = all of them.
        fusion: ``"joint"`` or ``"oneway"`` (see module docstring); oneway_source: the block whose
            trunk feeds the others under ``"oneway"``.
        kernels: ``auto`` | ``fast`` | ``reference`` (:mod:`motiongen.model.kernels`).
        frame_positions: add an absolute position code of each frame's index in the clip to its
            tokens. Attention here is rotary (relative) only; with audio the per-frame features
            place every frame, without them (sign labels) nothing else tells the network which part
            of the sign a frame belongs to.
    """

    blocks: dict[str, int]
    frame_conditions: dict[str, int]
    category_conditions: dict[str, int]
    seed_frames: int = 30
    category_vectors: dict[str, int] = field(default_factory=dict)
    guided: list[str] | None = None
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
    oneway_source: str | None = None
    kernels: str = "auto"
    frame_positions: bool = False

    def __post_init__(self) -> None:
        if not self.blocks or any(d < 1 for d in self.blocks.values()):
            raise ConfigError(f"model blocks must name at least one block with positive width, got {self.blocks}")
        if any(d < 1 for d in (*self.frame_conditions.values(), *self.category_conditions.values())):
            raise ConfigError(f"condition widths must be >= 1, got {self.frame_conditions}, {self.category_conditions}")
        if self.fusion not in FUSIONS:
            raise ConfigError(f"model fusion must be one of {FUSIONS}, got {self.fusion!r}")
        if self.fusion == "oneway" and (len(self.blocks) < 2 or self.oneway_source not in self.blocks):
            raise ConfigError(f"fusion='oneway' needs at least two blocks and oneway_source among them; "
                              f"blocks {list(self.blocks)}, oneway_source {self.oneway_source!r}")
        if self.seed_frames < 0:
            raise ConfigError(f"seed_frames must be >= 0, got {self.seed_frames}")
        unknown = sorted(set(self.category_vectors) - set(self.category_conditions))
        if unknown or any(d < 1 for d in self.category_vectors.values()):
            raise ConfigError(f"category_vectors must give positive widths for category streams "
                              f"{sorted(self.category_conditions)}, got {self.category_vectors}")
        streams = {*self.frame_conditions, *self.category_conditions}
        if self.guided is not None and (not self.guided or set(self.guided) - streams):
            raise ConfigError(f"guided must be null or a non-empty subset of the condition streams {sorted(streams)}, "
                              f"got {self.guided}")
        check_kernels(self.kernels)

    @property
    def motion_dim(self) -> int:
        return sum(self.blocks.values())

    @property
    def token_dim(self) -> int:
        """Channels of a cross-local token [Z_s, Z_f (when there are per-frame streams), Z_k, Z_noise]."""
        return 2 * self.latent_dim + (self.feature_dim if self.frame_conditions else 0) + self.seed_part

    @property
    def seed_part(self) -> int:
        """Channels of Z_k in a token: ``seed_dim``, or 0 without seed frames."""
        return self.seed_dim if self.seed_frames else 0

    def drops(self, stream: str) -> bool:
        """Whether rows marked unconditional drop ``stream``."""
        return self.guided is None or stream in self.guided

    def block_slices(self) -> dict[str, slice]:
        """Block name → channel slice of the concatenated motion (B, N, D)."""
        slices, start = {}, 0
        for name, width in self.blocks.items():
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
            TransformerBlock(cfg.latent_dim, cfg.num_heads, cfg.ff_dim, cfg.dropout, cfg.kernels)
            for _ in range(cfg.num_layers)
        )
        self.norm = nn.LayerNorm(cfg.latent_dim)

    def forward(self, h: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """``h (B, N, latent)``, ``valid (B, N)`` bool real frames of padded clips or None."""
        for layer in self.layers:
            h = layer(h, valid)
        return self.norm(h)


class ClassVectors(nn.Module):
    """Fixed vectors of the classes of one category stream (a buffer), projected to ``latent``.

    ``forward(index (B,) long) -> (B, latent)``.
    """

    def __init__(self, classes: int, width: int, latent: int):
        super().__init__()
        self.register_buffer("table", torch.zeros(classes, width))
        self.project = nn.Linear(width, latent)

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        return self.project(self.table[index].to(self.project.weight.dtype))


def task_decoder(latent_dim: int, out_dim: int) -> nn.Sequential:
    """Per-task decoder: latent (B, N, latent_dim) → x̂0 of the task (B, N, out_dim)."""
    return nn.Sequential(nn.Linear(latent_dim, latent_dim), nn.GELU(), nn.Linear(latent_dim, out_dim))


class UWPDenoiser(nn.Module):
    """x0-predicting denoiser. See the module docstring for the architecture.

    ``forward(x_t (B,N,D), t (B,) long, cond, uncond (B,) bool | None) -> x0_hat (B,N,D)`` with
    ``cond`` = ``{frame stream: (B,N,C)}`` for every ``frame_conditions`` entry, ``{category:
    (B,) long}`` for every ``category_conditions`` entry and ``seed (B,S,D)`` (BEAT: audio, word,
    speaker, seed), optionally :data:`~motiongen.core.motion_format.FRAME_MASK` ``(B,N)`` for padded
    clips and :data:`~motiongen.core.motion_format.FIRST_FRAME` ``(B,)`` long for clips cut from a
    longer take (see the module docstring).
    """

    def __init__(self, cfg: DenoiserConfig):
        super().__init__()
        self.cfg = cfg
        latent = cfg.latent_dim
        self.slices = cfg.block_slices()
        self.time_mlp = nn.Sequential(nn.Linear(latent, latent), nn.SiLU(), nn.Linear(latent, latent))
        self.categories = nn.ModuleDict({name: nn.Embedding(size, latent) for name, size in cfg.category_conditions.items()})
        self.class_vectors = nn.ModuleDict({name: ClassVectors(cfg.category_conditions[name], width, latent)
                                            for name, width in cfg.category_vectors.items()})
        frame_width = sum(cfg.frame_conditions.values())
        self.features = nn.Linear(frame_width, cfg.feature_dim) if frame_width else None
        self._drops_all_features = all(cfg.drops(name) for name in cfg.frame_conditions)
        self.noise_in = nn.ModuleDict({k: nn.Linear(d, latent) for k, d in cfg.blocks.items()})
        self.seed_in = nn.ModuleDict({k: nn.Linear(cfg.seed_frames * d, cfg.seed_dim) for k, d in cfg.blocks.items()}
                                     if cfg.seed_frames else {})
        local = LocalWindow(cfg.window, cfg.look_backward, cfg.look_forward)
        self.token_in = nn.Linear(cfg.token_dim, latent)
        self.frame_position = nn.Linear(latent, latent) if cfg.frame_positions else None
        self.cross_local = CrossLocalAttention(latent, cfg.local_heads, local, cfg.kernels)
        if cfg.fusion == "joint":
            self.fuse = nn.Linear(latent * len(cfg.blocks), latent)
            self.trunk = Trunk(cfg)
        else:
            self.task_in = nn.ModuleDict({k: nn.Linear(latent, latent) for k in cfg.blocks})
            self.task_trunks = nn.ModuleDict({k: Trunk(cfg) for k in cfg.blocks})
            self.from_source = nn.ModuleDict({k: nn.Linear(latent, latent) for k in cfg.blocks if k != cfg.oneway_source})
        self.decoders = nn.ModuleDict({k: task_decoder(latent, d) for k, d in cfg.blocks.items()})

    def _check(self, x_t: torch.Tensor, t: torch.Tensor, cond: dict) -> None:
        batch, frames, dim = x_t.shape
        cfg = self.cfg
        expected = {name: (batch, frames, width) for name, width in cfg.frame_conditions.items()}
        expected.update({name: (batch,) for name in cfg.category_conditions})
        expected["seed"] = (batch, cfg.seed_frames, cfg.motion_dim)
        if dim != cfg.motion_dim:
            raise ValueError(f"x_t has {dim} channels, the model expects {cfg.motion_dim} ({cfg.blocks})")
        if t.shape != (batch,):
            raise ValueError(f"t must have shape ({batch},), got {tuple(t.shape)}")
        for name, shape in expected.items():
            if name not in cond:
                raise ValueError(f"condition {name!r} is missing")
            if tuple(cond[name].shape) != shape:
                raise ValueError(f"condition {name!r} has shape {tuple(cond[name].shape)}, expected {shape}")
        if FRAME_MASK in cond:
            frame_mask = cond[FRAME_MASK]
            if tuple(frame_mask.shape) != (batch, frames):
                raise ValueError(f"{FRAME_MASK} has shape {tuple(frame_mask.shape)}, expected {(batch, frames)}")
            if not frame_mask.bool().any(dim=1).all():
                raise ValueError(f"{FRAME_MASK} marks no frame of some clip as real; every clip needs at least one")
        if FIRST_FRAME in cond and (tuple(cond[FIRST_FRAME].shape) != (batch,) or bool((cond[FIRST_FRAME] < 0).any())):
            raise ValueError(f"{FIRST_FRAME} must be ({batch},) frame indices >= 0, got {cond[FIRST_FRAME]}")

    def set_class_vectors(self, stream: str, vectors: torch.Tensor) -> None:
        """Fill the fixed class vectors ``(classes, width)`` of ``stream`` (before training)."""
        table = self.class_vectors[stream].table
        if tuple(vectors.shape) != tuple(table.shape):
            raise ConfigError(f"class vectors of {stream!r} must be {tuple(table.shape)}, got {tuple(vectors.shape)}")
        table.copy_(torch.as_tensor(vectors, dtype=table.dtype))

    def _style(self, t: torch.Tensor, cond: dict, keep: torch.Tensor | None) -> torch.Tensor:
        """Z_s = Z_t + Σ category codes (embedding, plus the projected class vector where given),
        (B, latent); the guided streams' codes are zeroed for dropped rows."""
        steps = timestep_embedding(t, self.cfg.latent_dim).to(self.time_mlp[0].weight.dtype)
        style = self.time_mlp(steps)
        for name, embedding in self.categories.items():
            code = embedding(cond[name])
            if name in self.class_vectors:
                code = code + self.class_vectors[name](cond[name])
            if keep is not None and self.cfg.drops(name):
                code = code * keep[:, None]
            style = style + code
        return style

    def _features(self, cond: dict, keep: torch.Tensor | None) -> torch.Tensor:
        """Z_f = W·[stream_1 ‖ stream_2 ‖ ...] + b, (B, N, feature_dim), as one product per stream on
        the column blocks of W (no concatenated copy of the float32 inputs, the widest tensors of a
        batch); rows with ``keep`` 0 get Z_f = 0 when every stream is guided, else lose the guided
        streams' products."""
        weight, out, start = self.features.weight, None, 0
        for name, width in self.cfg.frame_conditions.items():
            part = F.linear(cond[name], weight[:, start : start + width])
            if keep is not None and self.cfg.drops(name) and not self._drops_all_features:
                part = part * keep[:, None, None].to(part.dtype)
            out = part if out is None else out + part
            start += width
        out = out + self.features.bias
        if keep is not None and self._drops_all_features:
            out = out * keep[:, None, None].to(out.dtype)
        return out

    def _tokens(self, style: torch.Tensor, features: torch.Tensor | None, seed_codes: torch.Tensor | None,
                noise_codes: torch.Tensor, first_frame: torch.Tensor | None) -> torch.Tensor:
        """Every task's projected token ``W·[Z_s ‖ Z_f ‖ Z_k ‖ Z_k_noise] + b``, (T, B, N, latent).

        Computed as one product per column block of ``W`` on each part at its own size — Z_s per
        clip, Z_f per frame (shared by the tasks), Z_k per clip and task, Z_noise per frame and
        task — and summed by broadcasting: the same values as projecting the concatenated
        (T·B, N, token_dim) tokens, without building them (the concatenation was the largest
        tensor of the step). With frame positions, ``first_frame (B,)`` (or None = 0) offsets each
        clip's frame indices.
        """
        cfg = self.cfg
        weight, start = self.token_in.weight, cfg.latent_dim
        per_clip = F.linear(style, weight[:, :start], self.token_in.bias)[None]
        if features is not None:
            shared = F.linear(features, weight[:, start : start + cfg.feature_dim])[None]
            start += cfg.feature_dim
        else:
            shared = None
        if seed_codes is not None:
            per_clip = per_clip + F.linear(seed_codes, weight[:, start : start + cfg.seed_dim])
            start += cfg.seed_dim
        tokens = F.linear(noise_codes, weight[:, start:]) + per_clip[:, :, None, :]
        if self.frame_position is not None:
            frames = torch.arange(noise_codes.shape[2], device=noise_codes.device)
            if first_frame is not None:
                frames = (first_frame[:, None] + frames).flatten()
            codes = timestep_embedding(frames, cfg.latent_dim).to(tokens.dtype)
            tokens = tokens + self.frame_position(codes).view(-1, noise_codes.shape[2], cfg.latent_dim)
        return tokens if shared is None else tokens + shared

    def _fuse(self, mixed: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``fuse`` applied to the per-frame concatenation of the tasks' tokens, one product per task's
        column block of the weight, (B, N, latent)."""
        width = self.cfg.latent_dim
        weight = self.fuse.weight
        out = F.linear(mixed[0], weight[:, :width], self.fuse.bias)
        for index, tokens in enumerate(mixed[1:], start=1):
            out = out + F.linear(tokens, weight[:, index * width : (index + 1) * width])
        return out

    @staticmethod
    def _valid_frames(cond: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """The real frames ``(B, N)`` bool of padded clips, or None when every frame is real (the
        unmasked attention then runs: same values, no per-clip masks)."""
        frame_mask = cond.get(FRAME_MASK)
        if frame_mask is None:
            return None
        valid = frame_mask.bool()
        return None if bool(valid.all()) else valid

    def forward(
        self, x_t: torch.Tensor, t: torch.Tensor, cond: dict[str, torch.Tensor], uncond: torch.Tensor | None = None
    ) -> torch.Tensor:
        self._check(x_t, t, cond)
        batch = x_t.shape[0]
        valid = self._valid_frames(cond)
        keep = None if uncond is None else (~uncond).to(x_t.dtype)
        style = self._style(t, cond, keep)
        seed = cond["seed"].to(x_t.dtype)
        seed_codes = None
        if self.cfg.seed_frames:
            seed_codes = torch.stack([self.seed_in[name](seed[..., cut].flatten(1)) for name, cut in self.slices.items()])
        noise_codes = torch.stack([self.noise_in[name](x_t[..., cut]) for name, cut in self.slices.items()])
        features = None
        if self.features is not None:
            features = self._features(cond, keep)
        tokens = self._tokens(style, features, seed_codes, noise_codes, cond.get(FIRST_FRAME)).flatten(0, 1)
        mixed = self.cross_local(tokens, None if valid is None else valid.repeat(len(self.slices), 1)).split(batch, dim=0)
        if self.cfg.fusion == "joint":
            refined = self.trunk(self._fuse(mixed), valid)
            outputs = [self.decoders[name](refined) for name in self.slices]
        else:
            by_task = dict(zip(self.slices, mixed))
            source = self.cfg.oneway_source
            source_out = self.task_trunks[source](self.task_in[source](by_task[source]), valid)
            refined = {source: source_out}
            for name in self.slices:
                if name != source:
                    inputs = self.task_in[name](by_task[name]) + self.from_source[name](source_out.detach())
                    refined[name] = self.task_trunks[name](inputs, valid)
            outputs = [self.decoders[name](refined[name]) for name in self.slices]
        return torch.cat(outputs, dim=-1)

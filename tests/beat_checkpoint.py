"""Synthetic checkpoints in the layout of BEAT's released FGD auto-encoder (``ae_300.bin``), and an
independent functional forward pass of its encoder to check motiongen's loader against.

The layout is written out key by key as BEAT's ``EmbeddingNet`` saves it through
``{"model_state": model.state_dict(), ...}``: ``pose_encoder.net`` (conv blocks with batch norm),
``pose_encoder.out_net`` (linear layers with batch norm), ``fc_mu``/``fc_logvar``, and the decoder.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def _batch_norm(state: dict, prefix: str, channels: int, generator: torch.Generator) -> None:
    state[f"{prefix}.weight"] = 1 + 0.1 * torch.randn(channels, generator=generator)
    state[f"{prefix}.bias"] = 0.1 * torch.randn(channels, generator=generator)
    state[f"{prefix}.running_mean"] = 0.1 * torch.randn(channels, generator=generator)
    state[f"{prefix}.running_var"] = 0.5 + torch.rand(channels, generator=generator)
    state[f"{prefix}.num_batches_tracked"] = torch.tensor(1000)


def _linear(state: dict, prefix: str, out: int, inp: int, generator: torch.Generator) -> None:
    state[f"{prefix}.weight"] = torch.randn(out, inp, generator=generator) / inp ** 0.5
    state[f"{prefix}.bias"] = 0.1 * torch.randn(out, generator=generator)


def _conv(state: dict, prefix: str, out: int, inp: int, kernel: int, generator: torch.Generator) -> None:
    state[f"{prefix}.weight"] = torch.randn(out, inp, kernel, generator=generator) / (inp * kernel) ** 0.5
    state[f"{prefix}.bias"] = 0.1 * torch.randn(out, generator=generator)


def beat_model_state(pose_dim: int = 141, feature: int = 16, seed: int = 0, ddp: bool = False) -> OrderedDict:
    """Random weights of BEAT's ``EmbeddingNet`` for 34-frame windows (encoder and decoder keys)."""
    g = torch.Generator().manual_seed(seed)
    f = feature
    state: OrderedDict = OrderedDict()
    e = "pose_encoder"
    _conv(state, f"{e}.net.0.0", f, pose_dim, 3, g)
    _batch_norm(state, f"{e}.net.0.1", f, g)
    _conv(state, f"{e}.net.1.0", 2 * f, f, 3, g)
    _batch_norm(state, f"{e}.net.1.1", 2 * f, g)
    _conv(state, f"{e}.net.2.0", 2 * f, 2 * f, 4, g)
    _batch_norm(state, f"{e}.net.2.1", 2 * f, g)
    _conv(state, f"{e}.net.3", f, 2 * f, 3, g)
    _linear(state, f"{e}.out_net.0", 4 * f, 12 * f, g)
    _batch_norm(state, f"{e}.out_net.1", 4 * f, g)
    _linear(state, f"{e}.out_net.3", 2 * f, 4 * f, g)
    _batch_norm(state, f"{e}.out_net.4", 2 * f, g)
    _linear(state, f"{e}.out_net.6", f, 2 * f, g)
    _linear(state, f"{e}.fc_mu", f, f, g)
    _linear(state, f"{e}.fc_logvar", f, f, g)
    _linear(state, "decoder.pre_net.0", 2 * f, f, g)
    _batch_norm(state, "decoder.pre_net.1", 2 * f, g)
    _linear(state, "decoder.pre_net.3", f // 8 * 34, 2 * f, g)
    _conv(state, "decoder.net.7", pose_dim, 2 * f, 3, g)
    if ddp:
        state = OrderedDict((f"module.{k}", v) for k, v in state.items())
    return state


def write_beat_checkpoint(path: Path, state: dict | None = None, **kwargs) -> Path:
    """``torch.save({"model_state": state, "epoch": 140}, path)`` as BEAT's trainer saves it."""
    torch.save({"model_state": state if state is not None else beat_model_state(**kwargs), "epoch": 140}, path)
    return path


def write_statistics(folder: Path, channels: int = 141, seed: int = 1) -> tuple[Path, Path]:
    """``bvh_mean.npy`` (degrees) and ``bvh_std.npy`` like BEAT's cache ships them."""
    rng = np.random.default_rng(seed)
    mean, std = folder / "bvh_mean.npy", folder / "bvh_std.npy"
    np.save(mean, rng.normal(0, 5, channels))
    np.save(std, rng.uniform(5, 30, channels))
    return mean, std


def reference_features(state: dict, poses: np.ndarray) -> np.ndarray:
    """BEAT's encoder in eval mode, as plain functional calls: standardised poses ``(B, 34, D)`` ->
    ``(B, F)``. The out_net activations are LeakyReLU with negative slope 1.0 (BEAT's ``LeakyReLU(True)``)."""
    s = {k.removeprefix("module.").removeprefix("pose_encoder."): v for k, v in state.items()}

    def bn(x, p):
        return F.batch_norm(x, s[f"{p}.running_mean"], s[f"{p}.running_var"], s[f"{p}.weight"], s[f"{p}.bias"],
                            training=False, eps=1e-5)

    x = torch.as_tensor(poses, dtype=torch.float32).transpose(1, 2)
    for i, stride in ((0, 1), (1, 1), (2, 2)):
        x = F.leaky_relu(bn(F.conv1d(x, s[f"net.{i}.0.weight"], s[f"net.{i}.0.bias"], stride=stride), f"net.{i}.1"), 0.2)
    x = F.conv1d(x, s["net.3.weight"], s["net.3.bias"]).flatten(1)
    x = F.leaky_relu(bn(F.linear(x, s["out_net.0.weight"], s["out_net.0.bias"]), "out_net.1"), 1.0)
    x = F.leaky_relu(bn(F.linear(x, s["out_net.3.weight"], s["out_net.3.bias"]), "out_net.4"), 1.0)
    x = F.linear(x, s["out_net.6.weight"], s["out_net.6.bias"])
    return F.linear(x, s["fc_mu.weight"], s["fc_mu.bias"]).double().numpy()

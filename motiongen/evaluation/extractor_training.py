"""Training the motion feature extractor (auto-encoder) on sequences of one motion block."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from motiongen.evaluation.extractor import ExtractorConfig, MotionAutoencoder

log = logging.getLogger(__name__)


class WindowSampler:
    """Random windows ``(B, W, C)`` float32 from sequences ``[(T_i, C)]``, every valid start equally likely."""

    def __init__(self, sequences: Sequence[np.ndarray], window: int, seed: int):
        self.sequences = [s for s in sequences if len(s) >= window]
        if not self.sequences:
            longest = max((len(s) for s in sequences), default=0)
            raise ValueError(f"no sequence is as long as one window ({window} frames; longest {longest})")
        self.window = window
        starts = np.array([len(s) - window + 1 for s in self.sequences])
        self.cumulative = np.cumsum(starts)
        self.rng = np.random.default_rng(seed)

    @property
    def num_windows(self) -> int:
        return int(self.cumulative[-1])

    def sample(self, batch_size: int) -> np.ndarray:
        positions = self.rng.integers(0, self.num_windows, size=batch_size)
        rows = np.searchsorted(self.cumulative, positions, side="right")
        starts = positions - np.concatenate([[0], self.cumulative])[rows]
        return np.stack([np.asarray(self.sequences[r][s:s + self.window], dtype=np.float32) for r, s in zip(rows, starts)])


def channel_statistics(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std ``(C,)`` over every frame of the sequences (float64 sums)."""
    count = sum(len(s) for s in sequences)
    total = sum(np.asarray(s, dtype=np.float64).sum(axis=0) for s in sequences)
    squares = sum((np.asarray(s, dtype=np.float64) ** 2).sum(axis=0) for s in sequences)
    mean = total / count
    return mean, np.sqrt(np.maximum(squares / count - mean**2, 0.0))


def train_autoencoder(sequences: Sequence[np.ndarray], window: int, steps: int, batch_size: int = 64,
                      lr: float = 1e-3, seed: int = 0, feature_dim: int = 32, hidden: int = 128,
                      progress: bool = True) -> tuple[MotionAutoencoder, dict]:
    """Train a :class:`MotionAutoencoder` on random ``window``-frame windows of ``sequences [(T_i, C)]``.

    Returns the network (eval mode) and facts for the evaluator file: windows available, steps,
    the first step's and the final reconstruction loss (mean L1 in standardised units over the last 10 % of the steps).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    torch.manual_seed(seed)
    sampler = WindowSampler(sequences, window, seed)
    model = MotionAutoencoder(ExtractorConfig(sampler.sequences[0].shape[1], window, feature_dim, hidden))
    model.set_normalisation(*channel_statistics(sampler.sequences))
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps, eta_min=lr * 0.05)
    tail = []
    model.train()
    bar = tqdm(range(steps), desc=f"feature extractor ({window}-frame windows)", disable=not progress, leave=False)
    for step in bar:
        loss = model.reconstruction_loss(torch.from_numpy(sampler.sample(batch_size)))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        value = loss.item()
        if step == 0:
            first = value
        if step >= steps - max(1, steps // 10):
            tail.append(value)
        bar.set_postfix(loss=f"{value:.3f}")
    model.eval()
    info = {"windows_available": sampler.num_windows, "steps": steps, "batch_size": batch_size,
            "initial_reconstruction_l1": first, "final_reconstruction_l1": float(np.mean(tail)), "seed": seed}
    log.info("feature extractor: reconstruction L1 %.4f after %d steps", info["final_reconstruction_l1"], steps)
    return model, info

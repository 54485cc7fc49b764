"""Learning-rate multiplier: linear warm-up followed by cosine decay, per optimiser step."""

from __future__ import annotations

import math

from motiongen.core.errors import ConfigError


def warmup_cosine(step: int, warmup_steps: int, total_steps: int, min_ratio: float = 0.0) -> float:
    """Multiplier of the base LR at optimiser step ``step`` (0-based).

    Rises linearly from 1/warmup to 1 over ``warmup_steps``, then follows a half cosine from 1 down to
    ``min_ratio`` at ``total_steps``, and stays at ``min_ratio`` afterwards.
    """
    if warmup_steps < 0 or total_steps < 1 or not 0.0 <= min_ratio <= 1.0:
        raise ConfigError(
            f"optim: need warmup_steps >= 0, total_steps >= 1 and 0 <= min_lr_ratio <= 1, "
            f"got {warmup_steps}, {total_steps}, {min_ratio}"
        )
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

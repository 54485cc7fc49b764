"""A Lightning callback that keeps what the quickstart report shows about training."""

from __future__ import annotations

import numpy as np
from lightning.pytorch.callbacks import Callback


class TrainingHistory(Callback):
    """Records, per optimizer step, the total and per-task training losses and the UWP sigmas,
    and keeps a copy of the EMA network's weights as they were before the first step.

    Attributes:
        steps: (N,) global step after each training batch.
        losses: {"total" | "gesture" | "expression": list of N floats}.
        sigmas: {task: list of N floats} learned homoscedastic uncertainties.
        initial_state: EMA network ``state_dict`` at the start of training (the untrained model).
        seconds: wall time of ``fit`` (set at the end of training).
    """

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.losses: dict[str, list[float]] = {}
        self.sigmas: dict[str, list[float]] = {}
        self.initial_state: dict | None = None
        self.seconds = 0.0
        self._start = 0.0

    def on_train_start(self, trainer, pl_module) -> None:
        import time

        self._start = time.perf_counter()
        self.initial_state = {k: v.detach().clone() for k, v in pl_module.ema_model.module.state_dict().items()}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        metrics = trainer.callback_metrics
        self.steps.append(int(trainer.global_step))
        for key, value in metrics.items():
            if key == "train/loss" or key.startswith("train/loss_"):
                name = "total" if key == "train/loss" else key[len("train/loss_"):]
                self.losses.setdefault(name, []).append(float(value))
        for name, sigma in pl_module.uncertainty.sigmas().items():
            self.sigmas.setdefault(name, []).append(float(sigma))

    def on_train_end(self, trainer, pl_module) -> None:
        import time

        self.seconds = time.perf_counter() - self._start

    def final_sigmas(self) -> dict[str, float]:
        return {name: values[-1] for name, values in self.sigmas.items()}

    def final_loss(self, window: int = 10) -> float:
        """Mean total loss over the last ``window`` steps (a single batch is noisy)."""
        values = self.losses.get("total", [])
        return float(np.mean(values[-window:])) if values else float("nan")

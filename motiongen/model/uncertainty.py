"""Per-task Huber losses and their weighting: learned homoscedastic uncertainty (UWP) or fixed weights.

UWP (Kendall et al., 2018; Xuan et al. eq. 6): with s_i = log σ_i² learned jointly with the network,

    L_total = Σ_i 1/(2σ_i²)·L_i + log σ_i = Σ_i ½·exp(-s_i)·L_i + ½·s_i.

Parametrising log σ² keeps σ positive and the gradient well scaled. s_i = 0 (σ = 1) gives every task
the weight ½ at the start ("equal weights"). The effective weight of task i is 1/(2σ_i²); the paper
reports the normalised weights w_i / Σ_j w_j (0.506 gesture / 0.494 expression after training).

The ablations of the paper's Table 3/4 are combinations of the weighting mode, the task list and the
denoiser's fusion:

===========================  =================  ==========================  ===========
experiment                   weighting          tasks                       fusion
===========================  =================  ==========================  ===========
full model (UWP)             ``uwp``            gesture, expression         joint
UWP removed                  ``fixed`` ½ / ½    gesture, expression         joint
A2G (single task)            ``fixed`` 1        gesture                     joint
A2E (single task)            ``fixed`` 1        expression                  joint
DiffSHEG-style one-way       ``fixed`` ½ / ½    gesture, expression         oneway
one-way + UWP                ``uwp``            gesture, expression         oneway
===========================  =================  ==========================  ===========
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from motiongen.core.errors import ConfigError

WEIGHTINGS = ("uwp", "fixed")


def task_losses(x0_hat: torch.Tensor, x0: torch.Tensor, slices: dict[str, slice], delta: float = 1.0,
                weights: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """Mean Huber loss of each task's channels; ``x0_hat``/``x0`` are (B, N, D), computed in float32.

    ``weights`` ``{task: (B, N, D_task)}`` (1 observed, 0 not) makes a task's loss the mean over its
    observed values only (frames where a landmark detector missed a hand do not count).
    """
    prediction, target = x0_hat.float(), x0.float()
    losses = {}
    for name, cut in slices.items():
        if weights is None or name not in weights:
            losses[name] = F.huber_loss(prediction[..., cut], target[..., cut], delta=delta)
            continue
        weight = weights[name].float()
        elementwise = F.huber_loss(prediction[..., cut], target[..., cut], delta=delta, reduction="none")
        losses[name] = (elementwise * weight).sum() / weight.sum().clamp_min(1.0)
    return losses


def velocity_losses(x0_hat: torch.Tensor, x0: torch.Tensor, slices: dict[str, slice], delta: float = 1.0,
                    weights: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """:func:`task_losses` of the frame-to-frame differences x[:, i+1] - x[:, i], ``(B, N-1, D)``.

    A per-frame error that is independent from frame to frame (jitter) of RMS σ costs 2σ² here
    against σ² in the value loss, while a slowly varying error costs almost nothing: the term
    penalises exactly the rough part of the prediction error. A difference counts where both of its
    frames are observed (``weights`` of consecutive frames multiplied).
    """
    paired = None if weights is None else {name: w[:, 1:] * w[:, :-1] for name, w in weights.items()}
    return task_losses(x0_hat.diff(dim=1), x0.diff(dim=1), slices, delta, paired)


class TaskWeighting(nn.Module):
    """Combine per-task losses into the training objective.

    Args:
        tasks: task names, in model order.
        mode: ``"uwp"`` (learned log σ² per task) or ``"fixed"``.
        fixed_weights: task → weight for ``"fixed"`` (e.g. ½/½, or 1 for a single task); None gives
            every task the weight 1/K.
        init_log_var: initial s = log σ² for ``"uwp"`` (0 → weight ½ each).

    ``forward(losses: {task: scalar}) -> scalar``.
    """

    def __init__(
        self,
        tasks: list[str],
        mode: str = "uwp",
        fixed_weights: dict[str, float] | None = None,
        init_log_var: float = 0.0,
    ):
        super().__init__()
        if mode not in WEIGHTINGS:
            raise ConfigError(f"loss.weighting must be one of {WEIGHTINGS}, got {mode!r}")
        self.tasks = list(tasks)
        self.mode = mode
        if mode == "uwp":
            self.log_var = nn.Parameter(torch.full((len(self.tasks),), float(init_log_var)))
        else:
            if fixed_weights is None:
                fixed_weights = {t: 1.0 / len(self.tasks) for t in self.tasks}
            missing = [t for t in self.tasks if t not in fixed_weights]
            if missing:
                raise ConfigError(f"loss.fixed_weights lacks a weight for task(s) {missing}")
            weights = torch.tensor([float(fixed_weights[t]) for t in self.tasks])
            if (weights < 0).any() or weights.sum() <= 0:
                raise ConfigError(f"loss.fixed_weights must be non-negative and not all zero, got {dict(fixed_weights)}")
            self.register_buffer("weights", weights)

    def forward(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        stacked = torch.stack([losses[t] for t in self.tasks])
        if self.mode == "uwp":
            return (0.5 * torch.exp(-self.log_var) * stacked + 0.5 * self.log_var).sum()
        return (self.weights * stacked).sum()

    @torch.no_grad()
    def sigmas(self) -> dict[str, float]:
        """σ_i per task (1 for fixed weighting, where no uncertainty is learned)."""
        if self.mode != "uwp":
            return {t: 1.0 for t in self.tasks}
        return dict(zip(self.tasks, torch.exp(0.5 * self.log_var).tolist()))

    @torch.no_grad()
    def effective_weights(self, normalised: bool = True) -> dict[str, float]:
        """Loss weight per task: 1/(2σ_i²) for UWP, the fixed weight otherwise; optionally summing to 1."""
        weights = 0.5 * torch.exp(-self.log_var) if self.mode == "uwp" else self.weights
        if normalised:
            weights = weights / weights.sum()
        return dict(zip(self.tasks, weights.tolist()))

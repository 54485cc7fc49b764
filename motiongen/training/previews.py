"""Preview figures during training: jawOpen over time and one wrist's trajectory, ground truth vs generated.

Every ``every_n_steps`` steps, global rank 0 samples one fixed validation clip with the EMA network
(a quick DDIM run through :mod:`motiongen.diffusion.samplers`, fixed seed, the clip's own seed
frames) and logs a matplotlib figure to TensorBoard under ``preview/motion``:

- top: the ``jawOpen`` blendshape weight (ARKit, 0..1 after de-normalisation) per frame;
- bottom: the wrist joint's trajectory — its x/y/z position (cm, relative to the root) per frame,
  by forward kinematics of the generated joints on the cache's skeleton template (joints the model
  does not generate keep the template's rest rotations). Without a template the panel shows the
  wrist's axis-angle rotation (radians) instead.

A panel is omitted when the model has no such task (A2G has no face, A2E no wrist) or the joint or
blendshape is not among the cache's names.
"""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from motiongen.diffusion.samplers import SamplerSettings
from motiongen.export.bvh_export import SkeletonTemplate, full_skeleton_euler

Denormalise = Callable[[str, np.ndarray], np.ndarray]

FIGURE_TAG = "preview/motion"


class MotionPreview(Callback):
    """Log the GT-vs-generated preview figure.

    Args:
        clip: one dataset item (dict of tensors without batch dimension).
        every_n_steps: period in optimiser steps.
        ddim_steps: DDIM steps of the quick sample (eta 0, guidance 1).
        blendshape_names: names of the expression channels (e.g. ``ARKIT_NAMES``).
        joint_names: joints of the gesture channels, 3 axis-angle channels each.
        denormalise: ``denormalise(block, array)`` back to units (``CacheInfo.denormalise``), or
            None to plot normalised values.
        wrist_joint: joint whose trajectory is drawn (BEAT's ``RightHand`` joint sits at the wrist).
        seed: sampling seed (the same every time, so figures are comparable across steps).
        template: skeleton the gesture channels animate (for the wrist's forward kinematics); None
            plots the wrist's rotation instead.
    """

    def __init__(
        self,
        clip: dict[str, torch.Tensor],
        every_n_steps: int,
        ddim_steps: int,
        blendshape_names: list[str],
        joint_names: list[str],
        denormalise: Denormalise | None = None,
        wrist_joint: str = "RightHand",
        seed: int = 0,
        template: SkeletonTemplate | None = None,
    ):
        self.clip = clip
        self.every_n_steps = every_n_steps
        self.settings = SamplerSettings(kind="ddim", steps=ddim_steps, eta=0.0, guidance=1.0)
        self.jaw_index = blendshape_names.index("jawOpen") if "jawOpen" in blendshape_names else None
        self.wrist_index = joint_names.index(wrist_joint) if wrist_joint in joint_names else None
        self.wrist_joint = wrist_joint
        self.denormalise = denormalise
        self.seed = seed
        self.joint_names = list(joint_names)
        names = template.skeleton.names if template is not None else []
        self.template = template if wrist_joint in names and set(joint_names) <= set(names) else None

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if trainer.global_step % self.every_n_steps or not trainer.is_global_zero or trainer.logger is None:
            return
        figure = self.render(pl_module)
        trainer.logger.experiment.add_figure(FIGURE_TAG, figure, global_step=trainer.global_step)

    def _units(self, block: str, values: np.ndarray) -> np.ndarray:
        return values if self.denormalise is None else self.denormalise(block, values)

    def wrist_position(self, axis_angle: np.ndarray) -> np.ndarray:
        """``(F, 3K)`` axis-angle radians of the generated joints → ``(F, 3)`` wrist position in cm,
        relative to the root, by forward kinematics on the template."""
        from motiongen.export.preview import local_rotation_matrices
        from motiongen.geometry.kinematics import forward_kinematics

        skeleton = self.template.skeleton
        euler, root = full_skeleton_euler(self.template, self.joint_names, np.asarray(axis_angle, dtype=np.float64))
        positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root)
        return positions[:, skeleton.names.index(self.wrist_joint)] - root

    def render(self, pl_module):
        """Sample the clip and draw the figure (returns a matplotlib Figure)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        batch = {name: value.unsqueeze(0).to(pl_module.device) for name, value in self.clip.items()}
        x0 = pl_module.motion(batch)
        generator = torch.Generator(device=pl_module.device).manual_seed(self.seed)
        generated = pl_module.generate(pl_module.condition(batch, x0), x0.shape[1], self.settings, generator)
        truth = {name: x0[0, :, cut].float().cpu().numpy() for name, cut in pl_module.slices.items()}
        fake = {name: generated[0, :, cut].float().cpu().numpy() for name, cut in pl_module.slices.items()}
        panels = []
        if "expression" in truth and self.jaw_index is not None:
            panels.append(("expression", "jawOpen (ARKit weight)", lambda a: a[:, [self.jaw_index]], ["jawOpen"]))
        if "gesture" in truth and self.wrist_index is not None:
            if self.template is not None:
                panels.append(("gesture", f"{self.wrist_joint} position relative to the root (cm)", self.wrist_position,
                               ["x", "y", "z"]))
            else:
                cut = slice(3 * self.wrist_index, 3 * self.wrist_index + 3)
                panels.append(("gesture", f"{self.wrist_joint} rotation (axis-angle, rad)", lambda a: a[:, cut],
                               ["x", "y", "z"]))
        figure, axes = plt.subplots(max(1, len(panels)), 1, figsize=(8, 3 * max(1, len(panels))), squeeze=False)
        frames = np.arange(x0.shape[1])
        for axis, (block, title, pick, labels) in zip(axes[:, 0], panels):
            gt, gen = pick(self._units(block, truth[block])), pick(self._units(block, fake[block]))
            for channel, label in enumerate(labels):
                line = axis.plot(frames, gt[:, channel], label=f"GT {label}")[0]
                axis.plot(frames, gen[:, channel], "--", color=line.get_color(), label=f"generated {label}")
            axis.set_title(title)
            axis.set_xlabel("frame (30 fps)")
            axis.legend(fontsize="small", ncol=2)
        figure.suptitle(f"EMA model, DDIM {self.settings.steps} steps, step {pl_module.global_step}")
        figure.tight_layout()
        return figure

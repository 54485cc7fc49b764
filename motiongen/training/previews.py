"""Preview figures during training: one panel per predicted motion block, ground truth vs generated.

Every ``every_n_steps`` steps, global rank 0 samples one fixed validation clip with the EMA network
(a quick DDIM run through :func:`motiongen.diffusion.samplers.sample_network`, fixed seed, the
clip's own seed frames) and logs a matplotlib figure to TensorBoard under ``preview/motion``. What
each block's panel shows is chosen from the declared motion format, by representation:

- ARKit weights with ``jawOpen``: that weight (0..1 after de-normalisation) per frame;
- joint rotations with the wrist joint: the wrist's trajectory — x/y/z position (cm, relative to
  the root) by forward kinematics of the generated joints on the format's skeleton template
  (joints the model does not generate keep the template's rest rotations); without a template
  that covers the block's joints, the wrist's axis-angle rotation (radians);
- anything else (landmarks, coefficients, other joints): the block's first name, every value of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from motiongen.core.motion_format import MotionBlock, MotionFormat, Representation
from motiongen.core.skeleton import SkeletonTemplate
from motiongen.diffusion.samplers import SamplerSettings
from motiongen.formats.joint_sets import full_skeleton_euler

FIGURE_TAG = "preview/motion"


@dataclass
class Panel:
    """One panel: ``pick(block values (F, width) in units) -> (F, len(labels))``."""

    block: str
    title: str
    labels: list[str]
    pick: Callable[[np.ndarray], np.ndarray]


def wrist_trajectory(template: SkeletonTemplate, joint_names: list[str], joint: str, axis_angle: np.ndarray) -> np.ndarray:
    """``(F, 3K)`` axis-angle radians of ``joint_names`` → ``(F, 3)`` position of ``joint`` in cm,
    relative to the root, by forward kinematics on ``template``."""
    from motiongen.core.kinematics import forward_kinematics, local_rotation_matrices

    skeleton = template.skeleton
    euler, root = full_skeleton_euler(template, joint_names, np.asarray(axis_angle, dtype=np.float64))
    positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root)
    return positions[:, skeleton.names.index(joint)] - root


def _channels(block: MotionBlock, name: str) -> slice:
    start = block.names.index(name) * block.values_per_name
    return slice(start, start + block.values_per_name)


def block_panel(block: MotionBlock, skeleton: SkeletonTemplate | None, wrist_joint: str, face_channel: str) -> Panel:
    """The panel that previews ``block`` (see the module docstring)."""
    names = list(block.names)
    if block.representation == Representation.ARKIT_WEIGHTS and face_channel in names:
        index = names.index(face_channel)
        return Panel(block.name, f"{face_channel} (ARKit weight)", [face_channel], lambda a: a[:, [index]])
    if block.representation == Representation.AXIS_ANGLE and wrist_joint in names:
        bones = skeleton.skeleton.names if skeleton is not None else []
        if set(names) <= set(bones):
            return Panel(block.name, f"{wrist_joint} position relative to the root (cm)", ["x", "y", "z"],
                         lambda a: wrist_trajectory(skeleton, names, wrist_joint, a))
        cut = _channels(block, wrist_joint)
        return Panel(block.name, f"{wrist_joint} rotation (axis-angle, rad)", ["x", "y", "z"], lambda a: a[:, cut])
    cut = _channels(block, names[0])
    labels = list(block.channel_names()[cut])
    units = f", {block.units}" if block.units else ""
    return Panel(block.name, f"{block.name}: {names[0]} ({block.representation.value}{units})", labels,
                 lambda a: a[:, cut])


class MotionPreview(Callback):
    """Log the GT-vs-generated preview figure.

    Args:
        clip: one dataset item (dict of tensors without batch dimension).
        every_n_steps: period in optimiser steps.
        ddim_steps: DDIM steps of the quick sample (eta 0, guidance 1).
        motion_format: the data's declared format (names, statistics, skeleton template).
        wrist_joint: joint whose trajectory is drawn (BEAT's ``RightHand`` joint sits at the wrist).
        face_channel: ARKit weight drawn for a face block.
        seed: sampling seed (the same every time, so figures are comparable across steps).
    """

    def __init__(
        self,
        clip: dict[str, torch.Tensor],
        every_n_steps: int,
        ddim_steps: int,
        motion_format: MotionFormat,
        wrist_joint: str = "RightHand",
        face_channel: str = "jawOpen",
        seed: int = 0,
    ):
        self.clip = clip
        self.every_n_steps = every_n_steps
        self.settings = SamplerSettings(kind="ddim", steps=ddim_steps, eta=0.0, guidance=1.0)
        self.format = motion_format
        self.panels = {block.name: block_panel(block, motion_format.skeleton, wrist_joint, face_channel)
                       for block in motion_format.blocks}
        self.seed = seed

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if trainer.global_step % self.every_n_steps or not trainer.is_global_zero or trainer.logger is None:
            return
        figure = self.render(pl_module)
        trainer.logger.experiment.add_figure(FIGURE_TAG, figure, global_step=trainer.global_step)

    def _units(self, block: str, values: np.ndarray) -> np.ndarray:
        if block in self.format.normalised_names():
            return self.format.denormalise(block, values)
        return values

    def render(self, pl_module):
        """Sample the clip and draw the figure (returns a matplotlib Figure)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        batch = {name: value.unsqueeze(0).to(pl_module.device) for name, value in self.clip.items()}
        x0 = pl_module.motion(batch)
        generator = torch.Generator(device=pl_module.device).manual_seed(self.seed)
        generated = pl_module.generate(pl_module.condition(batch, x0), x0.shape[1], self.settings, generator)
        panels = [self.panels[name] for name in pl_module.slices]
        figure, axes = plt.subplots(len(panels), 1, figsize=(8, 3 * len(panels)), squeeze=False)
        frames = np.arange(x0.shape[1])
        for axis, panel in zip(axes[:, 0], panels):
            cut = pl_module.slices[panel.block]
            truth = self._units(panel.block, x0[0, :, cut].float().cpu().numpy())
            fake = self._units(panel.block, generated[0, :, cut].float().cpu().numpy())
            gt, gen = panel.pick(truth), panel.pick(fake)
            for channel, label in enumerate(panel.labels):
                line = axis.plot(frames, gt[:, channel], label=f"GT {label}")[0]
                axis.plot(frames, gen[:, channel], "--", color=line.get_color(), label=f"generated {label}")
            axis.set_title(panel.title)
            axis.set_xlabel(f"frame ({self.format.fps:g} fps)")
            axis.legend(fontsize="small", ncol=2)
        figure.suptitle(f"EMA model, DDIM {self.settings.steps} steps, step {pl_module.global_step}")
        figure.tight_layout()
        return figure

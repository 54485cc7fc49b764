"""Procedural body motion that follows the speech: beat gestures on emphasised syllables.

On top of the template's rest pose (arms down):

* each emphasised syllable triggers a beat stroke — the shoulder flexes and abducts, the elbow
  bends, the wrist flicks and the fingers open — shaped as a Gaussian bump (sigma 0.15 s) peaking
  on the syllable, scaled by its loudness; which hand strokes follows the speaker's style;
* while the speaker talks (loudness envelope smoothed over 0.5 s) the forearms stay slightly
  raised, and they sink back during pauses;
* the head nods with each stroke; the spine sways and breathes slowly with random phases.

All curves are computed for all frames at once (impulse trains convolved with kernels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from motiongen.formats.bvh import BvhMotion
from motiongen.quickstart.speech import bump_train


@dataclass(frozen=True)
class GestureStyle:
    """How one speaker gestures.

    Attributes:
        right_share: probability that a stroke uses the right hand (the rest use the left);
            strokes stronger than ``both_hands_above`` use both hands.
        amplitude: scale of stroke angles.
        nod: scale of head nods.
        both_hands_above: strength above which both hands stroke together.
    """

    right_share: float
    amplitude: float
    nod: float
    both_hands_above: float = 0.9


STYLES: dict[int, GestureStyle] = {
    1: GestureStyle(right_share=0.8, amplitude=1.0, nod=0.8),
    2: GestureStyle(right_share=0.5, amplitude=0.75, nod=1.5, both_hands_above=0.8),
}

# Stroke at strength 1 (degrees, XYZ Euler of each joint, sign for the RIGHT side; the left side
# mirrors the Y and Z components).
_STROKE: dict[str, tuple[float, float, float]] = {
    "Arm": (-40.0, 0.0, -12.0),
    "ForeArm": (0.0, 60.0, 0.0),
    "Hand": (18.0, 0.0, 0.0),
}
_TALKING: dict[str, tuple[float, float, float]] = {"Arm": (-8.0, 0.0, 0.0), "ForeArm": (0.0, 25.0, 0.0)}
_FINGER_OPEN_DEG = 10.0
_MIRROR = np.array([1.0, -1.0, -1.0])


def gesture_motion(template: BvhMotion, envelope: np.ndarray, emphasis_times: np.ndarray,
                   emphasis_strengths: np.ndarray, style: GestureStyle, fps: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Euler angles and root translation for one take.

    Args:
        template: one-frame BEAT template (rest pose, skeleton with XYZ joints).
        envelope: (F,) loudness in [0, 1] at ``fps``; F sets the number of frames.
        emphasis_times / emphasis_strengths: (E,) seconds and [0, 1].
        style: the speaker's :class:`GestureStyle`.
        fps: output frame rate (BEAT capture: 120).
        rng: randomness for hand choice, phases and small variations.

    Returns:
        euler_deg (F, J, 3) in each joint's order (XYZ) and root_translation (F, 3) cm.
    """
    skeleton = template.skeleton
    names = skeleton.names
    frames = len(envelope)
    euler = np.repeat(template.euler_deg[:1], frames, axis=0).astype(np.float64)
    root = np.repeat(template.root_translation[:1], frames, axis=0).astype(np.float64)
    time = np.arange(frames) / fps

    strengths = np.asarray(emphasis_strengths, dtype=np.float64) * rng.uniform(0.8, 1.2, len(emphasis_strengths))
    use_right = rng.random(len(strengths)) < style.right_share
    both = strengths >= style.both_hands_above
    strokes = {
        "Right": bump_train(frames, fps, emphasis_times, strengths * (use_right | both), 0.15),
        "Left": bump_train(frames, fps, emphasis_times, strengths * (~use_right | both), 0.15),
    }
    talking = gaussian_filter1d(envelope.astype(np.float64), 0.5 * fps)
    talking = np.clip(talking / max(float(talking.max()), 1e-6), 0.0, 1.0)

    for side, stroke in strokes.items():
        mirror = np.ones(3) if side == "Right" else _MIRROR
        for part, angles in _STROKE.items():
            euler[:, names.index(side + part)] += style.amplitude * stroke[:, None] * (np.array(angles) * mirror)
        for part, angles in _TALKING.items():
            euler[:, names.index(side + part)] += talking[:, None] * (np.array(angles) * mirror)
        fingers = [j for j, name in enumerate(names) if name.startswith(side + "Hand") and name[-1] in "234"]
        euler[:, fingers, 2] += (_FINGER_OPEN_DEG * np.clip(stroke, 0, 1) * (1 if side == "Right" else -1))[:, None]

    all_strokes = strokes["Right"] + strokes["Left"]
    nod = np.roll(all_strokes, int(0.08 * fps))  # the head follows the hands by ~80 ms
    nod[: int(0.08 * fps)] = 0.0
    euler[:, names.index("Head"), 0] += 6.0 * style.nod * nod
    euler[:, names.index("Neck"), 0] += 2.0 * style.nod * nod

    phases = rng.uniform(0, 2 * np.pi, 4)
    euler[:, names.index("Spine"), 1] += 2.5 * np.sin(2 * np.pi * 0.11 * time + phases[0])
    euler[:, names.index("Spine1"), 0] += 1.0 * np.sin(2 * np.pi * 0.25 * time + phases[1])
    euler[:, names.index("Neck1"), 1] += 3.0 * np.sin(2 * np.pi * 0.07 * time + phases[2])
    root[:, 0] += 1.0 * np.sin(2 * np.pi * 0.09 * time + phases[3])
    return euler, root

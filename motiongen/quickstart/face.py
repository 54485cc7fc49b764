"""Procedural ARKit blendshape curves that follow the speech.

* ``jawOpen`` follows the loudness envelope (0.04 at rest, up to ~0.6 on loud vowels);
* lip shapes follow eSpeak NG's phonemes: rounded vowels and /w/ -> ``mouthPucker`` +
  ``mouthFunnel``; /p b m/ -> ``mouthClose`` + ``mouthPress*`` (and the jaw closes); /f v/ ->
  ``mouthRollLower`` + ``mouthUpperUp*``; spread vowels -> ``mouthStretch*``;
* brows rise on emphasised syllables, eyes blink every 2-5 s;
* the take's emotion sets a baseline expression (smile for happiness, frown and raised inner
  brows for sadness, lowered brows for anger, wide eyes for surprise and fear, sneer for disgust).

Every curve is built for all frames at once: per-frame targets looked up from the phone intervals
with ``np.searchsorted``, then smoothed with a Gaussian (co-articulation), plus event kernels.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.formats.textgrid import Interval
from motiongen.quickstart.speech import bump_train

_INDEX = {name: i for i, name in enumerate(ARKIT_NAMES)}

# eSpeak NG mnemonic classes (stress marks and length marks stripped before matching).
_ROUNDED = ("u", "U", "o", "O", "w", "aU", "OI")
_BILABIAL = ("p", "b", "m")
_LABIODENTAL = ("f", "v")
_SPREAD = ("i", "I", "e", "E", "eI", "a", "aI", "{")

#: Baseline weights per BEAT emotion name (added to the speech-driven curves).
EMOTION_BASELINES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happiness": {"mouthSmileLeft": 0.45, "mouthSmileRight": 0.45, "cheekSquintLeft": 0.3,
                  "cheekSquintRight": 0.3, "eyeSquintLeft": 0.15, "eyeSquintRight": 0.15},
    "anger": {"browDownLeft": 0.55, "browDownRight": 0.55, "noseSneerLeft": 0.2, "noseSneerRight": 0.2,
              "mouthPressLeft": 0.2, "mouthPressRight": 0.2},
    "sadness": {"mouthFrownLeft": 0.4, "mouthFrownRight": 0.4, "browInnerUp": 0.45,
                "eyeLookDownLeft": 0.2, "eyeLookDownRight": 0.2},
    "contempt": {"mouthSmileLeft": 0.3, "mouthDimpleLeft": 0.2, "noseSneerLeft": 0.15},
    "surprise": {"eyeWideLeft": 0.45, "eyeWideRight": 0.45, "browOuterUpLeft": 0.5,
                 "browOuterUpRight": 0.5, "browInnerUp": 0.4},
    "fear": {"eyeWideLeft": 0.35, "eyeWideRight": 0.35, "browInnerUp": 0.55, "mouthStretchLeft": 0.3,
             "mouthStretchRight": 0.3},
    "disgust": {"noseSneerLeft": 0.5, "noseSneerRight": 0.5, "mouthUpperUpLeft": 0.3,
                "mouthUpperUpRight": 0.3, "browDownLeft": 0.25, "browDownRight": 0.25},
}


def _phone_class_weights(phones: list[Interval], times: np.ndarray) -> dict[str, np.ndarray]:
    """(F,) 0/1 indicator per phoneme class at the given frame times."""
    if not phones:
        return {name: np.zeros(len(times)) for name in ("rounded", "bilabial", "labiodental", "spread")}
    starts = np.array([p.start for p in phones])
    ends = np.array([p.end for p in phones])
    bare = [p.label.lstrip("',").rstrip(":") for p in phones]
    index = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(phones) - 1)
    inside = (times >= starts[index]) & (times < ends[index])

    def indicator(members: tuple[str, ...], prefix: bool) -> np.ndarray:
        hit = np.array([(label.startswith(members) if prefix else label in members) for label in bare])
        return (hit[index] & inside).astype(np.float64)

    return {
        "rounded": indicator(_ROUNDED, prefix=True),
        "bilabial": indicator(_BILABIAL, prefix=False),
        "labiodental": indicator(_LABIODENTAL, prefix=False),
        "spread": indicator(_SPREAD, prefix=False),
    }


def blink_times(duration: float, rng: np.random.Generator) -> np.ndarray:
    """Blink onsets (s): gaps drawn uniformly from 2-5 s."""
    gaps = rng.uniform(2.0, 5.0, size=int(duration / 2.0) + 2)
    times = np.cumsum(gaps) - rng.uniform(0, 2.0)
    return times[(times > 0) & (times < duration)]


def face_curves(envelope: np.ndarray, phones: list[Interval], emphasis_times: np.ndarray,
                emphasis_strengths: np.ndarray, emotion: str, fps: float,
                rng: np.random.Generator) -> np.ndarray:
    """ARKit weights (F, 52) float32 in [0, 1] for one take.

    Args:
        envelope: (F,) speech loudness in [0, 1] at ``fps`` (see :func:`speech.rms_envelope`).
        phones: phone intervals (s) with eSpeak NG mnemonics.
        emphasis_times / emphasis_strengths: (E,) emphasised syllables (s, [0, 1]).
        emotion: one of BEAT's emotion names (:data:`EMOTION_BASELINES` keys).
        fps: frame rate of the curves (BEAT faces: 60).
        rng: randomness for blinks and small variations.
    """
    num_frames = len(envelope)
    times = (np.arange(num_frames) + 0.5) / fps
    smooth = 0.035 * fps  # 35 ms co-articulation
    classes = {k: gaussian_filter1d(v, smooth) for k, v in _phone_class_weights(phones, times).items()}
    env = gaussian_filter1d(envelope.astype(np.float64), 0.015 * fps)
    w = np.zeros((num_frames, len(ARKIT_NAMES)))

    def add(name: str, values) -> None:
        w[:, _INDEX[name]] += values

    add("jawOpen", 0.04 + 0.56 * env ** 0.8 * (1 - 0.7 * classes["bilabial"]))
    add("mouthClose", 0.35 * classes["bilabial"])
    for side in ("Left", "Right"):
        add(f"mouthPress{side}", 0.3 * classes["bilabial"])
        add(f"mouthUpperUp{side}", 0.2 * classes["labiodental"])
        add(f"mouthStretch{side}", 0.25 * classes["spread"] * env)
        add(f"mouthLowerDown{side}", 0.3 * env)
    add("mouthPucker", 0.5 * classes["rounded"])
    add("mouthFunnel", 0.4 * classes["rounded"] * (0.3 + env))
    add("mouthRollLower", 0.35 * classes["labiodental"])

    emphasis = bump_train(num_frames, fps, emphasis_times, emphasis_strengths, 0.12)
    add("browInnerUp", 0.35 * emphasis)
    add("browOuterUpLeft", 0.3 * emphasis)
    add("browOuterUpRight", 0.3 * emphasis)

    blinks = np.clip(bump_train(num_frames, fps, blink_times(num_frames / fps, rng), 1.0, 0.05), 0, 1)
    add("eyeBlinkLeft", blinks)
    add("eyeBlinkRight", blinks)

    for name, value in EMOTION_BASELINES[emotion].items():
        add(name, value * rng.uniform(0.85, 1.15))
    return np.clip(w, 0.0, 1.0).astype(np.float32)

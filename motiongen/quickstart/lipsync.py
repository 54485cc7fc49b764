"""Honest references for the quickstart's lip-sync figure.

The generated ``jawOpen`` is scored two ways (Pearson r over the clip):

* against the speech's loudness envelope — the signal the procedural corpus built its jaw from,
  which the audio features also contain, so a network could score well by reading loudness out;
* against the procedural ground truth of the unseen sentence — the jaw the corpus recipe
  (:func:`motiongen.quickstart.face.face_curves`) gives this exact speech: loudness *and* the
  phonemes (the jaw closes on /p b m/).

Next to the untrained and the trained network the report shows two references: the **ceiling**
(the ground truth itself: what a perfect model would score) and an **audio-regression baseline**,
a per-frame linear regression from the audio features to ``jawOpen`` fitted on the training takes.
The baseline needs no diffusion model, no word features and no temporal context; a network that
does not beat it has learned no more about the mouth than a read-out of the audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motiongen.formats.arkit import ARKIT_NAMES

JAW = "jawOpen"


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of two (F,) curves; 0.0 when either is constant (no linear relation measurable)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


@dataclass
class AudioToJawRegression:
    """``jawOpen ≈ standardised(features) @ w + b`` per frame: scikit-learn ridge regression.

    Attributes:
        model: the fitted ``StandardScaler`` + ``Ridge`` pipeline.
        train_frames: frames it was fitted on.
        train_takes: the take ids of those frames.
    """

    model: object
    train_frames: int
    train_takes: list[str]

    @classmethod
    def fit(cls, features: list[np.ndarray], jaw: list[np.ndarray], takes: list[str], alpha: float = 1.0) -> AudioToJawRegression:
        """Fit on per-take ``(F_i, Da)`` audio features and ``(F_i,)`` jawOpen curves."""
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        x = np.concatenate([np.asarray(f, np.float64) for f in features])
        y = np.concatenate([np.asarray(j, np.float64) for j in jaw])
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"need matching non-empty features and jaw curves, got {len(x)} and {len(y)} frames")
        return cls(make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(x, y), len(x), list(takes))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """``(F,)`` jawOpen in [0, 1] for ``(F, Da)`` audio features."""
        return np.clip(self.model.predict(np.asarray(features, np.float64)), 0.0, 1.0)


def fit_on_cache(cache_dir: str | Path) -> AudioToJawRegression:
    """Fit :class:`AudioToJawRegression` on the train split of a feature cache (raw features of its
    audio condition, ``jawOpen`` of its ARKit block)."""
    from motiongen.cache import CacheInfo
    from motiongen.core.motion_format import ConditionKind
    from motiongen.export.registry import arkit_block

    info = CacheInfo.load(cache_dir)
    face = arkit_block(info.format)
    [audio] = info.format.conditions_of(ConditionKind.AUDIO)
    jaw_channel = list(face.names).index(JAW)
    takes = [take.take_id for take in info.takes_in("train")]
    features = [np.asarray(info.block(take, audio.name)) for take in takes]
    jaw = [np.asarray(info.block(take, face.name))[:, jaw_channel] for take in takes]
    return AudioToJawRegression.fit(features, jaw, takes)


def procedural_jaw(wave: np.ndarray, sample_rate: int, phones, fps: float, num_frames: int) -> np.ndarray:
    """The corpus recipe's ``jawOpen`` ``(F,)`` for this speech (its ground truth, at ``fps``)."""
    from motiongen.quickstart.face import face_curves
    from motiongen.quickstart.speech import emphasis_events, rms_envelope

    envelope = rms_envelope(wave, sample_rate, fps, num_frames)
    times, strengths = emphasis_events(phones, envelope, fps)
    weights = face_curves(envelope, phones, times, strengths, "neutral", fps, np.random.default_rng(0))
    return weights[:, ARKIT_NAMES.index(JAW)].astype(np.float64)


@dataclass
class LipSyncRow:
    """One row of the lip-sync table: r of a jawOpen curve with the envelope and with the truth."""

    name: str
    meaning: str
    r_envelope: float
    r_truth: float


def lipsync_rows(jaw_curves: dict[str, tuple[str, np.ndarray]], envelope: np.ndarray, truth: np.ndarray) -> list[LipSyncRow]:
    """Score ``{name: (meaning, (F,) jawOpen)}`` against the ``(F,)`` envelope and ground truth."""
    return [LipSyncRow(name, meaning, pearson(jaw, envelope), pearson(jaw, truth))
            for name, (meaning, jaw) in jaw_curves.items()]

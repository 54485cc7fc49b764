"""Scoring sets of motion against the ground truth of the evaluated takes with every metric.

:class:`Reference` holds what is computed once per evaluation (ground-truth arrays, audio onsets,
log-mel, semantic scores, real features); :func:`score_rows` turns generated motion of each take
into one table row. All per-take work is vectorised; the loops run over takes and samples.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from motiongen.evaluation import metrics as m
from motiongen.evaluation.windows import sliding_windows

log = logging.getLogger(__name__)

NOT_COMPUTED = None


@dataclass
class Evaluators:
    """Loaded evaluator networks (None where the cache has no such block) and their hashes/info."""

    gesture: object | None = None
    face: object | None = None
    sync: object | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    info: dict[str, dict] = field(default_factory=dict)


@dataclass
class ReferenceTake:
    """Ground truth of one take cut to the evaluated frames.

    Attributes:
        take_id: cache take id.
        frames: F evaluated frames.
        gesture: ``(F, 3J)`` radians or None; face: ``(F, C)`` weights or None.
        onset_frames_beat: BEAT's onset frames (hop 512) counted from 10 s.
        onsets_emage: EMAGE's onsets in seconds from 2 s, the last 2 s left out.
        mel: ``(M, 80)`` log-mel of the speech (sync scorer).
        semantic: ``(F,)`` semantic scores or None.
    """

    take_id: str
    frames: int
    gesture: np.ndarray | None
    face: np.ndarray | None
    onset_frames_beat: np.ndarray
    onsets_emage: np.ndarray
    mel: np.ndarray | None
    semantic: np.ndarray | None


@dataclass
class Reference:
    """Everything about the ground truth that every row is compared with."""

    fps: float
    takes: list[ReferenceTake]
    gesture_windows: int | None
    face_windows: int | None
    gesture_features: np.ndarray | None
    face_features: np.ndarray | None
    gesture_normaliser: object | None
    face_channels: tuple[str, ...]
    beat_joint: str | None
    bc_joints: list[str] | None
    bc_mean_speed: np.ndarray | None
    wind_components: int
    wind_repeats: int


def window_features(extractor, sequences: list[np.ndarray]) -> np.ndarray:
    """Extractor features of the half-overlapping windows of every ``(F, C)`` sequence."""
    window = extractor.config.window
    stacks = [sliding_windows(np.asarray(s, np.float32), window, max(1, window // 2)) for s in sequences]
    stacks = [s for s in stacks if len(s)]
    if not stacks:
        return np.zeros((0, extractor.config.feature_dim))
    return extractor.features(np.concatenate(stacks))


def frechet_or_none(real: np.ndarray | None, generated: np.ndarray | None) -> float | None:
    """Fréchet distance, or None (with a logged reason) for fewer than 2 windows or a failed square root."""
    if real is None or generated is None or len(real) < 2 or len(generated) < 2:
        return NOT_COMPUTED
    try:
        return m.frechet_distance_of_features(real, generated)
    except ValueError as err:
        log.warning("Fréchet distance not computed (%d vs %d windows): %s", len(real), len(generated), err)
        return NOT_COMPUTED


def _mean(values) -> float | None:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(values)) if values else NOT_COMPUTED


def _weighted_mean(pairs) -> float | None:
    pairs = [(v, w) for v, w in pairs if v is not None and not math.isnan(v) and w > 0]
    return float(sum(v * w for v, w in pairs) / sum(w for _, w in pairs)) if pairs else NOT_COMPUTED


def _wind(reference: Reference, real, generated) -> float | None:
    if real is None or generated is None:
        return NOT_COMPUTED
    k = min(reference.wind_components, len(real) // 2, len(generated) // 2)
    return m.wind(real, generated, components=k, repeats=reference.wind_repeats) if k >= 1 else NOT_COMPUTED


def distribution_row(reference: Reference, evaluators: Evaluators, gesture_a, gesture_b, face_a, face_b) -> dict:
    """FGD, FD and WInD between two feature sets (the held-out-half ceiling row)."""
    return {"fgd": frechet_or_none(gesture_a, gesture_b), "fd_face": frechet_or_none(face_a, face_b),
            "wind_face": _wind(reference, face_a, face_b)}


def beat_metrics(reference: Reference, samples, template, joint_names) -> dict:
    """BEAT's BeatAlign (published, and with onset times at the true 16 kHz) and EMAGE's BC of
    ``samples [(ReferenceTake, (F, 3J) radians)]``."""
    from motiongen.evaluation.positions import joint_euler, joint_positions

    row: dict = {}
    if reference.beat_joint is not None:
        eulers = [m.decimate(joint_euler(template, joint_names, g, reference.beat_joint), reference.fps, m.BEAT_POSE_FPS)
                  for _, g in samples]
        for key, rate in (("beat_align", m.LIBROSA_DEFAULT_SR), ("beat_align_16k", m.TRUE_RATE)):
            row[key] = _mean([m.beat_align_beat(m.onset_frames_to_seconds(t.onset_frames_beat, rate), e, fps)
                              for (t, _), (e, fps) in zip(samples, eulers)])
    if reference.bc_joints is not None and reference.bc_mean_speed is not None:
        row["bc"] = _weighted_mean(
            (m.beat_consistency_emage(t.onsets_emage, joint_positions(template, joint_names, g, reference.bc_joints),
                                      reference.fps, reference.bc_mean_speed), m.trimmed_frames(len(g), reference.fps))
            for t, g in samples)
    return row


def score_row(reference: Reference, evaluators: Evaluators, gestures: list[np.ndarray | None],
              faces: list[np.ndarray | None], template=None, joint_names=()) -> dict:
    """Every metric of generated motion: ``gestures[i]`` ``(K, F_i, 3J)`` radians and ``faces[i]``
    ``(K, F_i, C)`` weights for reference take i (None where the role is absent)."""
    from motiongen.evaluation.positions import joints_euler
    from motiongen.evaluation.sync import sync_scores

    row: dict = {}
    has_gesture = reference.gesture_features is not None and all(g is not None for g in gestures)
    has_face = reference.face_features is not None and all(f is not None for f in faces)
    if has_gesture:
        samples = [(take, g[k]) for take, g in zip(reference.takes, gestures) for k in range(len(g))]
        features = window_features(evaluators.gesture, [g for _, g in samples])
        row["fgd"] = frechet_or_none(reference.gesture_features, features)
        row["diversity_features"] = m.feature_diversity(features) if len(features) >= 2 else NOT_COMPUTED
        normalised = [reference.gesture_normaliser(g) for _, g in samples]
        row["diversity_chunked"] = m.chunked_diversity(normalised, reference.gesture_windows)
        eulers = [joints_euler(template, joint_names, g) for _, g in samples]  # (F, J, 3) degrees, BEAT's pose
        row["l1div"] = m.l1div([e.reshape(len(e), -1) for e in eulers])
        row.update(beat_metrics(reference, samples, template, joint_names))
        labelled = [(t, e) for (t, _), e in zip(samples, eulers) if t.semantic is not None]
        if labelled:
            args = (np.concatenate([e for _, e in labelled]),
                    np.concatenate([joints_euler(template, joint_names, t.gesture) for t, _ in labelled]),
                    np.concatenate([t.semantic for t, _ in labelled]))
            row["srgr"], row["srgr_normalised"] = m.srgr(*args), m.srgr_normalised(*args)
    if has_face:
        samples = [(take, f[k]) for take, f in zip(reference.takes, faces) for k in range(len(f))]
        generated = [f for _, f in samples]
        target = [t.face for t, _ in samples]
        mouth = m.mouth_channels(list(reference.face_channels))
        row["face_mse"] = m.face_mse(generated, target)
        row["face_lvd"] = m.face_lvd(generated, target)
        row["mouth_mse"] = m.face_mse([g[:, mouth] for g in generated], [t[:, mouth] for t in target])
        row["mouth_lvd"] = m.face_lvd([g[:, mouth] for g in generated], [t[:, mouth] for t in target])
        features = window_features(evaluators.face, [f for _, f in samples])
        row["fd_face"] = frechet_or_none(reference.face_features, features)
        row["wind_face"] = _wind(reference, reference.face_features, features)
        if evaluators.sync is not None:
            results = [sync_scores(evaluators.sync, t.mel, f[:, mouth]) for t, f in samples
                       if t.mel is not None and len(f) > evaluators.sync.config.motion_frames + 30]
            if results:
                row["sync_distance"] = float(np.mean([r.distance for r in results]))
                row["sync_confidence"] = float(np.mean([r.confidence for r in results]))
                row["sync_offset_abs"] = float(np.mean([abs(r.offset) for r in results]))
    return row


ARM_JOINTS = ("RightArm", "RightForeArm", "LeftArm", "LeftForeArm")


def arm_ratios(gestures: list[np.ndarray], truth: list[np.ndarray], joint_names, fps: float) -> tuple[float, float]:
    """Mean angular speed and acceleration of the arms (:data:`ARM_JOINTS`) in the generated takes
    ``gestures[i]`` ``(K, F_i, 3J)`` over those of the ground truth ``truth[i]`` ``(F_i, 3J)``
    (axis-angle radians at ``fps``): acceleration far above 1 is frame-to-frame jitter."""
    from motiongen.core.motion_energy import mean_joint_acceleration, mean_joint_speed

    arms = [list(joint_names).index(name) for name in ARM_JOINTS]

    def joints(take: np.ndarray) -> np.ndarray:
        return take.reshape(len(take), -1, 3)[:, arms]

    generated = [joints(sample) for take in gestures for sample in take]
    real = [joints(take) for take in truth]
    speed = mean_joint_speed(generated, fps).mean() / mean_joint_speed(real, fps).mean()
    accel = mean_joint_acceleration(generated, fps).mean() / mean_joint_acceleration(real, fps).mean()
    return float(speed), float(accel)

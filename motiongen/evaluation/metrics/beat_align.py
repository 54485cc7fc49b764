"""Speech–gesture beat alignment: BEAT's BeatAlign and EMAGE's BC.

Both score how close motion beats (local minima of joint speed) sit to audio onsets:

    score = mean over audio onsets a of exp(−min_b (a − b)² / (2σ²)),   σ = 0.3 s

(BEAT/EMAGE ``alignment.GAHR(pose_beats, audio_onsets, sigma)``; an onset with no motion beat at
all contributes 0, exactly as the reference's ``min`` over an empty set = ∞ does).

**BEAT** (:func:`beat_align_beat`, ``metric.alignment(0.3, 2)`` in BEAT/CaMN): onsets from the
16 kHz audio with ``librosa.onset.onset_strength`` / ``onset_detect`` (hop 512), backtracked to the
preceding minimum of the RMS energy (``onset_bt_rms``); motion beats are the local minima
(``scipy.signal.argrelextrema``, order 2) of the frame-to-frame displacement of one joint (BEAT
uses the right wrist). Difference: BEAT converts onset frames to seconds with
``librosa.frames_to_time`` at librosa's default 22050 Hz although the audio is 16 kHz (times 27 %
too early); here the true rate is used, so the numbers differ from BEAT's published ones.

**EMAGE BC** (:func:`beat_consistency_emage`, ``metric.alignment(0.3, 7, avg_vel, upper_body)``):
onsets are ``librosa.onset.onset_detect(y, sr=16000, hop_length=512, units='time')`` without
backtracking; joint speed is the central difference (forward/backward at the ends) divided by the
frame time, normalised per joint by the dataset's mean speed; motion beats are minima of order 7
where the normalised speed exceeds 0.3; the score is averaged over the chosen (upper-body) joints.

Onset settings are pinned in :data:`ONSET_SAMPLE_RATE` and :data:`ONSET_HOP` so numbers do not move
with librosa defaults.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import argrelextrema

SIGMA_S = 0.3
ONSET_SAMPLE_RATE = 16_000  # Hz, both references
ONSET_HOP = 512  # samples at 16 kHz (librosa's default hop, pinned)
BEAT_ORDER = 2  # BEAT/CaMN alignment(0.3, 2)
EMAGE_ORDER = 7  # EMAGE alignment(0.3, 7, ...)
EMAGE_SPEED_THRESHOLD = 0.3  # EMAGE alignment.threshold, on speed / mean speed


def _resample(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    import librosa

    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise ValueError(f"wave must be mono (S,), got shape {wave.shape}")
    if sample_rate != ONSET_SAMPLE_RATE:
        wave = librosa.resample(wave, orig_sr=sample_rate, target_sr=ONSET_SAMPLE_RATE, res_type="soxr_hq")
    return wave


def onsets_beat(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """BEAT's audio beats: RMS-backtracked onset times in seconds ``(K,)`` of mono ``wave (S,)``."""
    import librosa

    y = _resample(wave, sample_rate)
    envelope = librosa.onset.onset_strength(y=y, sr=ONSET_SAMPLE_RATE, hop_length=ONSET_HOP)
    raw = librosa.onset.onset_detect(onset_envelope=envelope, sr=ONSET_SAMPLE_RATE, hop_length=ONSET_HOP,
                                     backtrack=False)
    if len(raw) == 0:
        return np.zeros(0)
    rms = librosa.feature.rms(S=np.abs(librosa.stft(y=y, hop_length=ONSET_HOP)))[0]
    frames = librosa.onset.onset_backtrack(raw, rms)
    return librosa.frames_to_time(frames, sr=ONSET_SAMPLE_RATE, hop_length=ONSET_HOP)


def onsets_emage(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """EMAGE's audio beats: onset times in seconds ``(K,)`` (no backtracking)."""
    import librosa

    y = _resample(wave, sample_rate)
    return librosa.onset.onset_detect(y=y, sr=ONSET_SAMPLE_RATE, hop_length=ONSET_HOP, units="time")


def gaussian_alignment(onsets_s: np.ndarray, beats_s: np.ndarray, sigma: float = SIGMA_S) -> float:
    """Mean over ``onsets_s (K,)`` of ``exp(−d²/2σ²)``, d = distance in seconds to the nearest of
    ``beats_s (B,)``; 0 when there are no beats, NaN when there are no onsets."""
    onsets = np.asarray(onsets_s, dtype=np.float64).reshape(-1)
    beats = np.sort(np.asarray(beats_s, dtype=np.float64).reshape(-1))
    if onsets.size == 0:
        return float("nan")
    if beats.size == 0:
        return 0.0
    right = np.clip(np.searchsorted(beats, onsets), 0, beats.size - 1)
    left = np.clip(right - 1, 0, beats.size - 1)
    nearest = np.minimum(np.abs(onsets - beats[left]), np.abs(onsets - beats[right]))
    return float(np.exp(-(nearest**2) / (2.0 * sigma**2)).mean())


def _positions(positions: np.ndarray) -> np.ndarray:
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[-1] != 3 or positions.shape[0] < 3:
        raise ValueError(f"joint positions must be (F >= 3, J, 3), got shape {positions.shape}")
    return positions


def motion_beats_beat(joint_positions: np.ndarray, fps: float, order: int = BEAT_ORDER) -> np.ndarray:
    """BEAT's motion beats of one joint: times in seconds of the local minima (``order``) of its
    frame-to-frame displacement. ``joint_positions (F, 3)`` (any length unit)."""
    positions = np.asarray(joint_positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"joint positions must be (F, 3), got shape {positions.shape}")
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=-1)
    return argrelextrema(speed, np.less, order=order)[0] / float(fps)


def beat_align_beat(onsets_s: np.ndarray, joint_positions: np.ndarray, fps: float) -> float:
    """BEAT BeatAlign of one joint's trajectory ``(F, 3)`` against audio onsets (see module doc)."""
    return gaussian_alignment(onsets_s, motion_beats_beat(joint_positions, fps))


def normalised_speed(positions: np.ndarray, fps: float, mean_speed: np.ndarray | None = None) -> np.ndarray:
    """EMAGE's per-joint speed ``(F, J)`` of ``positions (F, J, 3)``: central differences divided by
    the frame time (one-sided at the ends), divided by ``mean_speed (J,)`` when given."""
    positions = _positions(positions)
    velocity = np.gradient(positions, 1.0 / float(fps), axis=0)
    speed = np.linalg.norm(velocity, axis=-1)
    if mean_speed is not None:
        mean_speed = np.asarray(mean_speed, dtype=np.float64)
        if mean_speed.shape != (speed.shape[1],) or not (mean_speed > 0).all():
            raise ValueError(f"mean_speed must be ({speed.shape[1]},) positive, got {mean_speed.shape}")
        speed = speed / mean_speed
    return speed


def beat_consistency_emage(onsets_s: np.ndarray, positions: np.ndarray, fps: float, mean_speed: np.ndarray,
                           joints: np.ndarray | None = None, order: int = EMAGE_ORDER,
                           threshold: float = EMAGE_SPEED_THRESHOLD) -> float:
    """EMAGE BC of ``positions (F, J, 3)`` against audio onsets in seconds.

    Args:
        mean_speed: ``(J,)`` mean speed of each joint over the training data (EMAGE's ``avg_vel``),
            in the positions' unit per second.
        joints: indices of the joints averaged over (EMAGE: the upper body); None = all.
    """
    speed = normalised_speed(positions, fps, mean_speed)
    rows, cols = argrelextrema(speed, np.less, axis=0, order=order)
    keep = speed[rows, cols] > threshold
    rows, cols = rows[keep], cols[keep]
    chosen = np.arange(speed.shape[1]) if joints is None else np.asarray(joints, dtype=np.int64)
    scores = [gaussian_alignment(onsets_s, rows[cols == j] / float(fps)) for j in chosen]
    return float(np.mean(scores))

"""Speech–gesture beat alignment: BEAT's BeatAlign and EMAGE's BC, as their released code computes them.

Both score how close motion beats (local minima of a speed curve) sit to audio onsets:

    score = mean over audio onsets a of exp(−min_b (a − b)² / (2σ²)),   σ = 0.3 s

(``alignment.GAHR(pose_beats, audio_onsets, sigma)`` in both codebases; an onset with no motion beat
at all contributes 0, as the reference's minimum over an empty set, ∞, does).

**BEAT BeatAlign** (:func:`onset_frames_beat`, :func:`motion_beats_beat`; PantoMatrix
``scripts/BEAT_2022/utils/metric.py`` ``alignment(0.3, 2)`` as ``scripts/BEAT_2022/test.py`` calls it;
a set's score is the plain mean over takes, and a take without onsets is left out):

* the speech (16 kHz) from ``t_start`` = 10 s to ``t_end`` = 500 s; onset envelope
  ``onset_strength(sr=16000)``; peaks ``onset_detect(onset_envelope=…)`` with librosa's *default*
  ``sr`` (22050, so ``pre_max``/``post_max``/``wait`` span BEAT's frame counts), backtracked to the
  preceding minimum of the RMS energy; onset frames turned into seconds with
  ``frames_to_time`` at 22050 Hz as well (times 27 % early: the published arithmetic, kept);
* the motion at 15 fps: frame-to-frame differences of one joint's three Euler angles (degrees, BVH
  channel order), their norm, local minima (``argrelextrema(order=2)``) from ``t_start`` on.
  BEAT's scored channels are ``pose[36:39]`` of the 141-value evaluated pose
  (:data:`BEAT_ALIGN_JOINT`); the six-joint average in the file is commented out.

:data:`~motiongen.evaluation.metrics.beat_align.TRUE_RATE` gives the same computation with the onset
frames converted at the audio's true 16 kHz (motiongen's ``beat_align_16k`` column).

**EMAGE BC** (:func:`beat_consistency_emage`; PantoMatrix ``scripts/EMAGE_2024/utils/metric.py``
``alignment(0.3, 7, avg_vel, upper_body)`` as ``emage_trainer.py``/``test.py`` call it): onsets are
``onset_detect(y, sr=16000, hop_length=512, units='time')`` of the speech without its first and last
2 s; joint speed is the central difference (one-sided at the ends) over the whole take, divided by
the frame time and by the training set's mean speed of each joint; motion beats are minima
(order 7) inside the trimmed frames whose speed exceeds 0.3 — the released code tests the speed at
the beat's index *relative to the trimmed start* (``j in vel_mask[0]``), which is reproduced; the
score is the mean over EMAGE's 13 upper-body joints (:data:`EMAGE_UPPER_BODY`), and a set's BC is
the mean over takes weighted by their trimmed frame counts.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import argrelextrema

from motiongen.formats.audio import resample

SIGMA_S = 0.3
ONSET_SAMPLE_RATE = 16_000  # Hz: both references evaluate 16 kHz speech
ONSET_HOP = 512  # samples (librosa's default hop, pinned)
LIBROSA_DEFAULT_SR = 22_050  # Hz: the rate BEAT's onset_detect / frames_to_time assume (no sr= given)
TRUE_RATE = ONSET_SAMPLE_RATE

BEAT_ORDER = 2  # BEAT/CaMN alignment(0.3, 2)
BEAT_POSE_FPS = 15  # CaMN's evaluated pose rate
BEAT_START_S = 10  # test.py t_start
BEAT_END_S = 500  # test.py t_end
#: Joint whose Euler channels BEAT scores: ``pose[36:39]`` of CaMN's 141-value ``spine_neck_141`` pose
#: is its 13th joint, the right ring finger's middle phalanx (the indices were written for a full BVH
#: line, where 36:39 is RightForeArm; the evaluated pose is the 47-joint one). docs/metrics.md.
BEAT_ALIGN_JOINT = "RightHandRing2"

EMAGE_ORDER = 7  # EMAGE alignment(0.3, 7, ...)
EMAGE_SPEED_THRESHOLD = 0.3  # EMAGE alignment.threshold, on speed / mean speed
EMAGE_TRIM_S = 2.0  # EMAGE align_mask = 60 frames at 30 fps, both ends
#: EMAGE's ``upper_body=[3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]`` as SMPL-X names, with
#: the BEAT joint each maps to (BEAT's beat2smpl.bmap for spine1-3, head, shoulders, elbows and
#: wrists; neck -> Neck and collar -> Shoulder by anatomy, the bmap leaves them unmapped).
EMAGE_UPPER_BODY: tuple[tuple[str, str], ...] = (
    ("spine1", "Spine1"), ("spine2", "Spine2"), ("spine3", "Spine3"), ("neck", "Neck"),
    ("left_collar", "LeftShoulder"), ("right_collar", "RightShoulder"), ("head", "Head"),
    ("left_shoulder", "LeftArm"), ("right_shoulder", "RightArm"), ("left_elbow", "LeftForeArm"),
    ("right_elbow", "RightForeArm"), ("left_wrist", "LeftHand"), ("right_wrist", "RightHand"),
)


def upper_body_joints(skeleton_names) -> list[str]:
    """EMAGE's 13 upper-body joints as named in ``skeleton_names`` (SMPL-X or BEAT naming).

    Raises:
        ValueError: the skeleton has neither naming complete (names the missing joints).
    """
    names = set(skeleton_names)
    for column in (0, 1):
        chosen = [pair[column] for pair in EMAGE_UPPER_BODY]
        if names.issuperset(chosen):
            return chosen
    missing = [beat for _, beat in EMAGE_UPPER_BODY if beat not in names]
    raise ValueError(f"the skeleton lacks EMAGE's upper-body joints {missing} (BEAT names) or their SMPL-X names")


def _speech_16k(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono ``(S,)`` speech at 16 kHz, resampled as the references' ``librosa.load(sr=16000)`` does."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise ValueError(f"wave must be mono (S,), got shape {wave.shape}")
    return resample(wave, sample_rate, ONSET_SAMPLE_RATE, librosa_length=True)


def onset_frames_beat(wave: np.ndarray, sample_rate: int, start_s: float = BEAT_START_S,
                      end_s: float = BEAT_END_S) -> np.ndarray:
    """BEAT's audio beats of mono ``wave (S,)``: RMS-backtracked onset frames ``(K,)`` (hop 512)
    counted from ``start_s``; empty when the speech ends before ``start_s`` (+ one frame)."""
    import librosa

    y = _speech_16k(wave, sample_rate)[int(start_s * ONSET_SAMPLE_RATE): int(end_s * ONSET_SAMPLE_RATE)]
    if len(y) < ONSET_HOP:
        return np.zeros(0, dtype=np.int64)
    envelope = librosa.onset.onset_strength(y=y, sr=ONSET_SAMPLE_RATE)
    raw = librosa.onset.onset_detect(onset_envelope=envelope, sr=LIBROSA_DEFAULT_SR, hop_length=ONSET_HOP,
                                     backtrack=False)
    if len(raw) == 0:
        return np.zeros(0, dtype=np.int64)
    rms = librosa.feature.rms(S=np.abs(librosa.stft(y=y, hop_length=ONSET_HOP)))[0]
    return np.asarray(librosa.onset.onset_backtrack(raw, rms), dtype=np.int64)


def onset_frames_to_seconds(frames: np.ndarray, rate: int = LIBROSA_DEFAULT_SR) -> np.ndarray:
    """Seconds of BEAT onset frames: ``frames · 512 / rate`` (BEAT: rate 22050; true: 16000)."""
    return np.asarray(frames, dtype=np.float64) * ONSET_HOP / float(rate)


def onsets_emage(wave: np.ndarray, sample_rate: int, fps: float, frames: int, trim_s: float = EMAGE_TRIM_S) -> np.ndarray:
    """EMAGE's audio beats: onset times in seconds ``(K,)`` of the speech of a take of ``frames``
    motion frames at ``fps``, without its first and last ``trim_s`` (times counted from ``trim_s``)."""
    import librosa

    y = _speech_16k(wave, sample_rate)
    trim = int(round(trim_s * fps))
    y = y[int(trim_s * ONSET_SAMPLE_RATE): int((frames - trim) / fps * ONSET_SAMPLE_RATE)]
    if len(y) < ONSET_HOP:
        return np.zeros(0)
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


def decimate(sequence: np.ndarray, fps: float, target_fps: float) -> tuple[np.ndarray, float]:
    """Every ``fps / target_fps``-th frame of ``sequence (F, ...)`` and the resulting rate; the
    sequence unchanged when ``fps`` is not a whole multiple of ``target_fps``."""
    step = fps / target_fps
    if step < 1 or abs(step - round(step)) > 1e-6:
        return sequence, float(fps)
    return sequence[:: int(round(step))], float(target_fps)


def motion_beats_beat(euler_deg: np.ndarray, fps: float, order: int = BEAT_ORDER, start_s: float = BEAT_START_S,
                      end_s: float = BEAT_END_S) -> np.ndarray:
    """BEAT's motion beats of one joint, in seconds from ``start_s``: local minima (``order``) of the
    norm of the frame-to-frame change of its Euler angles ``euler_deg (F, 3)`` (degrees)."""
    euler = np.asarray(euler_deg, dtype=np.float64)
    if euler.ndim != 2 or euler.shape[1] != 3:
        raise ValueError(f"Euler angles must be (F, 3), got shape {euler.shape}")
    speed = np.linalg.norm(np.diff(euler, axis=0), axis=-1)
    window = speed[int(start_s * fps): int(end_s * fps)]
    return argrelextrema(window, np.less, order=order)[0] / float(fps)


def beat_align_beat(onsets_s: np.ndarray, euler_deg: np.ndarray, fps: float) -> float:
    """BEAT BeatAlign of one joint's Euler angles ``(F, 3)`` at ``fps`` (15 in BEAT) against audio
    onsets in seconds from :data:`BEAT_START_S` (see module doc)."""
    return gaussian_alignment(onsets_s, motion_beats_beat(euler_deg, fps))


def normalised_speed(positions: np.ndarray, fps: float, mean_speed: np.ndarray | None = None) -> np.ndarray:
    """EMAGE's per-joint speed ``(F, J)`` of ``positions (F, J, 3)``: central differences divided by
    the frame time (one-sided at the ends), divided by ``mean_speed (J,)`` when given."""
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[-1] != 3 or positions.shape[0] < 3:
        raise ValueError(f"joint positions must be (F >= 3, J, 3), got shape {positions.shape}")
    velocity = np.gradient(positions, 1.0 / float(fps), axis=0)
    speed = np.linalg.norm(velocity, axis=-1)
    if mean_speed is not None:
        mean_speed = np.asarray(mean_speed, dtype=np.float64)
        if mean_speed.shape != (speed.shape[1],) or not (mean_speed > 0).all():
            raise ValueError(f"mean_speed must be ({speed.shape[1]},) positive, got {mean_speed.shape}")
        speed = speed / mean_speed
    return speed


def beat_consistency_emage(onsets_s: np.ndarray, positions: np.ndarray, fps: float, mean_speed: np.ndarray,
                           order: int = EMAGE_ORDER, threshold: float = EMAGE_SPEED_THRESHOLD,
                           trim_s: float = EMAGE_TRIM_S) -> float:
    """EMAGE BC of one take: ``positions (F, J, 3)`` of the J joints averaged over (EMAGE's upper
    body), ``mean_speed (J,)`` their training-set mean speeds (EMAGE's ``avg_vel``, the positions'
    unit per second), ``onsets_s`` from :func:`onsets_emage` (seconds from ``trim_s``)."""
    speed = normalised_speed(positions, fps, mean_speed)
    trim = int(round(trim_s * fps))
    window = speed[trim: len(speed) - trim]
    if len(window) == 0:
        return float("nan")
    rows, cols = argrelextrema(window, np.less, axis=0, order=order)
    keep = speed[rows, cols] > threshold  # the reference's mask is indexed from the untrimmed start
    rows, cols = rows[keep], cols[keep]
    return float(np.mean([gaussian_alignment(onsets_s, rows[cols == j] / float(fps)) for j in range(speed.shape[1])]))


def trimmed_frames(frames: int, fps: float, trim_s: float = EMAGE_TRIM_S) -> int:
    """EMAGE's weight of a take in the set's BC: its frames without both trimmed ends (>= 0)."""
    return max(0, frames - 2 * int(round(trim_s * fps)))

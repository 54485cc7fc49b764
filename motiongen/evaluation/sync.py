"""A learned audio–mouth sync scorer (SyncNet-style) and its LSE-D / LSE-C-like scores.

In the spirit of SyncNet (Chung & Zisserman 2016; LSE-D/LSE-C as Wav2Lip reports them) and of the
AVAlignNet thesis (paper 001): two encoders map a ~0.2 s window of speech (log-mel, 80 bands,
n_fft 800, hop 200 at 16 kHz = 80 mel frames/s) and the same span of mouth blendshape curves to
L2-normalised embeddings; in sync they are close, shifted apart.

Scoring a take (:func:`sync_scores`, SyncNet's ``calc_pdist`` procedure): embed every motion
window and every audio window, and for each shift s in ±15 frames take the mean distance between
motion window t and audio window t + s over the frames where both exist. Then

* ``offset`` = the shift with the smallest mean distance, reported as frames by which the motion
  lags the audio (positive: the mouth moves late);
* ``distance`` = that smallest mean distance (like LSE-D, lower is better);
* ``confidence`` = median over shifts minus the minimum (like LSE-C, higher is better).

Training (:func:`train_sync_scorer`): for a random motion window, the 31 audio windows at shifts
−15..15 are candidates; the loss is the cross-entropy of the scaled cosine similarities with the
in-sync window as the answer (in-sync positive, time-shifted negatives — the multi-way form of
SyncNet's contrastive pairs, as in AVAlignNet's shifted-negative training). The held-out accuracy
is binary: in-sync pairs against pairs shifted by 5–15 frames, classified by a distance threshold
chosen on training pairs.

Differences from SyncNet: the visual stream is blendshape curves (no images), windows are defined
in seconds at the model's frame rate, and the network is small and trained by motiongen on its
own cache, so its numbers are comparable only between runs scored by the same scorer file (hash).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from motiongen.formats.audio import resample

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
N_FFT = 800
HOP = 200
N_MELS = 80
MEL_FPS = SAMPLE_RATE / HOP  # 80 mel frames per second
WINDOW_S = 0.2
MAX_SHIFT = 15  # frames, both directions
NEGATIVE_MIN_SHIFT = 5  # frames: shifts used as negatives in the held-out accuracy


def log_mel(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """``(M, 80)`` float32 natural-log mel energies of mono ``wave`` (resampled to 16 kHz), 80 frames/s."""
    import librosa

    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise ValueError(f"wave must be mono (S,), got shape {wave.shape}")
    wave = resample(wave, sample_rate, SAMPLE_RATE, librosa_length=True)
    mel = librosa.feature.melspectrogram(y=wave, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    return np.log(mel.T + 1e-6).astype(np.float32)


@dataclass(frozen=True)
class SyncConfig:
    """Shape of a :class:`SyncScorer`: mouth channels, fps of the motion, embedding size."""

    mouth_channels: int
    fps: float
    embed_dim: int = 64
    hidden: int = 128

    @property
    def motion_frames(self) -> int:
        """Motion frames per window (0.2 s at ``fps``, at least 3)."""
        return max(3, int(round(WINDOW_S * self.fps)))

    @property
    def mel_frames(self) -> int:
        """Mel frames spanning the same time as :attr:`motion_frames`."""
        return max(4, int(round(self.motion_frames / self.fps * MEL_FPS)))


class SyncScorer(nn.Module):
    """Audio encoder ``(B, Lm, 80) -> (B, E)`` and mouth encoder ``(B, W, Cm) -> (B, E)``, unit-norm.

    Both are small 1-D convolution stacks flattened into a linear layer (so where in the window
    something happens matters), on inputs standardised per band/channel with stored statistics.
    A learned temperature scales the cosine similarities in training.
    """

    def __init__(self, config: SyncConfig):
        super().__init__()
        self.config = config
        h, e = config.hidden, config.embed_dim
        self.audio = nn.Sequential(
            nn.Conv1d(N_MELS, h, 3, padding=1), nn.ReLU(),
            nn.Conv1d(h, h, 3, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(h * config.mel_frames, e),
        )
        self.mouth = nn.Sequential(
            nn.Conv1d(config.mouth_channels, h, 3, padding=1), nn.ReLU(),
            nn.Conv1d(h, h, 3, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(h * config.motion_frames, e),
        )
        self.log_scale = nn.Parameter(torch.tensor(np.log(10.0), dtype=torch.float32))
        self.register_buffer("mel_mean", torch.zeros(N_MELS))
        self.register_buffer("mel_std", torch.ones(N_MELS))
        self.register_buffer("mouth_mean", torch.zeros(config.mouth_channels))
        self.register_buffer("mouth_std", torch.ones(config.mouth_channels))

    def set_normalisation(self, mel: tuple[np.ndarray, np.ndarray], mouth: tuple[np.ndarray, np.ndarray]) -> None:
        for name, (mean, std) in (("mel", mel), ("mouth", mouth)):
            getattr(self, f"{name}_mean").copy_(torch.as_tensor(mean, dtype=torch.float32))
            getattr(self, f"{name}_std").copy_(torch.as_tensor(np.maximum(std, 1e-4), dtype=torch.float32))

    def embed_audio(self, windows: torch.Tensor) -> torch.Tensor:
        x = ((windows - self.mel_mean) / self.mel_std).transpose(1, 2)
        return F.normalize(self.audio(x), dim=-1)

    def embed_mouth(self, windows: torch.Tensor) -> torch.Tensor:
        x = ((windows - self.mouth_mean) / self.mouth_std).transpose(1, 2)
        return F.normalize(self.mouth(x), dim=-1)

    def describe(self) -> dict:
        return asdict(self.config)


def audio_window_index(num_windows: int, fps: float, config: SyncConfig, mel_count: int) -> np.ndarray:
    """``(num_windows, Lm)`` mel-frame indices of the audio window of motion window t = 0..num_windows-1
    (starting at time t / fps), clipped to the available ``mel_count`` frames."""
    starts = np.round(np.arange(num_windows) * (MEL_FPS / fps)).astype(np.int64)
    return np.clip(starts[:, None] + np.arange(config.mel_frames)[None, :], 0, mel_count - 1)


def _mouth_windows(mouth: np.ndarray, frames: int) -> np.ndarray:
    from motiongen.evaluation.windows import sliding_windows

    return np.ascontiguousarray(sliding_windows(np.asarray(mouth, dtype=np.float32), frames, 1))


@torch.no_grad()
def embed_take(scorer: SyncScorer, mel: np.ndarray, mouth: np.ndarray, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings ``(N, E)`` of every motion window and of its audio window (N = T − W + 1)."""
    config = scorer.config
    motion = _mouth_windows(mouth, config.motion_frames)
    index = audio_window_index(len(motion), config.fps, config, len(mel))
    scorer.eval()
    audio_out, mouth_out = [], []
    for start in range(0, len(motion), batch_size):
        stop = start + batch_size
        mouth_out.append(scorer.embed_mouth(torch.from_numpy(motion[start:stop])))
        audio_out.append(scorer.embed_audio(torch.from_numpy(mel[index[start:stop]])))
    if not mouth_out:
        raise ValueError(f"take of {len(mouth)} frames is shorter than one sync window ({config.motion_frames})")
    return torch.cat(audio_out).numpy(), torch.cat(mouth_out).numpy()


@dataclass
class SyncResult:
    """Scores of one take: ``offset`` (frames the motion lags the audio), ``distance`` (LSE-D-like),
    ``confidence`` (LSE-C-like), ``distances`` ``(2·15+1,)`` mean distance per shift −15..15."""

    offset: int
    distance: float
    confidence: float
    distances: np.ndarray


def shift_distances(audio: np.ndarray, mouth: np.ndarray, max_shift: int = MAX_SHIFT) -> np.ndarray:
    """Mean ``‖mouth_t − audio_{t+s}‖`` for s = −max_shift..max_shift over the valid t ``(2S+1,)``."""
    n = len(mouth)
    if n <= 2 * max_shift:
        raise ValueError(f"{n} windows are too few to compare shifts of ±{max_shift} frames")
    out = np.empty(2 * max_shift + 1)
    for k, shift in enumerate(range(-max_shift, max_shift + 1)):
        lo, hi = max(0, -shift), min(n, n - shift)
        out[k] = np.linalg.norm(mouth[lo:hi] - audio[lo + shift:hi + shift], axis=1).mean()
    return out


def sync_scores(scorer: SyncScorer, mel: np.ndarray, mouth: np.ndarray, max_shift: int = MAX_SHIFT) -> SyncResult:
    """Offset, distance and confidence of mouth curves ``(T, Cm)`` against the take's log-mel ``(M, 80)``."""
    audio, motion = embed_take(scorer, mel, mouth)
    distances = shift_distances(audio, motion, max_shift)
    best = int(np.argmin(distances))
    return SyncResult(offset=max_shift - best, distance=float(distances[best]),
                      confidence=float(np.median(distances) - distances[best]), distances=distances)


class SyncPairs:
    """Random training items from takes ``[(mel (M, 80), mouth (T, Cm))]``: a mouth window and the
    audio windows at every shift −S..S (the in-sync one at position S)."""

    def __init__(self, takes: Sequence[tuple[np.ndarray, np.ndarray]], config: SyncConfig, seed: int,
                 max_shift: int = MAX_SHIFT):
        self.config, self.max_shift = config, max_shift
        self.takes = [(np.asarray(mel, np.float32), np.asarray(mouth, np.float32)) for mel, mouth in takes
                      if len(mouth) >= config.motion_frames + 2 * max_shift + 1]
        if not self.takes:
            raise ValueError(f"no take is long enough to train the sync scorer "
                             f"({config.motion_frames + 2 * max_shift + 1} frames at least)")
        self.rng = np.random.default_rng(seed)
        self.weights = np.array([len(m) for _, m in self.takes], dtype=np.float64)
        self.weights /= self.weights.sum()
        self.shifts = np.arange(-max_shift, max_shift + 1)

    def sample(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``mouth (B, W, Cm)`` and ``audio (B, 2S+1, Lm, 80)`` float32."""
        config, s = self.config, self.max_shift
        rows = self.rng.choice(len(self.takes), size=batch_size, p=self.weights)
        mouths, audios = [], []
        for row in rows:
            mel, mouth = self.takes[row]
            t = int(self.rng.integers(s, len(mouth) - config.motion_frames - s + 1))
            mouths.append(mouth[t:t + config.motion_frames])
            index = audio_window_index(t + s + 1, config.fps, config, len(mel))[t + self.shifts]
            audios.append(mel[index])
        return torch.from_numpy(np.stack(mouths)), torch.from_numpy(np.stack(audios))


def _statistics(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    from motiongen.evaluation.extractor_training import channel_statistics

    return channel_statistics(arrays)


def _similarities(scorer: SyncScorer, mouth: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
    b, k = audio.shape[:2]
    m = scorer.embed_mouth(mouth)
    a = scorer.embed_audio(audio.reshape(b * k, *audio.shape[2:])).reshape(b, k, -1)
    return torch.einsum("be,bke->bk", m, a)


def train_sync_scorer(takes: Sequence[tuple[np.ndarray, np.ndarray]], fps: float, steps: int,
                      held_out: Sequence[tuple[np.ndarray, np.ndarray]] = (), batch_size: int = 32,
                      lr: float = 1e-3, seed: int = 0, progress: bool = True) -> tuple[SyncScorer, dict]:
    """Train a :class:`SyncScorer` on ``takes [(log-mel (M, 80), mouth curves (T, Cm))]`` at ``fps``.

    Returns the scorer (eval mode) and facts: steps, final loss, the distance threshold, and the
    held-out binary sync accuracy (on ``held_out`` takes, or on the training takes when none are
    given — then labelled as such).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    torch.manual_seed(seed)
    config = SyncConfig(mouth_channels=int(takes[0][1].shape[1]), fps=float(fps))
    pairs = SyncPairs(takes, config, seed)
    scorer = SyncScorer(config)
    scorer.set_normalisation(_statistics([m for m, _ in pairs.takes]), _statistics([c for _, c in pairs.takes]))
    optimiser = torch.optim.AdamW(scorer.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps, eta_min=lr * 0.05)
    target = torch.full((batch_size,), MAX_SHIFT, dtype=torch.long)
    tail = []
    scorer.train()
    bar = tqdm(range(steps), desc="sync scorer", disable=not progress, leave=False)
    for step in bar:
        mouth, audio = pairs.sample(batch_size)
        logits = _similarities(scorer, mouth, audio) * scorer.log_scale.exp()
        loss = F.cross_entropy(logits, target)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        value = loss.item()
        if step >= steps - max(1, steps // 10):
            tail.append(value)
        bar.set_postfix(loss=f"{value:.3f}")
    scorer.eval()
    threshold = _threshold(scorer, pairs)
    evaluation = SyncPairs(held_out, config, seed + 1) if held_out else pairs
    info = {"steps": steps, "batch_size": batch_size, "final_loss": float(np.mean(tail)), "seed": seed,
            "distance_threshold": threshold,
            "sync_accuracy": _accuracy(scorer, evaluation, threshold),
            "sync_accuracy_on": "held-out takes" if held_out else "training takes (no held-out takes given)",
            "window_motion_frames": config.motion_frames, "window_mel_frames": config.mel_frames}
    log.info("sync scorer: loss %.3f, sync accuracy %.3f (%s)", info["final_loss"], info["sync_accuracy"],
             info["sync_accuracy_on"])
    return scorer, info


@torch.no_grad()
def _pair_distances(scorer: SyncScorer, pairs: SyncPairs, count: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Distances of ``count`` in-sync pairs and of ``count`` pairs shifted by 5–15 frames."""
    mouth, audio = pairs.sample(count)
    similarity = _similarities(scorer, mouth, audio).numpy()
    distance = np.sqrt(np.maximum(2.0 - 2.0 * similarity, 0.0))  # unit vectors: ‖a − b‖² = 2 − 2 cos
    far = np.flatnonzero(np.abs(pairs.shifts) >= NEGATIVE_MIN_SHIFT)
    choice = far[pairs.rng.integers(0, len(far), size=count)]
    return distance[:, MAX_SHIFT], distance[np.arange(count), choice]


def _threshold(scorer: SyncScorer, pairs: SyncPairs) -> float:
    positive, negative = _pair_distances(scorer, pairs)
    candidates = np.sort(np.concatenate([positive, negative]))
    correct = [(positive <= c).sum() + (negative > c).sum() for c in candidates]
    return float(candidates[int(np.argmax(correct))])


def _accuracy(scorer: SyncScorer, pairs: SyncPairs, threshold: float) -> float:
    positive, negative = _pair_distances(scorer, pairs)
    return float(((positive <= threshold).sum() + (negative > threshold).sum()) / (len(positive) + len(negative)))

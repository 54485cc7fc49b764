"""Speech → holistic motion with a trained denoiser: conditioning, windowed sampling, denormalising.

The pieces a trained model brings are gathered in :class:`GenerationAssets` (see
:mod:`motiongen.generation.checkpoint` for loading them from a Lightning checkpoint). Given a
:class:`SpeechInput`, :func:`build_condition` computes the per-frame audio and word features with
the same code the cache used (:mod:`motiongen.features.pipeline`), :func:`stream_motion` samples
the windows lazily and :func:`generate_motion` returns the whole take.

Frames are at the model's rate (``assets.fps``, 30 for BEAT); motion arrays are ``(K, F, ...)`` for
``K`` samples of the same input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from motiongen.diffusion.samplers import SamplerSettings, sample
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.errors import ConfigError
from motiongen.export.bvh_export import SkeletonTemplate
from motiongen.features.pipeline import extract_audio_features, extract_word_features
from motiongen.features.recipe import AudioRecipe
from motiongen.features.words import WordVectors
from motiongen.formats.textgrid import Interval
from motiongen.generation.windows import MotionChunk, WindowPlan, stream_windows

log = logging.getLogger(__name__)


class Normaliser(Protocol):
    """Per-block feature normalisation (what :class:`motiongen.cache.CacheInfo` provides)."""

    def normalise(self, block: str, array: np.ndarray) -> np.ndarray: ...

    def denormalise(self, block: str, array: np.ndarray) -> np.ndarray: ...


@dataclass
class GenerationAssets:
    """Everything generation needs from a trained model and its data cache.

    Attributes:
        model: denoiser ``model(x_t (B,N,D), t (B,), cond, uncond) -> x0_hat (B,N,D)``.
        schedule: the diffusion schedule it was trained with.
        window_frames / seed_frames: training clip length ``N`` and seed length ``S`` (frames).
        fps: model frame rate.
        gesture_dim / expression_dim: ``Dg`` and ``De``; x = [gesture ‖ expression].
        normaliser: block normalisation of the training cache (blocks ``gesture``,
            ``expression`` and, when the cache normalised them, ``audio`` and ``word``).
        normalised_blocks: blocks the normaliser knows.
        joint_names: the ``Dg / 3`` generated joints (axis-angle, joint-major).
        blendshape_names: the ``De`` expression channels (ARKit names).
        speakers: dataset speaker ids; model speaker index = position in this list.
        num_emotions: emotion classes of the model (0 = no emotion condition).
        audio_recipe: the audio feature recipe of the cache.
        word_vectors: word vectors of the cache (fastText model or the cache's word table).
        template: skeleton and rest pose for BVH export.
        config: the resolved training configuration (plain dict).
        source: where the assets came from (checkpoint path and SHA-256).
        dtype: the dtype the model's weights are in (see :func:`set_precision`); the sampler's
            arithmetic stays float32 whatever it is.
        warnings: problems recorded when the assets were made (passed on to every result).
    """

    model: torch.nn.Module
    schedule: NoiseSchedule
    window_frames: int
    seed_frames: int
    fps: float
    gesture_dim: int
    expression_dim: int
    normaliser: Normaliser
    normalised_blocks: tuple[str, ...]
    joint_names: list[str]
    blendshape_names: list[str]
    speakers: list[int]
    num_emotions: int
    audio_recipe: AudioRecipe
    word_vectors: WordVectors
    template: SkeletonTemplate
    config: dict[str, Any] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    dtype: torch.dtype = torch.float32
    warnings: list[str] = field(default_factory=list)

    @property
    def motion_dim(self) -> int:
        return self.gesture_dim + self.expression_dim


@dataclass
class SpeechInput:
    """One utterance to animate.

    Attributes:
        wave: ``(S,)`` float32 mono samples.
        sample_rate: Hz.
        words: transcript word intervals (seconds; empty label = silence), or None when there is
            no transcript — then the word features are the silence/unknown vector.
        description: where it came from, for the metadata (paths, text, voice).
        warnings: problems found in the inputs (passed on to the generated motion's warnings).
    """

    wave: np.ndarray
    sample_rate: int
    words: list[Interval] | None = None
    description: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return len(self.wave) / self.sample_rate


@dataclass
class Condition:
    """Per-frame conditioning for the padded timeline.

    Attributes:
        audio: ``(P, Da)`` float32, P = the plan's padded frame count.
        word: ``(P, Dw)`` float32.
        transcript_used: False when the word features are the silence/unknown vector.
    """

    audio: np.ndarray
    word: np.ndarray
    transcript_used: bool


@dataclass
class GeneratedMotion:
    """Generated holistic motion.

    Attributes:
        gesture: ``(K, F, 3J)`` float32 axis-angle radians of ``joint_names`` (joint-major).
        expression: ``(K, F, E)`` float32 ARKit weights in [0, 1] of ``blendshape_names``.
        fps: frames per second.
        joint_names / blendshape_names: channel names.
        metadata: how it was made (sampler, seed, speaker, emotion, transcript use, timing).
        warnings: non-fatal problems.
    """

    gesture: np.ndarray
    expression: np.ndarray
    fps: float
    joint_names: list[str]
    blendshape_names: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(self.gesture.shape[1])


PRECISIONS = ("auto", "float32", "bfloat16")


def fast_bfloat16() -> bool:
    """True when oneDNN runs bfloat16 matrix products natively on this CPU (AVX512-BF16 / AMX).

    Uses ``torch.ops.mkldnn._is_mkldnn_bf16_supported`` (PyTorch's own check, private API);
    any failure of that check counts as "no".
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def set_precision(assets: GenerationAssets, precision: str) -> torch.dtype:
    """Cast the model's weights for inference: ``float32``, ``bfloat16`` or ``auto`` (bfloat16 when
    :func:`fast_bfloat16`, else float32). Returns the chosen dtype (also stored in ``assets.dtype``).

    Measured with ``tools/bench_generate.py``: bfloat16 on an AMX CPU runs the paper-size denoiser
    about 2-3x faster than float32, with ~1 % relative deviation of x̂0.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    use_bf16 = precision == "bfloat16" or (precision == "auto" and fast_bfloat16())
    assets.dtype = torch.bfloat16 if use_bf16 else torch.float32
    assets.model.to(assets.dtype)
    return assets.dtype


def inference_threads(setting: int | str | None) -> int:
    """CPU threads for the network: an explicit count, or ``"auto"``/None = the cores idle right now,
    ``cpu_count - ceil(1-minute load average)``, at least 1.

    Measured with ``tools/bench_generate.py`` on a 2-core machine shared with other jobs (load 5-7):
    2 threads ran the paper-size denoiser 2-8x *slower* than 1 thread (oversubscription), while
    on idle cores a second thread helps; so the count follows the current load.
    """
    import math
    import os

    cores = os.cpu_count() or 1
    if setting is None or setting == "auto":
        return max(1, cores - math.ceil(os.getloadavg()[0]))
    if int(setting) < 1:
        raise ConfigError(f"threads must be >= 1 or 'auto', got {setting}")
    return int(setting)


def frames_for(duration_s: float, fps: float) -> int:
    """Output frames for ``duration_s`` seconds of speech: ``round(duration · fps)``."""
    return int(round(duration_s * fps))


def build_condition(assets: GenerationAssets, speech: SpeechInput, plan: WindowPlan) -> Condition:
    """Audio and word features for the padded timeline (frames past the speech see silence)."""
    frames = plan.padded_frames
    audio = extract_audio_features(speech.wave, speech.sample_rate, frames, assets.audio_recipe)
    transcript_used = speech.words is not None
    word = extract_word_features(speech.words or [], frames, assets.fps, assets.word_vectors)
    if "audio" in assets.normalised_blocks:
        audio = assets.normaliser.normalise("audio", audio)
    if "word" in assets.normalised_blocks:
        word = assets.normaliser.normalise("word", word)
    return Condition(np.asarray(audio, dtype=np.float32), np.asarray(word, dtype=np.float32), transcript_used)


def speaker_index(assets: GenerationAssets, speaker_id: int | None) -> int:
    """Model index of dataset speaker ``speaker_id`` (None: the first training speaker)."""
    if speaker_id is None:
        return 0
    if speaker_id not in assets.speakers:
        raise ConfigError(f"speaker {speaker_id} was not in the training data; known speakers: {assets.speakers}")
    return assets.speakers.index(speaker_id)


def initial_seed(assets: GenerationAssets, gesture_axis_angle: np.ndarray | None = None) -> np.ndarray:
    """Normalised seed ``(S, D)`` for the first window.

    Args:
        gesture_axis_angle: optional ``(F0, 3J)`` radians of the generated joints (e.g. read from a
            user's BVH at the model fps); its last ``S`` frames (the first frame repeated in front
            when shorter) become the gesture seed. None: the dataset mean pose (zeros after
            normalisation). The expression seed is always the dataset mean.
    """
    seed = np.zeros((assets.seed_frames, assets.motion_dim), dtype=np.float32)
    if gesture_axis_angle is not None:
        gesture = np.asarray(gesture_axis_angle, dtype=np.float32)
        if gesture.ndim != 2 or gesture.shape[1] != assets.gesture_dim or len(gesture) == 0:
            raise ConfigError(f"initial gesture must be (frames, {assets.gesture_dim}), got {gesture.shape}")
        tail = gesture[-assets.seed_frames :]
        tail = np.concatenate([np.repeat(tail[:1], assets.seed_frames - len(tail), axis=0), tail])
        seed[:, : assets.gesture_dim] = assets.normaliser.normalise("gesture", tail)
    return seed


class WindowSampler:
    """``sampler(index, seed (K,S,D)) -> (K,N,D)``: one diffusion run per window.

    The condition of each window is built once (and tiled once for classifier-free guidance),
    not per denoising step. All noise comes from one ``torch.Generator`` seeded with ``seed``.
    """

    def __init__(self, assets: GenerationAssets, condition: Condition, plan: WindowPlan, settings: SamplerSettings,
                 speaker: int, emotion: int, num_samples: int, seed: int):
        self.assets, self.plan, self.settings = assets, plan, settings
        self.audio = torch.from_numpy(condition.audio)
        self.word = torch.from_numpy(condition.word)
        self.num_samples = num_samples
        self.speaker = torch.full((num_samples,), speaker, dtype=torch.long)
        self.emotion = torch.full((num_samples,), emotion, dtype=torch.long)
        self.generator = torch.Generator().manual_seed(seed)

    def _cond(self, index: int, seed_motion: torch.Tensor) -> dict[str, torch.Tensor]:
        window = self.plan.window_slice(index)
        k = self.num_samples
        return {
            "audio": self.audio[window].unsqueeze(0).expand(k, -1, -1),
            "word": self.word[window].unsqueeze(0).expand(k, -1, -1),
            "speaker": self.speaker,
            "emotion": self.emotion,
            "seed": seed_motion,
        }

    def __call__(self, index: int, seed_motion: torch.Tensor) -> torch.Tensor:
        dtype = self.assets.dtype
        single = {name: value.to(dtype) if value.is_floating_point() else value
                  for name, value in self._cond(index, seed_motion).items()}
        doubled = {name: torch.cat([value, value]) for name, value in single.items()}
        model = self.assets.model
        reduced = dtype != torch.float32

        def denoise(x_t: torch.Tensor, t: torch.Tensor, uncond: torch.Tensor | None) -> torch.Tensor:
            cond = single if x_t.shape[0] == self.num_samples else doubled
            # autocast covers the float32 tensors the model makes itself (timestep embedding)
            with torch.autocast("cpu", dtype=dtype, enabled=reduced):
                return model(x_t.to(dtype), t, cond, uncond).float()

        span = self.plan.window_slice(index)
        shape = (self.num_samples, span.stop - span.start, self.assets.motion_dim)
        with torch.inference_mode():
            return sample(denoise, self.assets.schedule, shape, self.settings, self.generator)


def stream_motion(
    assets: GenerationAssets,
    speech: SpeechInput,
    settings: SamplerSettings,
    seed: int = 0,
    num_samples: int = 1,
    speaker_id: int | None = None,
    emotion: int = 0,
    init_gesture: np.ndarray | None = None,
    first_window_frames: int | None = None,
) -> Iterator[MotionChunk]:
    """Yield finished stretches of normalised motion ``(K, L, D)`` window by window.

    The first chunk is ready after one window's diffusion run; ``MotionChunk.seconds_since_start``
    records when each became available (the first one is the streaming start-up latency, not
    counting feature extraction, which happens before the first window). ``first_window_frames``
    (``2S <= N0 <= N``, default ``N``) shortens the first window so the stream starts sooner.
    """
    if num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {num_samples}")
    if assets.num_emotions == 0 and emotion != 0:
        raise ConfigError("this model has no emotion condition; leave the emotion unset")
    if assets.num_emotions and not 0 <= emotion < assets.num_emotions:
        raise ConfigError(f"emotion index {emotion} outside the model's {assets.num_emotions} classes")
    plan = WindowPlan(frames_for(speech.duration, assets.fps), assets.window_frames, assets.seed_frames,
                      first_window_frames)
    condition = build_condition(assets, speech, plan)
    sampler = WindowSampler(assets, condition, plan, settings, speaker_index(assets, speaker_id), emotion, num_samples, seed)
    first_seed = torch.from_numpy(initial_seed(assets, init_gesture)).unsqueeze(0).repeat(num_samples, 1, 1)
    assets.model.eval()
    yield from stream_windows(sampler, plan, first_seed)


def denormalise(assets: GenerationAssets, motion: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split normalised ``(K, L, D)`` motion into gesture ``(K,L,Dg)`` radians and expression ``(K,L,De)`` in [0, 1]."""
    motion = np.asarray(motion, dtype=np.float32)
    gesture = assets.normaliser.denormalise("gesture", motion[..., : assets.gesture_dim])
    expression = assets.normaliser.denormalise("expression", motion[..., assets.gesture_dim :])
    return np.asarray(gesture, dtype=np.float32), np.clip(np.asarray(expression, dtype=np.float32), 0.0, 1.0)


def generate_motion(
    assets: GenerationAssets,
    speech: SpeechInput,
    settings: SamplerSettings,
    seed: int = 0,
    num_samples: int = 1,
    speaker_id: int | None = None,
    emotion: int = 0,
    init_gesture: np.ndarray | None = None,
    on_chunk: Callable[[MotionChunk], None] | None = None,
    first_window_frames: int | None = None,
) -> GeneratedMotion:
    """Generate motion for the whole of ``speech`` (``F = round(duration · fps)`` frames).

    ``on_chunk`` is called with each :class:`MotionChunk` as soon as it is ready (streaming
    clients that also want the finished take); ``first_window_frames`` as in :func:`stream_motion`.
    """
    chunks = []
    for chunk in stream_motion(assets, speech, settings, seed, num_samples, speaker_id, emotion, init_gesture,
                               first_window_frames):
        chunks.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    motion = torch.cat([chunk.motion for chunk in chunks], dim=1)
    gesture, expression = denormalise(assets, motion)
    transcript_used = speech.words is not None
    warnings = list(assets.warnings) + list(speech.warnings)
    if not transcript_used:
        warnings.append("no transcript: word features are the silence/unknown vector for every frame")
        log.info(warnings[-1])
    metadata = {
        "frames": int(motion.shape[1]),
        "fps": assets.fps,
        "seconds": motion.shape[1] / assets.fps,
        "windows": len(chunks),
        "window_frames": assets.window_frames,
        "first_window_frames": first_window_frames or assets.window_frames,
        "seed_frames": assets.seed_frames,
        "sampler": {"kind": settings.kind, "steps": settings.steps, "eta": settings.eta, "guidance": settings.guidance},
        "seed": seed,
        "num_samples": num_samples,
        "speaker_id": assets.speakers[speaker_index(assets, speaker_id)],
        "emotion": emotion,
        "word_features": "transcript" if transcript_used else "silence/unknown vector (no transcript)",
        "word_vectors": str(getattr(assets.word_vectors, "path", None) or getattr(assets.word_vectors, "source", "")),
        "initial_pose": "user motion" if init_gesture is not None else "dataset mean pose",
        "precision": str(assets.dtype).replace("torch.", ""),
        "first_window_seconds": chunks[0].seconds_since_start,
        "sampling_seconds": chunks[-1].seconds_since_start,
        "input": speech.description,
    }
    return GeneratedMotion(gesture, expression, assets.fps, list(assets.joint_names), list(assets.blendshape_names),
                           metadata, warnings)

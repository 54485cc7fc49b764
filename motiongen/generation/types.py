"""What generation takes and gives: the trained model's assets, one request, the speech to animate,
and the generated motion.

:class:`GenerationAssets` gathers what a trained model brings (see
:mod:`motiongen.generation.checkpoint` for loading them from a checkpoint); a
:class:`GenerationRequest` (speech as a :class:`SpeechInput`, or a length; labels, seed, sampler
settings, initial motion) asks :func:`motiongen.generation.sampling.generate` for a
:class:`GeneratedMotion`. Frames are at the model's rate (``assets.fps``, 30 for BEAT); motion
arrays are ``(K, F, ...)`` for ``K`` samples of the same request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from motiongen.core.errors import ConfigError
from motiongen.core.motion_file import SampledBlocks
from motiongen.core.motion_format import ConditionKind, ConditionStream, MotionFormat
from motiongen.diffusion.samplers import SamplerSettings
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.features.recipe import AudioRecipe
from motiongen.features.words import WordVectors
from motiongen.generation.smoothing import SmoothingSettings
from motiongen.formats.textgrid import Interval


@dataclass
class GenerationAssets:
    """Everything generation needs from a trained model and its data.

    Attributes:
        model: denoiser ``model(x_t (B,N,D), t (B,), cond, uncond) -> x0_hat (B,N,D)`` with
            ``model.cfg.frame_conditions`` / ``category_conditions`` naming the streams it reads.
        schedule: the diffusion schedule it was trained with.
        motion_format: the data's declared format, reduced to the blocks the model predicts (in
            its order), with statistics, condition streams and skeleton template.
        window_frames / seed_frames: training clip length ``N`` and seed length ``S`` (frames).
        audio_recipe: the audio feature recipe of the cache (None: the model reads no audio).
        word_vectors: word vectors of the cache (None: the model reads no words).
        config: the resolved training configuration (plain dict).
        source: where the assets came from (checkpoint path and SHA-256).
        dtype: the dtype the model's weights are in (see :func:`set_precision`); the sampler's
            arithmetic stays float32 whatever it is.
        warnings: problems recorded when the assets were made or a request was chosen (e.g. a sign
            longer than the window), passed on to every result.
        label_frames: ``{text-label stream: {label: frames}}``, the median length of each label's
            training takes (models trained on whole takes; not capped at the window), the default
            length of a generated sign (at most ``window_frames``).
        extras: the checkpoint's corpus extras, ``{extra name: {array name: array}}`` (opaque here;
            their corpus interprets them, e.g. a model an exporter needs), empty when it has none.
        distilled: a consistency-distilled student's ``distill`` settings (``grid_steps``,
            ``timestep_scaling``; see ``motiongen distill``), None for a diffusion model.
    """

    model: torch.nn.Module
    schedule: NoiseSchedule
    motion_format: MotionFormat
    window_frames: int
    seed_frames: int
    audio_recipe: AudioRecipe | None = None
    word_vectors: WordVectors | None = None
    config: dict[str, Any] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    dtype: torch.dtype = torch.float32
    warnings: list[str] = field(default_factory=list)
    label_frames: dict[str, dict[str, int]] = field(default_factory=dict)
    extras: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    distilled: dict[str, Any] | None = None

    @property
    def fps(self) -> float:
        return self.motion_format.fps

    @property
    def motion_dim(self) -> int:
        return self.motion_format.width

    def frame_streams(self) -> list[ConditionStream]:
        """The per-frame condition streams the model reads, in its order."""
        return [self.motion_format.condition(name) for name in self.model.cfg.frame_conditions]

    def category_streams(self) -> list[ConditionStream]:
        """The category condition streams the model reads (speaker, emotion, text label), in its order."""
        return [self.motion_format.condition(name) for name in self.model.cfg.category_conditions]

    def category_stream(self, kind: ConditionKind) -> ConditionStream | None:
        """The model's category stream of ``kind``, or None when it reads none."""
        return next((s for s in self.category_streams() if s.kind == kind), None)


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
        word_source: where ``words`` came from (recorded in the metadata), e.g. ``transcript``.
        audio_features: raw audio features already computed from ``wave``, by ``(frames, recipe)``
            (filled by :func:`build_condition`): several models animating this same utterance with
            one recipe, as an evaluation of several checkpoints does, compute them once. Treat
            ``wave`` as read-only; :func:`dataclasses.replace` starts an empty table.
    """

    wave: np.ndarray
    sample_rate: int
    words: list[Interval] | None = None
    description: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    word_source: str = "transcript"
    audio_features: dict[tuple[int, AudioRecipe], np.ndarray] = field(default_factory=dict, init=False, repr=False,
                                                                       compare=False)

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return len(self.wave) / self.sample_rate


#: How consecutive generation windows are joined (see :class:`GenerationRequest`).
WINDOW_JOINS = ("inertialize", "crossfade")


@dataclass
class GenerationRequest:
    """What to generate.

    Attributes:
        speech: the utterance to animate (its length sets the motion's); None for models without
            speech conditions, which then need ``seconds``.
        seconds: length of the motion when there is no speech.
        speaker: dataset speaker label (e.g. BEAT id ``2``); None = the first training speaker.
        emotion: emotion class name or index; None = the first class (BEAT: neutral). Only for
            models with an emotion condition.
        text_label: the label of a model with a text-label condition (e.g. a sign's gloss).
        seed: seed of every random draw; the same request and checkpoint give the same motion.
        num_samples: ``K`` diverse samples, sampled as one batch.
        sampler: reverse-process settings (DDIM/DDPM, steps, eta, guidance).
        initial_motion: ``{block: (F0, width)}`` in the block's units; its last ``S`` frames seed
            the first window (blocks not given start from the dataset mean).
        first_window_frames: ``N0`` of the first window (``2S <= N0 <= N``, default ``N``); shorter
            starts a stream sooner.
        window_join: how a window joins the frames already made (:data:`WINDOW_JOINS`):
            ``inertialize`` (ours: the skeletal channels keep the finished frames and the new window
            is offset to match their position and velocity, the offset fading out; the face is
            crossfaded) or ``crossfade`` (every channel crossfaded over the overlap).
        smoothing: the low-pass prior on the body channels (ours; :mod:`motiongen.generation.smoothing`);
            None = the checkpoint's (its training experiment's choice; ``none`` for older checkpoints).
    """

    speech: SpeechInput | None = None
    seconds: float | None = None
    speaker: str | int | None = None
    emotion: str | int | None = None
    text_label: str | None = None
    seed: int = 0
    num_samples: int = 1
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    initial_motion: dict[str, np.ndarray] | None = None
    first_window_frames: int | None = None
    window_join: str = "inertialize"
    smoothing: SmoothingSettings | None = None

    def __post_init__(self) -> None:
        if self.window_join not in WINDOW_JOINS:
            raise ConfigError(f"window_join must be one of {', '.join(WINDOW_JOINS)}, got {self.window_join!r}")
        if self.num_samples < 1:
            raise ConfigError(f"num_samples must be >= 1, got {self.num_samples}")
        if self.speech is None and (self.seconds is None or self.seconds <= 0):
            raise ConfigError("a generation request needs speech or a positive length in seconds")


@dataclass
class GeneratedMotion(SampledBlocks):
    """Generated motion.

    Attributes:
        blocks: ``{block: (K, F, width)}`` float32 in the block's units (ARKit weights in [0, 1]).
        motion_format: the declared format of the blocks (names, statistics, skeleton).
        metadata: how it was made (sampler, seed, categories, transcript use, timing).
        warnings: non-fatal problems.
    """

    blocks: dict[str, np.ndarray]
    motion_format: MotionFormat
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.motion_format.fps

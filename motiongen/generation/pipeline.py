"""Speech (or a length and labels) → motion with a trained denoiser: one request, windowed sampling.

The pieces a trained model brings are gathered in :class:`GenerationAssets` (see
:mod:`motiongen.generation.checkpoint` for loading them from a checkpoint). One library call,
:func:`generate` (or :func:`stream_motion` for the windows as they finish), takes one
:class:`GenerationRequest` — speech with an optional transcript, or a length; speaker, emotion and
text label; seed, sampler settings, initial motion, first-window length — and is what the CLI,
the quickstart and the streaming mode use. Per-frame conditions are computed with the same code
the cache used (:mod:`motiongen.features.pipeline`); which ones, and which category streams, the
model reads is declared by its motion format.

Frames are at the model's rate (``assets.fps``, 30 for BEAT); motion arrays are ``(K, F, ...)`` for
``K`` samples of the same request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from motiongen.core.errors import ConfigError
from motiongen.core.motion_file import SampledBlocks
from motiongen.core.motion_format import ConditionKind, ConditionStream, MotionFormat, Representation
from motiongen.corpus.slovo_face_mesh import FaceMeshModel
from motiongen.diffusion.samplers import SamplerSettings, make_scheduler, sample_network
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.features.pipeline import extract_audio_features, extract_word_features
from motiongen.features.recipe import AudioRecipe
from motiongen.features.words import WordVectors
from motiongen.formats.textgrid import Interval
from motiongen.generation.windows import MotionChunk, WindowPlan, inertialized_channels, stream_windows

log = logging.getLogger(__name__)


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
        face_mesh: the training cache's face-mesh model (expression weights -> face mesh), None
            when the cache had none (landmark outputs then hold no face mesh).
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
    face_mesh: FaceMeshModel | None = None
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

    def __post_init__(self) -> None:
        if self.num_samples < 1:
            raise ConfigError(f"num_samples must be >= 1, got {self.num_samples}")
        if self.speech is None and (self.seconds is None or self.seconds <= 0):
            raise ConfigError("a generation request needs speech or a positive length in seconds")


@dataclass
class Condition:
    """Per-frame conditioning for the padded timeline.

    Attributes:
        frames: ``{stream: (P, C)}`` float32, P = the plan's padded frame count.
        transcript_used: False when the word features are the silence/unknown vector.
    """

    frames: dict[str, np.ndarray]
    transcript_used: bool


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
    """Output frames for ``duration_s`` seconds: ``round(duration · fps)``."""
    return int(round(duration_s * fps))


def build_condition(assets: GenerationAssets, speech: SpeechInput | None, plan: WindowPlan) -> Condition:
    """The model's per-frame streams for the padded timeline (frames past the speech see silence).

    Raises:
        ConfigError: the model reads speech features and no speech was given.
    """
    frames = plan.padded_frames
    arrays = {}
    for stream in assets.frame_streams():
        if speech is None:
            raise ConfigError(f"this model is conditioned on {stream.kind.value} ({stream.name}); give speech")
        if stream.kind == ConditionKind.AUDIO:
            key = (frames, assets.audio_recipe)
            if key not in speech.audio_features:
                speech.audio_features[key] = extract_audio_features(speech.wave, speech.sample_rate, frames,
                                                                    assets.audio_recipe)
            values = speech.audio_features[key]
        else:
            values = extract_word_features(speech.words or [], frames, assets.fps, assets.word_vectors)
        if stream.normalisation is not None:
            values = stream.normalisation.normalise(np.asarray(values, dtype=np.float32))
        arrays[stream.name] = np.asarray(values, dtype=np.float32)
    return Condition(arrays, speech is not None and speech.words is not None)


def _category_value(stream: ConditionStream, request: GenerationRequest):
    return {ConditionKind.SPEAKER: request.speaker, ConditionKind.EMOTION: request.emotion,
            ConditionKind.TEXT_LABEL: request.text_label}[stream.kind]


def category_indices(assets: GenerationAssets, request: GenerationRequest) -> dict[str, int]:
    """Class index of every category stream the model reads, from the request.

    Speakers and text labels are matched as labels; emotions as a name or an index. A missing
    speaker or emotion is the first class; a missing text label is an error.

    Raises:
        ConfigError: an unknown label (the known ones are listed), a label for a condition the
            model does not have, or a missing text label.
    """
    indices = {}
    for stream in assets.category_streams():
        value = _category_value(stream, request)
        if value is None:
            if stream.kind == ConditionKind.TEXT_LABEL:
                raise ConfigError(f"this model is conditioned on a text label ({stream.name}); give one of "
                                  f"{', '.join(stream.labels[:30])}")
            indices[stream.name] = 0
        elif stream.kind == ConditionKind.EMOTION and isinstance(value, (int, np.integer)):
            if not 0 <= value < stream.width:
                raise ConfigError(f"emotion index {value} outside the model's {stream.width} classes")
            indices[stream.name] = int(value)
        else:
            try:
                indices[stream.name] = stream.index_of(value)
            except KeyError as err:
                raise ConfigError(f"{err.args[0]} (it was not in the training data)") from None
    read = {s.kind for s in assets.category_streams()}
    for kind, value in ((ConditionKind.EMOTION, request.emotion), (ConditionKind.TEXT_LABEL, request.text_label)):
        if value is not None and kind not in read:
            raise ConfigError(f"this model has no {kind.value} condition; leave the {kind.value} unset")
    return indices


def initial_seed(assets: GenerationAssets, initial_motion: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Normalised seed ``(S, D)`` for the first window.

    Args:
        initial_motion: optional ``{block: (F0, width)}`` in units (e.g. joint rotations read from a
            user's BVH at the model fps); the last ``S`` frames of each (the first frame repeated
            in front when shorter) seed that block. Blocks not given: the dataset mean (zeros
            after normalisation).
    """
    fmt = assets.motion_format
    seed = np.zeros((assets.seed_frames, assets.motion_dim), dtype=np.float32)
    if initial_motion and not assets.seed_frames:
        raise ConfigError("this model was trained without seed frames; it cannot start from given motion")
    slices = fmt.slices()
    for name, values in (initial_motion or {}).items():
        if name not in slices:
            raise ConfigError(f"initial motion for {name!r}, which this model does not generate ({', '.join(slices)})")
        width = fmt.block(name).width
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 2 or values.shape[1] != width or len(values) == 0:
            raise ConfigError(f"initial {name} must be (frames, {width}), got {values.shape}")
        tail = values[-assets.seed_frames :]
        tail = np.concatenate([np.repeat(tail[:1], assets.seed_frames - len(tail), axis=0), tail])
        seed[:, slices[name]] = fmt.normalise(name, tail)
    return seed


class WindowSampler:
    """``sampler(index, seed (K,S,D)) -> (K,N,D)``: one diffusion run per window through
    :func:`~motiongen.diffusion.samplers.sample_network`. All noise comes from one
    ``torch.Generator`` seeded with ``seed``."""

    def __init__(self, assets: GenerationAssets, condition: Condition, plan: WindowPlan, settings: SamplerSettings,
                 categories: dict[str, int], num_samples: int, seed: int):
        self.assets, self.plan, self.settings = assets, plan, settings
        self.frames = {name: torch.from_numpy(values) for name, values in condition.frames.items()}
        self.num_samples = num_samples
        self.categories = {name: torch.full((num_samples,), index, dtype=torch.long) for name, index in categories.items()}
        self.generator = torch.Generator().manual_seed(seed)
        make_scheduler(settings, assets.schedule)  # settings checked, scheduler imported, before the first window's clock

    def __call__(self, index: int, seed_motion: torch.Tensor) -> torch.Tensor:
        window = self.plan.window_slice(index)
        k = self.num_samples
        cond = {name: values[window].unsqueeze(0).expand(k, -1, -1) for name, values in self.frames.items()}
        cond.update(self.categories)
        cond["seed"] = seed_motion
        shape = (k, window.stop - window.start, self.assets.motion_dim)
        with torch.inference_mode():
            return sample_network(self.assets.model, self.assets.schedule, cond, shape, self.settings, self.generator,
                                  dtype=self.assets.dtype)


def model_sampler(assets: GenerationAssets, settings: SamplerSettings, warn: bool = True) -> SamplerSettings:
    """``settings`` fitted to the model: LCM sampling of a distilled student uses the student's own
    timestep grid and boundary scaling (its ``distill`` settings win over ``conf/sampler/lcm.yaml``).
    A student sampled by a diffusion sampler, or LCM on a model that was not distilled, is logged."""
    from dataclasses import replace

    lcm = settings.scheduler == "LCMScheduler"
    if assets.distilled is not None and lcm:
        grid = {"original_inference_steps": int(assets.distilled["grid_steps"]),
                "timestep_scaling": float(assets.distilled["timestep_scaling"])}
        return replace(settings, options={**settings.options, **grid})
    if assets.distilled is not None and warn:
        log.warning("this checkpoint is a consistency-distilled student; sample it with sampler=lcm (got %s)", settings.kind)
    elif lcm and warn:
        log.warning("sampler=lcm on a checkpoint that was not distilled (`motiongen distill`): expect poor motion")
    return settings


def _plan(assets: GenerationAssets, request: GenerationRequest) -> WindowPlan:
    seconds = request.speech.duration if request.speech is not None else float(request.seconds)
    return WindowPlan(frames_for(seconds, assets.fps), assets.window_frames, assets.seed_frames,
                      request.first_window_frames)


def stream_motion(assets: GenerationAssets, request: GenerationRequest) -> Iterator[MotionChunk]:
    """Yield finished stretches of normalised motion ``(K, L, D)`` window by window.

    The first chunk is ready after one window's diffusion run; ``MotionChunk.seconds_since_start``
    records when each became available (the first one is the streaming start-up latency, not
    counting feature extraction, which happens before the first window).
    """
    categories = category_indices(assets, request)
    plan = _plan(assets, request)
    condition = build_condition(assets, request.speech, plan)
    sampler = WindowSampler(assets, condition, plan, model_sampler(assets, request.sampler), categories,
                            request.num_samples, request.seed)
    first_seed = torch.from_numpy(initial_seed(assets, request.initial_motion)).unsqueeze(0)
    assets.model.eval()
    yield from stream_windows(sampler, plan, first_seed.repeat(request.num_samples, 1, 1),
                              inertialized_channels(assets.motion_format))


def denormalise(assets: GenerationAssets, motion: torch.Tensor | np.ndarray) -> dict[str, np.ndarray]:
    """Normalised ``(K, L, D)`` motion → ``{block: (K, L, width)}`` in units (ARKit weights clipped to [0, 1])."""
    fmt = assets.motion_format
    motion = np.asarray(motion, dtype=np.float32)
    blocks = {}
    for block in fmt.blocks:
        values = np.asarray(fmt.denormalise(block.name, motion[..., fmt.slices()[block.name]]), dtype=np.float32)
        if block.representation == Representation.ARKIT_WEIGHTS:
            values = np.clip(values, 0.0, 1.0)
        blocks[block.name] = values
    return blocks


def _labels(assets: GenerationAssets, categories: dict[str, int]) -> dict[str, str]:
    return {name: assets.motion_format.condition(name).labels[index] for name, index in categories.items()}


def generate(assets: GenerationAssets, request: GenerationRequest,
             on_chunk: Callable[[MotionChunk], None] | None = None) -> GeneratedMotion:
    """Generate the motion ``request`` asks for (``F = round(seconds · fps)`` frames).

    ``on_chunk`` is called with each :class:`MotionChunk` as soon as it is ready (streaming
    clients that also want the finished take).
    """
    chunks = []
    for chunk in stream_motion(assets, request):
        chunks.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    motion = torch.cat([chunk.motion for chunk in chunks], dim=1)
    warnings = list(assets.warnings)
    speech = request.speech
    if speech is not None:
        warnings += list(speech.warnings)
    transcript_used = speech is not None and speech.words is not None
    reads_words = any(s.kind == ConditionKind.WORDS for s in assets.frame_streams())
    if reads_words and not transcript_used:
        warnings.append("no transcript: word features are the silence/unknown vector for every frame")
        log.info(warnings[-1])
    settings = model_sampler(assets, request.sampler, warn=False)
    metadata = {
        "frames": int(motion.shape[1]),
        "fps": assets.fps,
        "seconds": motion.shape[1] / assets.fps,
        "windows": len(chunks),
        "window_frames": assets.window_frames,
        "first_window_frames": request.first_window_frames or assets.window_frames,
        "seed_frames": assets.seed_frames,
        "sampler": settings.describe(),
        "seed": request.seed,
        "num_samples": request.num_samples,
        "categories": _labels(assets, category_indices(assets, request)),
        "word_features": (speech.word_source if transcript_used
                          else "silence/unknown vector (no transcript)")
        if reads_words else "none (the model reads no words)",
        "initial_motion": sorted(request.initial_motion) if request.initial_motion else "dataset mean",
        "precision": str(assets.dtype).replace("torch.", ""),
        "first_window_seconds": chunks[0].seconds_since_start,
        "sampling_seconds": chunks[-1].seconds_since_start,
        "input": speech.description if speech is not None else {"seconds": request.seconds},
    }
    return GeneratedMotion(denormalise(assets, motion), assets.motion_format, metadata, warnings)

"""Speech (or a length and labels) → motion with a trained denoiser: one request, windowed sampling.

One library call, :func:`generate` (or :func:`stream_motion` for the windows as they finish),
takes one :class:`~motiongen.generation.types.GenerationRequest` and is what the CLI, the
quickstart and the streaming mode use: it plans the windows, builds the conditions
(:mod:`motiongen.generation.conditioning`), runs one diffusion sampling per window
(:class:`WindowSampler`) and returns the motion in units (:func:`denormalise`).

Frames are at the model's rate (``assets.fps``, 30 for BEAT); motion arrays are ``(K, F, ...)`` for
``K`` samples of the same request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import torch

from motiongen.core.motion_format import ConditionKind, Representation
from motiongen.diffusion.samplers import SamplerSettings, make_scheduler, sample_network
from motiongen.generation.conditioning import Condition, build_condition, category_indices, initial_seed
from motiongen.generation.smoothing import CausalSmoother, SmoothingSettings, checkpoint_smoothing, smooth_take
from motiongen.generation.types import GeneratedMotion, GenerationAssets, GenerationRequest
from motiongen.generation.windows import MotionChunk, WindowPlan, inertialized_channels, stream_windows

log = logging.getLogger(__name__)


def frames_for(duration_s: float, fps: float) -> int:
    """Output frames for ``duration_s`` seconds: ``round(duration · fps)``."""
    return int(round(duration_s * fps))


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


def _window_chunks(assets: GenerationAssets, request: GenerationRequest) -> Iterator[MotionChunk]:
    """The joined windows' finished stretches of normalised motion ``(K, L, D)``, unsmoothed."""
    categories = category_indices(assets, request)
    plan = _plan(assets, request)
    condition = build_condition(assets, request.speech, plan)
    sampler = WindowSampler(assets, condition, plan, model_sampler(assets, request.sampler), categories,
                            request.num_samples, request.seed)
    first_seed = torch.from_numpy(initial_seed(assets, request.initial_motion)).unsqueeze(0)
    assets.model.eval()
    inertialized = (inertialized_channels(assets.motion_format) if request.window_join == "inertialize"
                    else torch.zeros(assets.motion_format.width, dtype=torch.bool))
    yield from stream_windows(sampler, plan, first_seed.repeat(request.num_samples, 1, 1), inertialized)


def request_smoothing(assets: GenerationAssets, request: GenerationRequest) -> SmoothingSettings:
    """The smoothing prior ``request`` generates with: its own, else the checkpoint's (checked
    against the model's frame rate here, before any sampling)."""
    settings = checkpoint_smoothing(assets.config, request.smoothing)
    if settings.enabled:
        settings.sos(assets.fps)
    return settings


def stream_motion(assets: GenerationAssets, request: GenerationRequest) -> Iterator[MotionChunk]:
    """Yield finished stretches of normalised motion ``(K, L, D)`` window by window.

    The first chunk is ready after one window's diffusion run; ``MotionChunk.seconds_since_start``
    records when each became available (the first one is the streaming start-up latency, not
    counting feature extraction, which happens before the first window). The smoothing prior
    (:func:`request_smoothing`) runs causally, its state carried from chunk to chunk
    (:class:`~motiongen.generation.smoothing.CausalSmoother`): a chunk is final when it is yielded.
    """
    smoother = CausalSmoother(request_smoothing(assets, request), assets.motion_format)
    for chunk in _window_chunks(assets, request):
        yield replace(chunk, motion=smoother(chunk.motion))


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
    clients that also want the finished take): the chunks are then smoothed causally
    (:func:`stream_motion`) and the take is the frames served. Without ``on_chunk`` the smoothing
    prior runs zero-phase over the finished take
    (:func:`~motiongen.generation.smoothing.smooth_take`).
    """
    smoothing = request_smoothing(assets, request)
    streamed = on_chunk is not None
    chunks = []
    for chunk in stream_motion(assets, request) if streamed else _window_chunks(assets, request):
        chunks.append(chunk)
        if streamed:
            on_chunk(chunk)
    motion = torch.cat([chunk.motion for chunk in chunks], dim=1)
    if not streamed:
        motion = smooth_take(motion, smoothing, assets.motion_format)
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
        "smoothing": {**smoothing.describe(), **({"filter": "causal" if streamed else "zero-phase"}
                                                 if smoothing.enabled else {}),
                      "source": "request" if request.smoothing is not None else "checkpoint"},
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

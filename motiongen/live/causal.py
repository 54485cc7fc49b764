"""Causal, short-chunk generation: each step samples at most ``C`` new frames ending at the newest audio.

Step ``n`` samples one window of ``S + L`` frames (``S`` = the model's seed length, ``L <= C`` new
frames) covering frames ``[t - S, t + L)`` where ``t`` is the first frame not yet generated: its
seed is the last ``S`` frames already produced (for the first step, the dataset mean pose), its
conditions are the audio feature rows of those frames (rows before frame 0 are the features of
silence), and only its last ``L`` frames are new. Nothing after frame ``t + L - 1`` is read, so the
audio lookahead is that of the feature rows (:mod:`motiongen.live.audio_features`, 65 ms for the
spectral recipe at 30 fps).

The body's chunks are blended without delay (``blend=True``, the default): offline, the seed span
of every window is sampled again and cross-faded with the previous window's frames; live those
frames were already sent, so instead the step between the last frame sent and the window's own
version of it is carried into the new frames and faded out over the chunk (raised-cosine, as the
offline cross-fade; animation engines call this inertialization). No frame waits for it. Only the
body's blocks (joint rotations, positions) are blended: the face's weights follow the speech, and
carrying the previous chunk's mouth into the next one lags the lips.

The smoothing prior (ours, ``smoothing``: the checkpoint's unless given;
:mod:`motiongen.generation.smoothing`) runs causally on the frames a step returns, its filter state
carried from step to step, so the frames equal one causal filter over the whole session whatever
the chunk size; the model's seeds stay its own unfiltered frames. It adds no wait, only the
filter's group delay to the body's motion (``docs/live.md``); the face is never filtered.

There is no transcript live. A model that reads words gets, per step, the words recognised and
settled so far (``words``, :class:`motiongen.text.asr.StreamingWords`; ``live.words=recognise``):
each frame of the window gets the vector of the settled word spoken at its time, as offline
generation builds it from a TextGrid (:func:`extract_word_features` on the same intervals), and a
frame whose word has not settled yet gets the silence vector, as a word-dropped frame in training.
Without recognition (``live.words=none``) every frame gets the silence vector, exactly what
``motiongen generate`` feeds for speech without a transcript.

The same code serves the live session (chunks as the audio arrives) and :func:`generate_causal`
(the whole recording at once, the offline reference of a live run); with the same feature rows,
chunk size and seed they give the same frames. The sampler is :func:`sample_network` with the
request's :class:`SamplerSettings` (``steps`` = its few-step setting) fitted to the checkpoint as
``generate`` fits them (:func:`model_sampler`: LCM on a ``motiongen distill`` student uses the
student's own timestep grid), so a distilled few-step checkpoint plugs in through the same settings.
"""

from __future__ import annotations

import numpy as np
import torch

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, Representation
from motiongen.diffusion.samplers import SamplerSettings, sample_network
from motiongen.features.pipeline import extract_audio_features, extract_word_features
from motiongen.formats.textgrid import Interval
from motiongen.generation.conditioning import category_indices, initial_seed
from motiongen.generation.sampling import model_sampler
from motiongen.generation.smoothing import CausalSmoother, SmoothingSettings, checkpoint_smoothing
from motiongen.generation.types import GenerationAssets, GenerationRequest
from motiongen.generation.windows import crossfade_weights

DEFAULT_CHUNK_FRAMES = 5
MAX_CHUNK_FRAMES = 10


BLENDED = (Representation.AXIS_ANGLE, Representation.ROT6D, Representation.POSITION_3D)  # the body's blocks


def chunk_fade(assets: GenerationAssets, chunk_frames: int) -> torch.Tensor:
    """``(C, D)`` weight of the step at a chunk's start on each of its frames and channels: one
    minus the offline cross-fade ramp on the body's channels (:data:`BLENDED`), 0 elsewhere."""
    fmt = assets.motion_format
    mask = torch.zeros(fmt.width)
    for block in fmt.blocks_of(*BLENDED):
        mask[fmt.slices()[block.name]] = 1.0
    return (1 - crossfade_weights(chunk_frames)).unsqueeze(1) * mask


class CausalGenerator:
    """Generates the frames of one session chunk by chunk.

    Args:
        assets: a loaded checkpoint (audio and optionally word conditions; seed frames > 0).
        settings: sampler settings (kind, steps, eta, guidance).
        chunk_frames: ``C``, at most this many new frames per step (1..10).
        seed: seed of the torch generator all noise comes from.
        speaker / emotion: category conditions as in :class:`GenerationRequest`.
        blend: carry the body's step at each chunk's start into the chunk and fade it out (module docstring).
        smoothing: the causal low-pass on the body's frames; None = the checkpoint's.

    Attributes:
        done: frames generated so far.
        used_words: the spoken word intervals (seconds) that gave a vector to at least one frame of
            a window, in the order first used.
    """

    def __init__(self, assets: GenerationAssets, settings: SamplerSettings, chunk_frames: int = DEFAULT_CHUNK_FRAMES,
                 seed: int = 0, speaker: str | int | None = None, emotion: str | int | None = None,
                 blend: bool = True, smoothing: SmoothingSettings | None = None):
        if not 1 <= chunk_frames <= MAX_CHUNK_FRAMES:
            raise ConfigError(f"chunk frames must be in 1..{MAX_CHUNK_FRAMES}, got {chunk_frames}")
        if assets.seed_frames < 1:
            raise ConfigError("live generation chains chunks by their seed frames; this checkpoint has none")
        kinds = {stream.kind for stream in assets.frame_streams()}
        if ConditionKind.AUDIO not in kinds or not kinds <= {ConditionKind.AUDIO, ConditionKind.WORDS}:
            raise ConfigError(f"live generation needs a speech model (audio, optionally words); this checkpoint "
                              f"reads {', '.join(sorted(k.value for k in kinds)) or 'no per-frame condition'}")
        self.assets, self.chunk_frames = assets, int(chunk_frames)
        self.settings = model_sampler(assets, settings)  # a distilled student's LCM grid comes from its checkpoint
        self.categories = {name: torch.tensor([index]) for name, index in
                           category_indices(assets, GenerationRequest(seconds=1.0, speaker=speaker,
                                                                      emotion=emotion)).items()}
        self.seed_motion = torch.from_numpy(initial_seed(assets)).unsqueeze(0)
        self.generator = torch.Generator().manual_seed(seed)
        self.fade = chunk_fade(assets, self.chunk_frames) if blend else None
        self.smoothing = checkpoint_smoothing(assets.config, smoothing)
        self.smoother = CausalSmoother(self.smoothing, assets.motion_format)
        recipe = assets.audio_recipe
        self.silence = extract_audio_features(np.zeros(2 * recipe.frame_length, np.float32), recipe.sample_rate,
                                              1, recipe)[0]
        self.done = 0
        self.used_words: dict[tuple[str, float, float], Interval] = {}
        assets.model.eval()

    def word_rows(self, words: list[Interval], start: int, stop: int) -> np.ndarray:
        """``(stop - start, dim + 1)`` raw word features of frames ``[start, stop)`` (frames before 0
        are silence) from the settled ``words``: the rows offline generation gives those frames from
        the same intervals. Records the spoken words that reach a frame in :attr:`used_words`."""
        fps = self.assets.fps
        times = np.arange(start, stop) / fps
        near = [word for word in words if word.label and word.end > times[0] and word.start <= times[-1]]
        for word in near:  # the words outside the window give none of its rows
            if np.any((times >= word.start) & (times < word.end)):
                self.used_words.setdefault((word.label, word.start, word.end), word)
        return extract_word_features(near, stop - start, fps, self.assets.word_vectors, first_frame=start)

    def _condition(self, audio_rows: np.ndarray, start: int, stop: int,
                   words: list[Interval]) -> dict[str, torch.Tensor]:
        before = max(0, -start)
        rows = np.concatenate([np.repeat(self.silence[None], before, axis=0), audio_rows[max(0, start):stop]])
        cond = {}
        for stream in self.assets.frame_streams():
            if stream.kind == ConditionKind.AUDIO:
                values = rows
            else:
                values = self.word_rows(words, start, stop)
            if stream.normalisation is not None:
                values = stream.normalisation.normalise(np.asarray(values, dtype=np.float32))
            cond[stream.name] = torch.from_numpy(np.asarray(values, dtype=np.float32)).unsqueeze(0)
        return cond

    def step(self, audio_rows: np.ndarray, stop: int, words: list[Interval] = ()) -> torch.Tensor:
        """Frames ``[done, stop)`` (``stop - done <= C``), normalised ``(L, D)``, after the causal smoothing.

        Args:
            audio_rows: ``(R, Da)`` raw audio feature rows of frames ``0 .. R-1``, ``R >= stop``.
            words: the word intervals settled so far (seconds, time order); none: silence vectors.
        """
        length = stop - self.done
        if not 1 <= length <= self.chunk_frames or len(audio_rows) < stop:
            raise ValueError(f"step to frame {stop} from {self.done} with {len(audio_rows)} feature rows")
        seed_frames = self.assets.seed_frames
        cond = self._condition(audio_rows, self.done - seed_frames, stop, list(words))
        cond.update(self.categories)
        cond["seed"] = self.seed_motion
        with torch.inference_mode():
            window = sample_network(self.assets.model, self.assets.schedule, cond,
                                    (1, seed_frames + length, self.assets.motion_dim), self.settings, self.generator,
                                    dtype=self.assets.dtype)
        new = window[0, seed_frames:].float()
        if self.fade is not None:
            new = new + (self.seed_motion[0, -1] - window[0, seed_frames - 1].float()) * self.fade[:length]
        self.seed_motion = torch.cat([self.seed_motion[0], new])[-seed_frames:].unsqueeze(0)
        self.done = stop
        return self.smoother(new[None])[0]


def generate_causal(generator: CausalGenerator, audio_rows: np.ndarray) -> torch.Tensor:
    """All frames of ``audio_rows`` ``(F, Da)`` chunk by chunk: ``(F, D)`` normalised (the offline
    reference of a live session)."""
    chunks = []
    while generator.done < len(audio_rows):
        chunks.append(generator.step(audio_rows, min(len(audio_rows), generator.done + generator.chunk_frames)))
    return torch.cat(chunks)

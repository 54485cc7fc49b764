"""What the model is conditioned on for one request: the per-frame streams over the padded timeline
(:func:`build_condition`, computed with the same code the cache used,
:mod:`motiongen.features.pipeline`), the class index of every category stream
(:func:`category_indices`) and the normalised seed motion of the first window (:func:`initial_seed`).
Which streams the model reads is declared by its motion format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, ConditionStream
from motiongen.features.pipeline import extract_audio_features, extract_word_features
from motiongen.generation.types import GenerationAssets, GenerationRequest, SpeechInput
from motiongen.generation.windows import WindowPlan


@dataclass
class Condition:
    """Per-frame conditioning for the padded timeline.

    Attributes:
        frames: ``{stream: (P, C)}`` float32, P = the plan's padded frame count.
        transcript_used: False when the word features are the silence/unknown vector.
    """

    frames: dict[str, np.ndarray]
    transcript_used: bool


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

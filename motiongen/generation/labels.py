"""Requests by label: the model's label of a text-label stream for what a user typed, and the length
of a generation not timed by speech (the corpus's rule, :meth:`~motiongen.datasets.base.Corpus.generation_frames`)."""

from __future__ import annotations

import difflib

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind


def text_label(assets, wanted: str) -> str:
    """The model's label for ``wanted`` (exact match); an unknown label is an error naming the nearest known ones.

    Raises:
        ConfigError: the model has no text-label condition, or ``wanted`` is not one of its labels.
    """
    stream = assets.category_stream(ConditionKind.TEXT_LABEL)
    if stream is None:
        raise ConfigError(f"this checkpoint has no text-label condition (its corpus has no labelled clips); "
                          f"it cannot perform {wanted!r}")
    if wanted in stream.labels:
        return wanted
    nearest = difflib.get_close_matches(wanted.lower(), [label.lower() for label in stream.labels], n=5, cutoff=0.0)
    by_lower = {label.lower(): label for label in stream.labels}
    raise ConfigError(f"unknown label {wanted!r}; the nearest known labels are: "
                      f"{', '.join(by_lower[n] for n in nearest)} ({len(stream.labels)} labels in all)")


def label_frames(corpus, assets, categories: dict[str, str], requested: int | None) -> tuple[int, str | None]:
    """Frames to generate for a request by label, by the corpus's length rule, and its note.

    Args:
        corpus: the checkpoint's corpus (:func:`motiongen.datasets.recorded.recorded_corpus`).
        categories: ``{category stream: label}`` of the request.
        requested: frames asked for, or None for the corpus's default (else one training window).
    """
    frames, note = corpus.generation_frames(categories, requested, assets.label_frames, assets.window_frames,
                                            assets.seed_frames)
    if frames is None:
        frames = requested if requested is not None else assets.window_frames
    return int(frames), note

"""Emotion of a text over the 7 classes of the BiMoDiCA pipeline, from the NRC Emotion Lexicon.

The lexicon (Mohammad & Turney, "Crowdsourcing a Word-Emotion Association Lexicon",
Computational Intelligence 29(3), 2013) ships offline in the maintained ``NRCLex`` package; its
terms of use allow research and non-commercial use (commercial use needs a licence from NRC
Canada). ``NRCLex.load_token_list`` counts, over the tokens, how often each NRC affect occurs.

Scoring: the NRC emotions joy, surprise, anger, sadness, fear and disgust map onto happiness,
surprise, anger, sadness, fear and disgust; anticipation, trust and the positive/negative
sentiment flags have no class of their own and are not counted. ``neutral`` gets a constant
pseudo-count of :data:`NEUTRAL_PRIOR`, so a text without emotion words is neutral and a single
emotion word outweighs it. Scores are the counts normalised to sum to 1 (a probability vector like
BiMoDiCA's z_E). Words not in the lexicon are looked up by their Porter stem ("terrified" ->
"terrifi" -> "terrify"), so inflected forms count too. Negation is not modelled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from motiongen.core.errors import ConfigError

CLASSES: tuple[str, ...] = ("happiness", "surprise", "neutral", "anger", "sadness", "fear", "disgust")
NRC_TO_CLASS: dict[str, str] = {
    "joy": "happiness",
    "surprise": "surprise",
    "anger": "anger",
    "sadness": "sadness",
    "fear": "fear",
    "disgust": "disgust",
}
NEUTRAL_PRIOR = 0.5
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class TextEmotion:
    """The estimated emotion of one text.

    Attributes:
        label: the most likely of :data:`CLASSES` (ties go to the earlier class in CLASSES order,
            except that neutral only wins when no emotion scores as high).
        scores: {class: probability} over :data:`CLASSES`, summing to 1.
        evidence: {token: [NRC affects]} of the tokens that carried an emotion.
    """

    label: str
    scores: dict[str, float]
    evidence: dict[str, list[str]]


@lru_cache(maxsize=1)
def _lexicon_words() -> frozenset[str]:
    """Every entry of the NRC lexicon bundled with NRCLex."""
    with resources.files("nrclex.data").joinpath("nrc_en.json").open("r", encoding="utf-8") as handle:
        return frozenset(json.load(handle))


@lru_cache(maxsize=1)
def _stem_index() -> dict[str, str]:
    """{Porter stem: lexicon word} (the alphabetically first word of each stem)."""
    from nltk.stem.porter import PorterStemmer

    stemmer = PorterStemmer()
    index: dict[str, str] = {}
    for word in sorted(_lexicon_words()):
        index.setdefault(stemmer.stem(word), word)
    return index


@lru_cache(maxsize=1)
def _analyser():
    from nrclex import NRCLex

    return NRCLex()


def _lexicon_tokens(tokens: list[str]) -> list[str]:
    """Replace tokens missing from the lexicon by the lexicon word sharing their Porter stem."""
    from nltk.stem.porter import PorterStemmer

    lexicon_words = _lexicon_words()
    stemmer = PorterStemmer()
    index = _stem_index()
    return [token if token in lexicon_words else index.get(stemmer.stem(token), token) for token in tokens]


def estimate_emotion(text: str) -> TextEmotion:
    """Estimate the emotion of an English text.

    Args:
        text: any English text with at least one word.

    Returns:
        :class:`TextEmotion` with the label, the 7 class probabilities and the evidence words.

    Raises:
        ConfigError: the text has no words.
    """
    tokens = _TOKEN.findall(text.lower()) if isinstance(text, str) else []
    if not tokens:
        raise ConfigError(f"cannot estimate the emotion of a text without words: {text!r}")
    analyser = _analyser()
    analyser.load_token_list(_lexicon_tokens(tokens))
    counts = {name: 0.0 for name in CLASSES}
    counts["neutral"] = NEUTRAL_PRIOR
    for affect, count in analyser.raw_emotion_scores.items():
        if affect in NRC_TO_CLASS:
            counts[NRC_TO_CLASS[affect]] += count
    total = sum(counts.values())
    scores = {name: counts[name] / total for name in CLASSES}
    best = max(scores[name] for name in CLASSES if name != "neutral")
    label = "neutral" if best <= scores["neutral"] else next(
        name for name in CLASSES if name != "neutral" and scores[name] == best
    )
    evidence = {
        word: affects
        for word, affects in analyser.affect_dict.items()
        if any(affect in NRC_TO_CLASS for affect in affects)
    }
    return TextEmotion(label=label, scores=scores, evidence=evidence)


def model_emotion(label: str, labels) -> str | None:
    """The model's emotion class for a text label: the class of the same name in ``labels`` (the
    checkpoint's emotion stream), or None when the model has no such class.

    Raises:
        ConfigError: ``label`` is not one of :data:`CLASSES`.
    """
    if label not in CLASSES:
        raise ConfigError(f"unknown emotion {label!r}; allowed: {', '.join(CLASSES)}")
    return label if label in labels else None

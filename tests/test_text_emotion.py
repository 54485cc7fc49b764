"""Text emotion over the 7 BiMoDiCA classes from the NRC lexicon shipped by NRCLex."""

from __future__ import annotations

import math

import pytest

from motiongen.core.errors import ConfigError
from motiongen.text.emotion import CLASSES, estimate_emotion, model_emotion


@pytest.mark.parametrize(
    "text, label",
    [
        ("I am so happy and joyful today.", "happiness"),
        ("Wow, what a sudden surprise!", "surprise"),
        ("The meeting is at noon on Tuesday.", "neutral"),
        ("He was furious, full of rage and hatred.", "anger"),
        ("She cried all night after the funeral.", "sadness"),
        ("I am afraid of terror and horror.", "fear"),
        ("That rotting food was gross and nauseous.", "disgust"),
    ],
)
def test_clear_sentences_get_their_class(text, label):
    assert estimate_emotion(text).label == label


def test_scores_are_a_distribution_over_the_seven_classes():
    emotion = estimate_emotion("I really love this wonderful idea, but the delay makes me angry.")
    assert tuple(emotion.scores) == CLASSES
    assert math.isclose(sum(emotion.scores.values()), 1.0)
    assert all(0.0 <= v <= 1.0 for v in emotion.scores.values())
    assert emotion.scores[emotion.label] == max(emotion.scores.values())
    assert {"love", "wonderful", "angry"} <= set(emotion.evidence)


def test_inflected_forms_are_found_through_their_stem():
    assert "cry" in estimate_emotion("cried").evidence  # "cried" is not a lexicon entry, "cry" is


def test_text_without_words_is_rejected():
    with pytest.raises(ConfigError, match="without words"):
        estimate_emotion(" ?! ")


def test_text_labels_map_onto_the_model_classes_of_the_same_name():
    from motiongen.datasets.beat.emotions import EMOTIONS

    for label in CLASSES:  # every text class is one of BEAT's 8 (contempt is never predicted)
        assert model_emotion(label, EMOTIONS) == label
    assert "contempt" not in CLASSES and len(EMOTIONS) == 8
    assert model_emotion("happiness", ("calm", "neutral")) is None  # a model without that class
    with pytest.raises(ConfigError, match="happiness"):
        model_emotion("joy", EMOTIONS)

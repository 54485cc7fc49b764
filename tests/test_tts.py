"""eSpeak NG synthesis: real audio, word intervals from the library's word events."""

from __future__ import annotations

import re

import numpy as np
import pytest

from motiongen.core.errors import ConfigError
from motiongen.tts.espeak import VOICES, synthesize

TEXT = "Hello there, my friend. I am sure I really love this wonderful idea, don't you? It costs 42 dollars."


def _written_words(text: str) -> list[str]:
    return [token for token in text.split() if re.search(r"\w", token)]


@pytest.fixture(scope="module", params=VOICES)
def speech(request):
    return synthesize(TEXT, voice=request.param)


def test_audio_is_real_speech(speech):
    assert speech.wave.dtype == np.float32 and speech.wave.ndim == 1
    assert speech.sample_rate == 22050
    assert 3.0 < speech.duration < 12.0
    assert 0.1 < np.abs(speech.wave).max() <= 1.0
    assert not speech.warnings


def test_one_interval_per_written_word_in_order(speech):
    written = _written_words(TEXT)
    assert len(speech.words) == len(written)
    assert [w.label for w in speech.words] == [t.strip(".,?!") for t in written]


def test_word_intervals_are_monotonic_and_inside_the_audio(speech):
    starts = np.array([w.start for w in speech.words])
    ends = np.array([w.end for w in speech.words])
    assert np.all(ends > starts)
    assert np.all(starts[1:] >= ends[:-1] - 1e-9)
    assert starts[0] >= 0 and ends[-1] <= speech.duration + 1e-9


def test_words_cover_the_voiced_audio(speech):
    hop = speech.sample_rate // 100
    frames = speech.wave[: len(speech.wave) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    voiced_centres = (np.flatnonzero(rms > rms.max() * 10 ** (-20 / 20)) + 0.5) / 100
    covered = np.zeros(len(voiced_centres), dtype=bool)
    for word in speech.words:
        covered |= (voiced_centres >= word.start - 0.01) & (voiced_centres <= word.end + 0.01)
    assert covered.mean() > 0.98
    # sentence-final pauses are gaps between words, not inside them
    gaps = np.array([b.start - a.end for a, b in zip(speech.words, speech.words[1:])])
    assert gaps.max() > 0.15


def test_phones_are_back_to_back_and_cover_the_words(speech):
    phones = speech.phones
    assert all(b.start == pytest.approx(a.end) for a, b in zip(phones, phones[1:]))
    assert sum(p.label != "" for p in phones) > 2 * len(speech.words)


def test_voices_differ_in_pitch():
    import librosa

    pitches = {}
    for voice in VOICES:
        s = synthesize("The quick brown fox jumps over the lazy dog.", voice=voice)
        f0, _, _ = librosa.pyin(s.wave, fmin=60, fmax=400, sr=s.sample_rate)
        pitches[voice] = np.nanmedian(f0)
    assert pitches["female"] > 1.4 * pitches["male"]


def test_rate_changes_duration():
    slow = synthesize("This sentence is spoken at two different speeds.", rate=120)
    fast = synthesize("This sentence is spoken at two different speeds.", rate=300)
    assert fast.duration < 0.7 * slow.duration


@pytest.mark.parametrize("text", ["", "   ", "...!?"])
def test_text_without_words_is_rejected(text):
    with pytest.raises(ConfigError, match="no words"):
        synthesize(text)


def test_unknown_voice_lists_the_allowed_ones():
    with pytest.raises(ConfigError, match="female, male"):
        synthesize("Hello.", voice="robot")


def test_rate_out_of_range():
    with pytest.raises(ConfigError, match="rate"):
        synthesize("Hello.", rate=5)

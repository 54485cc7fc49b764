"""Word timings without a TextGrid (pocketsphinx): recognition, streaming, forced alignment of a plain
transcript, measured on the BEAT sample speech against its TextGrid."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.core.errors import ConfigError
from motiongen.formats.audio import load_audio
from motiongen.formats.textgrid import read_textgrid
from motiongen.text.asr import StreamingWords, align_transcript, recognise_words, word_error_rate
from test_generate_cli import tiny_checkpoint  # noqa: F401  (session fixture)


@pytest.fixture(scope="module")
def beat_speech(sample_file):
    wave, rate = load_audio(sample_file("beat/2_scott_0_3_3.wav"), target_sr=16000)
    words = [w for w in read_textgrid(sample_file("beat/2_scott_0_3_3.TextGrid"), required_tiers=("words",))["words"]
             if w.label]
    return wave, rate, words


def test_word_error_rate_counts_edits():
    assert word_error_rate(["a", "b", "c"], ["a", "c"]) == pytest.approx(1 / 3)
    assert word_error_rate(["a", "b"], ["a", "x", "b"]) == pytest.approx(1 / 2)
    assert word_error_rate(["a"], ["a"]) == 0.0


def test_recognition_on_beat_speech_word_error_rate_and_timing(beat_speech):
    wave, rate, reference = beat_speech
    words = recognise_words(wave, rate)
    wer = word_error_rate([w.label.lower() for w in reference], [w.label for w in words])
    starts = {w.label.lower(): w.start for w in reference}
    close = np.mean([abs(w.start - starts[w.label]) < 0.15 for w in words if w.label in starts])
    print(f"\npocketsphinx on 2_scott_0_3_3 ({len(wave) / rate:.0f} s): {len(words)} words, WER {wer:.1%} against "
          f"the TextGrid's {len(reference)}")
    assert wer < 0.4 and all(a.end <= b.start + 1e-9 for a, b in zip(words, words[1:]))
    assert close > 0.3


def test_streaming_recognition_settles_on_words_close_to_the_offline_ones(beat_speech):
    wave, rate, reference = beat_speech
    part = wave[: 20 * rate]
    stream = StreamingWords()
    settled = []
    for start in range(0, len(part), 4096):
        stream.push(part[start : start + 4096])
        settled.append(stream.words())
    final = stream.finish()
    now = len(part) / rate
    assert settled[-1] and all(w.end <= now - stream.settle_seconds for w in settled[-1])
    offline = recognise_words(part, rate)
    between = word_error_rate([w.label for w in offline], [w.label for w in final])
    spoken = [w.label.lower() for w in reference if w.end <= 20.0]
    print(f"\nstreaming vs offline recognition, first 20 s: {between:.1%} word difference; WER streaming "
          f"{word_error_rate(spoken, [w.label for w in final]):.1%}, offline "
          f"{word_error_rate(spoken, [w.label for w in offline]):.1%}")
    assert between < 0.2


def test_streaming_recognition_cuts_utterances_and_keeps_stream_times(beat_speech):
    """Each stretch of speech is its own utterance (the decoder's work stays bounded on a long
    session); words keep their time in the stream: the same 8 s of speech after a second of
    silence gives nearly the same words (the decoder's cepstral mean adapts from one utterance to
    the next) at the same times plus the shift. Speech without a pause is cut at the cap."""
    wave, rate, _ = beat_speech
    part = wave[2 * rate : 10 * rate]
    stream = StreamingWords()
    gap = np.zeros(rate, dtype=np.float32)
    signal = np.concatenate([part, gap, part, gap])
    for start in range(0, len(signal), 4096):
        stream.push(signal[start : start + 4096])
    words = stream.finish()
    first = [w for w in words if w.end <= len(part) / rate + 0.5]
    second = [w for w in words if w.start >= (len(part) + len(gap)) / rate - 0.2]
    assert stream.utterances >= 2 and first and len(first) + len(second) == len(words)
    assert word_error_rate([w.label for w in first], [w.label for w in second]) < 0.25
    shift = (len(part) + len(gap)) / rate
    once = [label for label in {w.label for w in first} if sum(w.label == label for w in first + second) == 2]
    starts = {w.label: [] for w in first + second}
    for w in first + second:
        starts[w.label].append(w.start)
    assert len(once) >= 5
    moved = np.array([starts[label][1] - starts[label][0] for label in once])
    assert np.median(moved) == pytest.approx(shift, abs=0.02) and np.mean(np.abs(moved - shift) < 0.05) >= 0.75
    capped = StreamingWords(max_utterance_seconds=2.0)
    capped.push(part)
    capped_words = capped.finish()
    assert capped.utterances >= 4 and capped_words
    assert all(a.end <= b.start + 1e-9 for a, b in zip(capped_words, capped_words[1:]))
    with pytest.raises(ConfigError, match="max_utterance_seconds"):
        StreamingWords(max_utterance_seconds=0)


def test_plain_text_transcript_is_aligned(beat_speech):
    wave, rate, reference = beat_speech
    part = wave[: 15 * rate]
    spoken = [w for w in reference if w.end <= 15.0]
    text = " ".join(w.label for w in spoken)
    aligned, skipped = align_transcript(part, rate, text)
    assert skipped == ["cuz"]  # BEAT's spelling; not in the CMU dictionary
    kept = [w for w in spoken if w.label.lower() not in skipped]
    assert [w.label for w in aligned] == [w.label.lower() for w in kept]
    errors = np.abs(np.array([w.start for w in aligned]) - np.array([w.start for w in kept]))
    print(f"\naligned {len(aligned)} words of the first 15 s: start error median {np.median(errors) * 1000:.0f} ms, "
          f"90th percentile {np.percentile(errors, 90) * 1000:.0f} ms")
    assert np.median(errors) < 0.1


def test_unknown_words_are_skipped_and_a_text_without_known_words_is_a_config_error(beat_speech):
    wave, rate, _ = beat_speech
    with pytest.raises(ConfigError, match="no words pocketsphinx's English dictionary knows.*qzxvw"):
        align_transcript(wave[:16000], rate, "qzxvw")
    with pytest.raises(ConfigError, match="no words"):
        align_transcript(wave[:16000], rate, " ,.; ")


def test_generate_takes_words_from_pocketsphinx_without_a_transcript_and_aligns_a_text_one(tmp_path, beat_speech,
                                                                                          tiny_checkpoint):
    import json

    from motiongen.cli import main
    from test_generate_cli import write_wav

    wave, rate, reference = beat_speech
    audio = write_wav(tmp_path / "speech.wav", wave[: 10 * rate], rate)
    text = tmp_path / "speech.txt"
    text.write_text(" ".join(w.label for w in reference if w.end <= 10.0) + "\n", encoding="utf-8")
    common = ["--checkpoint", str(tiny_checkpoint), "--steps", "2", "--no-preview"]
    assert main(["generate", "--audio", str(audio), "--out", str(tmp_path / "asr"), *common]) == 0
    assert main(["generate", "--audio", str(audio), "--transcript", str(text), "--out", str(tmp_path / "txt"),
                 *common]) == 0
    recognised = json.loads((tmp_path / "asr" / "metadata.json").read_text())
    aligned = json.loads((tmp_path / "txt" / "metadata.json").read_text())
    assert recognised["generation"]["word_features"] == "recognised by pocketsphinx (no transcript)"
    assert not any("no transcript" in w for w in recognised["warnings"])
    assert aligned["generation"]["word_features"] == "plain-text transcript aligned by pocketsphinx"
    assert any("cuz" in w for w in aligned["warnings"])


def test_aligning_a_transcript_to_a_tone_is_a_one_line_error():
    """pocketsphinx finds no alignment path in a pure tone (its segment list is None): a ConfigError
    naming the transcript, not a TypeError."""
    rate = 16_000
    tone = 0.3 * np.sin(2 * np.pi * 180 * np.arange(2 * rate) / rate)
    with pytest.raises(ConfigError, match="words.txt: pocketsphinx could not align"):
        align_transcript(tone, rate, "hello there people of motion", where="words.txt")

"""Word timings from speech without a TextGrid: pocketsphinx's offline English recogniser and aligner.

pocketsphinx ships its US-English acoustic model, dictionary and language model inside its wheel,
so it runs offline. It gives:

* :func:`recognise_words` — the words of speech and when they are spoken (no transcript at all);
* :func:`align_transcript` — the timings of a known plain text (``--transcript speech.txt``),
  by forced alignment;
* :class:`StreamingWords` — the same recogniser fed block by block, reporting the words it has
  settled on so far.

Timings are pocketsphinx frames (10 ms). Fillers (``<s>``, ``<sil>``, ``[NOISE]``, ``++...++``)
become silence; pronunciation variants (``to(2)``) are reported as the word. Measured on the BEAT
sample ``2_scott_0_3_3`` against its TextGrid: word error rate 28.3 % (``pytest -s
tests/test_asr.py``).
"""

from __future__ import annotations

import re

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.formats.audio import resample
from motiongen.formats.textgrid import Interval

SAMPLE_RATE = 16000  # Hz: the rate of pocketsphinx's English model
FRAME_SECONDS = 0.01
_VARIANT = re.compile(r"\(\d+\)$")


def _decoder():
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")


def _pcm(wave: np.ndarray, sample_rate: int) -> bytes:
    wave = np.asarray(wave, dtype=np.float32)
    if sample_rate != SAMPLE_RATE:
        wave = resample(wave, sample_rate, SAMPLE_RATE)
    return (np.clip(wave, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _words(segments) -> list[Interval]:
    """Word intervals of pocketsphinx segments (fillers dropped: the gaps are silence); pocketsphinx
    gives no segments at all (None) when a search found no path, e.g. an alignment of non-speech."""
    words = []
    for seg in segments or ():
        if seg.word.startswith(("<", "[", "+")):
            continue
        words.append(Interval(seg.start_frame * FRAME_SECONDS, (seg.end_frame + 1) * FRAME_SECONDS,
                              _VARIANT.sub("", seg.word)))
    return words


def recognise_words(wave: np.ndarray, sample_rate: int) -> list[Interval]:
    """Words of ``wave`` ``(S,)`` (any rate) with their times in seconds."""
    decoder = _decoder()
    decoder.start_utt()
    decoder.process_raw(_pcm(wave, sample_rate), False, True)
    decoder.end_utt()
    return _words(decoder.seg())


def normalise_text(text: str) -> list[str]:
    """Lower-case words of a plain transcript (letters, digits and apostrophes; punctuation dropped)."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def align_transcript(wave: np.ndarray, sample_rate: int, text: str,
                     where: str = "transcript") -> tuple[list[Interval], list[str]]:
    """Timings of the words of ``text`` in ``wave`` (forced alignment).

    Returns:
        ``(words, skipped)``: the aligned word intervals, and the words of the text outside
        pocketsphinx's dictionary, which cannot be aligned and are left out (their time goes to
        their neighbours).

    Raises:
        ConfigError: the text has no word the dictionary knows, or the alignment fails.
    """
    decoder = _decoder()
    words = normalise_text(text)
    skipped = [w for w in words if decoder.lookup_word(w) is None]
    known = [w for w in words if decoder.lookup_word(w) is not None]
    if not known:
        raise ConfigError(f"{where}: no words pocketsphinx's English dictionary knows in the text"
                          + (f" (unknown: {', '.join(sorted(set(skipped))[:20])})" if skipped else ""))
    decoder.set_align_text(" ".join(known))
    decoder.start_utt()
    decoder.process_raw(_pcm(wave, sample_rate), False, True)
    decoder.end_utt()
    aligned = _words(decoder.seg())
    if not aligned:
        raise ConfigError(f"{where}: pocketsphinx could not align the text to the audio")
    return aligned, skipped


class StreamingWords:
    """The recogniser fed block by block: :meth:`push` blocks at :data:`SAMPLE_RATE` (16 kHz),
    :meth:`words` the words whose end lies ``settle_seconds`` before the newest audio (later ones
    may still change).

    The decoder hears every sample as it arrives. pocketsphinx's voice-activity
    :class:`~pocketsphinx.Endpointer` only tells where the speech pauses: there the utterance ends
    (its words become final) and the next one starts, so the decoder's work per block stays
    bounded however long the session runs. Speech that never pauses is cut every
    ``max_utterance_seconds`` (a word spoken across the cut may be lost).
    """

    def __init__(self, settle_seconds: float = 0.3, max_utterance_seconds: float = 20.0):
        from pocketsphinx import Endpointer

        if max_utterance_seconds <= 0:
            raise ConfigError(f"max_utterance_seconds must be positive, got {max_utterance_seconds}")
        self.decoder = _decoder()
        self.endpointer = Endpointer(sample_rate=SAMPLE_RATE)
        self.settle_seconds = settle_seconds
        self.max_utterance_seconds = max_utterance_seconds
        self.sample_rate = SAMPLE_RATE
        self.pending = b""  # the samples of a part endpointer frame, not decoded yet
        self.final: list[Interval] = []  # words of the ended utterances, in stream time (s)
        self.decoded_until = 0.0  # stream time (s) just after the last sample the decoder heard
        self.utterances = 0
        self.finished: list[Interval] | None = None
        self._start()

    def _start(self) -> None:
        self.decoder.start_utt()
        self.utterance_start = self.decoded_until
        self.utterances += 1

    def _end(self) -> None:
        self.decoder.end_utt()
        self.final += self._utterance_words()

    def _utterance_words(self) -> list[Interval]:
        if self.decoder.hyp() is None:
            return []
        offset = self.utterance_start
        return [Interval(w.start + offset, w.end + offset, w.label) for w in _words(self.decoder.seg())]

    def push(self, samples: np.ndarray) -> None:
        if self.finished is not None:
            raise RuntimeError("push after finish")
        self.pending += _pcm(samples, SAMPLE_RATE)
        size = self.endpointer.frame_bytes
        whole = len(self.pending) - len(self.pending) % size
        for begin in range(0, whole, size):
            frame = self.pending[begin : begin + size]
            self.decoder.process_raw(frame, False, False)
            self.decoded_until += size / 2 / SAMPLE_RATE
            was_in_speech = self.endpointer.in_speech
            self.endpointer.process(frame)
            paused = was_in_speech and not self.endpointer.in_speech
            if paused or self.decoded_until - self.utterance_start >= self.max_utterance_seconds:
                self._end()
                self._start()
        self.pending = self.pending[whole:]

    def words(self) -> list[Interval]:
        settled = self.decoded_until - self.settle_seconds
        return self.final + [w for w in self._utterance_words() if w.end <= settled]

    def finish(self) -> list[Interval]:
        """Ends the stream: all its words, final (later calls return the same)."""
        if self.finished is None:
            if self.pending:
                self.decoder.process_raw(self.pending, False, False)
            self._end()
            self.finished = self.final
        return self.finished


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Levenshtein distance between word sequences over the reference length."""
    if not reference:
        raise ValueError("empty reference")
    row = np.arange(len(hypothesis) + 1)
    for i, ref_word in enumerate(reference, 1):
        previous, row = row, np.empty_like(row)
        row[0] = i
        substitutions = previous[:-1] + (np.array(hypothesis, dtype=object) != ref_word)
        for j in range(1, len(hypothesis) + 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, substitutions[j - 1])
    return float(row[-1]) / len(reference)

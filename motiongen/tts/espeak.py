"""Offline speech synthesis with eSpeak NG, with word timings from its own word events.

The ``espeakng-loader`` wheel ships ``libespeak-ng`` and its voice data; this module talks to the
library's C API (``speak_lib.h``) through :mod:`ctypes`:

* ``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, ...)`` — audio is handed to our callback instead of
  a sound card, and ``espeak_Synth`` returns once the whole utterance has been delivered;
* ``espeak_SetSynthCallback`` — receives 16-bit PCM chunks plus the event list of each chunk;
* ``espeak_SetVoiceByProperties`` — English voice selected by gender (1 = male, 2 = female), the
  way the BiMoDiCA pipeline picks the TTS voice from the speaker's gender;
* ``espeakEVENT_WORD`` events carry ``audio_position`` (milliseconds into the output) and the
  word's character span in the input text, so word intervals line up with the audio without a
  forced aligner.

eSpeak NG keeps global state, so every call is serialised by a process-wide lock.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.formats.textgrid import Interval

log = logging.getLogger(__name__)

VOICES: tuple[str, ...] = ("female", "male")
_GENDER_CODE = {"male": 1, "female": 2}

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_espeakINITIALIZE_PHONEME_EVENTS = 0x0001
_espeakINITIALIZE_DONT_EXIT = 0x8000
_espeakEVENT_LIST_TERMINATED = 0
_espeakEVENT_WORD = 1
_espeakEVENT_END = 5
_espeakEVENT_PHONEME = 7
_POS_CHARACTER = 1
_espeakCHARS_UTF8 = 1
_espeakRATE = 1
_SYNTH_SEED = 1  # espeak_ng_SetRandSeed before every utterance
_EE_OK = 0

_EDGE_PUNCTUATION = ".,;:!?\"'()[]{}\u201c\u201d\u2018\u2019-"

DEFAULT_RATE_WPM = 160
MIN_RATE_WPM, MAX_RATE_WPM = 80, 450
# Frame length (s) and level (dBFS below the utterance peak) used to trim a word's trailing silence.
_ENERGY_FRAME_S = 0.01
_VOICED_DB_BELOW_PEAK = 30.0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from speak_lib.h."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _VoiceSpec(ctypes.Structure):
    """``espeak_VOICE`` from speak_lib.h."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class SpeechSynthesis:
    """One synthesised utterance.

    Attributes:
        wave: (S,) float32 mono samples in [-1, 1].
        sample_rate: samples per second of ``wave`` (eSpeak NG produces 22050 Hz).
        words: one :class:`Interval` per spoken word, start/end in seconds, in text order; gaps
            between them are pauses.
        phones: one :class:`Interval` per phoneme event (eSpeak NG mnemonics, e.g. ``"h"``,
            ``"@"``, ``"oU"``), each ending where the next phoneme starts; pauses are ``"_"``-
            labelled phonemes turned into empty (silence) labels.
        text: the text that was spoken.
        voice: ``"female"`` or ``"male"``.
        warnings: non-fatal problems noticed while synthesising.
    """

    wave: np.ndarray
    sample_rate: int
    words: list[Interval]
    phones: list[Interval]
    text: str
    voice: str
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.wave) / self.sample_rate


class _Engine:
    """The process-wide eSpeak NG instance (initialised on first use)."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        self.lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_VoiceSpec)]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self.lib.espeak_ng_SetRandSeed.restype = None
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        data_parent = str(_data_parent(espeakng_loader.get_data_path())).encode()
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent,
            _espeakINITIALIZE_DONT_EXIT | _espeakINITIALIZE_PHONEME_EVENTS,
        )
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed (returned {self.sample_rate})")
        self._chunks: list[np.ndarray] = []
        self._word_events: list[tuple[int, int, int]] = []
        self._phoneme_events: list[tuple[int, str]] = []
        # Keep a reference to the ctypes callback so it is not garbage-collected while C holds it.
        self._callback = _SynthCallback(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, samples, num_samples, events) -> int:
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(samples, shape=(num_samples,)).copy())
        index = 0
        while events[index].type != _espeakEVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _espeakEVENT_WORD:
                self._word_events.append((event.audio_position, event.text_position, event.length))
            elif event.type == _espeakEVENT_PHONEME:
                mnemonic = event.id.string.split(b"\0", 1)[0].decode("ascii", "replace")
                self._phoneme_events.append((event.audio_position, mnemonic))
            index += 1
        return 0  # 0 = continue synthesis

    def speak(self, text: str, gender: int, rate: int):
        """Return int16 samples (S,), word events [(audio ms, 1-based char position, length)] and
        phoneme events [(audio ms, mnemonic)]."""
        spec = _VoiceSpec(languages=b"en", gender=gender)
        _check(self.lib.espeak_SetVoiceByProperties(ctypes.byref(spec)), "espeak_SetVoiceByProperties")
        _check(self.lib.espeak_SetParameter(_espeakRATE, rate, 0), "espeak_SetParameter(rate)")
        self._chunks, self._word_events, self._phoneme_events = [], [], []
        # eSpeak NG's voicing noise draws from its own random generator, seeded from the clock unless
        # set. Seeded before every utterance, the same utterances spoken in the same order give the
        # same audio in every process (the engine also carries state from one utterance to the next).
        self.lib.espeak_ng_SetRandSeed(_SYNTH_SEED)
        encoded = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        _check(
            self.lib.espeak_Synth(buffer, len(encoded), 0, _POS_CHARACTER, 0, _espeakCHARS_UTF8, None, None),
            "espeak_Synth",
        )
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return samples, list(self._word_events), list(self._phoneme_events)


def _data_parent(data_path: str) -> Path:
    """eSpeak NG wants the folder that CONTAINS ``espeak-ng-data``."""
    return Path(data_path).parent


def _check(code: int, what: str) -> None:
    if code != _EE_OK:
        raise RuntimeError(f"{what} failed with espeak error code {code}")


_ENGINE: _Engine | None = None
_LOCK = threading.Lock()


def synthesize(text: str, voice: str = "female", rate: int = DEFAULT_RATE_WPM) -> SpeechSynthesis:
    """Speak ``text`` with an English eSpeak NG voice of the given gender.

    Args:
        text: the utterance (UTF-8); must contain at least one word. Positions reported by the
            library are 1-based character indices into this string.
        voice: ``"female"`` or ``"male"``.
        rate: speaking rate in words per minute (80–450).

    Returns:
        :class:`SpeechSynthesis` with float32 audio at eSpeak's native rate and one word interval
        per word event. A word's end is the next word's start with trailing silence removed (the
        last voiced 10 ms frame before it), so pauses show up as gaps.

    Raises:
        ConfigError: empty text, unknown voice, or rate out of range.
    """
    if not isinstance(text, str) or not re.search(r"\w", text):
        raise ConfigError(f"text to synthesise has no words: {text!r}")
    if voice not in _GENDER_CODE:
        raise ConfigError(f"unknown voice {voice!r}; allowed voices: {', '.join(VOICES)}")
    if not MIN_RATE_WPM <= int(rate) <= MAX_RATE_WPM:
        raise ConfigError(f"speaking rate {rate} wpm out of range [{MIN_RATE_WPM}, {MAX_RATE_WPM}]")
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        samples, events, phoneme_events = _ENGINE.speak(text, _GENDER_CODE[voice], int(rate))
        sample_rate = _ENGINE.sample_rate
    wave = samples.astype(np.float32) / 32768.0
    warnings: list[str] = []
    if not events:
        warnings.append(f"eSpeak NG reported no word events for {text!r}")
        log.warning(warnings[-1])
    words = _word_intervals(text, events, wave, sample_rate)
    phones = _phone_intervals(phoneme_events, len(wave) / sample_rate)
    return SpeechSynthesis(wave=wave, sample_rate=sample_rate, words=words, phones=phones, text=text,
                           voice=voice, warnings=warnings)


def _phone_intervals(events: list[tuple[int, str]], duration: float) -> list[Interval]:
    """Phoneme events -> back-to-back intervals (seconds); eSpeak's pause phoneme "_" -> ""."""
    starts = [min(ms / 1000.0, duration) for ms, _ in events]
    ends = starts[1:] + [duration]
    phones: list[Interval] = []
    for start, end, (_, mnemonic) in zip(starts, ends, events):
        label = "" if mnemonic.startswith("_") else mnemonic
        if end <= start:
            continue
        if phones and label == "" and phones[-1].label == "":
            phones[-1] = Interval(phones[-1].start, end, "")
        else:
            phones.append(Interval(start, end, label))
    return phones


def _word_intervals(text: str, events: list[tuple[int, int, int]], wave: np.ndarray,
                    sample_rate: int) -> list[Interval]:
    """Turn word events into one interval (seconds) per written word.

    eSpeak NG emits several word events for one written token when it expands it ("42" ->
    "forty two", "3:30"): events that point into the same whitespace-delimited token are merged.
    It also speaks some word pairs as one unit with a single event ("I am"): the tokens an event
    covers (up to the next event's token) share its interval in proportion to their letters.
    An event's end is the last voiced 10 ms frame before the next event starts, so pauses are gaps.
    Tokens without a letter or digit ("-", "...") get no interval.
    """
    if not events:
        return []
    duration = len(wave) / sample_rate
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    labels = [text[a:b].strip(_EDGE_PUNCTUATION) for a, b in spans]
    # First token ending after the event's character: the token holding it, or the next one when
    # the event points at the space before a word (eSpeak NG does so after a sentence end).
    span_ends = np.array([b for _, b in spans])
    token_of_event = np.searchsorted(span_ends, [e[1] - 1 for e in events], side="right")
    token_of_event = np.clip(token_of_event, 0, len(spans) - 1)
    first_of_token = np.flatnonzero(np.diff(token_of_event, prepend=-1) != 0)
    first_tokens = token_of_event[first_of_token]
    starts = np.minimum(np.array([events[i][0] for i in first_of_token], np.float64) / 1000.0, duration)
    bounds = np.append(starts[1:], duration)
    token_stops = np.append(first_tokens[1:], len(spans))
    voiced_frames = _voiced_frame_mask(wave, sample_rate)
    frame_ends = (np.arange(len(voiced_frames)) + 1) * _ENERGY_FRAME_S
    intervals = []
    for start, bound, first, stop in zip(starts, bounds, first_tokens, token_stops):
        inside = voiced_frames & (frame_ends > start) & (frame_ends <= bound + _ENERGY_FRAME_S)
        end = max(min(frame_ends[inside].max(), bound) if inside.any() else bound, start)
        covered = [labels[t] for t in range(first, stop) if re.search(r"\w", labels[t])]
        edges = start + (end - start) * np.cumsum([0] + [len(label) for label in covered]) / max(
            sum(len(label) for label in covered), 1)
        intervals += [Interval(float(a), float(b), label) for a, b, label in zip(edges[:-1], edges[1:], covered)]
    return intervals


def _voiced_frame_mask(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """(T,) bool: 10 ms frames whose RMS is within 30 dB of the loudest frame.

    30 dB (not more) because the female voice variant adds a breath-noise floor about 38 dB below
    the peak during pauses.
    """
    hop = max(1, int(round(_ENERGY_FRAME_S * sample_rate)))
    num = len(wave) // hop
    if num == 0:
        return np.zeros(0, dtype=bool)
    rms = np.sqrt(np.mean(wave[: num * hop].reshape(num, hop).astype(np.float64) ** 2, axis=1))
    peak = rms.max()
    if peak <= 0:
        return np.zeros(num, dtype=bool)
    return rms >= peak * 10 ** (-_VOICED_DB_BELOW_PEAK / 20)

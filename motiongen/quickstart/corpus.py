"""Build the quickstart's procedural speech + motion corpus in BEAT's on-disk format.

For every speaker in :data:`script.SPEAKERS` and every take in :data:`script.TAKES`, the take's
sentences are spoken with eSpeak NG (the speaker's voice, a slightly varied rate per sentence,
pauses between sentences) and the files BEAT ships for a take are written::

    <root>/<speaker_id>/<speaker_id>_<name>_0_<take>_<take>.wav       16 kHz mono 16-bit PCM
                                                      .TextGrid  Praat long text, tiers words + phones
                                                      .bvh       BEAT 75-joint hierarchy, 120 fps
                                                      .json      BEAT ARKit face JSON, 60 fps
                                                      .csv       BEAT emotion label (whole take)
                                                      .txt       BEAT semantic labels (beat strokes)

Motion: mouth from the loudness envelope and phonemes (:mod:`.face`), beat gestures and nods on
emphasised syllables (:mod:`.gesture`), both computed from the synthesised speech. A
``.quickstart_corpus.json`` manifest is written last; a folder whose manifest matches the request
is reused as it is (the build is the slow first step of ``motiongen quickstart``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from motiongen.datasets.beat.emotions import EMOTIONS, emotion_of_take
from motiongen.core.errors import ConfigError
from motiongen.formats.textgrid import Interval
from motiongen.quickstart.script import SPEAKERS, TAKES, ScriptTake, Speaker

log = logging.getLogger(__name__)

MANIFEST = ".quickstart_corpus.json"  # hidden: the BEAT reader skips it
CAPTURE_FPS = 120.0
FACE_FPS = 60.0
AUDIO_RATE = 16000
SPEECH_TAKE = 0  # BEAT recording type of English speech takes
LEAD_IN_S, TAIL_S = 0.4, 0.6
PAUSE_S = (0.35, 0.75)
RATE_WPM = (145, 185)
CORPUS_VERSION = 1


@dataclass
class TakeSpeech:
    """A take's speech: (S,) float32 wave at ``sample_rate``, word and phone intervals (s)."""

    wave: np.ndarray
    sample_rate: int
    words: list[Interval]
    phones: list[Interval]

    @property
    def duration(self) -> float:
        return len(self.wave) / self.sample_rate


@dataclass
class BuiltTake:
    """One written take: its id, speaker, BEAT take index, emotion name, seconds, file stem."""

    take_id: str
    speaker_id: int
    index: int
    emotion: str
    duration: float
    stem: str


@dataclass
class QuickstartCorpus:
    """The corpus folder and what is in it."""

    root: Path
    takes: list[BuiltTake]
    warnings: list[str] = field(default_factory=list)


def speak_take(sentences: tuple[str, ...], voice: str, rng: np.random.Generator) -> TakeSpeech:
    """Synthesise the sentences one by one and join them with pauses (intervals shifted)."""
    from motiongen.tts.espeak import synthesize

    pieces: list[np.ndarray] = []
    words: list[Interval] = []
    phones: list[Interval] = []
    sample_rate = None
    offset = LEAD_IN_S
    for i, sentence in enumerate(sentences):
        speech = synthesize(sentence, voice=voice, rate=int(rng.integers(*RATE_WPM)))
        sample_rate = speech.sample_rate
        if not pieces:
            pieces.append(np.zeros(int(LEAD_IN_S * sample_rate), np.float32))
        pieces.append(speech.wave)
        words += [Interval(w.start + offset, w.end + offset, w.label) for w in speech.words]
        phones += [Interval(p.start + offset, p.end + offset, p.label) for p in speech.phones]
        pause = TAIL_S if i == len(sentences) - 1 else rng.uniform(*PAUSE_S)
        pieces.append(np.zeros(int(pause * sample_rate), np.float32))
        offset += (len(speech.wave) + len(pieces[-1])) / sample_rate
    return TakeSpeech(np.concatenate(pieces), sample_rate, words, phones)


def _with_silences(intervals: list[Interval], duration: float) -> list[Interval]:
    """Fill the gaps of a sorted interval list with "" (silence) so the tier covers [0, duration]."""
    out: list[Interval] = []
    cursor = 0.0
    for interval in intervals:
        start = max(interval.start, cursor)
        if start > cursor + 1e-6:
            out.append(Interval(cursor, start, ""))
        if interval.end > start:
            out.append(Interval(start, interval.end, interval.label))
            cursor = interval.end
    if duration > cursor + 1e-6:
        out.append(Interval(cursor, duration, ""))
    return out


def write_textgrid(path: Path, tiers: dict[str, list[Interval]], duration: float) -> None:
    """Write interval tiers as a Praat long-text TextGrid (with ``praat-textgrids``)."""
    import textgrids

    grid = textgrids.TextGrid()
    grid.xmin, grid.xmax = 0.0, duration
    for name, intervals in tiers.items():
        filled = _with_silences(intervals, duration)
        grid[name] = textgrids.Tier([textgrids.Interval(i.label, i.start, i.end) for i in filled], 0.0, duration)
    grid.write(str(path))


def _merged_segments(times: np.ndarray, half_width: float, duration: float) -> list[tuple[float, float]]:
    segments: list[tuple[float, float]] = []
    for t in np.sort(times):
        start, end = max(0.0, t - half_width), min(duration, t + half_width)
        if segments and start <= segments[-1][1]:
            segments[-1] = (segments[-1][0], end)
        else:
            segments.append((start, end))
    return segments


def write_take(folder: Path, stem: str, speech: TakeSpeech, emotion_index: int, speaker: Speaker,
               template, rng: np.random.Generator) -> float:
    """Write the six BEAT files of one take; returns the take's duration in seconds."""
    import soundfile

    from motiongen.formats.arkit import write_beat_face_json
    from motiongen.formats.audio import resample
    from motiongen.formats.bvh import write_bvh
    from motiongen.quickstart.face import face_curves
    from motiongen.quickstart.gesture import STYLES, gesture_motion
    from motiongen.quickstart.speech import emphasis_events, rms_envelope

    duration = speech.duration
    emotion = EMOTIONS[emotion_index]
    face_frames, body_frames = int(duration * FACE_FPS), int(duration * CAPTURE_FPS)
    face_env = rms_envelope(speech.wave, speech.sample_rate, FACE_FPS, face_frames)
    body_env = rms_envelope(speech.wave, speech.sample_rate, CAPTURE_FPS, body_frames)
    times, strengths = emphasis_events(speech.phones, face_env, FACE_FPS)

    wave16 = resample(speech.wave, speech.sample_rate, AUDIO_RATE)
    soundfile.write(folder / f"{stem}.wav", np.clip(wave16, -1, 1), AUDIO_RATE, subtype="PCM_16")
    write_textgrid(folder / f"{stem}.TextGrid", {"words": speech.words, "phones": speech.phones}, duration)
    weights = face_curves(face_env, speech.phones, times, strengths, emotion, FACE_FPS, rng)
    write_beat_face_json(folder / f"{stem}.json", weights, FACE_FPS)
    euler, root = gesture_motion(template, body_env, times, strengths, STYLES[speaker.speaker_id], CAPTURE_FPS, rng)
    write_bvh(folder / f"{stem}.bvh", template.skeleton, euler, root, frame_time=1.0 / CAPTURE_FPS)
    (folder / f"{stem}.csv").write_text(
        f"{emotion_index:02d}_{emotion}, 0.0, {duration:.3f}, {duration:.3f}, {emotion_index}\n", encoding="utf-8"
    )
    segments = _merged_segments(times, 0.25, duration)
    (folder / f"{stem}.txt").write_text(
        "".join(f"01_beat_align\t{a:.3f}\t{b:.3f}\t{b - a:.3f}\t0.1\n" for a, b in segments), encoding="utf-8"
    )
    return duration


def _request(speakers, takes, seed: int) -> dict:
    return {
        "version": CORPUS_VERSION,
        "seed": seed,
        "speakers": [asdict(s) for s in speakers],
        "takes": [{"index": t.index, "sentences": list(t.sentences)} for t in takes],
    }


def build_corpus(root: str | Path, speakers: tuple[Speaker, ...] = SPEAKERS,
                 takes: tuple[ScriptTake, ...] = TAKES, seed: int = 0, progress: bool = True) -> QuickstartCorpus:
    """Synthesise and write the corpus under ``root`` (reused when its manifest matches).

    Args:
        root: output folder (created).
        speakers: who speaks (voice per speaker, gesture style by speaker id: see
            :data:`gesture.STYLES`).
        takes: what is spoken; every speaker speaks every take.
        seed: seeds pause lengths, speaking rates, blinks and gesture variations.
        progress: show a tqdm progress bar.

    Returns:
        :class:`QuickstartCorpus` listing the written takes.
    """
    from tqdm import tqdm

    from motiongen.quickstart.gesture import STYLES
    from motiongen.skeletons import load_beat75_template

    root = Path(root)
    request = _request(speakers, takes, seed)
    manifest = root / MANIFEST
    if manifest.is_file():
        saved = json.loads(manifest.read_text(encoding="utf-8"))
        if saved.get("request") == request:
            log.info("reusing the quickstart corpus in %s", root)
            return QuickstartCorpus(root, [BuiltTake(**t) for t in saved["takes"]])
    unknown = [s.speaker_id for s in speakers if s.speaker_id not in STYLES]
    if unknown:
        raise ConfigError(f"no gesture style for speaker id(s) {unknown}; known: {sorted(STYLES)}")
    template = load_beat75_template()
    rng = np.random.default_rng(seed)
    built: list[BuiltTake] = []
    jobs = [(speaker, take) for speaker in speakers for take in takes]
    for speaker, take in tqdm(jobs, desc="quickstart corpus", unit="take", disable=not progress):
        emotion_index = emotion_of_take(SPEECH_TAKE, take.index)
        if emotion_index is None:
            raise ConfigError(f"take index {take.index} is outside BEAT's speech takes 1-118")
        folder = root / str(speaker.speaker_id)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{speaker.speaker_id}_{speaker.name}_{SPEECH_TAKE}_{take.index}_{take.index}"
        speech = speak_take(take.sentences, speaker.voice, rng)
        duration = write_take(folder, stem, speech, emotion_index, speaker, template, rng)
        built.append(BuiltTake(stem, speaker.speaker_id, take.index, EMOTIONS[emotion_index], duration, stem))
    manifest.write_text(json.dumps({"request": request, "takes": [asdict(t) for t in built]}, indent=2) + "\n",
                        encoding="utf-8")
    return QuickstartCorpus(root, built)

"""Turn what a user gives (an audio file + optional TextGrid, or plain text) into a :class:`SpeechInput`.

Every check that can fail does so here, before any model is loaded or any file is written:
missing or unreadable files, audio that is too short or silent, a TextGrid without a ``words``
tier or without any word inside the audio, empty text, an unknown voice. A TextGrid whose length
disagrees with the audio's is accepted with a warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motiongen.core.errors import InputFileError
from motiongen.core.hashing import sha256_file, sha256_text
from motiongen.core.output_folder import AUDIO_INPUT, TRANSCRIPT_INPUT, file_record
from motiongen.formats.textgrid import Interval
from motiongen.generation.types import SpeechInput


def require_file(path: str | Path, what: str) -> Path:
    """``path`` as a Path, or :class:`InputFileError` when it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, f"{what} not found" if not path.exists() else f"{what} is not a file")
    return path


def rms_dbfs(wave: np.ndarray) -> float:
    """RMS level of ``wave`` (float samples, full scale 1.0) in dB relative to full scale."""
    rms = float(np.sqrt(np.mean(np.square(wave, dtype=np.float64)))) if len(wave) else 0.0
    return 20 * np.log10(max(rms, 1e-12))


def check_speech(path: str | Path, wave: np.ndarray, sample_rate: int, min_seconds: float, silence_dbfs: float) -> None:
    """Reject audio shorter than ``min_seconds`` or quieter than ``silence_dbfs`` RMS."""
    seconds = len(wave) / sample_rate
    if seconds < min_seconds:
        raise InputFileError(path, f"audio is {seconds:.2f} s long; at least {min_seconds:g} s of speech is needed")
    level = rms_dbfs(wave)
    if level < silence_dbfs:
        raise InputFileError(path, f"audio is silent (RMS {level:.1f} dBFS, below {silence_dbfs:g} dBFS)")


def check_transcript_timing(path: str | Path, words: list[Interval], audio_seconds: float,
                            tolerance_seconds: float) -> list[str]:
    """Compare a transcript's ``words`` tier (seconds) with the length of its audio.

    Returns:
        warnings: the tier's end differs from the audio's length by more than ``tolerance_seconds``
        (words past the audio's end are not used).

    Raises:
        InputFileError: no spoken word overlaps ``[0, audio_seconds)`` (the transcript belongs to
            other audio).
    """
    spoken = [w for w in words if w.label]
    inside = [w for w in spoken if w.start < audio_seconds and w.end > 0]
    if not inside:
        span = f"{spoken[0].start:.2f}-{spoken[-1].end:.2f} s" if spoken else "none"
        raise InputFileError(path, f"no word of the transcript lies inside the {audio_seconds:.2f} s of audio "
                                   f"(spoken words: {span}); is it the transcript of this audio?")
    transcript_seconds = max(w.end for w in words)
    if abs(transcript_seconds - audio_seconds) <= tolerance_seconds:
        return []
    outside = len(spoken) - len(inside)
    return [f"transcript {path} spans {transcript_seconds:.2f} s but the audio is {audio_seconds:.2f} s long "
            f"(more than {tolerance_seconds:g} s apart); {outside} of {len(spoken)} words lie past the audio's end "
            "and are not used"]


def speech_from_audio(audio_path: str | Path, transcript_path: str | Path | None, min_seconds: float,
                      silence_dbfs: float, transcript_tolerance_seconds: float = 1.0,
                      recognise: bool = False) -> SpeechInput:
    """Load speech from an audio file (wav/flac/mp3, any rate) and an optional transcript.

    The transcript is a Praat TextGrid with a ``words`` tier (seconds) with at least one word inside
    the audio (a length differing from the audio's by more than ``transcript_tolerance_seconds`` is
    a warning), or a plain-text ``.txt`` whose words pocketsphinx aligns to the audio. Without a
    transcript, ``recognise`` takes the words and their timings from pocketsphinx's recogniser;
    otherwise the word features will be the silence/unknown vector. ``word_source`` says which.
    """
    from motiongen.formats.audio import load_audio
    from motiongen.formats.textgrid import read_textgrid

    audio_path = require_file(audio_path, "audio file")
    wave, sample_rate = load_audio(audio_path, target_sr=None)
    check_speech(audio_path, wave, sample_rate, min_seconds, silence_dbfs)
    description = {AUDIO_INPUT: file_record(audio_path, sha256_file(audio_path))}
    words = None
    warnings: list[str] = []
    word_source = "transcript"
    if transcript_path is not None:
        transcript_path = require_file(transcript_path, "transcript")
        description[TRANSCRIPT_INPUT] = file_record(transcript_path, sha256_file(transcript_path))
        if transcript_path.suffix.lower() == ".txt":
            from motiongen.text.asr import align_transcript

            words, skipped = align_transcript(wave, sample_rate, transcript_path.read_text(encoding="utf-8"),
                                              where=str(transcript_path))
            if skipped:
                warnings.append(f"{transcript_path}: {len(skipped)} word(s) outside pocketsphinx's dictionary were not "
                                f"aligned (silence there): {', '.join(sorted(set(skipped))[:20])}")
            word_source = "plain-text transcript aligned by pocketsphinx"
        else:
            words = list(read_textgrid(transcript_path, required_tiers=("words",))["words"])
            warnings = check_transcript_timing(transcript_path, words, len(wave) / sample_rate,
                                               transcript_tolerance_seconds)
    elif recognise:
        from motiongen.text.asr import recognise_words

        words = recognise_words(wave, sample_rate)
        word_source = "recognised by pocketsphinx (no transcript)"
    return SpeechInput(wave=wave, sample_rate=sample_rate, words=words, description=description, warnings=warnings,
                       word_source=word_source)


def speech_from_text(text: str, voice: str, min_seconds: float, silence_dbfs: float) -> SpeechInput:
    """Synthesise ``text`` offline with eSpeak NG (``voice`` = ``female`` | ``male``); word intervals
    come from the synthesiser's word events, so the transcript lines up without an aligner."""
    from motiongen.tts.espeak import synthesize

    speech = synthesize(text, voice)
    where = f"<text: {text[:40]!r}>"
    check_speech(where, speech.wave, speech.sample_rate, min_seconds, silence_dbfs)
    description = {
        "text": {"text": text, "voice": voice, "sha256": sha256_text(text)},
        "tts_warnings": list(speech.warnings),
    }
    return SpeechInput(wave=speech.wave, sample_rate=speech.sample_rate, words=list(speech.words), description=description)

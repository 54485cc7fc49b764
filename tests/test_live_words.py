"""Words live (``motiongen live --words recognise``): pocketsphinx's streamed, settled words become each
chunk's word stream exactly as offline generation builds it from the same intervals; the CLI streams
the BEAT sample speech with recognition and records the words it used."""

from __future__ import annotations

import json

import numpy as np
import torch

from motiongen.cli import main
from motiongen.features.pipeline import extract_word_features
from test_generate_cli import SR, tiny_checkpoint, write_wav  # noqa: F401  (session fixture)

SPEECH = "beat/2_scott_0_3_3.wav"  # BEAT sample speech with a TextGrid; its first words begin at ~1.5 s
SECONDS = 4.0
BLOCK = 512  # samples per audio block (32 ms, the live sources' block)


def sample_speech(sample_file, seconds: float = SECONDS) -> np.ndarray:
    from motiongen.formats.audio import load_audio

    wave, _ = load_audio(sample_file(SPEECH), target_sr=SR)
    return wave[: int(seconds * SR)]


def test_streamed_word_rows_equal_offline_rows_of_the_settled_words(sample_file, tiny_checkpoint):
    """Blocks pushed as the session pushes them; after each block, every chunk whose audio rows are
    complete is built from the words settled so far: its rows equal (exactly, tolerance 0) the
    offline word features of the take from the same intervals, and a frame inside a word not
    settled yet has the silence row."""
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.formats.textgrid import read_textgrid
    from motiongen.generation.checkpoint import load_assets
    from motiongen.live.audio_features import StreamingAudioFeatures
    from motiongen.live.causal import CausalGenerator
    from motiongen.text.asr import StreamingWords

    torch.set_num_threads(1)
    wave = sample_speech(sample_file)
    assets = load_assets(tiny_checkpoint)
    generator = CausalGenerator(assets, SamplerSettings(kind="ddim", steps=1), 5, seed=0)
    features, words = StreamingAudioFeatures(assets.audio_recipe), StreamingWords()
    dim, fps, seed_frames = assets.word_vectors.dim, assets.fps, assets.seed_frames
    silence = extract_word_features([], 1, fps, assets.word_vectors)[0]
    spoken_rows = new_spoken_rows = 0  # window rows (seed + new frames) / new frames' rows that got a word
    for begin in range(0, len(wave), BLOCK):
        features.push(wave[begin : begin + BLOCK])
        words.push(wave[begin : begin + BLOCK])
        settled = words.words()
        while generator.done + 5 <= len(features.rows):
            start, stop = generator.done - seed_frames, generator.done + 5
            streamed = generator.word_rows(settled, start, stop)
            offline = extract_word_features(settled, stop, fps, assets.word_vectors)
            expected = np.concatenate([np.repeat(silence[None], max(0, -start), axis=0), offline[max(0, start):]])
            np.testing.assert_array_equal(streamed, expected)
            times = np.arange(start, stop) / fps
            unsettled = times >= (settled[-1].end if settled else 0.0)  # the newest audio's words are not settled
            np.testing.assert_array_equal(streamed[unsettled], np.repeat(silence[None], unsettled.sum(), axis=0))
            spoken_rows += int((streamed[:, dim] == 0).sum())
            new_spoken_rows += int((streamed[seed_frames:, dim] == 0).sum())
            generator.step(features.rows, stop, settled)  # the step reads them (and records them)
    assert spoken_rows > 0 and generator.used_words  # words reached windows before the audio ended
    truth = read_textgrid(sample_file(SPEECH.replace(".wav", ".TextGrid")))["words"]
    frames = generator.done
    recognised = extract_word_features(list(generator.used_words.values()), frames, fps, assets.word_vectors)[:, dim] == 0
    reference = extract_word_features(truth, frames, fps, assets.word_vectors)[:, dim] == 0
    agreement = float((recognised == reference).mean())
    print(f"\n{SPEECH} first {SECONDS:g} s: {len(generator.used_words)} settled words used "
          f"({' '.join(w.label for w in generator.used_words.values())}); {spoken_rows} window rows got a word, "
          f"{new_spoken_rows} of them a new frame's (the rest: seed frames, whose words have settled); "
          f"speech/silence of the used words agrees with the TextGrid on {agreement:.0%} of {frames} frames")
    assert agreement >= 0.7


def test_live_cli_recognises_words_and_records_them(tmp_path, tiny_checkpoint, sample_file, capsys):
    from motiongen.core.motion_file import read_motion_file
    from motiongen.formats.textgrid import read_textgrid

    wav = write_wav(tmp_path / "speech.wav", sample_speech(sample_file))
    out = tmp_path / "session"
    code = main(["live", "--audio", str(wav), "--checkpoint", str(tiny_checkpoint), "--record", str(out),
                 "--words", "recognise", "--steps", "1", "--delay", "0.4"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "words: recognise" in printed.out
    meta = json.loads((out / "metadata.json").read_text())["generation"]
    words = meta["live"]["words"]
    assert words["source"] == "recognise" and words["settle_seconds"] == 0.3
    assert meta["live"]["config"]["words"] == "recognise"
    used = words["used"]
    assert len(used) >= 3 and all(w["word"] and 0 <= w["start"] < w["end"] <= SECONDS for w in used)
    truth = {w.label.lower() for w in read_textgrid(sample_file(SPEECH.replace(".wav", ".TextGrid")))["words"]
             if w.label and w.start < SECONDS}
    assert np.mean([w["word"] in truth for w in used]) >= 0.5, (used, truth)  # recognised, not invented
    assert read_motion_file(out / "motion.npz").num_frames == int(SECONDS * 30)


def test_an_unknown_word_source_is_a_one_line_error(tmp_path, tiny_checkpoint, capsys):
    wav = write_wav(tmp_path / "speech.wav", np.zeros(SR, np.float32))
    code = main(["live", "--audio", str(wav), "--checkpoint", str(tiny_checkpoint), "--record", str(tmp_path / "r"),
                 "words=recognize"])
    err = capsys.readouterr().err
    assert code == 2 and "words=recognize" in err and "none, recognise" in err and "Traceback" not in err

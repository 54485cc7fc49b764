"""``motiongen generate`` end to end with a tiny checkpoint trained here for a few steps.

The training data is built on the fly, offline: procedural gestures on the packaged BEAT 75-joint
template, a jawOpen curve following the loudness of a synthetic speech-like signal, spectral audio
features and word features from a small word table — the same feature code the cache uses. The
checkpoint goes through the real trainer (``motiongen.training.run.train``) with the
:class:`GenerationBundle` callback, so it is exactly what ``motiongen generate`` gets in use.
"""

from __future__ import annotations

import fractions
import json
import math
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from motiongen.cli import main
from motiongen.core.motion_file import read_motion_file
from motiongen.formats.arkit import ARKIT_NAMES, LIVE_LINK_COLUMNS
from motiongen.formats.textgrid import Interval

SR = 16000
WORDS = ["hello", "world", "motion", "speech", "gesture", "today"]
SPEAKERS = [2, 4]


def speech_like(seconds: float, seed: int = 0) -> tuple[np.ndarray, list[Interval]]:
    """A voiced-tone signal in syllable bursts (4 Hz), words of 0.5 s with 0.25 s pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.3 * t)
    voice = np.sin(2 * np.pi * np.cumsum(pitch) / SR) + 0.3 * np.sin(4 * np.pi * np.cumsum(pitch) / SR)
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (np.mod(t, 0.75) < 0.5)
    wave_ = (0.3 * voice * envelope + 0.003 * rng.standard_normal(len(t))).astype(np.float32)
    words, start = [], 0.0
    while start + 0.5 <= seconds:
        words.append(Interval(start, start + 0.5, WORDS[int(start / 0.75) % len(WORDS)]))
        if start + 0.75 <= seconds:
            words.append(Interval(start + 0.5, start + 0.75, ""))
        start += 0.75
    return wave_, words


def write_wav(path: Path, samples: np.ndarray, rate: int = SR) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def write_textgrid(path: Path, words: list[Interval], duration: float) -> Path:
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0", f"xmax = {duration}",
             "tiers? <exists>", "size = 1", "item []:", "    item [1]:", '        class = "IntervalTier"',
             '        name = "words"', "        xmin = 0", f"        xmax = {duration}",
             f"        intervals: size = {len(words)}"]
    for i, w in enumerate(words, 1):
        lines += [f"        intervals [{i}]:", f"            xmin = {w.start}", f"            xmax = {w.end}",
                  f'            text = "{w.label}"']
    path.write_text("\n".join(lines) + "\n")
    return path


class ClipList(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Train the tiny_cpu experiment for 12 steps on procedural data; return the last checkpoint."""
    from motiongen.config import compose
    from motiongen.core.skeleton import SkeletonTemplate
    from motiongen.datasets.beat.format import beat_motion_format
    from motiongen.features.pipeline import extract_audio_features, extract_word_features
    from motiongen.features.recipe import recipe_from_config
    from motiongen.features.words import WordTable
    from motiongen.skeletons import load_joint_set
    from motiongen.training.bundle import make_bundle
    from motiongen.training.bundle_callback import GenerationBundle
    from motiongen.skeletons import load_beat75_template
    from motiongen.training.run import train

    root = tmp_path_factory.mktemp("tiny_train")
    cfg = compose("config", ["experiment=tiny_cpu", "data/features=spectral", "trainer.max_steps=12",
                             "trainer.val_check_interval=12", "trainer.limit_val_batches=1",
                             "trainer.loop.checkpoint_every_n_steps=12", f"trainer.default_root_dir={root}"])
    fps, clip, seed_frames = 30.0, int(cfg.trainer.loop.clip_frames), int(cfg.model.network.seed_frames)
    recipe = recipe_from_config(cfg.data.features, fps)
    table = WordTable(WORDS, np.random.default_rng(1).normal(size=(len(WORDS), 8)), "test vectors")
    joints = load_joint_set("beat47_upper")
    template = SkeletonTemplate.from_motion(load_beat75_template())

    seconds = 12.0
    frames = int(seconds * fps)
    audio_wave, words = speech_like(seconds)
    audio = extract_audio_features(audio_wave, SR, frames, recipe)
    word = extract_word_features(words, frames, fps, table)
    time = np.arange(frames) / fps
    phases = np.random.default_rng(2).uniform(0, 2 * math.pi, 3 * len(joints))
    gesture = (0.2 * np.sin(2 * math.pi * 0.7 * time[:, None] + phases)).astype(np.float32)
    loudness = audio[:, 104 + 2]  # prosody energy (dB) column of the spectral recipe
    expression = np.full((frames, 52), 0.1, np.float32)
    expression[:, ARKIT_NAMES.index("jawOpen")] = np.clip((loudness - loudness.min()) / np.ptp(loudness), 0, 1)
    stats = {name: (block.mean(0), block.std(0) + 1e-3) for name, block in (("gesture", gesture), ("expression", expression))}
    items = []
    for start in range(0, frames - clip + 1, 10):
        span = slice(start, start + clip)
        items.append({
            "gesture": torch.from_numpy((gesture[span] - stats["gesture"][0]) / stats["gesture"][1]),
            "expression": torch.from_numpy((expression[span] - stats["expression"][0]) / stats["expression"][1]),
            "audio": torch.from_numpy(audio[span]), "word": torch.from_numpy(word[span]),
            "speaker": torch.tensor(start % 2), "emotion": torch.tensor(0),
        })
    fmt = beat_motion_format(fps, joints, template, audio.shape[1], recipe.layout(None), word.shape[1], SPEAKERS)
    fmt = fmt.with_statistics(stats)
    bundle = make_bundle(motion_format=fmt, window_frames=clip, seed_frames=seed_frames,
                         audio_features=cfg.data.features, words=table, config={"note": "test"})
    run = train(cfg, fmt, datasets={"train": ClipList(items), "val": ClipList(items[:2])},
                extra_callbacks=[GenerationBundle(bundle)])
    return run.checkpoint_dir / "last.ckpt"


@pytest.fixture(scope="session")
def speech_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    samples, words = speech_like(20.0, seed=3)
    return write_wav(folder / "speech.wav", samples), write_textgrid(folder / "speech.TextGrid", words, 20.0)


@pytest.fixture(scope="session")
def short_speech(tmp_path_factory):
    folder = tmp_path_factory.mktemp("short_speech")
    samples, words = speech_like(5.0, seed=5)
    return write_wav(folder / "short.wav", samples), write_textgrid(folder / "short.TextGrid", words, 5.0)


def generate(*args: str) -> int:
    return main(["generate", *args])


def test_twenty_seconds_give_600_frames_in_every_output(tmp_path, tiny_checkpoint, speech_files, capsys):
    audio, transcript = speech_files
    out = tmp_path / "run"
    code = generate("--audio", str(audio), "--transcript", str(transcript), "--checkpoint", str(tiny_checkpoint),
                    "--out", str(out), "--seed", "3", "--steps", "4", "--no-preview")
    assert code == 0, capsys.readouterr().err
    from motiongen.formats.arkit import read_live_link_csv
    from motiongen.formats.bvh import read_bvh

    motion = read_bvh(out / "motion.bvh")
    assert motion.num_frames == 600 and motion.skeleton.num_joints == 75 and motion.fps == 30.0
    header = (out / "face_livelink.csv").read_text().splitlines()[0].split(",")
    assert tuple(header) == LIVE_LINK_COLUMNS and read_live_link_csv(out / "face_livelink.csv").num_frames == 600
    motion = read_motion_file(out / "motion.npz")
    assert motion.blocks["gesture"].shape == (1, 600, 141) and motion.blocks["expression"].shape == (1, 600, 52)
    inputs = motion.metadata["inputs"]
    assert set(inputs) == {"audio", "transcript"} and all(len(v["sha256"]) == 64 for v in inputs.values())
    assert motion.metadata["model"]["checkpoint"].endswith("last.ckpt") and len(motion.metadata["model"]["sha256"]) == 64
    assert motion.metadata["generation"]["seed"] == 3
    config = motion.metadata["config"]
    assert config["generate"]["sampler"]["steps"] == 4 and config["training"] == {"note": "test"}
    assert np.isfinite(motion.blocks["gesture"]).all() and np.isfinite(motion.extras["euler_deg"]).all()
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["generation"]["word_features"] == "transcript"


def test_same_seed_same_output_and_no_transcript_is_stated(tmp_path, tiny_checkpoint, short_speech):
    audio, _ = short_speech
    runs = []
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert generate("--audio", str(audio), "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path / name),
                        "--seed", seed, "--steps", "3", "--eta", "0.5", "--no-preview",
                        "words_without_transcript=silence") == 0
        motion = read_motion_file(tmp_path / name / "motion.npz")
        runs.append((motion.blocks["gesture"], motion.blocks["expression"]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.allclose(runs[0][0], runs[2][0])
    assert (tmp_path / "a" / "motion.bvh").read_bytes() == (tmp_path / "b" / "motion.bvh").read_bytes()
    metadata = json.loads((tmp_path / "a" / "metadata.json").read_text())
    assert "silence/unknown" in metadata["generation"]["word_features"]
    assert any("no transcript" in w for w in metadata["warnings"])


def test_streaming_120fps_samples_and_initial_pose(tmp_path, tiny_checkpoint, short_speech, capsys):
    audio, transcript = short_speech
    init = tmp_path / "init.bvh"
    from motiongen.skeletons import beat75_template_path

    init.write_bytes(beat75_template_path().read_bytes())
    out = tmp_path / "run"
    assert generate("--audio", str(audio), "--transcript", str(transcript), "--checkpoint", str(tiny_checkpoint),
                    "--out", str(out), "--stream", "--fps", "120", "--num-samples", "2", "--sampler", "ddim",
                    "--steps", "2", "--guidance", "2.0", "--speaker", "4", "--init-bvh", str(init), "--no-preview") == 0
    printed = capsys.readouterr().out
    assert "window 0: frames 0-" in printed and "start-up latency" in printed
    from motiongen.formats.bvh import read_bvh

    for k in (0, 1):
        motion = read_bvh(out / f"motion_{k}.bvh")
        assert motion.fps == 120.0 and motion.num_frames == 600  # 5 s
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["generation"]["categories"] == {"speaker": "4"}
    assert metadata["generation"]["initial_motion"] == ["gesture"]
    assert metadata["generation"]["first_window_seconds"] > 0 and metadata["inputs"]["init_bvh"]["sha256"]
    assert metadata["generation"]["first_window_frames"] == 20  # stream_first_window=min: 2 x the 10-frame seed


def test_window_join_is_a_setting_and_a_bad_one_is_one_line(tmp_path, tiny_checkpoint, short_speech, capsys):
    """window_join=crossfade (every channel crossfaded) and the default inertialize (ours) both run
    and differ; an unknown join is a one-line error naming the choices."""
    audio, _ = short_speech
    common = ["--audio", str(audio), "--checkpoint", str(tiny_checkpoint), "--seed", "3", "--steps", "2", "--no-preview"]
    assert generate(*common, "--out", str(tmp_path / "inertialize"), "words_without_transcript=silence") == 0
    assert generate(*common, "--out", str(tmp_path / "crossfade"), "words_without_transcript=silence",
                    "window_join=crossfade") == 0
    joined, faded = (read_motion_file(tmp_path / name / "motion.npz").blocks["gesture"] for name in ("inertialize", "crossfade"))
    assert joined.shape == faded.shape and np.isfinite(faded).all() and not np.allclose(joined, faded)
    capsys.readouterr()
    assert generate(*common, "--out", str(tmp_path / "bad"), "window_join=blend") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "window_join must be one of inertialize, crossfade" in err[0]


def test_preview_is_written(tmp_path, tiny_checkpoint):
    samples, words = speech_like(2.0, seed=4)
    audio = write_wav(tmp_path / "short.wav", samples)
    out = tmp_path / "run"
    assert generate("--audio", str(audio), "--checkpoint", str(tiny_checkpoint), "--out", str(out), "--steps", "2") == 0
    assert (out / "preview.mp4").stat().st_size > 0 and (out / "face_curves.png").stat().st_size > 0


@pytest.mark.slow
def test_text_input_uses_speech_synthesis(tmp_path, tiny_checkpoint):
    out = tmp_path / "run"
    assert generate("--text", "Hello world, this is a happy test of speech and motion.", "--voice", "male",
                    "--checkpoint", str(tiny_checkpoint), "--out", str(out), "--steps", "2", "--no-preview") == 0
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["inputs"]["text"]["voice"] == "male" and metadata["generation"]["word_features"] == "transcript"


def bad_inputs(tmp_path: Path, checkpoint: Path, audio: Path):
    silent = write_wav(tmp_path / "silent.wav", np.zeros(SR * 3, np.float32))
    short = write_wav(tmp_path / "short.wav", speech_like(0.5)[0])
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(checkpoint.read_bytes()[:5000])
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_text("not a checkpoint")
    bad_grid = tmp_path / "bad.TextGrid"
    bad_grid.write_text("File type = \"ooTextFile\"\nnonsense\n")
    later = [Interval(w.start + 30.0, w.end + 30.0, w.label) for w in speech_like(20.0)[1]]
    other_grid = write_textgrid(tmp_path / "other.TextGrid", [Interval(0.0, 30.0, ""), *later], 50.0)
    objects = tmp_path / "objects.ckpt"  # a pickle of a Python object: loading it the unsafe way would run its code
    torch.save({"state_dict": {}, "hyper_parameters": {}, "payload": fractions.Fraction(1, 3)}, objects)
    old = tmp_path / "old.ckpt"  # a checkpoint of the layout before the declared motion format
    state = torch.load(checkpoint, weights_only=True)
    state["motiongen_generation"] = {"version": 1, "fps": 30.0, "joint_names": [], "stats": {}}
    torch.save(state, old)
    ckpt = ["--checkpoint", str(checkpoint)]
    return {
        "transcript of other audio": (["--audio", str(audio), "--transcript", str(other_grid), *ckpt],
                                      "no word of the transcript lies inside the 20.00 s of audio"),
        "checkpoint holding objects": (["--audio", str(audio), "--checkpoint", str(objects)], "fractions.Fraction"),
        "missing audio": (["--audio", str(tmp_path / "nope.wav"), *ckpt], "not found"),
        "silent audio": (["--audio", str(silent), *ckpt], "silent"),
        "too-short audio": (["--audio", str(short), *ckpt], "at least"),
        "missing transcript": (["--audio", str(audio), "--transcript", str(tmp_path / "nope.TextGrid"), *ckpt], "not found"),
        "corrupt transcript": (["--audio", str(audio), "--transcript", str(bad_grid), *ckpt], "bad.TextGrid"),
        "empty text": (["--text", "   ", *ckpt], "no words"),
        "unknown voice": (["--text", "Hello there.", "--voice", "robot", *ckpt], "unknown voice"),
        "missing checkpoint": (["--audio", str(audio), "--checkpoint", str(tmp_path / "nope.ckpt")], "not found"),
        "truncated checkpoint": (["--audio", str(audio), "--checkpoint", str(corrupt)], "checkpoint"),
        "garbage checkpoint": (["--audio", str(audio), "--checkpoint", str(garbage)], "checkpoint"),
        "old checkpoint": (["--audio", str(audio), "--checkpoint", str(old)], "old.ckpt: generation bundle version 1"),
        "unknown speaker": (["--audio", str(audio), "--speaker", "99", *ckpt], "speaker 99"),
        "emotion for a model without one": (["--audio", str(audio), "--emotion", "bored", *ckpt], "drop --emotion"),
        "bad eta": (["--audio", str(audio), "--eta", "2", *ckpt], "eta"),
    }


def test_bad_inputs_give_clear_errors_and_no_output_folder(tmp_path, tiny_checkpoint, speech_files, capsys):
    audio, _ = speech_files
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    for name, (args, message) in bad_inputs(inputs, tiny_checkpoint, audio).items():
        out = outputs / name.replace(" ", "_")
        code = generate(*args, "--out", str(out), "--steps", "2", "--no-preview")
        err = capsys.readouterr().err
        assert code == 2, f"{name}: exit {code}"
        assert "motiongen generate: error:" in err and message in err, f"{name}: {err}"
        assert "weights_only" not in err, f"{name}: never advise loading a file of unknown origin unsafely: {err}"
    assert list(outputs.iterdir()) == [], "no (half-written) output folder may remain"


def test_a_transcript_longer_than_the_audio_is_warned_about(tmp_path, tiny_checkpoint, short_speech, capsys):
    audio, _ = short_speech  # 5 s
    samples, words = speech_like(68.0, seed=5)
    long_grid = write_textgrid(tmp_path / "long.TextGrid", words, 68.0)
    out = tmp_path / "run"
    assert generate("--audio", str(audio), "--transcript", str(long_grid), "--checkpoint", str(tiny_checkpoint),
                    "--out", str(out), "--steps", "2", "--no-preview") == 0
    printed = capsys.readouterr().out
    expected = f"transcript {long_grid} spans 68.00 s but the audio is 5.00 s long"
    assert f"warning: {expected}" in printed and "words lie past the audio's end" in printed
    metadata = json.loads((out / "metadata.json").read_text())
    assert any(expected in warning for warning in metadata["warnings"])


def test_overwrite_never_replaces_a_folder_motiongen_did_not_write(tmp_path, tiny_checkpoint, short_speech, capsys):
    audio, _ = short_speech
    theirs = tmp_path / "thesis"
    theirs.mkdir()
    (theirs / "chapter1.tex").write_text("months of work")
    args = ("--audio", str(audio), "--checkpoint", str(tiny_checkpoint), "--steps", "2", "--no-preview", "--overwrite")
    assert generate(*args, "--out", str(theirs)) == 2
    err = capsys.readouterr().err
    assert str(theirs) in err and "not written by motiongen" in err
    assert [p.name for p in theirs.iterdir()] == ["chapter1.tex"] and (theirs / "chapter1.tex").read_text() == "months of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"], "nothing staged next to the refused folder may remain"

    ours = tmp_path / "ours"
    assert generate(*args, "--out", str(ours)) == 0
    first = (ours / "motion.npz").stat().st_mtime_ns
    assert generate(*args, "--out", str(ours), "--seed", "9") == 0, capsys.readouterr().err
    assert (ours / "motion.npz").stat().st_mtime_ns != first


@pytest.mark.slow
def test_motiongen_train_on_a_cache_writes_a_self_contained_checkpoint(tmp_path):
    """preprocess → train (the real cache path) → the checkpoint alone drives generation."""
    from feature_cache_helpers import make_take, preprocess_overrides

    from motiongen.cache.build import build_cache
    from motiongen.config import compose
    from motiongen.formats.bvh import read_bvh
    from motiongen.generation.checkpoint import load_assets
    from motiongen.training.run import train

    corpus = tmp_path / "beat"
    for take_id, seed in (("2_scott_0_10_10", 1), ("2_scott_0_11_11", 2), ("2_scott_0_60_60", 3)):
        make_take(corpus, take_id, seed=seed)
    cache = tmp_path / "cache"
    build_cache(compose("config", preprocess_overrides(corpus, cache)), progress=False)
    cfg = compose("config", preprocess_overrides(corpus, cache) + [
        "experiment=tiny_cpu", "trainer.max_steps=3", "trainer.val_check_interval=3", "trainer.limit_val_batches=1",
        "trainer.loop.checkpoint_every_n_steps=3", "trainer.loop.batch_size=2", f"trainer.default_root_dir={tmp_path / 'run'}"])
    checkpoint = train(cfg).checkpoint_dir / "last.ckpt"
    assets = load_assets(checkpoint)
    training_bvh = read_bvh(corpus / "2" / "2_scott_0_10_10.bvh")
    template = assets.motion_format.skeleton
    assert template.skeleton.names == training_bvh.skeleton.names
    np.testing.assert_allclose(template.rest_euler_deg, training_bvh.euler_deg[0])
    assert assets.window_frames == 60 and assets.seed_frames == 10
    assert set(assets.motion_format.normalised_names()) == {"gesture", "expression", "audio"}
    from motiongen.features.words import FastTextModel

    # the cache trained fallback fastText vectors: a word the corpus never used still gets a vector
    assert isinstance(assets.word_vectors, FastTextModel)
    vectors, found = assets.word_vectors.lookup(["zebrafish"])
    assert found[0] and np.abs(vectors).sum() > 0
    samples, words = speech_like(3.0)
    audio = write_wav(tmp_path / "speech.wav", samples)
    out = tmp_path / "out"
    assert main(["generate", "--audio", str(audio), "--checkpoint", str(checkpoint), "--out", str(out),
                 "--steps", "2", "--no-preview"]) == 0
    assert read_bvh(out / "motion.bvh").num_frames == 90


def test_ddpm_sampler_through_the_cli(tmp_path, tiny_checkpoint, short_speech):
    audio, transcript = short_speech
    out = tmp_path / "run"
    assert generate("--audio", str(audio), "--transcript", str(transcript), "--checkpoint", str(tiny_checkpoint),
                    "--out", str(out), "--sampler", "ddpm", "--precision", "float32", "--no-preview") == 0
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["generation"]["sampler"]["kind"] == "ddpm" and metadata["generation"]["precision"] == "float32"
    gesture = read_motion_file(out / "motion.npz").blocks["gesture"]
    assert gesture.shape == (1, 150, 141) and np.isfinite(gesture).all()

"""The quickstart report helpers, and (slow) the whole `motiongen quickstart` in reduced-steps mode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.quickstart.report import QuickstartReport, jaw_envelope_correlation, plot_loss_curve, write_report
from motiongen.quickstart.speech import rms_envelope


def _speech(seconds: float = 3.0, rate: int = 16000):
    t = np.arange(int(seconds * rate)) / rate
    syllables = np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 2
    return (0.3 * syllables * np.sin(2 * np.pi * 180 * t)).astype(np.float32), rate


def test_jaw_correlation_rewards_a_jaw_that_follows_the_speech():
    wave, rate = _speech()
    fps, frames = 30.0, 90
    envelope = rms_envelope(wave, rate, fps, frames)
    following = np.zeros((frames, len(ARKIT_NAMES)), np.float32)
    following[:, ARKIT_NAMES.index("jawOpen")] = 0.6 * envelope
    random = np.random.default_rng(0).uniform(0, 1, following.shape).astype(np.float32)
    assert jaw_envelope_correlation(following, fps, wave, rate) > 0.99
    assert abs(jaw_envelope_correlation(random, fps, wave, rate)) < 0.4
    assert jaw_envelope_correlation(np.zeros_like(following), fps, wave, rate) == 0.0


def _report(**changes) -> QuickstartReport:
    values = dict(
        sentence="Hello there.", voice="female", emotion="neutral", corpus_takes=20, corpus_seconds=260.0,
        training_steps=100, training_seconds=60.0, final_loss=0.5, sigma={"gesture": 0.8, "expression": 0.6},
        jaw_correlation_trained=0.7, jaw_correlation_untrained=0.05, total_seconds=300.0,
        files={"preview": "generated/preview.mp4"},
    )
    values.update(changes)
    return QuickstartReport(**values)


def test_report_files(tmp_path):
    plot = plot_loss_curve(tmp_path / "loss.png", np.arange(10), {"train": np.linspace(1, 0.1, 10)}, "loss")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    md, js = write_report(tmp_path, _report())
    data = json.loads(js.read_text())
    assert data["jaw_correlation_gain"] == pytest.approx(0.65)
    assert data["sigma"] == {"gesture": 0.8, "expression": 0.6}
    text = md.read_text()
    assert "+0.650" in text and "generated/preview.mp4" in text


def test_non_finite_report_values_are_refused():
    _report().check_finite()
    with pytest.raises(ValueError, match="sigma.gesture"):
        _report(sigma={"gesture": float("nan")}).check_finite()


def test_quickstart_refuses_a_folder_of_other_files(tmp_path, capsys):
    """A re-run clears the earlier run's training folder, so the output folder must be motiongen's own."""
    from motiongen.cli import main

    theirs = tmp_path / "project"
    (theirs / "runs").mkdir(parents=True)
    (theirs / "runs" / "results.csv").write_text("a,b\n1,2\n")
    assert main(["quickstart", "--out", str(theirs), "--fast", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(theirs) in err and "not written by motiongen" in err
    assert [str(p.relative_to(theirs)) for p in sorted(theirs.rglob("*"))] == ["runs", "runs/results.csv"]


@pytest.mark.slow
def test_quickstart_end_to_end_in_reduced_mode(tmp_path):
    """`motiongen quickstart --fast` on an empty folder: every output exists and reads back."""
    import csv
    import math

    import av

    from motiongen.cli import main
    from motiongen.formats.arkit import LIVE_LINK_COLUMNS, read_beat_face_json
    from motiongen.formats.bvh import read_bvh
    from motiongen.formats.joint_sets import load_joint_set

    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), "--fast", "--steps", "30", "--no-progress"]) == 0

    generated = out / "generated"
    motion = read_bvh(generated / "motion.bvh")
    assert motion.skeleton.names == load_joint_set("beat75") and motion.fps == 30.0
    frames = motion.num_frames
    assert frames > 90 and np.isfinite(motion.euler_deg).all()

    face = read_beat_face_json(generated / "face.json")
    assert face.num_frames == frames and not face.warnings
    with open(generated / "face_livelink.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == LIVE_LINK_COLUMNS
    assert len(rows) - 1 >= frames

    with av.open(str(generated / "preview.mp4")) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert video.average_rate == 30
        decoded = sum(1 for _ in container.decode(video=0))
        audio_seconds = float(audio.duration * audio.time_base)
    assert decoded == frames
    assert audio_seconds == pytest.approx(frames / 30, abs=0.1)
    assert (generated / "face_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"

    report = json.loads((out / "report.json").read_text())
    assert report["training_steps"] == 30
    assert set(report["sigma"]) == {"gesture", "expression"}
    numbers = [report[k] for k in ("final_loss", "jaw_correlation_trained", "jaw_correlation_untrained",
                                   "jaw_correlation_gain", "training_seconds", "total_seconds")]
    numbers += list(report["sigma"].values())
    assert all(isinstance(v, float) and math.isfinite(v) for v in numbers)
    assert all(v > 0 for v in report["sigma"].values())
    assert "jawOpen" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--text", " ... "], "no words"),
        (["--voice", "robot"], "female, male"),
        (["--steps", "0"], "--steps"),
    ],
)
def test_bad_quickstart_inputs_fail_before_any_work(tmp_path, capsys, argv, message):
    from motiongen.cli import main

    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()

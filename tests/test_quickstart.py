"""The quickstart report helpers, and (slow) the whole `motiongen quickstart` in reduced-steps mode."""

from __future__ import annotations

import json

from pathlib import Path

import numpy as np
import pytest

from motiongen.quickstart.lipsync import AudioToJawRegression, LipSyncRow, lipsync_rows, pearson
from motiongen.quickstart.report import EnergyRow, QuickstartReport, energy_rows, plot_energy, plot_loss_curve, write_report
from motiongen.quickstart.speech import rms_envelope


def _speech(seconds: float = 3.0, rate: int = 16000):
    t = np.arange(int(seconds * rate)) / rate
    syllables = np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 2
    return (0.3 * syllables * np.sin(2 * np.pi * 180 * t)).astype(np.float32), rate


def test_lipsync_rows_reward_a_jaw_that_follows_the_truth():
    wave, rate = _speech()
    envelope = rms_envelope(wave, rate, 30.0, 90)
    truth = 0.6 * envelope
    random = np.random.default_rng(0).uniform(0, 1, 90)
    rows = lipsync_rows({"follows": ("", truth), "random": ("", random), "still": ("", np.zeros(90))}, envelope, truth)
    assert rows[0].r_truth == pytest.approx(1.0) and rows[0].r_envelope > 0.99
    assert abs(rows[1].r_truth) < 0.4 and rows[2].r_truth == 0.0 == pearson(np.ones(5), np.arange(5))


def test_audio_regression_recovers_a_linear_read_out_and_nothing_more():
    rng = np.random.default_rng(1)
    features = [rng.normal(size=(400, 6)) for _ in range(3)]
    weights = np.array([0.1, -0.05, 0.0, 0.02, 0.0, 0.0])
    jaw = [0.3 + f @ weights for f in features]
    model = AudioToJawRegression.fit(features, jaw, ["a", "b", "c"], alpha=1e-6)
    test = rng.normal(size=(200, 6))
    np.testing.assert_allclose(model.predict(test), np.clip(0.3 + test @ weights, 0, 1), atol=1e-4)
    assert model.train_frames == 1200 and model.train_takes == ["a", "b", "c"]
    # a jaw that depends on the features non-linearly is only partly read out
    squared = [0.2 + 0.1 * f[:, 0] ** 2 for f in features]
    model = AudioToJawRegression.fit(features, squared, ["a", "b", "c"])
    assert pearson(model.predict(test), 0.2 + 0.1 * test[:, 0] ** 2) < 0.3


def test_energy_rows_measure_rotation_speed_in_degrees_per_second():
    joints = ["Spine1", "RightArm", "RightForeArm", "LeftArm", "LeftForeArm"]
    frames = np.arange(31)
    corpus = np.zeros((31, 5, 3))
    corpus[:, 1, 0] = np.radians(2.0) * frames  # RightArm turns 2 deg per frame about x: 60 deg/s at 30 fps
    generated = corpus.copy()
    generated[:, 1, 0] /= 4
    rows = {row.joint: row for row in energy_rows(generated.reshape(31, -1), [corpus.reshape(31, -1)], joints, 30.0)}
    assert rows["RightArm"].corpus == pytest.approx(60.0) and rows["RightArm"].ratio == pytest.approx(0.25)
    assert rows["arms (mean of the 4 arm joints)"].corpus == pytest.approx(15.0)
    assert rows["all 5 joints"].generated == pytest.approx(3.0) and rows["Spine1"].corpus == 0.0
    assert rows["RightArm"].generated_acceleration == pytest.approx(0.0, abs=1e-6)


def _report(**changes) -> QuickstartReport:
    lipsync = [LipSyncRow("ceiling", "truth", 0.9, 1.0), LipSyncRow("audio regression", "read-out", 0.8, 0.7),
               LipSyncRow("untrained", "before", 0.05, 0.02), LipSyncRow("trained", "after", 0.85, 0.8)]
    energy = [EnergyRow("RightArm", 40.0, 60.0, 900.0, 800.0), EnergyRow("arms (mean of the 4 arm joints)", 30.0, 50.0, 700.0, 600.0),
              EnergyRow("all 47 joints", 3.0, 4.0, 90.0, 80.0)]
    values = dict(
        sentence="Hello there.", voice="female", emotion="neutral", corpus_takes=20, corpus_seconds=260.0,
        training_steps=100, training_seconds=60.0, final_loss=0.5, sigma={"gesture": 0.8, "expression": 0.6},
        lipsync=lipsync, energy=energy, l1div={"generated": 1.5, "corpus": 2.0}, sampler={"kind": "ddim", "steps": 25}, total_seconds=300.0,
        files={"preview": "generated/preview.mp4"},
    )
    values.update(changes)
    return QuickstartReport(**values)


def test_report_files(tmp_path):
    plot = plot_loss_curve(tmp_path / "loss.png", np.arange(10), {"train": np.linspace(1, 0.1, 10)}, "loss")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert plot_energy(tmp_path / "energy.png", _report().energy).read_bytes()[:4] == b"\x89PNG"
    md, js = write_report(tmp_path, _report())
    data = json.loads(js.read_text())
    assert data["arm_energy_ratio"] == pytest.approx(0.6) and data["energy"][0]["ratio"] == pytest.approx(40 / 60)
    assert [row["name"] for row in data["lipsync"]] == ["ceiling", "audio regression", "untrained", "trained"]
    assert data["sigma"] == {"gesture": 0.8, "expression": 0.6}
    text = md.read_text()
    assert "| audio regression | read-out | 0.700 | 0.800 |" in text and "| RightArm | 40.0 | 60.0 | 67 % | 900 | 800 |" in text
    assert "generated 1.50, training takes\n2.00" in text or "generated 1.50, training takes 2.00" in text
    assert "trained model beats the audio-regression baseline" in text and "generated/preview.mp4" in text
    worse = _report(lipsync=[*_report().lipsync[:3], LipSyncRow("trained", "after", 0.6, 0.5)])
    md, _ = write_report(tmp_path, worse)
    assert "does NOT beat the audio-regression baseline" in md.read_text()


def _rows(student_r: float, student_accel: float):
    from motiongen.quickstart.student import SamplingRow, meets_goal

    teacher = SamplingRow("teacher dpmsolver-10", "teacher", ("sampler=dpmsolver", "sampler.steps=10"), 0.9, 1.0, 1.7, 0.02)
    rows = [teacher, SamplingRow("teacher ddim-1", "teacher", ("sampler=ddim", "sampler.steps=1"), 0.8, 0.9, 2.2, 0.005)]
    for steps, r in ((1, student_r - 0.1), (2, student_r), (4, student_r)):
        rows.append(SamplingRow(f"student lcm-{steps}", "student", ("sampler=lcm", f"sampler.steps={steps}"), r, 1.05,
                                student_accel, 0.004 * steps))
    for row in rows[2:]:
        row.meets_goal = meets_goal(row, teacher)
    return rows


def test_the_student_animates_the_sentence_only_when_it_meets_the_goal_with_the_fewest_steps():
    from motiongen.quickstart.student import choose

    rows = _rows(student_r=0.88, student_accel=1.8)
    assert [row.meets_goal for row in rows[2:]] == [False, True, True]  # r 0.78 < 0.95 x 0.9 at one step
    assert choose(rows).name == "student lcm-2"
    assert choose(_rows(student_r=0.88, student_accel=1.9)).name == "teacher dpmsolver-10"  # 1.9 > 1.1 x 1.7
    assert choose(_rows(student_r=0.85, student_accel=1.8)).name == "teacher dpmsolver-10"  # 0.85 < 0.855


def test_report_shows_the_teacher_student_comparison(tmp_path):
    from motiongen.quickstart.student import StudentComparison, choose

    rows = _rows(student_r=0.88, student_accel=1.8)
    comparison = StudentComparison(1000, 55.0, "runs/student/checkpoints/last.ckpt", rows, choose(rows).name)
    md, js = write_report(tmp_path, _report(student=comparison))
    text = md.read_text()
    assert "| student lcm-2 | 0.880 | 105 % | 1.80x | 0.008 | yes |" in text
    assert "| teacher dpmsolver-10 | 0.900 | 100 % | 1.70x | 0.020 |  |" in text
    assert "use the **student at 2 step(s)**" in text and "1000 steps in 55 s" in text
    data = json.loads(js.read_text())
    assert data["student"]["chosen"] == "student lcm-2" and len(data["student"]["rows"]) == 5
    teacher_only = StudentComparison(20, 3.0, "x.ckpt", _rows(0.5, 1.8), "teacher dpmsolver-10")
    assert "use the **teacher** (dpmsolver-10): no student row meets the goal" in write_report(
        tmp_path, _report(student=teacher_only))[0].read_text()
    bad = _rows(0.88, float("nan"))
    with pytest.raises(ValueError, match="student.student lcm-1.arm_acceleration_ratio"):
        _report(student=StudentComparison(20, 3.0, "x.ckpt", bad, "teacher dpmsolver-10")).check_finite()


def test_non_finite_report_values_are_refused():
    _report().check_finite()
    with pytest.raises(ValueError, match="sigma.gesture"):
        _report(sigma={"gesture": float("nan")}).check_finite()
    with pytest.raises(ValueError, match="lipsync.trained.r_truth"):
        _report(lipsync=[LipSyncRow("trained", "", 0.1, float("nan"))]).check_finite()


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


#: Training steps of the reduced quickstart run the slow tests share: enough for the trained model to
#: beat its initial weights on lip sync by a wide margin (sync confidence 0.69 vs 0.007, face MSE
#: 0.0023 vs 0.0051 measured at 300 steps; at the quickstart's --fast 60 steps the sync confidence
#: is still at the untrained level), 13 s of training.
SHARED_RUN_STEPS = 300


@pytest.fixture(scope="module")
def fast_quickstart(tmp_path_factory):
    """`motiongen quickstart --fast --steps 300` on an empty folder, run once for the slow tests."""
    from motiongen.cli import main

    out = tmp_path_factory.mktemp("quickstart") / "qs"
    assert main(["quickstart", "--out", str(out), "--fast", "--steps", str(SHARED_RUN_STEPS), "--no-progress"]) == 0
    return out


@pytest.mark.slow
def test_quickstart_end_to_end_in_reduced_mode(fast_quickstart):
    """`motiongen quickstart --fast`: every output exists and reads back."""
    import csv
    import math

    import av

    from motiongen.formats.arkit import LIVE_LINK_COLUMNS, read_beat_face_json
    from motiongen.formats.bvh import read_bvh
    from motiongen.skeletons import load_joint_set

    out = fast_quickstart

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
    assert report["training_steps"] == SHARED_RUN_STEPS
    assert set(report["sigma"]) == {"gesture", "expression"}
    numbers = [report[k] for k in ("final_loss", "arm_energy_ratio", "training_seconds", "total_seconds")]
    numbers += list(report["sigma"].values())
    numbers += [row[k] for row in report["lipsync"] for k in ("r_truth", "r_envelope")]
    numbers += [row[k] for row in report["energy"] for k in ("generated", "corpus")]
    assert all(isinstance(v, float) and math.isfinite(v) for v in numbers)
    assert all(v > 0 for v in report["sigma"].values())
    lipsync = {row["name"]: row for row in report["lipsync"]}
    assert list(lipsync) == ["ceiling", "audio regression", "untrained", "trained"]
    assert lipsync["ceiling"]["r_truth"] == pytest.approx(1.0)
    assert lipsync["trained"]["r_truth"] > lipsync["untrained"]["r_truth"] + 0.2, "training must improve lip sync"
    assert {row["joint"] for row in report["energy"]} >= {"RightArm", "LeftForeArm", "all 47 joints"}
    text = (out / "report.md").read_text()
    assert "audio regression" in text and "ceiling" in text and "angular speed" in text
    student = report["student"]  # the --fast run distils a 20-step student and compares it with the teacher
    assert student["distill_steps"] == 20 and Path(student["checkpoint"]).is_file()
    assert [row["name"] for row in student["rows"]] == ["teacher dpmsolver-10", "teacher ddim-1", "teacher ddim-2",
                                                        "teacher ddim-4", "student lcm-1", "student lcm-2", "student lcm-4"]
    assert all(math.isfinite(row[k]) for row in student["rows"] for k in ("jaw_r", "arm_speed_ratio", "seconds_per_second"))
    assert student["chosen"] in {row["name"] for row in student["rows"]} and "Few-step student" in text
    assert (out / "motion_energy.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_trained_quickstart_model_beats_the_untrained_one_on_lip_sync_and_face_mse(fast_quickstart):
    """Issue 11's done-when on the quickstart corpus: evaluator networks trained on its cache, then
    `motiongen evaluate` of the quickstart checkpoint with the untrained floor row."""
    from motiongen.cli import main

    cache, checkpoint = fast_quickstart / "cache", fast_quickstart / "runs" / "checkpoints" / "last.ckpt"
    assert main(["train-evaluator", str(cache), "feature_steps=20", "sync_steps=150", "threads=1"]) == 0
    out = fast_quickstart / "evaluation"
    assert main(["evaluate", f"checkpoint={checkpoint}", "split=test", "untrained_baseline=true", "threads=1",
                 f"out_dir={out}"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["sync_scorer_accuracy"] > 0.8, "the sync scorer must tell in-sync from shifted on held-out takes"
    rows = {row["name"]: row for row in report["rows"]}
    trained, untrained = rows["runs/last.ckpt"], rows["runs/last.ckpt (untrained)"]
    assert trained["sync_confidence"] > untrained["sync_confidence"] + 0.2
    assert trained["face_mse"] < 0.8 * untrained["face_mse"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--text", " ... "], "no words"),
        (["--voice", "robot"], "female, male"),
        (["--steps", "0"], "--steps"),
        (["--distill-steps", "-1"], "--distill-steps"),
    ],
)
def test_bad_quickstart_inputs_fail_before_any_work(tmp_path, capsys, argv, message):
    from motiongen.cli import main

    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def _figures(report: dict) -> dict:
    """The report without what may differ between identical runs: wall times and output paths."""
    figures = {key: value for key, value in report.items() if key not in ("training_seconds", "total_seconds", "files")}
    if figures.get("student") is not None:
        student = {key: value for key, value in figures["student"].items() if key not in ("distill_seconds", "checkpoint")}
        student["rows"] = [{key: value for key, value in row.items() if key != "seconds_per_second"} for row in student["rows"]]
        figures["student"] = student
    return figures


@pytest.mark.slow
def test_the_same_quickstart_command_gives_the_same_numbers_bit_for_bit(tmp_path):
    """Two `motiongen quickstart --fast` processes, one seeing 1 CPU thread and hash seed 1, the
    other 2 threads and hash seed 2: the same corpus audio (eSpeak NG seeded), fastText vectors
    (gensim, one worker), weights and report figures, bit for bit."""
    import os
    import subprocess
    import sys

    import torch

    runs = {}
    for threads in (1, 2):
        out = tmp_path / f"threads{threads}"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONHASHSEED": str(threads)}
        result = subprocess.run([sys.executable, "-m", "motiongen.cli", "quickstart", "--fast", "--no-progress",
                                 "--out", str(out)], capture_output=True, text=True, env=env, timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[threads] = out
    reports = [json.loads((out / "report.json").read_text()) for out in runs.values()]
    assert _figures(reports[0]) == _figures(reports[1])
    for wav in sorted((runs[1] / "corpus").rglob("*.wav")):
        assert wav.read_bytes() == (runs[2] / wav.relative_to(runs[1])).read_bytes(), wav.name
    states = [torch.load(out / "runs" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"] for out in runs.values()]
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(states[0][name], states[1][name]) for name in states[0])
    motions = [np.load(out / "generated" / "motion.npz") for out in runs.values()]
    for name in motions[0].files:
        if name != "metadata":
            np.testing.assert_array_equal(motions[0][name], motions[1][name], err_msg=name)


def test_report_labels_the_smoothing_prior(tmp_path):
    smoothed = _report(smoothing={"kind": "lowpass", "cutoff_hz": 6.0, "order": 2, "filter": "zero-phase",
                                  "source": "checkpoint"})
    md, js = write_report(tmp_path, smoothed)
    text = md.read_text()
    assert "Smoothing prior (ours): **lowpass 6 Hz** (Butterworth order 2, zero-phase)" in text
    assert "recorded in the checkpoint" in text and "`smoothing=none` turns it off" in text
    assert json.loads(js.read_text())["smoothing"]["cutoff_hz"] == 6.0
    md, _ = write_report(tmp_path, _report(smoothing={"kind": "none", "source": "request"}))
    assert "Smoothing prior (ours): **none** (chosen by a generate override)" in md.read_text()

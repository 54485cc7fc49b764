"""The quickstart's report: lip sync against honest references, body motion energy, learned
uncertainty weights, loss curve.

Lip sync (see :mod:`motiongen.quickstart.lipsync`): the generated ``jawOpen`` of the trained and
the untrained network next to the ceiling (the corpus recipe's jaw for the unseen sentence) and a
per-frame linear regression from the audio features (the baseline to beat). Body: the mean joint
angular speed (deg/s, :mod:`motiongen.core.motion_energy`) of the generated motion per arm
joint and over all joints, against the training takes — a nearly frozen figure shows up here.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from motiongen.quickstart.lipsync import LipSyncRow
from motiongen.quickstart.student import StudentComparison, comparison_markdown

#: Joints whose motion energy the report lists one by one (the rest enter the all-joint mean).
ENERGY_JOINTS = ("RightArm", "RightForeArm", "RightHand", "LeftArm", "LeftForeArm", "LeftHand", "Neck", "Spine1")
ARM_JOINTS = ("RightArm", "RightForeArm", "LeftArm", "LeftForeArm")


def plot_loss_curve(path: str | Path, steps: np.ndarray, series: dict[str, np.ndarray], title: str) -> Path:
    """PNG of training curves: one line per series (same length as ``steps``), log-scaled y when
    all values are positive."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    positive = True
    for name, values in series.items():
        values = np.asarray(values, dtype=np.float64)
        keep = np.isfinite(values)
        ax.plot(np.asarray(steps)[keep], values[keep], label=name, linewidth=1.3)
        positive &= bool(np.all(values[keep] > 0))
    if positive:
        ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` and release it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@dataclass
class EnergyRow:
    """One joint (or a group): mean angular speed (deg/s) and acceleration (deg/s²), generated vs
    the training takes. Speed is the energy; acceleration tells smooth motion from jitter."""

    joint: str
    generated: float
    corpus: float
    generated_acceleration: float
    corpus_acceleration: float

    @property
    def ratio(self) -> float:
        return self.generated / self.corpus if self.corpus > 0 else float("nan")


def energy_rows(generated: np.ndarray, corpus: list[np.ndarray], joint_names: list[str], fps: float) -> list[EnergyRow]:
    """Rows for :data:`ENERGY_JOINTS` (those present), the four arm joints together and all joints.

    Args:
        generated: ``(F, 3J)`` axis-angle radians of ``joint_names``.
        corpus: training takes, each ``(F_i, 3J)``.
    """
    from motiongen.core.motion_energy import mean_joint_acceleration, mean_joint_speed

    count = len(joint_names)
    ours = [np.asarray(generated).reshape(-1, count, 3)]
    theirs = [np.asarray(take).reshape(-1, count, 3) for take in corpus]
    speed = mean_joint_speed(ours, fps), mean_joint_speed(theirs, fps)
    accel = mean_joint_acceleration(ours, fps), mean_joint_acceleration(theirs, fps)

    def row(name: str, joints) -> EnergyRow:
        return EnergyRow(name, float(speed[0][joints].mean()), float(speed[1][joints].mean()),
                         float(accel[0][joints].mean()), float(accel[1][joints].mean()))

    rows = [row(name, [joint_names.index(name)]) for name in ENERGY_JOINTS if name in joint_names]
    arms = [joint_names.index(name) for name in ARM_JOINTS if name in joint_names]
    if arms:
        rows.append(row("arms (mean of the 4 arm joints)", arms))
    rows.append(row(f"all {count} joints", list(range(count))))
    return rows


def l1div_of_gesture(generated: np.ndarray, corpus: list[np.ndarray]) -> dict[str, float]:
    """L1div of the generated ``(F, 3J)`` gesture and the mean L1div of the training takes."""
    from motiongen.evaluation.metrics.diversity import l1div

    return {"generated": l1div(np.asarray(generated)), "corpus": float(np.mean([l1div(np.asarray(t)) for t in corpus]))}


def plot_energy(path: str | Path, rows: list[EnergyRow]) -> Path:
    """Bar chart of generated vs corpus angular speed per row (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(x - 0.2, [r.corpus for r in rows], 0.4, label="training takes (corpus)", color="#999999")
    ax.bar(x + 0.2, [r.generated for r in rows], 0.4, label="generated (unseen sentence)", color="#1f77b4")
    ax.set_xticks(x, [r.joint.split(" (")[0] for r in rows], rotation=30, ha="right")
    ax.set_ylabel("mean angular speed (deg/s)")
    ax.set_title("body motion energy")
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    return _save(fig, path)


@dataclass
class QuickstartReport:
    """Everything the quickstart measured; written as report.json and report.md.

    ``lipsync`` rows are named ``ceiling``, ``audio regression``, ``untrained`` and ``trained``;
    ``student`` is the few-step student's comparison with the teacher (None when none was distilled).
    """

    sentence: str
    voice: str
    emotion: str
    corpus_takes: int
    corpus_seconds: float
    training_steps: int
    training_seconds: float
    final_loss: float
    sigma: dict[str, float]
    lipsync: list[LipSyncRow]
    energy: list[EnergyRow]
    l1div: dict[str, float]
    sampler: dict[str, object]
    total_seconds: float
    files: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    student: StudentComparison | None = None
    smoothing: dict[str, object] = field(default_factory=lambda: {"kind": "none"})

    def lipsync_row(self, name: str) -> LipSyncRow:
        return next(row for row in self.lipsync if row.name == name)

    @property
    def arm_energy_ratio(self) -> float:
        """Generated / corpus mean angular speed of the four arm joints."""
        return next(row.ratio for row in self.energy if row.joint.startswith("arms"))

    def check_finite(self) -> None:
        """Raise ValueError naming any non-finite number (a broken run must not look fine)."""
        numbers = {k: v for k, v in asdict(self).items() if isinstance(v, float)}
        numbers.update({f"sigma.{k}": v for k, v in self.sigma.items()})
        numbers.update({f"l1div.{k}": v for k, v in self.l1div.items()})
        for row in self.lipsync:
            numbers.update({f"lipsync.{row.name}.r_envelope": row.r_envelope, f"lipsync.{row.name}.r_truth": row.r_truth})
        for row in self.energy:
            numbers.update({f"energy.{row.joint}.{k}": v for k, v in asdict(row).items() if k != "joint"})
        for row in self.student.rows if self.student is not None else []:
            numbers.update({f"student.{row.name}.{k}": v for k, v in asdict(row).items() if isinstance(v, float)})
        bad = [k for k, v in numbers.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(f"non-finite report values: {', '.join(bad)}")


def smoothing_sentence(smoothing: dict[str, object]) -> str:
    """The report's line on the smoothing prior (ours), a labelled choice of every generation here."""
    source = {"checkpoint": "the training experiment's choice, recorded in the checkpoint",
              "request": "chosen by a generate override"}.get(str(smoothing.get("source")), "")
    where = f" ({source})" if source else ""
    if smoothing.get("kind", "none") == "none":
        return (f"Smoothing prior (ours): **none**{where}; the body is as sampled "
                "(`smoothing=lowpass` turns the low-pass on; docs/sampling.md).")
    return (f"Smoothing prior (ours): **{smoothing['kind']} {smoothing['cutoff_hz']:g} Hz** (Butterworth order "
            f"{smoothing['order']}, {smoothing.get('filter', 'zero-phase')}) on the body's channels only, the face as "
            f"sampled{where}; every table below is with it (`smoothing=none` turns it off; docs/sampling.md).")


def write_report(folder: str | Path, report: QuickstartReport) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` into ``folder``; returns their paths."""
    folder = Path(folder)
    data = asdict(report)
    data["arm_energy_ratio"] = report.arm_energy_ratio
    for row, values in zip(report.energy, data["energy"]):
        values["ratio"] = row.ratio
    json_path = folder / "report.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    lipsync_rows = "\n".join(f"| {row.name} | {row.meaning} | {row.r_truth:.3f} | {row.r_envelope:.3f} |"
                              for row in report.lipsync)
    energy_rows_md = "\n".join(f"| {row.joint} | {row.generated:.1f} | {row.corpus:.1f} | {100 * row.ratio:.0f} % | "
                                f"{row.generated_acceleration:.0f} | {row.corpus_acceleration:.0f} |" for row in report.energy)
    trained, baseline = report.lipsync_row("trained"), report.lipsync_row("audio regression")
    untrained = report.lipsync_row("untrained")
    verdict = (
        f"The trained model {'beats' if trained.r_truth > baseline.r_truth else 'does NOT beat'} the audio-regression "
        f"baseline on the ground truth (r {trained.r_truth:.3f} vs {baseline.r_truth:.3f}) and "
        f"{'beats' if trained.r_truth > untrained.r_truth else 'does NOT beat'} the untrained network "
        f"(r {untrained.r_truth:.3f})."
    )
    sampler = ", ".join(f"{k} {v}" for k, v in report.sampler.items())
    sigma_rows = "\n".join(f"| {name} | {value:.4f} |" for name, value in report.sigma.items())
    file_rows = "\n".join(f"- **{name}**: `{path}`" for name, path in report.files.items())
    warnings = "\n".join(f"- {w}" for w in report.warnings) or "- none"
    student = "" if report.student is None else comparison_markdown(report.student) + "\n"
    md = f"""# motiongen quickstart report

Generated for an unseen sentence, spoken offline by eSpeak NG ({report.voice} voice):

> {report.sentence}

Emotion condition: **{report.emotion}**. Sampler: {sampler}. {smoothing_sentence(report.smoothing)}

## Lip sync: does the generated jaw follow the speech?

Pearson correlation r of a `jawOpen` curve over the sentence, with the **ground truth** (the jaw the
corpus recipe gives this exact speech: loudness plus phonemes — it closes on /p b m/) and with the
speech's **loudness envelope** alone:

| jawOpen from | what it is | r with ground truth | r with loudness |
|---|---|---|---|
{lipsync_rows}

How to read it: the ceiling is the best any model can do. The audio regression is a per-frame
linear read-out of the audio features, fitted on the training takes; it needs no diffusion model,
no words and no context, so a network must beat it to show it learned more than loudness. The
untrained network is the same network before training (what chance looks like). {verdict}

## Body motion: does the figure move like the corpus?

Mean joint angular speed (deg/s: the rotation angle between consecutive frames, times the frame
rate) of the generated motion and of the training takes (`motion_energy.png`), and the mean
angular acceleration (deg/s²: how fast that rotation velocity changes). Speed near the corpus's
means the figure moves as much as the corpus; acceleration far above the corpus's means part of
that movement is frame-to-frame jitter rather than gesture.

| joint | speed generated | speed corpus | generated / corpus | acceleration generated | acceleration corpus |
|---|---|---|---|---|---|
{energy_rows_md}

L1div (BEAT's diversity measure: mean absolute deviation from the clip's mean pose, summed over the
gesture's axis-angle channels, radians): generated {report.l1div["generated"]:.2f}, training takes
{report.l1div["corpus"]:.2f} (mean over takes).

{student}## Training

{report.corpus_takes} procedural takes ({report.corpus_seconds:.0f} s of speech), {report.training_steps}
optimizer steps in {report.training_seconds:.0f} s, final training loss {report.final_loss:.4f} (the UWP
objective includes the log sigma terms, so it can be negative).

Learned homoscedastic uncertainty (UWP) weights, sigma per loss term (a term's weight is
1 / (2 sigma^2)):

| term | sigma |
|---|---|
{sigma_rows}

## Files

{file_rows}

## Warnings

{warnings}

Total quickstart time: {report.total_seconds:.0f} s.
"""
    md_path = folder / "report.md"
    md_path.write_text(md, encoding="utf-8")
    return md_path, json_path

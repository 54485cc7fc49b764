"""The quickstart's report: lip-sync evidence, learned uncertainty weights, loss curve.

The headline number is how well the generated ``jawOpen`` tracks the speech loudness envelope
(Pearson correlation over the clip), for the trained model and for the same network before
training; the corpus was built so that the jaw follows the envelope, so training should raise it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.quickstart.speech import rms_envelope


def jaw_envelope_correlation(face_weights: np.ndarray, fps: float, wave: np.ndarray, sample_rate: int) -> float:
    """Pearson correlation between ``jawOpen`` (F,) and the speech envelope at ``fps``.

    Args:
        face_weights: (F, 52) ARKit weights in ARKIT_NAMES order.
        fps: their frame rate.
        wave: (S,) speech samples; sample_rate: Hz.

    Returns:
        r in [-1, 1]; 0.0 when either curve is constant (no linear relation can be measured).
    """
    jaw = np.asarray(face_weights, dtype=np.float64)[:, ARKIT_NAMES.index("jawOpen")]
    envelope = rms_envelope(wave, sample_rate, fps, len(jaw)).astype(np.float64)
    if jaw.std() < 1e-9 or envelope.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(jaw, envelope)[0, 1])


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
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@dataclass
class QuickstartReport:
    """Everything the quickstart measured; written as report.json and report.md."""

    sentence: str
    voice: str
    emotion: str
    corpus_takes: int
    corpus_seconds: float
    training_steps: int
    training_seconds: float
    final_loss: float
    sigma: dict[str, float]
    jaw_correlation_trained: float
    jaw_correlation_untrained: float
    total_seconds: float
    files: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    @property
    def jaw_correlation_gain(self) -> float:
        return self.jaw_correlation_trained - self.jaw_correlation_untrained

    def check_finite(self) -> None:
        """Raise ValueError naming any non-finite number (a broken run must not look fine)."""
        numbers = {k: v for k, v in asdict(self).items() if isinstance(v, float)}
        numbers.update({f"sigma.{k}": v for k, v in self.sigma.items()})
        bad = [k for k, v in numbers.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(f"non-finite report values: {', '.join(bad)}")


def write_report(folder: str | Path, report: QuickstartReport) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` into ``folder``; returns their paths."""
    folder = Path(folder)
    data = asdict(report)
    data["jaw_correlation_gain"] = report.jaw_correlation_gain
    json_path = folder / "report.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    sigma_rows = "\n".join(f"| {name} | {value:.4f} |" for name, value in report.sigma.items())
    file_rows = "\n".join(f"- **{name}**: `{path}`" for name, path in report.files.items())
    warnings = "\n".join(f"- {w}" for w in report.warnings) or "- none"
    md = f"""# motiongen quickstart report

Generated for an unseen sentence, spoken offline by eSpeak NG ({report.voice} voice):

> {report.sentence}

Emotion condition: **{report.emotion}**.

## Lip sync: does the generated jaw follow the speech?

Pearson correlation between the generated `jawOpen` curve and the speech loudness envelope:

| model | correlation |
|---|---|
| before training (same network, random weights) | {report.jaw_correlation_untrained:.3f} |
| after training | {report.jaw_correlation_trained:.3f} |
| **gain** | **{report.jaw_correlation_gain:+.3f}** |

## Training

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

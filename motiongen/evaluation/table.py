"""The Markdown table of an evaluation report (one row per checkpoint, ground truth first)."""

from __future__ import annotations

from motiongen.evaluation.metrics.beat_align import BEAT_ALIGN_JOINT

#: (key, header, better direction) in the order of the paper tables: gesture, then face, then sync.
#: Every column is the published computation (docs/metrics.md) except motiongen's named variants:
#: "BeatAlign 16k" (BEAT's BeatAlign with onset times at the audio's true rate) and "SRGR norm."
#: (SRGR divided by the semantic weights' sum, so the ground truth scores 1).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("fgd", "FGD", "↓"), ("beat_align", "BeatAlign", "↑"), ("beat_align_16k", "BeatAlign 16k", "↑"), ("bc", "BC", "↑"),
    ("srgr", "SRGR", "↑"), ("srgr_normalised", "SRGR norm.", "↑"),
    ("l1div", "L1div", "↑"), ("diversity_features", "Diversity", "↑"), ("diversity_chunked", "Div. (chunked)", "↑"),
    ("fd_face", "FD", "↓"), ("wind_face", "WInD", "↓"), ("face_mse", "MSE", "↓"), ("face_lvd", "LVD", "↓"),
    ("mouth_mse", "MSE mouth", "↓"), ("mouth_lvd", "LVD mouth", "↓"),
    ("sync_distance", "Sync dist.", "↓"), ("sync_confidence", "Sync conf.", "↑"), ("sync_offset_abs", "|offset| fr", "↓"),
)


def cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}"


def markdown_table(report: dict) -> str:
    """Markdown: a header naming the split and evaluator hashes, then the metrics table."""
    rows = report["rows"]
    columns = [c for c in COLUMNS if any(row.get(c[0]) is not None for row in rows)]
    hashes = ", ".join(f"{role} `{entry['hash']}`" + (f" ({entry['source']})" if "source" in entry else "")
                       for role, entry in sorted(report["evaluators"].items())) or "none"
    lines = [
        f"# Evaluation on the {report['split']} split ({len(report['takes'])} takes, "
        f"{report['seconds_of_audio']:.1f} s of speech)",
        "",
        f"Evaluator networks (compare numbers only between reports with the same hashes): {hashes}.",
        "",
        "| Model | " + " | ".join(f"{header} {arrow}" for _, header, arrow in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for row in rows:
        lines.append(f"| {row['name']} | " + " | ".join(cell(row.get(key)) for key, _, _ in columns) + " |")
    joint = report.get("settings", {}).get("beat_joint", BEAT_ALIGN_JOINT)
    if joint != BEAT_ALIGN_JOINT and any(row.get("beat_align") is not None for row in rows):
        lines += ["", f"BeatAlign reads the joint {joint} (beat_joint=), not BEAT's {BEAT_ALIGN_JOINT}: "
                      "not comparable with BEAT's published figures."]
    lines += ["", "– : not applicable to the row or not computable on this data (see metrics.json)."]
    return "\n".join(lines) + "\n"

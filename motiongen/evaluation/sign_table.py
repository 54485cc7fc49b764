"""The Markdown table of a sign-production evaluation report (ground truth first, then checkpoints)."""

from __future__ import annotations

from motiongen.evaluation.table import cell

#: (metric prefix, header, better direction); the joint metrics get one column per landmark block.
BLOCK_METRICS: tuple[tuple[str, str, str], ...] = (
    ("dtw_mje", "DTW-MJE", "↓"), ("travel_ratio", "Travel ratio", "→1"), ("duration_ratio", "Duration ratio", "→1"),
)
CLIP_METRICS: tuple[tuple[str, str, str], ...] = (
    ("hand_travel_ratio", "Hand travel", "→1"), ("recognition_top1", "Top-1", "↑"), ("recognition_top5", "Top-5", "↑"), ("fd_sign", "FD", "↓"),
)


def sign_markdown_table(report: dict) -> str:
    """Markdown: a header naming the split, units and classifier hash, then the metrics table."""
    blocks = report["landmark_blocks"]
    columns = [(f"{key}.{block}", f"{header} {block}", arrow) for key, header, arrow in BLOCK_METRICS for block in blocks]
    columns += list(CLIP_METRICS)
    held_out = "; ".join(f"{split} top-1 {cell(r['top1'])}, top-5 {cell(r['top5'])} ({r['clips']} clips)"
                         for split, r in report["sign_classifier_held_out"].items()) or "no held-out clips"
    units = ", ".join(f"{block} in {unit}" for block, unit in blocks.items())
    lines = [
        f"# Sign production on the {report['split']} split ({len(report['takes'])} clips, "
        f"{report['seconds_of_motion']:.1f} s of motion)",
        "",
        f"Sign classifier `{report['evaluators']['sign']['hash']}` (compare numbers only between reports with the "
        f"same hash; its own held-out accuracy: {held_out}). DTW-MJE units: {units}.",
        "",
        "| Model | " + " | ".join(f"{header} {arrow}" for _, header, arrow in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for row in report["rows"]:
        lines.append(f"| {row['name']} | " + " | ".join(cell(row.get(key)) for key, _, _ in columns) + " |")
    lines += ["", "– : not computable on this data (see metrics.json)."]
    return "\n".join(lines) + "\n"

"""The Slovo renderer figures over several training seeds, mean ± std, from the runs of
``tools/render_slovo_keypoint.py`` (one ``--out`` folder per seed, each with ``figures.json``).

Prints Markdown tables: the training run, the held-out splits (renderer against each baseline per
region), MediaPipe re-detection on the held-out frames, and the ``render animate`` check of the
avatar for every variant the runs share (hand path on/off, ``--hands-to-camera``, hand exemplars).
With ``--docs`` the tables replace this script's section of ``docs/render.md``.

    for seed in 0 1 2; do python tools/render_slovo_keypoint.py --motion quickstart/generated --threads 2 \\
        --out runs/slovo-seed$seed --overrides seed=$seed; done
    python tools/render_slovo_seeds.py runs/slovo-seed0 runs/slovo-seed1 runs/slovo-seed2 --docs
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from docs_section import recorded

DOCS = Path(__file__).resolve().parent.parent / "docs" / "render.md"
VARIANTS = {   # figures.json key -> what was rendered
    "animate": "hand path, hands turned to the camera (the default)",
    "animate_without_hand_path": "no hand path (`--no-hand-path`)",
    "avatar_hands_to_camera_0": "hands as the motion projects them (`--hands-to-camera 0`)",
    "avatar_hand_exemplars_1": "hand exemplars (`--hand-exemplars <training video>`)",
    "avatar_hand_exemplars_0": "hand exemplars, hands as projected (`--hands-to-camera 0`)",
}


def spread(values: list[float], digits: int = 2) -> str:
    """``mean ± std`` (sample std) of the finite values, with how many there are when some are missing."""
    finite = [value for value in values if value is not None and math.isfinite(value)]
    if not finite:
        return "n/a"
    text = f"{np.mean(finite):.{digits}f}"
    if len(finite) > 1:
        text += f" ± {np.std(finite, ddof=1):.{digits}f}"
    return text + (f" ({len(finite)} of {len(values)})" if len(finite) < len(values) else "")


def load(folder: Path) -> dict:
    path = folder / "figures.json"
    if not path.is_file():
        sys.exit(f"error: {path} does not exist (run tools/render_slovo_keypoint.py --motion ... --out {folder} first)")
    return json.loads(path.read_text(encoding="utf-8"))


def training_table(runs: list[dict]) -> str:
    """Steps, wall and CPU seconds and peak memory; the times only of runs trained in one go (a
    resumed run's summary times its last part)."""
    summaries = [run["summary"] for run in runs]
    whole = [s for s in summaries if not s.get("first_step")]
    note = f" ({len(whole)} of {len(summaries)} runs: the others were resumed)" if len(whole) < len(summaries) else ""
    rows = ["| figure | mean ± std |", "|---|---|",
            f"| steps | {spread([s['steps'] for s in summaries], 0)} |",
            f"| wall seconds{note} | {spread([s['train_seconds'] for s in whole], 0)} |",
            f"| CPU seconds{note} | {spread([s['train_cpu_seconds'] for s in whole], 0)} |",
            f"| peak memory MB{note} | {spread([s['peak_memory_mb'] for s in whole], 0)} |"]
    return "\n".join(rows)


def held_out_table(runs: list[dict]) -> str:
    rows = ["| split | region | method | PSNR dB | SSIM |", "|---|---|---|---|---|"]
    splits = [run["summary"]["evaluation"]["splits"] for run in runs]
    for split in ("contiguous", "interpolation"):
        for region in ("frame", "face", "hand"):
            methods = splits[0][split].get(region) or {}
            for method in methods:
                scores = [s[split][region][method] for s in splits]
                label = "body" if region == "frame" else region
                rows.append(f"| {split} | {label} | {method} | {spread([x['psnr'] for x in scores])} | "
                            f"{spread([x['ssim'] for x in scores], 3)} |")
    return "\n".join(rows)


def redetection_table(runs: list[dict]) -> str:
    rows = ["| split | pose | face | left hand | right hand | lip gap r (rendered vs driving) |", "|---|---|---|---|---|---|"]
    splits = [run["summary"]["evaluation"]["splits"] for run in runs]
    for split in ("interpolation", "contiguous"):
        found = {part: spread([s[split]["redetection"][part]["found"] for s in splits])
                 for part in ("pose", "face", "left_hand", "right_hand")}
        frames = {part: splits[0][split]["redetection"][part]["frames"] for part in found}
        lip = spread([s[split]["lip_sync"]["r_rendered_vs_driving_gap"] for s in splits])
        rows.append(f"| {split} | " + " | ".join(f"{found[part]} of {frames[part]}" for part in found) + f" | {lip} |")
    return "\n".join(rows)


def hand_error(check: dict) -> float:
    """Mean over the hands re-detected of their landmark error in shoulder widths (NaN: none found)."""
    errors = [check[part]["shoulder_widths"] for part in ("left_hand", "right_hand")]
    errors = [error for error in errors if math.isfinite(error)]
    return float(np.mean(errors)) if errors else float("nan")


def avatar_table(runs: list[dict]) -> str:
    rows = ["| avatar rendered with | pose | face | left hand | right hand | hand error (shoulder widths) | "
            "left hand, Hands solution | right hand, Hands solution | hand error, Hands solution | "
            "lip gap vs `jawOpen` r | frames/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, label in VARIANTS.items():
        if not all(key in run for run in runs):
            continue
        checks = [run[key]["check"]["redetection"] for run in runs]
        found = [spread([check[part]["found"] for check in checks]) for part in ("pose", "face", "left_hand", "right_hand")]
        error = spread([hand_error(check) for check in checks], 3)
        hands = [run[key]["check"].get("hands_solution") for run in runs]
        if all(hands):
            solution = [spread([check[part]["found"] for check in hands]) for part in ("left_hand", "right_hand")]
            solution.append(spread([hand_error(check) for check in hands], 3))
        else:   # reports written before the Hands solution was measured
            solution = ["n/a"] * 3
        lip = spread([run[key]["check"]["lip_sync"]["r_rendered_vs_jaw_open"] for run in runs])
        speed = spread([run[key]["frames_per_second"] for run in runs], 1)
        rows.append(f"| {label} | " + " | ".join(found) + f" | {error} | " + " | ".join(solution) + f" | {lip} | {speed} |")
    if all("real_video" in run for run in runs):
        real = [run["real_video"] for run in runs]
        frames = real[0]["frames"]
        solution = " | ".join(spread([video["hands_solution"][part] for video in real]) if all("hands_solution" in video for video in real)
                              else "n/a" for part in ("left_hand", "right_hand"))
        rows.append(f"| *reference:* the training video itself, MediaPipe on its {frames} real frames (both hands in view "
                    "on every one; the Hands solution at the rendered size) | — | — | "
                    + " | ".join(spread([video["found"][part] for video in real]) for part in ("left_hand", "right_hand"))
                    + f" | — | {solution} | — | — | — |")
        rows.append("| *reference:* the same, on its frames whose wrist is at the driving wrist's heights | — | — | "
                    + " | ".join(f"{spread([video['in_driving_poses'][part]['found'] for video in real])} of "
                                 f"{real[0]['in_driving_poses'][part]['frames']}" for part in ("left_hand", "right_hand"))
                    + " | — | — | — | — | — | — |")
    driving = [run["animate"]["check"]["lip_sync"]["r_driving_vs_jaw_open"] for run in runs]
    lengths = {part: spread([run["animate"]["check"]["driving_hands"][part]["length_shoulder_widths"] for run in runs])
               for part in ("left_hand", "right_hand")}
    rows.append("")
    rows.append(f"Driving landmarks: lip gap vs `jawOpen` r {spread(driving)}; wrist-to-knuckle length "
                f"{lengths['left_hand']} / {lengths['right_hand']} shoulder widths (left / right) with the hands "
                "turned to the camera.")
    exemplars = [run["avatar_hand_exemplars_1"]["hand_exemplars"] for run in runs if "avatar_hand_exemplars_1" in run]
    if exemplars and all("exemplars_used" in used for used in exemplars):
        rows.append(f"Hand exemplars: distinct exemplars pasted over the {exemplars[0]['frames_pasted']['left_hand']} "
                    "frames " + " / ".join(spread([used["exemplars_used"][part] for used in exemplars], 1)
                                            for part in ("left_hand", "right_hand")) + " (left / right).")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="output folders of tools/render_slovo_keypoint.py, one per seed")
    parser.add_argument("--docs", action="store_true", help=f"also write the tables into this script's section of {DOCS.name}")
    args = parser.parse_args()
    runs = [load(folder) for folder in args.runs]
    with recorded("render_slovo_seeds.py", args.docs, markdown=True, page=DOCS):
        print(f"{len(runs)} training runs ({', '.join(folder.name for folder in args.runs)}), mean ± std over them.\n")
        print("**Training** (`experiment=slovo_keypoint_cpu`)\n")
        print(training_table(runs) + "\n")
        print("**Held-out splits**\n")
        print(held_out_table(runs) + "\n")
        print("**Re-detected on the rendered held-out frames** (share of the frames that have the part)\n")
        print(redetection_table(runs) + "\n")
        print("**`render animate` on the quickstart output** (re-detected share of the frames whose driving "
              "landmarks have the part)\n")
        print(avatar_table(runs))


if __name__ == "__main__":
    main()

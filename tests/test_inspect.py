"""``motiongen inspect`` through the real CLI entry point, on synthetic corpora and the real samples."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from motiongen.cli import main
from motiongen.formats.arkit import write_beat_face_json, write_live_link_csv

BVH = """HIERARCHY
ROOT Hips
{
\tOFFSET 0.0 0.0 0.0
\tCHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
\tJOINT Spine
\t{
\t\tOFFSET 0.0 10.0 0.0
\t\tCHANNELS 3 Yrotation Xrotation Zrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0.0 5.0 0.0
\t\t}
\t}
}
MOTION
Frames: FRAMES
Frame Time: 0.008333
ROWS
"""

TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 2.0
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 2.0
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 1.0
            text = ""
        intervals [2]:
            xmin = 1.0
            xmax = 2.0
            text = "hello"
    item [2]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 2.0
        intervals: size = 1
        intervals [1]:
            xmin = 0
            xmax = 2.0
            text = "HH"
"""


def bvh_text(frames: int, rows: int | None = None) -> str:
    values = np.random.default_rng(frames).normal(size=(frames if rows is None else rows, 9))
    rows_text = "\n".join(" ".join(f"{v:.4f}" for v in row) for row in values)
    return BVH.replace("FRAMES", str(frames)).replace("ROWS", rows_text)


def write_take(folder, take_id: str, seconds: float = 2.0, skip: tuple[str, ...] = ()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if "bvh" not in skip:
        (folder / f"{take_id}.bvh").write_text(bvh_text(int(seconds * 120)))
    if "json" not in skip:
        write_beat_face_json(folder / f"{take_id}.json", np.full((int(seconds * 60), 52), 0.2), fps=60)
    if "wav" not in skip:
        t = np.arange(int(seconds * 16000)) / 16000
        sf.write(folder / f"{take_id}.wav", 0.3 * np.sin(2 * np.pi * 200 * t), 16000, subtype="PCM_24")
    if "TextGrid" not in skip:
        (folder / f"{take_id}.TextGrid").write_text(TEXTGRID)
    if "txt" not in skip:
        (folder / f"{take_id}.txt").write_text("01_beat_align\t0\t1.0\t1.0\t0.1\n07_iconic_h\t1.0\t2.0\t1.0\t0.7\thello\n")
    if "csv" not in skip:
        (folder / f"{take_id}.csv").write_text("00_netural, 0, 2.0, 2.0, 0\n")


def run_inspect(tmp_path, *args):
    out = tmp_path / "report.json"
    code = main(["inspect", *map(str, args), "--json", str(out), "--no-progress"])
    return code, json.loads(out.read_text())


def test_corpus_with_one_bad_file_reports_everything(tmp_path, capsys):
    root = tmp_path / "beat"
    write_take(root / "2", "2_scott_0_1_1")
    write_take(root / "2", "2_scott_0_57_57", skip=("json", "csv"))
    write_take(root / "4", "4_lawrence_1_5_5")
    (root / "4" / "4_lawrence_1_5_5.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEgarbage" * 10)  # the bad file
    (root / "2" / "scott_notes.txt").write_text("not a take")

    code, report = run_inspect(tmp_path, root)
    assert code == 1
    takes = {take["take_id"]: take for take in report["takes"]}
    assert list(takes) == ["2_scott_0_1_1", "2_scott_0_57_57", "4_lawrence_1_5_5"]
    assert [takes[t]["split"] for t in takes] == ["test", "val", "train"]

    good = takes["2_scott_0_1_1"]
    assert good["missing"] == []
    assert good["files"]["bvh"]["facts"]["frames"] == 240 and good["files"]["bvh"]["facts"]["joints"] == 2
    assert good["files"]["json"]["facts"]["blendshapes"] == 52
    assert good["files"]["TextGrid"]["facts"]["tiers"] == {"words": 2, "phones": 1}
    assert good["files"]["wav"]["facts"]["encoding"] == "WAV PCM_24"
    assert good["files"]["csv"]["facts"]["emotions"] == ["neutral"]
    assert good["files"]["txt"]["facts"]["segments"] == 2
    assert all(not f["problems"] for f in good["files"].values())
    assert takes["2_scott_0_57_57"]["missing"] == ["json", "csv"]

    bad = takes["4_lawrence_1_5_5"]
    assert [p["severity"] for p in bad["files"]["wav"]["problems"]] == ["error"]
    assert "cannot decode audio" in bad["files"]["wav"]["problems"][0]["message"]
    assert bad["files"]["bvh"]["facts"]["frames"] == 240  # the rest of the bad take is still read
    assert not bad["files"]["json"]["problems"]

    misnamed = [p for p in report["problems"] if p["path"].endswith("scott_notes.txt")]
    assert misnamed and misnamed[0]["severity"] == "warning"
    assert report["summary"]["errors"] == 1

    printed = capsys.readouterr().out
    assert "2_scott_0_57_57" in printed and "4_lawrence_1_5_5" in printed
    assert "ERROR" in printed and "4_lawrence_1_5_5.wav" in printed
    assert "scott_notes.txt" in printed


def test_clean_corpus_exits_zero_and_split_csv_applies(tmp_path, capsys):
    root = tmp_path / "beat"
    write_take(root / "6", "6_carla_0_10_10")
    split_csv = tmp_path / "split.csv"
    split_csv.write_text("take_id,split\n6_carla_0_10_10,test\n")
    code, report = run_inspect(tmp_path, root, "--split-csv", split_csv)
    assert code == 0
    assert report["takes"][0]["split"] == "test"
    assert report["summary"] == {"errors": 0, "warnings": 0}
    assert "no problems found" in capsys.readouterr().out


def test_duration_mismatch_and_truncated_bvh(tmp_path):
    root = tmp_path / "beat"
    write_take(root / "8", "8_lu_0_20_20", seconds=3.0)
    (root / "8" / "8_lu_0_20_20.bvh").write_text(bvh_text(360, rows=100))
    code, report = run_inspect(tmp_path, root)
    assert code == 1
    bvh = report["takes"][0]["files"]["bvh"]
    assert bvh["facts"]["frames"] == 100
    severities = sorted(p["severity"] for p in bvh["problems"])
    assert severities[0] == "error" and "warning" in severities
    assert any("360" in p["message"] for p in bvh["problems"])
    assert not any("allow_truncated" in p["message"] for p in bvh["problems"])  # inspect has no such switch
    assert any("different durations" in p["message"] for p in report["problems"])


def test_single_files(tmp_path, capsys):
    weights = np.random.default_rng(0).uniform(size=(30, 52))
    write_live_link_csv(tmp_path / "face.csv", weights, fps=60)
    code, report = run_inspect(tmp_path, tmp_path / "face.csv")
    assert code == 0
    assert report["kind"] == "file" and report["files"][0]["kind"] == "live_link_csv"
    assert report["files"][0]["facts"]["frames"] == 30

    (tmp_path / "bad.json").write_text('{"names": ["jawOpen"], "frames": [{"time": 0, "weights": [0.1, 0.2]}]}')
    code, report = run_inspect(tmp_path, tmp_path / "bad.json")
    assert code == 1 and "frame 0: 2 weights for 1 names" in report["files"][0]["problems"][0]["message"]

    (tmp_path / "notes.docx").write_text("x")
    code, report = run_inspect(tmp_path, tmp_path / "notes.docx")
    assert code == 1 and "unsupported file type" in report["files"][0]["problems"][0]["message"]

    code, report = run_inspect(tmp_path, tmp_path / "missing.bvh")
    assert code == 1 and report["problems"][0]["message"] == "no such file or folder"

    empty = tmp_path / "empty_corpus"
    empty.mkdir()
    code, report = run_inspect(tmp_path, empty)
    assert code == 1 and "no corpus of conf/data (beat, beat2, slovo) recognises this folder" in report["problems"][-1]["message"]


def test_real_truncated_bvh(sample_file, tmp_path, capsys):
    code, report = run_inspect(tmp_path, sample_file("beat/2_scott_0_1_1.bvh"))
    assert code == 1
    facts = report["files"][0]["facts"]
    assert facts["frames"] == 957 and facts["joints"] == 75 and facts["fps"] == 120
    errors = [p for p in report["files"][0]["problems"] if p["severity"] == "error"]
    assert len(errors) == 1 and "7669" in errors[0]["message"] and "957" in errors[0]["message"]
    printed = capsys.readouterr().out
    assert "957" in printed and "ERROR" in printed


def test_real_sample_folder(sample_file, tmp_path):
    root = sample_file("beat/2_scott_0_3_3.wav").parent
    code, report = run_inspect(tmp_path, root)
    assert code == 1  # the truncated BVH
    takes = {take["take_id"]: take for take in report["takes"]}
    wav = takes["2_scott_0_3_3"]["files"]["wav"]["facts"]
    assert wav["duration"] == 68.0 and wav["encoding"] == "WAV PCM_24"
    assert takes["2_scott_0_3_3"]["files"]["TextGrid"]["facts"]["tiers"] == {"words": 213, "phones": 701}
    assert takes["2_scott_0_1_1"]["split"] == "test"


def test_json_to_stdout(tmp_path, capsys):
    write_beat_face_json(tmp_path / "f.json", np.zeros((3, 52)), fps=60)
    code = main(["inspect", str(tmp_path / "f.json"), "--json", "-"])
    printed = capsys.readouterr().out
    assert code == 0
    report = json.loads(printed[printed.index("{\n") :])
    assert report["files"][0]["facts"]["frames"] == 3


def test_beat2_folder(tmp_path, capsys):
    from smplx_samples import write_beat2_corpus

    root = write_beat2_corpus(tmp_path / "beat2", {"2_scott_0_1_1": "train", "2_scott_0_2_2": "additional"},
                              seconds=1.0)
    (root / "textgrid" / "2_scott_0_2_2.TextGrid").unlink()
    np.savez(root / "smplxflame_30" / "2_scott_0_3_3.npz", poses=np.zeros((4, 156)))
    code, report = run_inspect(tmp_path, root)
    out = capsys.readouterr().out
    assert code == 1  # the broken npz is an error
    assert "smplx" in out and "additional" in out
    takes = {take["take_id"]: take for take in report["takes"]}
    assert takes["2_scott_0_1_1"]["files"]["smplx"]["facts"]["joints"] == 55
    assert takes["2_scott_0_1_1"]["split"] == "train"
    assert takes["2_scott_0_2_2"]["missing"] == ["TextGrid", "emo", "sem"]
    assert takes["2_scott_0_3_3"]["split"] is None
    broken = takes["2_scott_0_3_3"]["files"]["smplx"]["problems"][0]["message"]
    assert "missing key(s) trans, betas, expressions" in broken

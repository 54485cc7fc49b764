"""TextGrid tiers on the real BEAT alignments and on format-exact synthetic files."""

from __future__ import annotations

import pytest
import textgrids

from motiongen.core.errors import InputFileError
from motiongen.formats.textgrid import Interval, read_textgrid


def long_textgrid(tiers: dict[str, list[tuple[float, float, str]]], xmax: float, kind: str = "IntervalTier") -> str:
    """Praat long text format, as Praat and Montreal Forced Aligner write it."""
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0 ",
        f"xmax = {xmax} ",
        "tiers? <exists> ",
        f"size = {len(tiers)} ",
        "item []: ",
    ]
    for number, (name, intervals) in enumerate(tiers.items(), start=1):
        lines += [
            f"    item [{number}]:",
            f'        class = "{kind}" ',
            f'        name = "{name}" ',
            "        xmin = 0 ",
            f"        xmax = {xmax} ",
            f"        intervals: size = {len(intervals)} ",
        ]
        for index, (start, end, label) in enumerate(intervals, start=1):
            lines += [
                f"        intervals [{index}]:",
                f"            xmin = {start} ",
                f"            xmax = {end} ",
                f'            text = "{label}" ',
            ]
    return "\n".join(lines) + "\n"


WORDS = [(0, 0.5, ""), (0.5, 0.9, "hello"), (0.9, 1.4, "world"), (1.4, 2.0, "")]
PHONES = [(0, 0.5, ""), (0.5, 0.6, "HH"), (0.6, 0.9, "AH0"), (0.9, 1.4, "W"), (1.4, 2.0, "")]


@pytest.mark.parametrize(
    ("name", "duration", "words", "phones", "first_word"),
    [
        ("beat/2_scott_0_1_1.TextGrid", 64.097375, 220, 684, Interval(1.42, 1.52, "the")),
        ("beat/2_scott_0_3_3.TextGrid", 68.0, 213, 701, Interval(1.47, 2.36, "well")),
    ],
)
def test_real_beat_textgrids(sample_file, name, duration, words, phones, first_word):
    tiers = read_textgrid(sample_file(name))
    assert list(tiers) == ["words", "phones"]
    assert tiers.duration == pytest.approx(duration)
    assert len(tiers["words"]) == words and len(tiers["phones"]) == phones
    assert tiers["words"][0].label == "" and tiers["words"][0].start == 0.0
    assert tiers["words"][1] == first_word
    assert tiers["words"][-1].end == pytest.approx(duration)
    assert tiers.warnings == []


def test_long_format(tmp_path):
    path = tmp_path / "a.TextGrid"
    path.write_text(long_textgrid({"words": WORDS, "phones": PHONES}, 2.0))
    tiers = read_textgrid(path)
    assert tiers["words"] == [Interval(*item) for item in WORDS]
    assert tiers["phones"][2] == Interval(0.6, 0.9, "AH0")
    assert tiers["words"][1].duration == pytest.approx(0.4)
    assert tiers.duration == 2.0


@pytest.mark.parametrize("fmt", [textgrids.TEXT_SHORT, textgrids.BINARY])
def test_short_and_binary_formats(sample_file, tmp_path, fmt):
    source = sample_file("beat/2_scott_0_3_3.TextGrid")
    grid = textgrids.TextGrid(str(source))
    path = tmp_path / "other.TextGrid"
    formatted = grid.format(fmt)
    path.write_bytes(formatted if isinstance(formatted, bytes) else formatted.encode("utf-8"))
    assert read_textgrid(path) == read_textgrid(source)
    assert read_textgrid(path).duration == pytest.approx(68.0)


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", "\ufeff"), ("utf-16-be", "\ufeff"), ("utf-8", "\ufeff")])
def test_encodings_praat_writes(tmp_path, encoding, bom):
    path = tmp_path / "u.TextGrid"
    path.write_bytes((bom + long_textgrid({"words": [(0, 1, "café")], "phones": [(0, 1, "k")]}, 1)).encode(encoding))
    assert read_textgrid(path)["words"] == [Interval(0, 1, "café")]


def test_point_tier_is_reported(tmp_path):
    path = tmp_path / "p.TextGrid"
    grid = long_textgrid({"words": WORDS, "phones": PHONES}, 2.0).replace("size = 2 ", "size = 3 ")
    grid += (
        "    item [3]:\n"
        '        class = "TextTier" \n'
        '        name = "beats" \n'
        "        xmin = 0 \n"
        "        xmax = 2.0 \n"
        "        points: size = 1 \n"
        "        points [1]:\n"
        "            number = 0.7 \n"
        '            mark = "x" \n'
    )
    path.write_text(grid)
    tiers = read_textgrid(path)
    assert set(tiers) == {"words", "phones"}
    assert tiers.warnings == ["point tier 'beats' not read (only interval tiers are used)"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty file"),
        ("just some text\n", "not a Praat TextGrid"),
        (long_textgrid({"words": WORDS}, 2.0), "missing tier(s) ['phones']; found ['words']"),
        (long_textgrid({"words": WORDS, "phones": PHONES}, 2.0).split("intervals [3]")[0], "malformed TextGrid"),
        (long_textgrid({"words": WORDS, "phones": PHONES}, 2.0).replace("xmax = 0.9 ", "xmax = zero "), "malformed TextGrid"),
        (long_textgrid({"words": [(0, 1.0, "a"), (0.8, 2.0, "b")], "phones": PHONES}, 2.0), "interval 2 [0.8, 2.0] overlaps the previous one"),
        (long_textgrid({"words": [(1.0, 2.0, "b"), (0.0, 1.0, "a")], "phones": PHONES}, 2.0), "interval 2 [0.0, 1.0] is out of order"),
        (long_textgrid({"words": [(0.0, 1.0, "a"), (1.5, 1.2, "b")], "phones": PHONES}, 2.0), "malformed TextGrid"),
    ],
)
def test_bad_textgrids(tmp_path, content, needle):
    path = tmp_path / "bad.TextGrid"
    path.write_text(content)
    with pytest.raises(InputFileError) as caught:
        read_textgrid(path)
    assert needle in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        read_textgrid(tmp_path / "nope.TextGrid")


def test_any_tiers_when_none_required(tmp_path):
    path = tmp_path / "w.TextGrid"
    path.write_text(long_textgrid({"words": WORDS}, 2.0))
    assert list(read_textgrid(path, required_tiers=())) == ["words"]

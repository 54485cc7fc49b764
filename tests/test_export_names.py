"""The texts that list the exporters (``conf/generate.yaml``'s ``outputs`` comment, the
``motiongen.export`` docstring) name every registered exporter and its files."""

from __future__ import annotations

import re
from pathlib import Path

import motiongen.export
from motiongen.export.registry import EXPORTERS
from motiongen.export.run import PREVIEWS

REPO = Path(__file__).resolve().parent.parent


def test_there_are_the_exporters_the_texts_list():
    assert {"bvh", "arkit", "preview", "smplx", "smplx_preview", "landmarks", "landmarks_preview"} <= set(EXPORTERS)


def test_generate_yaml_lists_every_output_and_preview():
    lines = (REPO / "conf" / "generate.yaml").read_text(encoding="utf-8").splitlines()
    outputs = next(line for line in lines if line.startswith("outputs:"))
    listed = re.search(r"allows \(([^)]*)\)", outputs).group(1).split(", ")
    assert sorted(listed) == sorted(EXPORTERS)  # registration order depends on which exporter module is imported first
    preview = next(line for line in lines if line.startswith("preview:"))
    for name in PREVIEWS:
        for file in EXPORTERS[name].files:
            assert file in preview, f"conf/generate.yaml preview: does not mention {file} ({name})"


def test_export_package_docstring_names_every_exporter_and_file():
    text = motiongen.export.__doc__
    for exporter in EXPORTERS.values():
        assert f"``{exporter.name}``" in text, exporter.name
        for file in exporter.files:
            assert file in text, file

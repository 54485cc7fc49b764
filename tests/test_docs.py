"""The documentation: the MkDocs site builds in strict mode (every page in the nav, every link
found), and the README stays a page with exactly the two set-up commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_site_builds_strictly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                             "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").is_file()


def test_the_readme_is_a_short_page_with_the_two_set_up_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    commands = re.findall(r"^pip install .*$", readme, flags=re.MULTILINE)
    assert commands == ['pip install -e . && motiongen quickstart', 'pip install -e ".[test]" && python -m pytest -q']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci, "CI must run the README's test command verbatim"
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        assert (ROOT / link).is_file(), f"README links to a missing file: {link}"

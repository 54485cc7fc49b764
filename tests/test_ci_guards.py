"""CI must not skip silently: missing samples or cross-check libraries fail under MOTIONGEN_REQUIRE_SAMPLES=1."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

PROBE = '''
def test_probe(cross_check_module):
    cross_check_module("motiongen_no_such_library")
'''


def test_no_test_skips_on_a_missing_library_without_the_ci_guard():
    """``pytest.importorskip`` would skip in CI too; cross-check libraries go through ``cross_check_module``."""
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "importorskip":
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(("required", "outcome"), [("1", {"failed": 1}), ("0", {"skipped": 1})])
def test_a_missing_cross_check_library_fails_in_ci_and_skips_elsewhere(pytester, monkeypatch, required, outcome):
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_probe=PROBE)
    monkeypatch.setenv("MOTIONGEN_REQUIRE_SAMPLES", required)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**outcome)

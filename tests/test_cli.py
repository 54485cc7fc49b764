"""The ``motiongen`` entry point imports a command's module only when that command is named, so
``motiongen --help`` and ``motiongen inspect`` do not pay for torch, Lightning or Hydra, and a config
mistake is reported before torch loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from motiongen.cli import COMMANDS, main

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "lightning", "hydra", "omegaconf", "ray", "cv2", "mediapipe", "diffusers", "scipy")

PROBE = """
import contextlib, io, json, sys
from motiongen.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        code = main(sys.argv[1:])
    except SystemExit as done:
        code = done.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def loaded_after(*argv: str) -> dict:
    """Run ``motiongen ARGV`` in a fresh interpreter; what it printed on stdout, its exit code and every
    module it had imported."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=120, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def heavy(modules: list[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


def commands(modules: list[str]) -> list[str]:
    return [name for name in modules if name.startswith("motiongen.commands.")]


def test_top_level_help_imports_no_command_module():
    probe = loaded_after("--help")
    assert probe["code"] == 0
    for name in COMMANDS:
        assert name in probe["out"]
    assert commands(probe["modules"]) == []
    assert heavy(probe["modules"]) == []


@pytest.mark.parametrize("command", ["inspect", "train", "preprocess", "sweep", "evaluate", "generate"])
def test_a_commands_help_imports_only_that_command(command):
    probe = loaded_after(command, "--help")
    assert probe["code"] == 0 and f"usage: motiongen {command}" in probe["out"]
    own = f"motiongen.commands.{command.replace('-', '_')}"
    assert set(commands(probe["modules"])) <= {own, "motiongen.commands.hydra_command"}
    assert own in probe["modules"]
    assert heavy(probe["modules"]) == []


@pytest.mark.parametrize("command", ["train", "preprocess", "sweep", "evaluate", "train-evaluator"])
def test_a_config_mistake_is_reported_before_torch_loads(command):
    probe = loaded_after(command, "nonexistent_key=1")
    assert probe["code"] == 2
    assert not {"torch", "lightning", "ray"} & set(heavy(probe["modules"]))


def test_every_command_parses_its_arguments(capsys):
    for name in COMMANDS:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        assert f"usage: motiongen {name}" in capsys.readouterr().out


def test_an_unknown_command_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["trian"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'trian'" in err and "'train'" in err

"""A regular (non-editable) install: the wheel carries the Hydra configs and the commands work from
any folder.

The wheel is built from a copy of the project's sources and installed into a fresh virtual
environment that sees this interpreter's packages (the dependencies) through a ``.pth`` file, so
nothing is downloaded. ``motiongen`` must then come from the wheel, not from this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "README.md", "motiongen", "conf", "render")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MOTIONGEN_CONF_DIR")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(args: list[str], cwd: Path, timeout: float) -> str:
    result = subprocess.run(args, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    # offline when this environment can build (setuptools present); else pip fetches the build backend
    isolation = ["--no-build-isolation"] if _has_setuptools() else []
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", str(dist), str(source)], source, timeout=600)
    [built] = dist.glob("motiongen-*.whl")
    return built


def _has_setuptools() -> bool:
    try:
        import setuptools  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_wheel_holds_every_config_and_data_file(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    configs = {f"motiongen/conf/{p.relative_to(REPO / 'conf')}" for p in (REPO / "conf").rglob("*.yaml")}
    data = {str(p.relative_to(REPO)) for p in (REPO / "motiongen").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert configs and not configs - names, "configs missing from the wheel"
    assert not data - names, "package data missing from the wheel (declare it in pyproject.toml package-data)"


@pytest.mark.slow
def test_non_editable_install_runs_the_quickstart_from_another_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, 60).strip())
    # the dependencies (and pip) of this interpreter, without its motiongen
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "dependencies.pth").write_text("\n".join(sorted(parents)) + "\n")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp_path, 600)

    elsewhere = tmp_path / "somewhere else"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import motiongen.config as c; print(c.__file__); print(c.conf_dir())"], elsewhere, 120)
    module_file, conf = where.strip().splitlines()
    assert Path(module_file).is_relative_to(site) and Path(conf) == site / "motiongen" / "conf"
    _run([str(env_dir / "bin" / "motiongen"), "quickstart", "--fast", "--steps", "5", "--no-progress"], elsewhere, 1500)
    report = elsewhere / "quickstart" / "report.json"
    assert report.is_file() and (elsewhere / "quickstart" / "generated" / "motion.bvh").is_file()

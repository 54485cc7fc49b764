"""Imports point down the pipeline: every motiongen subpackage imports only subpackages of lower
layers (so there are no cycles), the bottom layer imports no other part of motiongen and no
framework, and a separate consumer (``render/``) uses motiongen's bottom layer (``core``) and its file formats only.

The walk reads every ``import`` statement of every module, including those inside functions.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "motiongen"

#: The pipeline from the bottom up; a subpackage may import those of lower layers only.
LAYERS: list[set[str]] = [
    {"core"},
    {"config", "log_setup", "output_folders"},
    {"formats"},
    {"skeletons", "tts"},
    {"corpus", "datasets"},
    {"features", "text", "inspection"},
    {"cache"},
    {"data", "diffusion", "model"},
    {"training"},
    {"generation"},
    {"distillation"},
    {"export"},
    {"runs"},
    {"live"},
    {"evaluation"},
    {"sweeps"},
    {"quickstart"},
    {"commands"},
    {"cli"},
]
LAYER = {name: index for index, names in enumerate(LAYERS) for name in names}
#: What the bottom layer may import besides the standard library and itself.
CORE_THIRD_PARTY = {"numpy", "scipy", "numba", "torch"}


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """``(module, line)`` of every absolute import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
    return found


def subpackage(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def motiongen_edges() -> list[tuple[str, str, str]]:
    """``(importing subpackage, imported subpackage, "file:line")`` for imports across subpackages."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = subpackage(path)
        for module, line in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "motiongen" and len(parts) > 1 and parts[1] != source:
                edges.append((source, parts[1], f"{path.relative_to(REPO)}:{line}"))
    return edges


def test_every_subpackage_has_a_layer():
    names = {subpackage(path) for path in PACKAGE.rglob("*.py")} - {"__init__"}
    missing = sorted(names - set(LAYER))
    assert not missing, f"add {missing} to LAYERS in {Path(__file__).name} (where in the pipeline do they sit?)"


def test_imports_point_down_the_pipeline():
    upward = [f"{where}: {source} imports {target}" for source, target, where in motiongen_edges()
              if target in LAYER and LAYER[target] >= LAYER.get(source, len(LAYERS))]
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_the_walk_sees_known_edges():
    """The walk finds imports inside functions too (a walk that found nothing would pass the test above)."""
    edges = {(source, target) for source, target, _ in motiongen_edges()}
    assert {("training", "model"), ("export", "generation"), ("cache", "corpus"), ("commands", "export")} <= edges


def test_the_arrows_follow_the_pipeline():
    """Export never drives generation (it reads generation's types, not its sampler), and training is
    reached without evaluation: sweeps and ``motiongen train`` call training's entry point, which
    builds the validation-metric callback from the configuration's ``_target_``."""
    modules = {(subpackage(path), module) for path in PACKAGE.rglob("*.py") for module, _ in imported_modules(path)}
    assert not {(source, module) for source, module in modules if source == "export"
                and module.startswith("motiongen.generation.") and module != "motiongen.generation.types"}
    edges = {(source, target) for source, target, _ in motiongen_edges()}
    assert ("sweeps", "evaluation") not in edges and ("training", "evaluation") not in edges
    assert {("sweeps", "training"), ("runs", "generation"), ("runs", "export")} <= edges


def test_the_bottom_layer_imports_nothing_above_it():
    allowed = set(sys.stdlib_module_names) | CORE_THIRD_PARTY | {"__future__"}
    problems = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        for module, line in imported_modules(path):
            top = module.split(".")[0]
            if top == "motiongen":
                if not (module == "motiongen" or module.startswith("motiongen.core")):
                    problems.append(f"{path.relative_to(REPO)}:{line}: {module}")
            elif top not in allowed:
                problems.append(f"{path.relative_to(REPO)}:{line}: {module}")
    assert not problems, "motiongen.core may import only the standard library, numpy, scipy, numba, torch and itself:\n" + \
        "\n".join(problems)


def test_render_uses_only_the_bottom_layer():
    render = REPO / "render"
    if not render.is_dir():
        pytest.skip("no render/ package in this checkout")
    problems = [f"{path.relative_to(REPO)}:{line}: {module}" for path in sorted(render.rglob("*.py"))
                for module, line in imported_modules(path)
                if module.split(".")[0] == "motiongen" and not module.startswith(("motiongen.core", "motiongen.formats"))]
    assert not problems, "render/ may use motiongen.core and motiongen.formats only:\n" + "\n".join(problems)

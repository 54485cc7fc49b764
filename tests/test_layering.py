"""Imports point down the pipeline: every motiongen subpackage imports only subpackages of lower
layers (so there are no cycles), the bottom layer imports no other part of motiongen and no
framework, and a separate consumer (``render/``) uses motiongen's bottom layer (``core``) and its file formats only.

The walk reads every ``import`` statement of every module, including those inside functions.
"""

from __future__ import annotations

import ast
import re
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
    {"features", "text"},
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
    assert {("training", "model"), ("export", "generation"), ("cache", "datasets"), ("commands", "export")} <= edges


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


# --- Only the dataset packages name a dataset or a motion block (issue 24) ---------------------------

DATASETS = PACKAGE / "datasets"
COMMANDS = PACKAGE / "commands"
#: Literals equal to a block name that mean something else in a generic module: (file, word) -> meaning.
OTHER_MEANINGS = {
    ("motiongen/core/holistic_layout.py", "face"): "a MediaPipe Holistic part",
    ("motiongen/formats/holistic.py", "face"): "a MediaPipe Holistic part",
    ("motiongen/export/landmarks.py", "face"): "a MediaPipe Holistic part",
    ("motiongen/formats/bvh.py", "root"): "the BVH keyword ROOT",
    ("motiongen/live/vmc.py", "root"): "the VMC protocol's root transform",
    ("motiongen/evaluation/corpus.py", "gesture"): "the evaluation role of a joint-rotation block (found by representation)",
    ("motiongen/evaluation/corpus.py", "face"): "the evaluation role of an ARKit-weights block (found by representation)",
}
def dataset_names() -> set[str]:
    """The corpora of ``conf/data`` (file stems) and the dataset packages."""
    packages = {path.name for path in DATASETS.iterdir() if (path / "__init__.py").is_file()}
    return {path.stem for path in (REPO / "conf" / "data").glob("*.yaml")} | packages


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """``{NAME: "text"}`` of the module-level string constants (also ``A, B = "a", "b"``)."""
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) \
                else [(target, node.value)]
            found.update({name.id: value.value for name, value in pairs if isinstance(name, ast.Name)
                          and isinstance(value, ast.Constant) and isinstance(value.value, str)})
    return found


def block_names() -> set[str]:
    """Every motion block name the dataset formats declare: the first argument of each ``MotionBlock(...)``
    in ``datasets/*/format.py`` (and the ``corpus/*_format.py`` modules not moved yet)."""
    names = set()
    for path in [*DATASETS.glob("*/format.py"), *(PACKAGE / "corpus").glob("*_format.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        strings = _module_strings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "MotionBlock" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    names.add(first.value)
                elif isinstance(first, ast.Name) and first.id in strings:
                    names.add(strings[first.id])
    return names


def named_literals(path: Path, names: set[str]) -> list[str]:
    """``line: 'literal'`` of every whole string literal equal (case-insensitive) to one of ``names``
    (f-string pieces are text, not literals), less the :data:`OTHER_MEANINGS` of this file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pieces = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    where = str(path.relative_to(REPO))
    return [f"{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in pieces
            and node.value.lower() in names and (where, node.value.lower()) not in OTHER_MEANINGS]


def test_the_name_lists_are_found():
    """The collections the two tests below use are not empty (an empty one would pass them)."""
    assert {"slovo", "beat", "beat2"} <= dataset_names()
    assert {"body", "hands", "face", "gesture", "expression"} <= block_names()


def _generic_modules(root: Path = PACKAGE) -> list[Path]:
    return [path for path in sorted(root.rglob("*.py")) if DATASETS not in path.parents]


def test_only_the_dataset_packages_name_a_dataset_or_a_block():
    names = dataset_names() | block_names()
    found = [f"{path.relative_to(REPO)}:{hit}" for path in _generic_modules()
             for hit in named_literals(path, names)]
    assert not found, ("string literals naming a dataset or a motion block outside motiongen/datasets/ (ask the "
                       "corpus or its motion format instead):\n" + "\n".join(found))


def corpus_words(path: Path) -> list[str]:
    """``line: text`` of every line (code, docstring or comment) with a corpus name as a word."""
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, dataset_names()))) + r")\b", re.IGNORECASE)
    return [f"{number}: {line.strip()}" for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)]


def test_commands_name_no_corpus():
    found = [f"{path.relative_to(REPO)}:{hit}" for path in _generic_modules(COMMANDS)
             for hit in corpus_words(path)]
    assert not found, "the commands choose through the corpus interface and name no corpus:\n" + "\n".join(found)


#: Generic modules that import a dataset package directly, and why; every other module reaches a
#: corpus through the interface (``motiongen.datasets``, ``motiongen.datasets.base``).
DATASET_IMPORTS = {
    "motiongen/export/landmarks.py": "the MediaPipe Holistic exporter maps landmark blocks back to the 543-point "
                                     "layout and face-mesh model the sign corpus defines",
    "motiongen/quickstart/corpus.py": "the embedded default corpus is written in BEAT's layout and emotion protocol",
}


def test_dataset_packages_are_reached_through_the_interface():
    packages = {path.name for path in DATASETS.iterdir() if (path / "__init__.py").is_file()}
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if DATASETS in path.parents:
            continue
        for module, line in imported_modules(path):
            parts = module.split(".")
            if parts[:2] == ["motiongen", "datasets"] and len(parts) > 2 and parts[2] in packages:
                found.setdefault(str(path.relative_to(REPO)), []).append(f"{line}: {module}")
    unexplained = {where: lines for where, lines in found.items() if where not in DATASET_IMPORTS}
    assert not unexplained, f"generic modules importing a dataset package: {unexplained}"
    assert set(found) == set(DATASET_IMPORTS), f"no longer importing one, drop it: {set(DATASET_IMPORTS) - set(found)}"

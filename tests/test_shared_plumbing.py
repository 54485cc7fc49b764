"""Shared plumbing lives in one place each: atomic writes (``motiongen.core.atomic``), SHA-256
digests (``motiongen.core.hashing``) and the audio resampler (``motiongen.formats.audio.resample``)."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from motiongen.core import atomic
from motiongen.core.hashing import sha256_file, sha256_text
from motiongen.formats.audio import resample

REPO = Path(__file__).resolve().parent.parent


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("disk full (simulated)")


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_atomic_writes_leave_the_old_file_or_the_new_one_never_a_partial_one(tmp_path):
    path = tmp_path / "sub" / "table.npz"
    atomic.savez(path, {"x": np.arange(3)})
    with np.load(path) as data:
        np.testing.assert_array_equal(data["x"], np.arange(3))
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="disk full"):
        atomic.savez(path, {"x": np.arange(5), "bad": np.array([Unpicklable()], dtype=object)})
    assert path.read_bytes() == before and leftovers(path.parent) == []
    with pytest.raises(RuntimeError, match="disk full"), atomic.atomic_path(tmp_path / "new.bin") as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("disk full (simulated)")
    assert not (tmp_path / "new.bin").exists() and leftovers(tmp_path) == []
    with pytest.raises(TypeError):
        atomic.write_json(tmp_path / "entry.json", {"a": object()})
    assert not (tmp_path / "entry.json").exists() and leftovers(tmp_path) == []
    atomic.write_json(tmp_path / "entry.json", {"b": 1, "a": 2}, sort_keys=True)
    assert (tmp_path / "entry.json").read_text() == '{"a": 2, "b": 1}' and json.loads(atomic.write_text(
        tmp_path / "entry.json", "[1]").read_text()) == [1]


def test_a_replaced_folder_is_swapped_whole_and_restored_when_the_rename_fails(tmp_path):
    final, staging = tmp_path / "take", tmp_path / ".partial-take"
    final.mkdir()
    (final / "old.npy").write_bytes(b"old")
    staging.mkdir()
    (staging / "new.npy").write_bytes(b"new")
    atomic.replace_folder(staging, final, tmp_path / ".stale-take")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take"] and (final / "new.npy").read_bytes() == b"new"
    with pytest.raises(OSError):
        atomic.replace_folder(tmp_path / ".absent", final, tmp_path / ".stale-take")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take"] and (final / "new.npy").read_bytes() == b"new"


def test_no_module_renames_files_outside_the_atomic_helper():
    """Every ``os.replace``/``os.rename``/``shutil.move``/``Path.replace``/``Path.rename`` goes through
    :mod:`motiongen.core.atomic` (a hand-rolled temporary-file writer would reappear here)."""
    helper = REPO / "motiongen" / "core" / "atomic.py"
    found = []
    for folder in ("motiongen", "render", "tools"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == helper:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
                by_module = owner in ("os", "shutil") and node.func.attr in ("replace", "rename", "move")
                # Path.replace(target)/Path.rename(target): one positional argument (str.replace takes two)
                by_path = node.func.attr in ("replace", "rename") and len(node.args) == 1 and not node.keywords
                if by_module or by_path:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, "write through motiongen.core.atomic instead of renaming by hand:\n" + "\n".join(found)


def test_the_sha256_helpers_match_hashlib(tmp_path):
    path = tmp_path / "blob.bin"
    data = np.random.default_rng(0).bytes(3 * (1 << 20) + 17)  # more than one read block
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert sha256_file(path, 12) == hashlib.sha256(data).hexdigest()[:12]
    assert sha256_text("päuse", 16) == hashlib.sha256("päuse".encode("utf-8")).hexdigest()[:16]


@pytest.mark.parametrize("rate", [8000, 22050, 24000, 44100, 48000])
def test_the_metric_resampling_is_librosa_soxr_hq_exactly(rate):
    """BEAT's and EMAGE's code load speech with ``librosa.load(sr=16000)`` (soxr_hq with librosa's
    length rule); the one resampler reproduces it bit for bit."""
    import librosa

    wave = (0.1 * np.random.default_rng(rate).standard_normal(rate * 2 + 3)).astype(np.float32)
    reference = librosa.resample(wave, orig_sr=rate, target_sr=16000, res_type="soxr_hq")
    ours = resample(wave, rate, 16000, librosa_length=True)
    assert ours.dtype == reference.dtype and ours.shape == reference.shape
    np.testing.assert_array_equal(ours, reference)
    assert len(resample(wave, rate, 16000)) in (len(reference), len(reference) - 1)  # soxr's own length

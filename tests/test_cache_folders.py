"""Every cache builder (BEAT, BEAT2, Slovo) writes only into a new or empty folder, or a cache an
earlier motiongen build marked (``.motiongen-output``): ``motiongen preprocess`` into a user's
non-empty folder is one line naming the folder, exit 2, and leaves the folder as it was; a cache
it creates carries the marker, and re-running into it works."""

from __future__ import annotations

import pytest

from motiongen.cli import main
from motiongen.output_folders import MARKER_NAME, is_owned

from feature_cache_helpers import make_take, preprocess_overrides
from smplx_samples import write_beat2_corpus


def users_folder(tmp_path):
    """A folder of someone else's files, one of them named like a cache's summary."""
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.txt").write_text("my thesis")
    (folder / "preprocess_summary.json").write_text("not json, and not motiongen's")
    return folder


def assert_refused(capsys, argv: list[str], folder) -> None:
    before = sorted((path.name, path.read_bytes()) for path in folder.iterdir())
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("motiongen preprocess: error: cache folder (data.cache_dir) ")
    assert f"{folder} is not empty and was not written by motiongen (it has no {MARKER_NAME} marker)" in err
    assert sorted((path.name, path.read_bytes()) for path in folder.iterdir()) == before


def assert_built_and_rebuilt(capsys, argv: list[str], cache) -> None:
    assert main(argv) == 0
    assert is_owned(cache)
    capsys.readouterr()
    assert main(argv) == 0, "re-running into the cache it created"
    assert "processed 0" in capsys.readouterr().out


def test_beat(tmp_path, capsys):
    corpus = tmp_path / "beat"
    make_take(corpus, "2_scott_0_10_10", seed=1)  # BEAT's default split: take 10 is train, 60 val
    make_take(corpus, "2_scott_0_60_60", seed=2)
    folder = users_folder(tmp_path)
    assert_refused(capsys, ["preprocess", "--no-progress", *preprocess_overrides(corpus, folder)], folder)
    cache = tmp_path / "cache"
    assert_built_and_rebuilt(capsys, ["preprocess", "--no-progress", *preprocess_overrides(corpus, cache)], cache)


def test_beat2(tmp_path, capsys):
    root = write_beat2_corpus(tmp_path / "beat2", {"2_scott_0_1_1": "train", "2_scott_0_2_2": "val"}, seconds=2.0)
    folder = users_folder(tmp_path)
    assert_refused(capsys, ["preprocess", "--no-progress", *preprocess_overrides(root, folder, "data=beat2")], folder)
    cache = tmp_path / "cache"
    assert_built_and_rebuilt(capsys, ["preprocess", "--no-progress", *preprocess_overrides(root, cache, "data=beat2")],
                             cache)


def test_slovo(slovo_cache, russian_fasttext_bin, tmp_path, capsys):
    from slovo_samples import VAL_SIGNERS

    root, cache, _ = slovo_cache

    def argv(cache_dir):
        return ["preprocess", "--no-progress", "data=slovo", f"data.root={root}", f"data.cache_dir={cache_dir}",
                f"data.val_signers=[{','.join(VAL_SIGNERS)}]", f"data.label_vectors={russian_fasttext_bin}"]

    folder = users_folder(tmp_path)
    assert_refused(capsys, argv(folder), folder)
    assert is_owned(cache)
    assert main(argv(cache)) == 1  # the fixture's corrupt and person-less videos fail; the rest is up to date
    out = capsys.readouterr().out
    assert "processed 0, up to date 5" in out and "failed 2" in out


def test_cache_writer_refuses_an_unmarked_folder_and_marks_a_new_one(tmp_path):
    from test_motion_format import three_block_format

    from motiongen.cache.writer import CacheWriter
    from motiongen.core.errors import ConfigError

    folder = users_folder(tmp_path)
    with pytest.raises(ConfigError, match="not written by motiongen"):
        CacheWriter(folder, three_block_format())
    assert not is_owned(folder)
    writer = CacheWriter(tmp_path / "new", three_block_format())
    assert is_owned(writer.cache_dir)

"""Shared test fixtures.

Real sample files live in ``../shared/data`` beside the repository (or wherever
``$MOTIONGEN_SAMPLES_DIR`` points). On a user's machine they are usually absent and the tests that
need them skip with a reason; CI sets ``MOTIONGEN_REQUIRE_SAMPLES=1`` so a missing sample fails
instead of silently skipping. The same holds for the independent libraries the cross-checks compare
against (``bvhio``): absent on a user's machine they skip, absent in CI they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ENV = "MOTIONGEN_REQUIRE_SAMPLES"


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def _samples_root() -> Path:
    override = os.environ.get("MOTIONGEN_SAMPLES_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sample_file():
    """Return a function mapping a path relative to the samples root to an existing file.

    Skips the calling test when the file is missing, unless ``MOTIONGEN_REQUIRE_SAMPLES=1``, in
    which case it fails.
    """

    def resolve(relative: str) -> Path:
        path = _samples_root() / relative
        if not path.is_file():
            message = f"sample file {path} not available"
            if _required():
                pytest.fail(message + f" ({REQUIRE_ENV}=1)")
            pytest.skip(message)
        return path

    return resolve


@pytest.fixture(scope="session")
def cross_check_module():
    """Return a function importing a cross-check library by name.

    Skips the calling test when the library is not installed, unless ``MOTIONGEN_REQUIRE_SAMPLES=1``
    (CI), in which case it fails: a cross-check must never be silently dropped there.
    """
    import importlib

    def load(name: str):
        try:
            return importlib.import_module(name)
        except ImportError as err:
            message = f"cross-check library {name} is not installed ({err}); pip install -e \".[test]\""
            if _required():
                pytest.fail(message + f" ({REQUIRE_ENV}=1)")
            pytest.skip(message)

    return load


@pytest.fixture(scope="session")
def smplx_model_folder(tmp_path_factory):
    """A folder with a synthetic ``SMPLX_NEUTRAL.npz`` (real keys and shapes, random values),
    written once per test session."""
    from motiongen.formats.smplx_model import write_synthetic_smplx_model

    folder = tmp_path_factory.mktemp("smplx_model")
    write_synthetic_smplx_model(folder)
    return folder


RUSSIAN_SENTENCES = [
    "привет как дела у тебя сегодня",
    "да я согласен с тобой до конца",
    "нет спасибо я не хочу до свидания",
    "мы говорим на русском жестовом языке",
] * 5


@pytest.fixture(scope="session")
def russian_fasttext_bin(tmp_path_factory):
    """A small real fastText ``.bin`` (16-d skip-gram with subwords) trained on a few Russian
    sentences, standing in for ``cc.ru.300.bin``."""
    from motiongen.features.words import train_fallback_model

    train = {"epoch": 5, "min_count": 1, "minn": 2, "maxn": 4, "bucket": 2000}
    return train_fallback_model([" ".join(RUSSIAN_SENTENCES)], tmp_path_factory.mktemp("ft_ru") / "ru.bin", dim=16, train=train)


@pytest.fixture(scope="session")
def slovo_cache(sample_file, russian_fasttext_bin, tmp_path_factory):
    """A Slovo corpus built from the real sample video (and altered copies, a corrupt and a
    person-less video) and its cache with the labels' word vectors, built once per session:
    ``(root, cache_dir, summary)``."""
    from slovo_samples import VAL_SIGNERS, write_slovo_corpus

    from motiongen.cache.build import build_cache
    from motiongen.config import compose

    sample = sample_file("slovo/f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4")
    folder = tmp_path_factory.mktemp("slovo")
    root, cache = folder / "corpus", folder / "cache"
    write_slovo_corpus(sample, root)
    cfg = compose("config", ["data=slovo", f"data.root={root}", f"data.cache_dir={cache}",
                             f"data.val_signers=[{','.join(VAL_SIGNERS)}]", f"data.label_vectors={russian_fasttext_bin}"])
    return root, cache, build_cache(cfg, progress=False)

"""Shared test fixtures.

Real sample files live in ``../shared/data`` beside the repository (or wherever
``$MOTIONGEN_SAMPLES_DIR`` points). On a user's machine they are usually absent and the tests that
need them skip with a reason; CI sets ``MOTIONGEN_REQUIRE_SAMPLES=1`` so a missing sample fails
instead of silently skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


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
            if os.environ.get("MOTIONGEN_REQUIRE_SAMPLES") == "1":
                pytest.fail(message + " (MOTIONGEN_REQUIRE_SAMPLES=1)")
            pytest.skip(message)
        return path

    return resolve

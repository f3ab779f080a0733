"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public playlists and guides beside the repo (absent in a user's fresh clone)."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real IPTV data not found at {SHARED_DATA} (only present beside the dev repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES

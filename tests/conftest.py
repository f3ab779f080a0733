"""Fixtures shared by the whole suite."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.db.engine import create_engine, make_session_factory
from strmline.db.migrate import upgrade
from tests.dbutil import PG_ENV, postgres_admin_url, sqlite_url, throwaway_postgres, truncate_all

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(scope="session", autouse=True)
def _sources_in_basetemp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Local sources are read only from the sources folder (providers/local.py). Tests write
    their playlists and guides under tmp_path, so pytest's base temp folder is that folder, and
    every path outside it is still refused; tests/fixtures and ../shared/data are read through
    copies in it (``fixtures_dir``, ``shared_data``). The tests of the confinement itself pass
    ``sources_dir`` to their ``Settings``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRMLINE_SOURCES_DIR", str(tmp_path_factory.getbasetemp()))
        yield


def _copy_to_basetemp(tmp_path_factory: pytest.TempPathFactory, folder: Path) -> Path:
    copy = tmp_path_factory.mktemp(folder.name)
    shutil.copytree(folder, copy, dirs_exist_ok=True)
    return copy


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real public playlists and guides beside the repo (absent in a user's fresh clone),
    copied into the sources folder."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real IPTV data not found at {SHARED_DATA} (only present beside the dev repo)")
    return _copy_to_basetemp(tmp_path_factory, SHARED_DATA)


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures, copied into the sources folder."""
    return _copy_to_basetemp(tmp_path_factory, FIXTURES)


# Database fixtures: every DB test runs on SQLite, and on PostgreSQL when configured.
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=BACKENDS)
async def migrated_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """One migrated database per backend for the whole run."""
    if request.param == "postgres":
        if not postgres_admin_url():
            pytest.skip(f"{PG_ENV} not set: PostgreSQL tests skipped")
        async with throwaway_postgres() as url:
            engine = create_engine(url)
            await upgrade(engine)
            await engine.dispose()
            yield url
    else:
        url = sqlite_url(tmp_path_factory.mktemp("db") / "test.db")
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        yield url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(migrated_url)
    await truncate_all(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)

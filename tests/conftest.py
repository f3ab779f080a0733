"""Fixtures shared by the whole suite."""

from __future__ import annotations

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
def _sources_anywhere() -> Iterator[None]:
    """Tests read playlists and guides from tmp_path, tests/fixtures and ../shared/data, so
    the sources folder is "/" for them (strmline's own files stay refused); the tests of the
    confinement itself pass ``sources_dir`` to their ``Settings``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRMLINE_SOURCES_DIR", "/")
        yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public playlists and guides beside the repo (absent in a user's fresh clone)."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real IPTV data not found at {SHARED_DATA} (only present beside the dev repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


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

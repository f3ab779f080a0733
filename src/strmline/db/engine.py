"""Engines and sessions for both backends (SQLite embedded, PostgreSQL scaled)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from strmline.config import Settings, normalize_db_url

# What the CLI, the job runtime and the API hand around to open sessions. The layers above db name
# these instead of importing sqlalchemy themselves.
Session = AsyncSession
SessionFactory = async_sessionmaker[AsyncSession]
# A driver error (a value that does not fit its column, a lost connection…), for the API to map.
DatabaseError = DBAPIError


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets the API read while a sync writes; NORMAL sync is safe with WAL and much faster.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-32768")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    url = normalize_db_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def engine_from_settings(settings: Settings) -> AsyncEngine:
    if settings.database_url is None:
        settings.ensure_data_dir()
    return create_engine(settings.db_url)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits when the block ends, rolls back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def listen_statements(engine: AsyncEngine, listeners: dict[str, Any]) -> Any:
    """Attach statement event listeners (``before_cursor_execute``…) to ``engine``; returns a
    function that detaches them again."""
    sync_engine = engine.sync_engine
    for name, fn in listeners.items():
        event.listen(sync_engine, name, fn)

    def remove() -> None:
        for name, fn in listeners.items():
            event.remove(sync_engine, name, fn)

    return remove

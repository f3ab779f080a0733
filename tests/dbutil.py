"""Throwaway databases for tests: a SQLite file, and a fresh PostgreSQL database per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from strmline.config import normalize_db_url
from strmline.db.engine import create_engine
from strmline.db.models import Base

PG_ENV = "STRMLINE_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@asynccontextmanager
async def throwaway_postgres() -> AsyncIterator[str]:
    """CREATE DATABASE strmline_test_<random>, yield its URL, DROP it afterwards."""
    admin = postgres_admin_url()
    assert admin, f"{PG_ENV} is not set"
    url = make_url(normalize_db_url(admin))
    name = f"strmline_test_{uuid.uuid4().hex[:12]}"
    dsn = url.set(drivername="postgresql", database=url.database or "postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def truncate_all(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            await conn.execute(text("PRAGMA foreign_keys=OFF"))
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))
            await conn.execute(text("DELETE FROM sqlite_sequence")) if await _has_sequence(
                conn
            ) else None
            await conn.execute(text("PRAGMA foreign_keys=ON"))


async def _has_sequence(conn: object) -> bool:
    res = await conn.execute(  # type: ignore[attr-defined]
        text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
    )
    return res.first() is not None


class StatementCounter:
    """Counts SQL statements sent by an engine (executemany counts once: one round trip)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._on_execute)

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


__all__ = ["StatementCounter", "create_engine", "sqlite_url", "throwaway_postgres", "truncate_all"]

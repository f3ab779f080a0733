"""The migrations build the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from strmline.db.engine import create_engine
from strmline.db.migrate import upgrade
from strmline.db.models import Base
from tests.dbutil import postgres_admin_url, sqlite_url, throwaway_postgres


def _diff(conn):  # type: ignore[no-untyped-def]
    ctx = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "include_name": lambda name, type_, parents: name != "ix_channels_search_name_trgm",
        },
    )
    return compare_metadata(ctx, Base.metadata)


async def _check(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # idempotent: a second upgrade is a no-op
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert diff == [], f"models and migrations disagree: {diff}"
        assert set(Base.metadata.tables) <= tables
    finally:
        await engine.dispose()


async def test_migrations_match_models_sqlite(tmp_path) -> None:
    await _check(sqlite_url(tmp_path / "m.db"))


@pytest.mark.postgres
async def test_migrations_match_models_postgres() -> None:
    if not postgres_admin_url():
        pytest.skip("STRMLINE_TEST_POSTGRES_URL not set: PostgreSQL migration test skipped")
    async with throwaway_postgres() as url:
        await _check(url)


def test_every_foreign_key_is_indexed() -> None:
    for table in Base.metadata.tables.values():
        leading = {idx.columns[0].name for idx in table.indexes if idx.columns}
        leading |= {
            c.columns[0].name
            for c in table.constraints
            if hasattr(c, "columns")
            and len(c.columns)
            and c.__class__.__name__ in {"UniqueConstraint", "PrimaryKeyConstraint"}
        }
        for fk in table.foreign_keys:
            assert fk.parent.name in leading, f"{table.name}.{fk.parent.name} has no index"

"""Alembic environment: runs migrations on the async engine strmline itself uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from strmline.db.engine import create_engine
from strmline.db.models import Base

config = context.config
target_metadata = Base.metadata


# Indexes that only some backends get (created by hand in their migration, not in the models).
BACKEND_ONLY_INDEXES = frozenset({"ix_channels_search_name_trgm"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "index" and name in BACKEND_ONLY_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())

"""Write: the shared pieces of the VOD write phase, all inside one transaction.

The lock that serialises concurrent VOD syncs, a :class:`Writer` holding what every write step
needs (session, batch size, provider, time, result), executemany updates, missing-id fills, and
the set-based removal flags and purge run over every title kind alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import batched, update_by_id
from strmline.pipelines.vod.kinds import EPISODE, KINDS, MOVIE, SERIES
from strmline.pipelines.vod.result import VodSyncResult

__all__ = ["VOD_LOCK", "Writer", "lock"]

VOD_LOCK = 727275


async def lock(session: AsyncSession) -> None:
    """Serialise the write phase of concurrent VOD syncs, so one movie never becomes two."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({VOD_LOCK})"))
    else:
        await session.execute(text("UPDATE vod_movies SET id = id WHERE id = -1"))


@dataclass(slots=True)
class Writer:
    """What the write steps of one sync share."""

    session: AsyncSession
    batch: int
    provider_id: int
    now: datetime
    result: VodSyncResult

    async def update(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """UPDATE ``rows`` by their ``_id`` key, in executemany batches grouped by shape."""
        await update_by_id(self.session, table, rows, batch=self.batch)

    async def fill_ids(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Missing TMDB/IMDb ids in executemany batches; COALESCE keeps any id already stored."""
        if not rows:
            return
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                tmdb_id=func.coalesce(table.c.tmdb_id, bindparam("_tmdb", type_=String)),
                imdb_id=func.coalesce(table.c.imdb_id, bindparam("_imdb", type_=String)),
            )
        )
        for chunk in batched(rows, self.batch):
            await self.session.execute(stmt, chunk)

    async def flags(self) -> None:
        """Titles without an active source are removed; those that got one back return."""
        for kind in KINDS:
            table, sources = kind.titles, kind.sources
            owner = sources.c[kind.owner]
            active = (
                select(owner).where(owner == table.c.id, sources.c.removed_at.is_(None)).exists()
            )
            await self.session.execute(
                update(table)
                .where(table.c.removed_at.is_(None), ~active)
                .values(removed_at=self.now)
            )
            await self.session.execute(
                update(table).where(table.c.removed_at.is_not(None), active).values(removed_at=None)
            )

    async def purge(self, cutoff: datetime) -> None:
        """Delete sources, then titles, removed before ``cutoff`` (episodes before series)."""
        for kind in KINDS:
            sources = kind.sources
            await self.session.execute(
                delete(sources).where(
                    sources.c.provider_id == self.provider_id, sources.c.removed_at < cutoff
                )
            )
        for kind in (EPISODE, MOVIE, SERIES):
            table = kind.titles
            await self.session.execute(delete(table).where(table.c.removed_at < cutoff))

"""Set-based upkeep of what channels derive from their streams: ranks, counts, best stream.

A handful of statements whatever the number of channels: the channels to refresh go into a
temporary table, and every statement joins it. Nothing here loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Pinned first, then streams still listed, then working ones, then quality, provider priority
# (higher is preferred), response time; the id keeps the order total and stable.
RANK_ORDER = """
    (s.pinned_rank IS NULL), s.pinned_rank,
    (s.removed_at IS NOT NULL),
    s.active DESC,
    (s.status = 'failed'),
    s.quality_score DESC,
    p.priority DESC,
    (s.response_ms IS NULL), s.response_ms,
    s.id
"""

_RANKS = f"""
UPDATE streams SET rank = r.rn
FROM (
    SELECT s.id AS id, ROW_NUMBER() OVER (PARTITION BY s.channel_id ORDER BY {RANK_ORDER}) AS rn
    FROM streams s JOIN providers p ON p.id = s.provider_id
    WHERE s.channel_id IN (SELECT id FROM {{scope}})
) AS r
WHERE streams.id = r.id AND streams.rank <> r.rn
"""

# One aggregate pass instead of correlated subqueries: right after a bulk insert PostgreSQL's
# statistics still say "streams is empty", and a per-channel subquery then becomes a scan per row.
_COUNTS = """
UPDATE channels SET
    stream_count = a.n,
    active_stream_count = a.n_active,
    best_stream_id = a.best_id,
    best_quality = a.best_quality,
    logo = COALESCE(channels.logo, a.logo),
    tvg_id = COALESCE(channels.tvg_id, a.tvg_id),
    category = COALESCE(channels.category, a.category)
FROM (
    SELECT s.channel_id AS channel_id,
        SUM(CASE WHEN s.removed_at IS NULL THEN 1 ELSE 0 END) AS n,
        SUM(CASE WHEN s.removed_at IS NULL AND s.active THEN 1 ELSE 0 END) AS n_active,
        MAX(CASE WHEN s.rank = 1 AND s.removed_at IS NULL THEN s.id END) AS best_id,
        MAX(CASE WHEN s.rank = 1 AND s.removed_at IS NULL THEN s.quality END) AS best_quality,
        COALESCE(MAX(CASE WHEN s.rank = 1 THEN s.logo END), MAX(s.logo)) AS logo,
        COALESCE(MAX(CASE WHEN s.rank = 1 THEN s.tvg_id END), MAX(s.tvg_id)) AS tvg_id,
        COALESCE(MAX(CASE WHEN s.rank = 1 THEN s.group_title END), MAX(s.group_title)) AS category
    FROM streams s
    WHERE s.channel_id IN (SELECT id FROM {scope})
    GROUP BY s.channel_id
) AS a
WHERE channels.id = a.channel_id
"""

# Channels left without any stream row are not in the aggregate above.
_ZERO = """
UPDATE channels SET stream_count = 0, active_stream_count = 0, best_stream_id = NULL, best_quality = NULL
WHERE channels.id IN (SELECT id FROM {scope})
  AND NOT EXISTS (SELECT 1 FROM streams s WHERE s.channel_id = channels.id)
"""

# A channel the matcher made and that lost its last stream row goes; one a person made stays.
_DROP_EMPTY = """
DELETE FROM channels
WHERE channels.id IN (SELECT id FROM {scope})
  AND channels.manual = false
  AND NOT EXISTS (SELECT 1 FROM streams s WHERE s.channel_id = channels.id)
"""

SCOPE = "strmline_affected"


async def fill_scope(
    session: AsyncSession, scope: str, ids: Iterable[int], *, batch: int = 5000
) -> int:
    """Put ``ids`` into the temporary table ``scope`` (created on first use, emptied first).

    Statements then join ``(SELECT id FROM scope)`` instead of binding an IN-list, which grows
    with the rows and breaks past a driver's parameter limit (asyncpg: 32,767). The inserts are
    executemany batches of one fixed statement. Returns the number of distinct ids.
    """
    unique = sorted(set(ids))
    await session.execute(
        text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {scope} (id INTEGER PRIMARY KEY)")
    )
    await session.execute(text(f"DELETE FROM {scope}"))
    insert = text(f"INSERT INTO {scope} (id) VALUES (:id)")
    for start in range(0, len(unique), batch):
        await session.execute(insert, [{"id": i} for i in unique[start : start + batch]])
    return len(unique)


async def clear_scope(session: AsyncSession, scope: str) -> None:
    await session.execute(text(f"DELETE FROM {scope}"))


async def channels(session: AsyncSession, channel_ids: Iterable[int], *, batch: int = 5000) -> None:
    """Refresh ranks and derived columns of the given channels (inside the caller's transaction)."""
    ids = set(channel_ids)
    if not ids:
        return
    await fill_scope(session, SCOPE, ids, batch=batch)
    await _refresh(session, SCOPE)
    await clear_scope(session, SCOPE)


async def all_channels(session: AsyncSession) -> None:
    """Refresh every channel (after a health run touched streams everywhere)."""
    await session.execute(
        text("CREATE TEMPORARY TABLE IF NOT EXISTS strmline_all (id INTEGER PRIMARY KEY)")
    )
    await session.execute(text("DELETE FROM strmline_all"))
    await session.execute(text("INSERT INTO strmline_all (id) SELECT id FROM channels"))
    await _refresh(session, "strmline_all")
    await session.execute(text("DELETE FROM strmline_all"))


async def _refresh(session: AsyncSession, scope: str) -> None:
    await session.execute(text(_RANKS.format(scope=scope)))
    await session.execute(text(_COUNTS.format(scope=scope)))
    await session.execute(text(_ZERO.format(scope=scope)))
    await session.execute(text(_DROP_EMPTY.format(scope=scope)))

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

_LIVE = "s.channel_id = channels.id AND s.removed_at IS NULL"
_COUNTS = f"""
UPDATE channels SET
    stream_count = (SELECT count(*) FROM streams s WHERE {_LIVE}),
    active_stream_count = (SELECT count(*) FROM streams s WHERE {_LIVE} AND s.active),
    best_stream_id = (SELECT s.id FROM streams s WHERE {_LIVE} ORDER BY s.rank LIMIT 1),
    best_quality = (SELECT s.quality FROM streams s WHERE {_LIVE} ORDER BY s.rank LIMIT 1),
    logo = COALESCE(channels.logo,
        (SELECT s.logo FROM streams s WHERE {_LIVE} AND s.logo IS NOT NULL ORDER BY s.rank LIMIT 1)),
    tvg_id = COALESCE(channels.tvg_id,
        (SELECT s.tvg_id FROM streams s WHERE {_LIVE} AND s.tvg_id IS NOT NULL ORDER BY s.rank LIMIT 1)),
    category = COALESCE(channels.category,
        (SELECT s.group_title FROM streams s WHERE {_LIVE} AND s.group_title IS NOT NULL ORDER BY s.rank LIMIT 1))
WHERE channels.id IN (SELECT id FROM {{scope}})
"""

# A channel the matcher made and that lost its last stream row goes; one a person made stays.
_DROP_EMPTY = """
DELETE FROM channels
WHERE channels.id IN (SELECT id FROM {scope})
  AND channels.manual = false
  AND NOT EXISTS (SELECT 1 FROM streams s WHERE s.channel_id = channels.id)
"""

SCOPE = "strmline_affected"


async def channels(session: AsyncSession, channel_ids: Iterable[int], *, batch: int = 5000) -> None:
    """Refresh ranks and derived columns of the given channels (inside the caller's transaction)."""
    ids = sorted(set(channel_ids))
    if not ids:
        return
    await session.execute(
        text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {SCOPE} (id INTEGER PRIMARY KEY)")
    )
    await session.execute(text(f"DELETE FROM {SCOPE}"))
    insert = text(f"INSERT INTO {SCOPE} (id) VALUES (:id)")
    for start in range(0, len(ids), batch):
        await session.execute(insert, [{"id": i} for i in ids[start : start + batch]])
    await _refresh(session, SCOPE)
    await session.execute(text(f"DELETE FROM {SCOPE}"))


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
    await session.execute(text(_DROP_EMPTY.format(scope=scope)))

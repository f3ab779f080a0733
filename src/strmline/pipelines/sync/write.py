"""Write: the bulk inserts and updates of one sync, then the set-based recompute of counts.

New channels and streams go in through batched inserts with ids allocated up front, changed
streams through executemany updates, streams no longer listed are flagged removed (and purged
after the retention period), and the channels touched get their stream counts, ranks and best
streams recomputed set-based. All of it runs inside the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import allocate_ids, batched, insert_records, insert_rows, update_by_id
from strmline.db.models import Channel, Stream
from strmline.pipelines.sync.diff import Entry, StreamDiff
from strmline.pipelines.sync.match import Assigned, Pending

__all__ = [
    "NEW_STREAM_COLUMNS",
    "apply_rematch",
    "create_channels",
    "insert_streams",
    "mark_missing",
    "purge_removed",
    "update_streams",
]

STREAMS = cast(Table, Stream.__table__)
CHANNELS = cast(Table, Channel.__table__)
# What a new stream row sets, in the order new_stream_rows() yields the values.
NEW_STREAM_COLUMNS = (
    "name",
    "group_title",
    "url",
    "tvg_id",
    "tvg_name",
    "logo",
    "chno",
    "headers",
    "attrs",
    "content_hash",
    "last_seen_sync",
    "removed_at",
    "updated_at",
    "quality",
    "quality_score",
    "height",
    "codec",
    "fps",
    "provider_id",
    "provider_key",
    "channel_id",
    "merge_method",
    "merge_confidence",
    "merge_reason",
    "status",
    "active",
    "consecutive_failures",
    "rank",
    "manual_override",
    "created_at",
)


async def create_channels(
    session: AsyncSession,
    pending: list[Pending],
    search_names: list[str],
    numbers: list[tuple[float, str]],
    now: datetime,
    *,
    batch: int,
) -> list[int]:
    """Insert the channels the matcher made, numbered; returns their ids in ``pending`` order."""
    if not pending:
        return []
    ids = await allocate_ids(session, "channels", len(pending))
    await insert_rows(
        session, CHANNELS, new_channel_rows(pending, ids, search_names, numbers, now), batch=batch
    )
    return ids


def new_channel_rows(
    pending: list[Pending],
    ids: list[int],
    search_names: list[str],
    numbers: list[tuple[float, str]],
    now: datetime,
) -> Iterator[dict[str, Any]]:
    """Rows for the channels the matcher made, built lazily in batches by insert_rows."""
    for (p, item), new_id, search_name, (number, source) in zip(
        pending, ids, search_names, numbers, strict=True
    ):
        yield {
            "name": p.display[:300] or item.name[:300],
            "search_name": search_name,
            "match_key": p.key[:300],
            "country": p.country,
            "region": p.region,
            "variant": p.variant,
            "category": (item.group or None) and item.group[:200],
            "number": number,
            "number_source": source,
            "logo": item.logo or None,
            "tvg_id": (item.tvg_id or None) and item.tvg_id[:200],
            "enabled": True,
            "manual": False,
            "epg_manual": False,
            "stream_count": 0,
            "active_stream_count": 0,
            "created_at": now,
            "updated_at": now,
            "id": new_id,
        }


def apply_rematch(diff: StreamDiff, assigned: list[Assigned]) -> None:
    """Renamed streams move to the channel the matcher found (``assigned`` lines up with
    ``diff.rematch``)."""
    for stream_id, (channel_id, method, confidence, reason, _q) in zip(
        diff.rematch_ids, assigned, strict=True
    ):
        diff.updates[stream_id].update(
            channel_id=channel_id,
            merge_method=method,
            merge_confidence=confidence,
            merge_reason=reason,
        )
        diff.affected.add(channel_id)
    diff.rematch.clear()
    diff.rematch_ids.clear()


async def insert_streams(
    session: AsyncSession,
    provider_id: int,
    new: list[Entry],
    assigned: list[Assigned],
    affected: set[int],
    now: datetime,
    *,
    batch: int,
) -> int:
    if not new:
        return 0
    return await insert_records(
        session,
        STREAMS,
        NEW_STREAM_COLUMNS,
        new_stream_rows(provider_id, new, assigned, affected, now),
        batch=batch,
    )


def new_stream_rows(
    provider_id: int,
    new_items: list[Entry],
    assigned: list[Assigned],
    affected: set[int],
    now: datetime,
) -> Iterator[tuple[Any, ...]]:
    """Rows for new streams, generated lazily, in channel and quality order with ranks set.

    Inserting in rank order with the rank already filled in means the set-based re-rank that
    follows finds nothing to change on a first sync (every UPDATE on a wide table is costly);
    where old streams share the channel, the re-rank corrects the numbers.
    """
    # A stable sort: entries of one channel and quality keep the provider's order.
    order = sorted(range(len(new_items)), key=lambda i: (assigned[i][0], -assigned[i][4].score))
    rank, last_channel = 0, None
    for i in order:
        item, digest = new_items[i]
        channel_id, method, confidence, reason, q = assigned[i]
        affected.add(channel_id)
        rank = rank + 1 if channel_id == last_channel else 1
        last_channel = channel_id
        # NEW_STREAM_COLUMNS order: the columns diff.stream_values() sets, then the new-row ones.
        yield (
            item.name[:400],  # name
            (item.group or None) and item.group[:200],  # group_title
            item.url,  # url
            (item.tvg_id or None) and item.tvg_id[:200],  # tvg_id
            (item.tvg_name or None) and item.tvg_name[:300],  # tvg_name
            item.logo or None,  # logo
            (item.chno or None) and item.chno[:20],  # chno
            dict(item.headers) or None,  # headers
            dict(item.attrs) or None,  # attrs
            digest,  # content_hash
            now,  # last_seen_sync
            None,  # removed_at
            now,  # updated_at
            q.label or None,  # quality
            q.score,  # quality_score
            q.height,  # height
            q.codec,  # codec
            q.fps,  # fps
            provider_id,
            item.key,  # provider_key
            channel_id,
            method,  # merge_method
            confidence,  # merge_confidence
            reason,  # merge_reason
            "unknown",  # status
            True,  # active
            0,  # consecutive_failures
            rank,
            False,  # manual_override
            now,  # created_at
        )


async def update_streams(
    session: AsyncSession, updates: dict[int, dict[str, Any]], *, batch: int
) -> int:
    """Changed streams; re-matched rows also move channel, so they form a shape of their own."""
    await update_by_id(session, STREAMS, updates.values(), batch=batch)
    return len(updates)


async def mark_missing(
    session: AsyncSession, missing: list[int], now: datetime, *, batch: int
) -> int:
    """Streams the provider no longer lists are flagged removed, not deleted."""
    if not missing:
        return 0
    stmt = update(STREAMS).where(STREAMS.c.id == bindparam("_id")).values(removed_at=now)
    for chunk in batched([{"_id": sid} for sid in missing], batch):
        await session.execute(stmt, chunk)
    return len(missing)


async def purge_removed(session: AsyncSession, provider_id: int, cutoff: datetime) -> set[int]:
    """Delete the provider's streams removed before ``cutoff``; returns their channels."""
    purged = await session.execute(
        delete(STREAMS)
        .where(STREAMS.c.provider_id == provider_id, STREAMS.c.removed_at < cutoff)
        .returning(STREAMS.c.channel_id)
    )
    return {r[0] for r in purged}

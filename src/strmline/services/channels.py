"""Reading the merged channel list: pages of channels with their ranked streams."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Label, and_, bindparam, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel, Provider, Stream
from strmline.matching.names import normalize


def search_clause(query: str | None) -> Any:
    if not query or not normalize(query):
        return None
    needle = normalize(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Channel.search_name.like(f"%{needle}%", escape="\\")


async def _stream_views(
    session: AsyncSession, channel_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Every listed stream (active or not) of many channels as views, in rank order: one query,
    whatever the count. The playable streams alone are :func:`strmline.services.tuning.streams_for`."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not channel_ids:
        return out
    rows = await session.execute(
        select(Stream, Provider.name)
        .join(Provider, Provider.id == Stream.provider_id)
        .where(Stream.channel_id.in_(channel_ids), Stream.removed_at.is_(None))
        .order_by(Stream.channel_id, Stream.rank, Stream.id)
    )
    for stream, provider_name in rows.tuples():
        out[stream.channel_id].append(stream_view(stream, provider_name))
    return out


def stream_view(stream: Stream, provider_name: str) -> dict[str, Any]:
    return {
        "id": stream.id,
        "provider": provider_name,
        "provider_id": stream.provider_id,
        "name": stream.name,
        "url": stream.url,
        "quality": stream.quality,
        "score": stream.quality_score,
        "rank": stream.rank,
        "active": stream.active,
        "status": stream.status,
        "response_ms": stream.response_ms,
        "failure_reason": stream.failure_reason,
        "checked_at": stream.checked_at.isoformat() if stream.checked_at else None,
        "merge_method": stream.merge_method,
        "merge_confidence": stream.merge_confidence,
        "merge_reason": stream.merge_reason,
        "pinned": stream.pinned_rank is not None,
    }


# Only a check that passed makes a stream "working". A stream nobody has checked yet is active
# (playable) but its health is unknown; saying "working" for it was a guess shown as a fact.
WORKING_STATUSES = ("ok", "slow")
CHECKED_STATUSES = (*WORKING_STATUSES, "failed")


def _health(stream_count: int, working: int, failed: int, unchecked: int) -> dict[str, Any]:
    if stream_count == 0:
        summary = "no_streams"
    elif working == stream_count:
        summary = "working"
    elif working:
        summary = "partial"
    elif failed:
        summary = "failing"
    else:
        summary = "not_checked"
    return {
        "working_stream_count": working,
        "failed_stream_count": failed,
        "unchecked_stream_count": unchecked,
        "health": summary,
    }


def stream_state(active: bool, status: str | None) -> str:
    """working, failed (last check failed, or deactivated) or unchecked (never checked)."""
    if not active or status == "failed":
        return "failed"
    return "working" if status in WORKING_STATUSES else "unchecked"


def health_from_streams(streams: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The health fields of a channel whose live streams are at hand (its detail view)."""
    counts = {"working": 0, "failed": 0, "unchecked": 0}
    for stream in streams:
        counts[stream_state(bool(stream["active"]), stream["status"])] += 1
    return _health(sum(counts.values()), counts["working"], counts["failed"], counts["unchecked"])


# Which live streams count as working and as failed (see stream_state), as SQL.
_WORKING = and_(Stream.active, or_(*(Stream.status == s for s in WORKING_STATUSES)))
_FAILED = or_(not_(Stream.active), Stream.status == "failed")
_LIVE = Stream.removed_at.is_(None)

# Built once: the same statement for every page (an expanding IN of the page's ids), so a
# request pays neither its construction nor its cache key.
_HEALTH = (
    select(
        Stream.channel_id,
        func.count(),
        func.sum(case((_WORKING, 1), else_=0)),
        func.sum(case((_FAILED, 1), else_=0)),
    )
    .where(Stream.channel_id.in_(bindparam("channel_ids", expanding=True)), _LIVE)
    .group_by(Stream.channel_id)
)


async def with_health(session: AsyncSession, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the health fields to a page of :func:`channel_view` dicts: one GROUP BY statement."""
    if not items:
        return items
    conn = await session.connection()  # plain rows: no ORM result machinery needed
    rows = await conn.execute(_HEALTH, {"channel_ids": [i["id"] for i in items]})
    counts = {cid: (int(n), int(ok or 0), int(bad or 0)) for cid, n, ok, bad in rows}
    for item in items:
        n, ok, bad = counts.get(item["id"], (0, 0, 0))
        item.update(_health(n, ok, bad, n - ok - bad))
    return items


def health_columns(channel_id: ColumnElement[int]) -> tuple[Label[int], Label[int], Label[int]]:
    """The counts :func:`with_health` reads, as columns of a query that yields channel ids:
    ``streams``, ``working`` and ``failed`` (read back with :func:`health_of`). Each is a lookup
    per row, so they belong on a query already cut to its page."""
    live = select(func.count()).where(Stream.channel_id == channel_id, _LIVE)
    return (
        live.scalar_subquery().label("streams"),
        live.where(_WORKING).scalar_subquery().label("working"),
        live.where(_FAILED).scalar_subquery().label("failed"),
    )


def health_of(streams: int, working: int, failed: int) -> dict[str, Any]:
    """The health fields from the counts of :func:`health_columns`."""
    return _health(streams, working, failed, streams - working - failed)


def number_view(number: float | None) -> int | float | None:
    """A channel number as lists show it: 5, not 5.0 (tvg-chno may also be 5.1)."""
    return int(number) if number is not None and number.is_integer() else number


def channel_view(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "category": channel.category,
        "country": channel.country,
        "region": channel.region,
        "variant": channel.variant,
        "number": number_view(channel.number),
        "tvg_id": channel.tvg_id,
        "logo": channel.logo,
        "enabled": channel.enabled,
        "stream_count": channel.stream_count,
        "active_stream_count": channel.active_stream_count,
        "best_quality": channel.best_quality,
    }


async def iter_channels(
    session: AsyncSession, *, search: str | None = None, page: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Every channel with streams, ordered by name, read in keyset pages (bounded memory)."""
    clause = search_clause(search)
    last: tuple[str, int] | None = None
    while True:
        query = select(Channel).where(Channel.stream_count > 0)
        if clause is not None:
            query = query.where(clause)
        if last is not None:
            query = query.where(
                (Channel.name > last[0]) | ((Channel.name == last[0]) & (Channel.id > last[1]))
            )
        channels = (
            (await session.execute(query.order_by(Channel.name, Channel.id).limit(page)))
            .scalars()
            .all()
        )
        if not channels:
            return
        streams = await _stream_views(session, [c.id for c in channels])
        for channel in channels:
            yield channel_view(channel) | {"streams": streams.get(channel.id, [])}
        last = (channels[-1].name, channels[-1].id)

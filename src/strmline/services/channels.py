"""Reading the merged channel list: pages of channels with their ranked streams."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select
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


async def with_health(session: AsyncSession, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the health fields to a page of :func:`channel_view` dicts: one GROUP BY statement."""
    if not items:
        return items
    failed = or_(not_(Stream.active), Stream.status == "failed")
    working = and_(Stream.active, Stream.status.in_(WORKING_STATUSES))
    rows = await session.execute(
        select(
            Stream.channel_id,
            func.count(),
            func.sum(case((working, 1), else_=0)),
            func.sum(case((failed, 1), else_=0)),
        )
        .where(Stream.channel_id.in_([i["id"] for i in items]), Stream.removed_at.is_(None))
        .group_by(Stream.channel_id)
    )
    counts = {cid: (int(n), int(ok or 0), int(bad or 0)) for cid, n, ok, bad in rows}
    for item in items:
        n, ok, bad = counts.get(item["id"], (0, 0, 0))
        item.update(_health(n, ok, bad, n - ok - bad))
    return items


def channel_view(channel: Channel) -> dict[str, Any]:
    number = channel.number
    return {
        "id": channel.id,
        "name": channel.name,
        "category": channel.category,
        "country": channel.country,
        "region": channel.region,
        "variant": channel.variant,
        "number": int(number) if number is not None and number.is_integer() else number,
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

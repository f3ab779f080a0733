"""Viewing history: the sessions playback recorded (``playback/sessions.py``), newest first, and
what they add up to: the most watched channels, viewing by hour of day, and stream failovers.

Every read is one or two statements whatever the number of sessions: keyset pages and
aggregates (``GROUP BY``), never a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.models import Channel, User, ViewingSession
from strmline.formats import cursor as cursor_codec
from strmline.formats.cursor import BAD_CURSOR, InvalidCursor

__all__ = ["HistoryStats", "history_page", "stats"]

TOP = 10


def _scope(user_id: int | None) -> list[ColumnElement[bool]]:
    return [ViewingSession.user_id == user_id] if user_id is not None else []


async def history_page(
    *, session: AsyncSession, user_id: int | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions newest first (keyset ``(started_at, id)``), with channel and user names: one
    statement. ``user_id`` None: everyone's."""
    after = cursor_codec.decode(cursor, str, int)
    query = (
        select(ViewingSession, Channel.name, User.username)
        .outerjoin(Channel, Channel.id == ViewingSession.channel_id)
        .outerjoin(User, User.id == ViewingSession.user_id)
        .where(*_scope(user_id))
        .order_by(ViewingSession.started_at.desc(), ViewingSession.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        try:
            started = datetime.fromisoformat(after[0])
        except ValueError:
            raise InvalidCursor(BAD_CURSOR) from None
        query = query.where(
            tuple_(ViewingSession.started_at, ViewingSession.id) < tuple_(started, after[1])
        )
    rows, more = cursor_codec.split_page(list((await session.execute(query)).all()), limit)
    items = [
        {
            "id": v.id,
            "channel_id": v.channel_id,
            "channel": channel,
            "user_id": v.user_id,
            "username": username,
            "kind": v.kind,
            "client": v.client,
            "started_at": v.started_at,
            "ended_at": v.ended_at,
            "bytes_sent": v.bytes_sent,
            "switches": v.switches,
        }
        for v, channel, username in rows
    ]
    last = rows[-1][0] if rows else None
    next_cursor = (
        cursor_codec.encode(last.started_at.isoformat(), last.id) if more and last else None
    )
    return items, next_cursor


@dataclass(frozen=True, slots=True)
class HistoryStats:
    sessions: int
    failovers: int  # stream switches in all
    sessions_with_failover: int
    top_channels: list[dict[str, Any]]  # channel_id, channel, sessions, switches
    by_hour: list[int]  # sessions started in each hour of the day (UTC), 24 values


def _hour(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("hour", ViewingSession.started_at), Integer)
    return cast(func.strftime("%H", ViewingSession.started_at), Integer)


async def stats(*, session: AsyncSession, user_id: int | None, days: int) -> HistoryStats:
    """The last ``days`` of viewing in three aggregate statements."""
    where = [*_scope(user_id), ViewingSession.started_at >= utcnow() - timedelta(days=days)]
    total, switches, switched = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(ViewingSession.switches), 0),
                func.count().filter(ViewingSession.switches > 0),
            ).where(*where)
        )
    ).one()
    top = await session.execute(
        select(
            ViewingSession.channel_id,
            Channel.name,
            func.count().label("n"),
            func.coalesce(func.sum(ViewingSession.switches), 0),
        )
        .outerjoin(Channel, Channel.id == ViewingSession.channel_id)
        .where(*where, ViewingSession.channel_id.is_not(None))
        .group_by(ViewingSession.channel_id, Channel.name)
        .order_by(func.count().desc(), ViewingSession.channel_id)
        .limit(TOP)
    )
    hour = _hour(session)
    hours = [0] * 24
    for h, n in await session.execute(select(hour, func.count()).where(*where).group_by(hour)):
        if h is not None and 0 <= int(h) < 24:
            hours[int(h)] = int(n)
    return HistoryStats(
        sessions=int(total),
        failovers=int(switches),
        sessions_with_failover=int(switched),
        top_channels=[
            {"channel_id": cid, "channel": name, "sessions": int(n), "switches": int(sw)}
            for cid, name, n, sw in top
        ],
        by_hour=hours,
    )

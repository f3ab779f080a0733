"""Reading the guide: now/next for many channels, a time window for a page of channels, and
the channels still without a guide. Each is a fixed number of statements, whatever the number
of channels asked for, and each programme lookup is a seek on (epg_channel_id, start).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from strmline.db.base import utcnow
from strmline.db.models import Channel, EpgProgramme
from strmline.formats import cursor as cursor_codec
from strmline.formats.xmltv import MAX_DURATION
from strmline.services import epg_match


@dataclass(frozen=True, slots=True)
class Slot:
    title: str
    start: datetime
    stop: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "start": self.start, "stop": self.stop}


@dataclass(frozen=True, slots=True)
class NowNext:
    channel_id: int
    channel: str
    now: Slot | None
    next: Slot | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "channel": self.channel,
            "now": self.now.as_dict() if self.now else None,
            "next": self.next.as_dict() if self.next else None,
        }


@dataclass(frozen=True, slots=True)
class GuideWindow:
    start: datetime
    end: datetime
    items: list[dict[str, Any]]
    next_cursor: str | None


async def now_next(
    session: AsyncSession, *, now: datetime, channel_ids: list[int] | None = None
) -> list[NowNext]:
    """One statement: two correlated index seeks per channel (the last programme that started,
    the first that has not), joined back to their rows. Portable: no LATERAL on SQLite."""
    p = EpgProgramme
    current = (
        select(p.id)
        .where(p.epg_channel_id == Channel.epg_channel_id, p.start <= now)
        .order_by(p.start.desc())
        .limit(1)
        .correlate(Channel)
        .scalar_subquery()
    )
    upcoming = (
        select(p.id)
        .where(p.epg_channel_id == Channel.epg_channel_id, p.start > now)
        .order_by(p.start)
        .limit(1)
        .correlate(Channel)
        .scalar_subquery()
    )
    inner = select(
        Channel.id, Channel.name, current.label("now_id"), upcoming.label("next_id")
    ).where(Channel.epg_channel_id.is_not(None))
    if channel_ids is not None:
        inner = inner.where(Channel.id.in_(channel_ids))
    else:
        inner = inner.where(Channel.enabled.is_(True))
    sub = inner.subquery()
    pn, px = aliased(EpgProgramme), aliased(EpgProgramme)
    rows = await session.execute(
        select(sub.c.id, sub.c.name, pn.title, pn.start, pn.stop, px.title, px.start, px.stop)
        .outerjoin(pn, and_(pn.id == sub.c.now_id, pn.stop > now))
        .outerjoin(px, px.id == sub.c.next_id)
        .order_by(sub.c.id)
    )
    found = {
        r[0]: NowNext(
            r[0],
            r[1],
            Slot(r[2], r[3], r[4]) if r[3] is not None else None,
            Slot(r[5], r[6], r[7]) if r[6] is not None else None,
        )
        for r in rows
    }
    if channel_ids is None:
        return list(found.values())
    # Channels asked for but without a guide still answer, with nothing on.
    missing = [i for i in channel_ids if i not in found]
    if missing:
        names = await session.execute(
            select(Channel.id, Channel.name).where(Channel.id.in_(missing))
        )
        for cid, name in names:
            found[cid] = NowNext(cid, name, None, None)
    return [found[i] for i in channel_ids if i in found]


def programme_dict(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "start": p.start,
        "stop": p.stop,
        "title": p.title,
        "sub_title": p.sub_title,
        "description": p.description,
        "categories": p.categories or [],
        "episode_num": p.episode_num,
        "episode_onscreen": p.episode_onscreen,
        "icon": p.icon,
        "rating": p.rating,
    }


async def guide_page(
    session: AsyncSession, *, start: datetime, end: datetime, after_id: int | None, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of enabled channels (keyset on id) with their programmes in [start, end).

    Two statements. Programmes last at most a day (the import clamps them), so the start bound
    ``start - 1 day`` keeps the programme query a range scan on the index.
    """
    query = select(
        Channel.id, Channel.name, Channel.logo, Channel.number, Channel.epg_channel_id
    ).where(Channel.enabled.is_(True))
    if after_id is not None:
        query = query.where(Channel.id > after_id)
    channels = list(await session.execute(query.order_by(Channel.id).limit(limit + 1)))
    more = len(channels) > limit
    channels = channels[:limit]
    guide_ids = {c.epg_channel_id for c in channels if c.epg_channel_id is not None}
    by_guide: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if guide_ids:
        p = EpgProgramme
        rows = await session.execute(
            select(p)
            .where(
                p.epg_channel_id.in_(guide_ids),
                p.start >= start - MAX_DURATION,
                p.start < end,
                p.stop > start,
            )
            .order_by(p.epg_channel_id, p.start)
        )
        for prog in rows.scalars():
            by_guide[prog.epg_channel_id].append(programme_dict(prog))
    items = [
        {
            "channel_id": c.id,
            "channel": c.name,
            "logo": c.logo,
            "number": c.number,
            "programmes": by_guide.get(c.epg_channel_id, []) if c.epg_channel_id else [],
        }
        for c in channels
    ]
    return items, (channels[-1].id if more and channels else None)


async def unmatched_page(
    session: AsyncSession, *, after_id: int | None, limit: int, suggestions: int = 3
) -> tuple[list[dict[str, Any]], int | None]:
    """Enabled channels without a guide, with the closest guide channels as suggestions: each
    with its score, those of the channel's own country (or of none) first."""
    query = select(Channel.id, Channel.name, Channel.tvg_id, Channel.country).where(
        Channel.enabled.is_(True), Channel.epg_channel_id.is_(None)
    )
    if after_id is not None:
        query = query.where(Channel.id > after_id)
    rows = list(await session.execute(query.order_by(Channel.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    index = await epg_match.load_index(session) if rows else None
    items = [
        {
            "channel_id": r.id,
            "channel": r.name,
            "tvg_id": r.tvg_id,
            "suggestions": [
                {
                    "epg_channel_id": s.epg_channel_id,
                    "xmltv_id": s.xmltv_id,
                    "name": s.name,
                    "score": s.score,
                    "country": s.country,
                }
                for s in (
                    index.suggest(
                        epg_match.name_identity(r.name)[0],
                        suggestions,
                        epg_match.channel_countries(r.name, r.tvg_id, r.country),
                    )
                    if index
                    else []
                )
            ],
        }
        for r in rows
    ]
    return items, (rows[-1].id if more and rows else None)


async def list_guide(
    *,
    session: AsyncSession,
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> GuideWindow:
    """A page of the guide grid after ``cursor``: from ``start`` (now) to ``end`` (3 h later),
    at most 48 h; see :func:`guide_page`."""
    begin = start or utcnow()
    begin, finish = clamp_window(begin, end or begin + timedelta(hours=3))
    after = cursor_codec.decode(cursor, int)
    items, last = await guide_page(
        session, start=begin, end=finish, after_id=after[0] if after else None, limit=limit
    )
    next_cursor = cursor_codec.encode(last) if last is not None else None
    return GuideWindow(start=begin, end=finish, items=items, next_cursor=next_cursor)


async def list_unmatched(
    *, session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of :func:`unmatched_page` after ``cursor``, and the next page's cursor."""
    after = cursor_codec.decode(cursor, int)
    items, last = await unmatched_page(session, after_id=after[0] if after else None, limit=limit)
    return items, cursor_codec.encode(last) if last is not None else None


def clamp_window(start: datetime, end: datetime, max_hours: int = 48) -> tuple[datetime, datetime]:
    if end <= start:
        end = start + timedelta(hours=3)
    return start, min(end, start + timedelta(hours=max_hours))

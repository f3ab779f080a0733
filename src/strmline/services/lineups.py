"""Lineups: named channel sets with their own order and numbers, who sees which, and the rules
that fill them.

"All channels" has no row (``lineup_id`` None, slug ``all``): it always exists and cannot be
renamed or deleted. A user given lineups sees only those in the outputs (the first, by
position, when a URL names none); an admin, or a user given none, sees every lineup and "All
channels". Membership is one row per (lineup, channel) with the channel's number in that
lineup; a channel a person took out of a lineup with rules stays as an ``excluded`` row, so
the rules do not put it back at the next sync.

Every function issues a fixed number of statements, however many channels or members it
touches (bulk inserts, executemany updates, one aggregate per question).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, func, or_, select, tuple_
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.bulk import insert_rows
from strmline.db.models import Channel, Lineup, LineupMember, User, UserLineup
from strmline.errors import ConfigError, Conflict, NotFound
from strmline.formats import cursor as cursor_codec
from strmline.matching.selection import ChannelRule, matches_any, parse_rules

__all__ = [
    "ALL",
    "ALL_NAME",
    "ALL_SLUG",
    "LineupInfo",
    "Member",
    "View",
    "add_members",
    "apply_rules",
    "create",
    "delete_lineup",
    "get",
    "list_lineups",
    "member_count",
    "members_page",
    "remove_members",
    "renumber",
    "resolve_view",
    "set_numbers",
    "set_user_lineups",
    "slugify",
    "update",
    "user_lineups",
    "xtream_view",
]

ALL_SLUG = "all"
ALL_NAME = "All channels"
BATCH = 5000
_SLUG_BAD = re.compile(r"[^a-z0-9]+")
MEMBERS = cast(Table, LineupMember.__table__)
USER_LINEUPS = cast(Table, UserLineup.__table__)
_SLUG_OK = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class View:
    """The channel set an output shows: a lineup, or every channel (``id`` None)."""

    id: int | None
    slug: str
    name: str


ALL = View(None, ALL_SLUG, ALL_NAME)


@dataclass(frozen=True, slots=True)
class LineupInfo:
    lineup: Lineup
    channels: int  # members shown (not excluded)


@dataclass(frozen=True, slots=True)
class Member:
    channel_id: int
    name: str
    number: float
    source: str
    category: str | None


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SLUG_BAD.sub("-", ascii_name.lower()).strip("-")[:60].strip("-")


def _check_slug(slug: str) -> str:
    if not _SLUG_OK.match(slug):
        raise ConfigError(
            f"slug {slug!r}: 1-60 lower-case letters, digits and '-' (it goes in URLs)",
            details={"field": "slug"},
        )
    if slug == ALL_SLUG:
        raise ConfigError(
            f"slug {ALL_SLUG!r} is the built-in {ALL_NAME!r}", details={"field": "slug"}
        )
    return slug


def _check_rules(raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule.as_dict() for rule in parse_rules(raw)]


# ---- lineups -------------------------------------------------------------------------------------


async def list_lineups(session: AsyncSession) -> list[LineupInfo]:
    """Every lineup by position, with its member count: one statement."""
    counts = (
        select(LineupMember.lineup_id, func.count().label("n"))
        .where(LineupMember.source != "excluded")
        .group_by(LineupMember.lineup_id)
        .subquery()
    )
    rows = await session.execute(
        select(Lineup, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.lineup_id == Lineup.id)
        .order_by(Lineup.position, Lineup.id)
    )
    return [LineupInfo(lineup, int(n)) for lineup, n in rows]


async def get(session: AsyncSession, lineup_id: int) -> Lineup:
    lineup = await session.get(Lineup, lineup_id)
    if lineup is None:
        raise NotFound(f"no lineup with id {lineup_id}")
    return lineup


async def member_count(session: AsyncSession, lineup_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                LineupMember.lineup_id == lineup_id, LineupMember.source != "excluded"
            )
        )
        or 0
    )


async def _check_unique(
    session: AsyncSession, name: str, slug: str, lineup_id: int | None = None
) -> None:
    query = select(Lineup.name, Lineup.slug).where((Lineup.name == name) | (Lineup.slug == slug))
    if lineup_id is not None:
        query = query.where(Lineup.id != lineup_id)
    taken = (await session.execute(query.limit(1))).one_or_none()
    if taken is not None:
        what = f"name {name!r}" if taken[0] == name else f"slug {slug!r}"
        raise Conflict(f"a lineup with the {what} exists")


async def create(
    session: AsyncSession,
    *,
    name: str,
    slug: str | None = None,
    position: int = 0,
    rules: Sequence[dict[str, Any]] = (),
) -> Lineup:
    name = name.strip()
    if not name:
        raise ConfigError("a lineup needs a name", details={"field": "name"})
    if name.casefold() == ALL_NAME.casefold():
        raise ConfigError(f"{ALL_NAME!r} is built in", details={"field": "name"})
    slug = _check_slug(slug if slug else slugify(name) or "lineup")
    checked = _check_rules(rules)
    await _check_unique(session, name, slug)
    lineup = Lineup(name=name, slug=slug, position=position, rules=checked)
    session.add(lineup)
    await session.flush()
    if checked:
        await apply_rules(session, [lineup.id])
    return lineup


async def update(session: AsyncSession, lineup: Lineup, changes: dict[str, Any]) -> Lineup:
    """Apply the fields sent (name, slug, position, rules); new rules are applied now."""
    name = str(changes.get("name") or lineup.name).strip()
    slug = _check_slug(str(changes.get("slug") or lineup.slug))
    await _check_unique(session, name, slug, lineup.id)
    lineup.name, lineup.slug = name, slug
    if changes.get("position") is not None:
        lineup.position = int(changes["position"])
    rules_changed = "rules" in changes and changes["rules"] is not None
    if rules_changed:
        lineup.rules = _check_rules(changes["rules"])
    lineup.updated_at = utcnow()
    await session.flush()
    if rules_changed:
        await apply_rules(session, [lineup.id])
    await session.refresh(lineup)
    return lineup


async def delete_lineup(session: AsyncSession, lineup: Lineup) -> None:
    await session.delete(lineup)
    await session.flush()


# ---- members ------------------------------------------------------------------------------------


async def members_page(
    session: AsyncSession, lineup_id: int, *, limit: int, cursor: str | None
) -> tuple[list[Member], str | None]:
    """Members in lineup order (excluded ones last is not needed: they are left out), keyset
    on (number, channel id): one statement."""
    m = LineupMember
    after = cursor_codec.decode(cursor, float, int)
    query = (
        select(m.channel_id, Channel.name, m.number, m.source, Channel.category)
        .join(Channel, Channel.id == m.channel_id)
        .where(m.lineup_id == lineup_id, m.source != "excluded")
    )
    if after is not None:
        query = query.where(tuple_(m.number, m.channel_id) > tuple_(*after))
    rows = (await session.execute(query.order_by(m.number, m.channel_id).limit(limit + 1))).all()
    page, more = cursor_codec.split_page([Member(*r) for r in rows], limit)
    next_cursor = cursor_codec.encode(page[-1].number, page[-1].channel_id) if more else None
    return page, next_cursor


async def _next_number(session: AsyncSession, lineup_id: int) -> int:
    highest = await session.scalar(
        select(func.max(LineupMember.number)).where(LineupMember.lineup_id == lineup_id)
    )
    return max(1, math.floor(highest) + 1) if highest is not None else 1


async def add_members(
    session: AsyncSession, lineup: Lineup, channel_ids: Sequence[int], *, source: str = "manual"
) -> int:
    """Put channels in the lineup, numbered after its highest in the order given; channels
    already in it keep their number, an excluded one comes back with a new one. Returns how
    many were added or brought back. At most six statements."""
    wanted = list(dict.fromkeys(channel_ids))
    if not wanted:
        return 0
    known = set(await session.scalars(select(Channel.id).where(Channel.id.in_(wanted))))
    missing = [c for c in wanted if c not in known]
    if missing:
        raise NotFound(f"no channel with id {', '.join(map(str, missing[:10]))}")
    m = LineupMember
    present = {
        r[0]: r[1]
        for r in await session.execute(
            select(m.channel_id, m.source).where(m.lineup_id == lineup.id, m.channel_id.in_(wanted))
        )
    }
    # Members being (re)added, in the order asked; an excluded row's old number may be taken.
    joining = [c for c in wanted if present.get(c, "excluded") == "excluded"]
    if not joining:
        return 0
    start, now = await _next_number(session, lineup.id), utcnow()
    numbers = {c: float(start + i) for i, c in enumerate(joining)}
    back = {c: n for c, n in numbers.items() if c in present}
    if back:
        await session.execute(
            sql_update(MEMBERS)
            .where(MEMBERS.c.lineup_id == lineup.id, MEMBERS.c.channel_id == bindparam("cid"))
            .values(source=source, added_at=now, number=bindparam("num")),
            [{"cid": c, "num": n} for c, n in back.items()],
        )
    rows = [
        {"lineup_id": lineup.id, "channel_id": c, "number": n, "source": source, "added_at": now}
        for c, n in numbers.items()
        if c not in present
    ]
    if rows:
        await insert_rows(session, MEMBERS, rows, batch=BATCH)
    await _touch(session, lineup.id)
    return len(joining)


async def remove_members(session: AsyncSession, lineup: Lineup, channel_ids: Sequence[int]) -> int:
    """Take channels out. In a lineup with rules they stay as ``excluded`` rows so the rules
    leave them out from now on. Returns how many were taken out. One or two statements."""
    m = LineupMember
    wanted = list(dict.fromkeys(channel_ids))
    if not wanted:
        return 0
    where = and_(m.lineup_id == lineup.id, m.channel_id.in_(wanted), m.source != "excluded")
    if lineup.rules:
        result = await session.execute(sql_update(m).where(where).values(source="excluded"))
    else:
        result = await session.execute(delete(m).where(where))
    await _touch(session, lineup.id)
    return int(getattr(result, "rowcount", 0) or 0)


async def set_numbers(session: AsyncSession, lineup: Lineup, numbers: dict[int, float]) -> None:
    """Give members the numbers asked for; two members may not share one. One executemany and
    one check."""
    if not numbers:
        return
    for channel_id, number in numbers.items():
        if not math.isfinite(number) or number <= 0:
            raise ConfigError(f"channel {channel_id}: a number must be positive, not {number}")
    m = LineupMember
    present = set(
        await session.scalars(
            select(m.channel_id).where(
                m.lineup_id == lineup.id, m.channel_id.in_(list(numbers)), m.source != "excluded"
            )
        )
    )
    missing = [c for c in numbers if c not in present]
    if missing:
        raise NotFound(
            f"channel(s) {', '.join(map(str, missing[:10]))} not in lineup {lineup.slug!r}"
        )
    stmt = (
        sql_update(MEMBERS)
        .where(MEMBERS.c.lineup_id == lineup.id, MEMBERS.c.channel_id == bindparam("cid"))
        .values(number=bindparam("num"))
    )
    await session.execute(stmt, [{"cid": c, "num": float(n)} for c, n in numbers.items()])
    await _check_no_duplicates(session, lineup)
    await _touch(session, lineup.id)


async def _check_no_duplicates(session: AsyncSession, lineup: Lineup) -> None:
    m = LineupMember
    dup = await session.scalar(
        select(m.number)
        .where(m.lineup_id == lineup.id, m.source != "excluded")
        .group_by(m.number)
        .having(func.count() > 1)
        .limit(1)
    )
    if dup is not None:
        raise Conflict(f"two channels of lineup {lineup.slug!r} would have number {dup:g}")


async def renumber(
    session: AsyncSession, lineup: Lineup, *, start: int = 1, order: str = "lineup"
) -> int:
    """Number every member from ``start`` up: in the lineup's current order, by the channels'
    own numbers (``channel``), or by name. Two statements."""
    m = LineupMember
    sort: list[Any]
    if order == "lineup":
        sort = [m.number, m.channel_id]
    elif order == "channel":
        sort = [Channel.number.is_(None), Channel.number, Channel.search_name, Channel.id]
    elif order == "name":
        sort = [Channel.search_name, Channel.id]
    else:
        raise ConfigError(f"order {order!r}: one of lineup, channel, name")
    ids = list(
        await session.scalars(
            select(m.channel_id)
            .join(Channel, Channel.id == m.channel_id)
            .where(m.lineup_id == lineup.id, m.source != "excluded")
            .order_by(*sort)
        )
    )
    if ids:
        await _write_numbers(session, lineup.id, {c: float(start + i) for i, c in enumerate(ids)})
    await _touch(session, lineup.id)
    return len(ids)


async def _write_numbers(session: AsyncSession, lineup_id: int, numbers: dict[int, float]) -> None:
    t = MEMBERS
    stmt = (
        sql_update(t)
        .where(t.c.lineup_id == lineup_id, t.c.channel_id == bindparam("cid"))
        .values(number=bindparam("num"))
    )
    rows = [{"cid": c, "num": n} for c, n in numbers.items()]
    for first in range(0, len(rows), BATCH):
        await session.execute(stmt, rows[first : first + BATCH])


async def _touch(session: AsyncSession, lineup_id: int) -> None:
    # Outputs fold the lineup's updated_at into their ETag: a number change is a new document.
    await session.execute(
        sql_update(Lineup).where(Lineup.id == lineup_id).values(updated_at=utcnow())
    )


# ---- rules -------------------------------------------------------------------------------------


async def apply_rules(
    session: AsyncSession, lineup_ids: Iterable[int] | None = None
) -> dict[str, int]:
    """Bring rule-filled lineups up to date: channels matching a lineup's rules join it
    (numbered after its highest, in the channels' own order), members the rules put there that
    no longer match leave. Manual and excluded members are left alone. Reads every channel
    once in keyset pages, whatever the number of lineups; a fixed number of statements per
    page. Returns how many members were added and removed."""
    query = select(Lineup.id, Lineup.rules)
    if lineup_ids is not None:
        query = query.where(Lineup.id.in_(list(lineup_ids)))
    rules: dict[int, list[ChannelRule]] = {}
    for lineup_id, raw in await session.execute(query):
        parsed = parse_rules(raw or [])
        if parsed:
            rules[lineup_id] = parsed
    if not rules:
        return {"added": 0, "removed": 0}
    wanted = await _matching_channels(session, rules)
    m = LineupMember
    present: dict[int, dict[int, str]] = defaultdict(dict)
    for lineup_id, channel_id, source in await session.execute(
        select(m.lineup_id, m.channel_id, m.source).where(m.lineup_id.in_(list(rules)))
    ):
        present[lineup_id][channel_id] = source
    added_to = await _add_rule_members(session, rules, wanted, present)
    gone = [
        {"lid": lid, "cid": cid}
        for lid in rules
        for cid, source in present[lid].items()
        if source == "rule" and cid not in wanted[lid]
    ]
    t = MEMBERS
    stmt = delete(t).where(t.c.lineup_id == bindparam("lid"), t.c.channel_id == bindparam("cid"))
    for first in range(0, len(gone), BATCH):
        await session.execute(stmt, gone[first : first + BATCH])
    # Only lineups that changed are marked (their outputs' ETags move), so a sync that changed
    # nothing for them writes nothing here; a request naming lineups marks them applied.
    touched = set(added_to) | {row["lid"] for row in gone}
    if lineup_ids is not None:
        touched |= set(rules)
    if touched:
        now = utcnow()
        await session.execute(
            sql_update(Lineup)
            .where(Lineup.id.in_(sorted(touched)))
            .values(rules_applied_at=now, updated_at=now)
        )
    return {"added": sum(added_to.values()), "removed": len(gone)}


async def _matching_channels(
    session: AsyncSession, rules: dict[int, list[ChannelRule]], page_size: int = BATCH
) -> dict[int, list[int]]:
    """lineup id → ids of the channels its rules take, in the channels' own order."""
    out: dict[int, list[int]] = {lid: [] for lid in rules}
    conn = await session.connection()
    c = Channel
    order = (c.number.is_(None), func.coalesce(c.number, 0), c.search_name, c.id)
    # Ordered by (number, name) for the numbering; paged by id so each page is an index range.
    ordered: list[tuple[tuple[Any, ...], int, list[int]]] = []
    after = 0
    while True:
        rows = (
            await conn.execute(
                select(c.id, c.name, c.category, c.country, c.best_quality, *order)
                .where(c.id > after)
                .order_by(c.id)
                .limit(page_size)
            )
        ).all()
        for row in rows:
            hits = [
                lid for lid, rs in rules.items() if matches_any(rs, row[1], row[2], row[3], row[4])
            ]
            if hits:
                ordered.append((tuple(row[5:]), row[0], hits))
        if len(rows) < page_size:
            break
        after = rows[-1][0]
    ordered.sort(key=lambda item: item[0])
    for _, channel_id, hits in ordered:
        for lid in hits:
            out[lid].append(channel_id)
    return out


async def _add_rule_members(
    session: AsyncSession,
    rules: dict[int, list[ChannelRule]],
    wanted: dict[int, list[int]],
    present: dict[int, dict[int, str]],
) -> Counter[int]:
    """Insert the members the rules add; how many per lineup."""
    m = LineupMember
    highest = {
        r[0]: r[1]
        for r in await session.execute(
            select(m.lineup_id, func.max(m.number))
            .where(m.lineup_id.in_(list(rules)))
            .group_by(m.lineup_id)
        )
    }
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for lid in rules:
        top = highest.get(lid)
        seq = max(1, math.floor(top) + 1) if top is not None else 1
        for cid in wanted[lid]:
            if cid not in present[lid]:
                rows.append(
                    {
                        "lineup_id": lid,
                        "channel_id": cid,
                        "number": float(seq),
                        "source": "rule",
                        "added_at": now,
                    }
                )
                seq += 1
    if rows:
        await insert_rows(session, MEMBERS, rows, batch=BATCH)
    return Counter(row["lineup_id"] for row in rows)


# ---- who sees which ------------------------------------------------------------------------------


async def user_lineups(session: AsyncSession, user_id: int) -> list[View]:
    rows = await session.execute(
        select(Lineup.id, Lineup.slug, Lineup.name)
        .join(UserLineup, UserLineup.lineup_id == Lineup.id)
        .where(UserLineup.user_id == user_id)
        .order_by(Lineup.position, Lineup.id)
    )
    return [View(*r) for r in rows]


async def set_user_lineups(
    session: AsyncSession, user: User, lineup_ids: Sequence[int], xtream_lineup_id: int | None
) -> list[View]:
    """Give a user exactly these lineups (none: everything) and bind their Xtream credentials
    to one of them (None: their default)."""
    ids = list(dict.fromkeys(lineup_ids))
    known = (
        set(await session.scalars(select(Lineup.id).where(Lineup.id.in_(ids)))) if ids else set()
    )
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFound(f"no lineup with id {', '.join(map(str, missing))}")
    if xtream_lineup_id is not None:
        if ids and xtream_lineup_id not in known:
            raise ConfigError(
                "the Xtream lineup must be one of the user's lineups",
                details={"field": "xtream_lineup_id"},
            )
        await get(session, xtream_lineup_id)
    await session.execute(delete(UserLineup).where(UserLineup.user_id == user.id))
    if ids:
        await session.execute(
            USER_LINEUPS.insert(), [{"user_id": user.id, "lineup_id": i} for i in ids]
        )
    user.xtream_lineup_id = xtream_lineup_id
    await session.flush()
    return await user_lineups(session, user.id)


async def may_watch(session: AsyncSession, user: User | None, channel_id: int) -> bool:
    """Whether the user may play the channel: admins and users given no lineup any channel,
    others only the channels of their lineups. One statement."""
    if user is None or user.role == "admin":
        return True
    theirs = select(UserLineup.lineup_id).where(UserLineup.user_id == user.id)
    member = (
        exists()
        .where(LineupMember.channel_id == channel_id, LineupMember.lineup_id.in_(theirs))
        .correlate(None)
    )
    allowed = await session.scalar(select(or_(~exists(theirs), member)))
    return bool(allowed)


async def resolve_view(session: AsyncSession, user: User, slug: str | None) -> View:
    """The channel set an output URL names (``slug`` None: the user's default). A user given
    lineups gets only those; anyone else may ask for any lineup or ``all``. At most two
    statements."""
    assigned = await user_lineups(session, user.id) if user.role != "admin" else []
    if not slug:
        return assigned[0] if assigned else ALL
    if assigned:
        for view in assigned:
            if view.slug == slug:
                return view
        raise NotFound(f"no lineup {slug!r} for this user")
    if slug == ALL_SLUG:
        return ALL
    row = (
        await session.execute(
            select(Lineup.id, Lineup.slug, Lineup.name).where(Lineup.slug == slug)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no lineup {slug!r}")
    return View(*row)


async def xtream_view(session: AsyncSession, user: User) -> View:
    """What a user's Xtream credentials show: their bound lineup while they may still see it,
    else their default."""
    if user.xtream_lineup_id is None:
        return await resolve_view(session, user, None)
    row = (
        await session.execute(
            select(Lineup.id, Lineup.slug, Lineup.name).where(Lineup.id == user.xtream_lineup_id)
        )
    ).one_or_none()
    if row is None:
        return await resolve_view(session, user, None)
    try:
        return await resolve_view(session, user, row[1])
    except NotFound:
        return await resolve_view(session, user, None)

"""Channel curation: the pages the channel screens read, and the edits a person makes.

Reads are keyset-paginated and issue a fixed number of statements whatever the catalogue size.
Writes never commit (the request does) and leave marks the sync pipeline respects: streams a
person placed get ``manual_override`` (the sync never moves them again) and channels a person
created or edited get ``manual`` (a re-sync never renames or drops them). After every write that
touches streams, ``recompute.channels`` re-ranks and re-counts the channels involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.locks import lock_catalog
from strmline.db.models import Channel, Favorite, Provider, Stream, ViewingSession
from strmline.errors import Conflict, FormatError, NotFound
from strmline.formats import cursor as cursor_codec
from strmline.formats.cursor import BAD_CURSOR, InvalidCursor
from strmline.matching.names import normalize, parse_name
from strmline.services import numbering
from strmline.services.channels import (
    channel_view,
    health_from_streams,
    search_clause,
    stream_view,
)

Sort = Literal["name", "number", "stream_count"]
Order = Literal["asc", "desc"]

# "name" sorts on the normalised name: case and accents do not scatter "écho", "Echo" and
# "ECHO" across the list, and the order is the same on SQLite and on any PostgreSQL collation.
SORT_COLUMNS: dict[str, Any] = {
    "name": Channel.search_name,
    "number": Channel.number,
    "stream_count": Channel.stream_count,
}
EDITABLE = frozenset({"name", "number", "category", "logo", "enabled", "stream_profile"})
STREAMS = cast(Table, Stream.__table__)


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int = 50
    cursor: str | None = None
    q: str | None = None
    category: str | None = None
    country: str | None = None
    region: str | None = None
    # Matched against the channel's best quality (what the list shows), not any stream's: the
    # filter then agrees with the column a person sees, and it is one indexed comparison.
    quality: str | None = None
    provider_id: int | None = None
    enabled: bool | None = None
    has_active: bool | None = None
    sort: Sort = "name"
    order: Order = "asc"


@dataclass(frozen=True, slots=True)
class ChannelPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


# --- reads -----------------------------------------------------------------------------------


def encode_cursor(params: ListParams, value: Any, channel_id: int) -> str:
    return cursor_codec.encode(params.sort, params.order, value, channel_id)


def decode_cursor(params: ListParams) -> tuple[Any, int] | None:
    """The (sort value, id) a page ends on; the cursor only fits the sort it was made for."""
    if not params.cursor:
        return None
    sort, order, value, channel_id = cursor_codec.load(params.cursor, 4)
    if (sort, order) != (params.sort, params.order):
        raise InvalidCursor("the cursor belongs to another sort order; start again without it")
    # bool is an int to Python; a cursor never holds one.
    if isinstance(value, bool) or isinstance(channel_id, bool) or not isinstance(channel_id, int):
        raise InvalidCursor(BAD_CURSOR)
    valid = {
        "name": isinstance(value, str),
        "number": value is None or isinstance(value, int | float),
        "stream_count": isinstance(value, int),
    }
    if not valid[sort]:
        raise InvalidCursor(BAD_CURSOR)
    return value, channel_id


def filter_clauses(params: ListParams) -> list[ColumnElement[bool]]:
    """The list's filters: the page query, its count and bulk edits select the same channels."""
    clauses: list[ColumnElement[bool]] = [or_(Channel.stream_count > 0, Channel.manual.is_(True))]
    clause = search_clause(params.q)
    if clause is not None:
        clauses.append(clause)
    if params.category is not None:
        clauses.append(Channel.category == params.category)
    if params.country is not None:
        clauses.append(Channel.country == params.country.upper())
    if params.region is not None:
        clauses.append(Channel.region == params.region)
    if params.quality is not None:
        clauses.append(Channel.best_quality == params.quality.upper())
    if params.enabled is not None:
        clauses.append(Channel.enabled.is_(params.enabled))
    if params.has_active is not None:
        active = Channel.active_stream_count > 0
        clauses.append(active if params.has_active else ~active)
    if params.provider_id is not None:
        clauses.append(
            exists().where(
                Stream.channel_id == Channel.id,
                Stream.provider_id == params.provider_id,
                Stream.removed_at.is_(None),
            )
        )
    return clauses


async def count_channels(*, session: AsyncSession, params: ListParams) -> int:
    """How many channels the list's filters select (cursor, sort and limit aside): one statement."""
    total = await session.scalar(select(func.count(Channel.id)).where(*filter_clauses(params)))
    return int(total or 0)


def list_query(params: ListParams) -> Select[Channel]:
    """The page query (``limit + 1`` rows, the extra one tells whether another page follows)."""
    query = select(Channel).where(*filter_clauses(params))

    column = SORT_COLUMNS[params.sort]
    desc = params.order == "desc"
    after = decode_cursor(params)
    if after is not None:
        value, last_id = after
        if params.sort != "number":
            key = tuple_(column, Channel.id)
            query = query.where(key < (value, last_id) if desc else key > (value, last_id))
        elif value is None:
            # Unnumbered channels come last in both directions; past the first of them, only
            # more unnumbered ones follow.
            query = query.where(
                Channel.number.is_(None), Channel.id < last_id if desc else Channel.id > last_id
            )
        else:
            further = column < value if desc else column > value
            tie = Channel.id < last_id if desc else Channel.id > last_id
            query = query.where(
                or_(further, (column == value) & tie, Channel.number.is_(None)),
            )
    sort_col = column.desc() if desc else column.asc()
    if params.sort == "number":
        sort_col = sort_col.nulls_last()
    return query.order_by(sort_col, Channel.id.desc() if desc else Channel.id.asc()).limit(
        params.limit + 1
    )


async def get_detail(*, session: AsyncSession, channel_id: int) -> dict[str, Any]:
    """A channel with its health and its live streams in rank order: two statements.

    ``populate_existing`` because the writes here go through set-based UPDATEs that the
    session's identity map does not see.
    """
    channel = (
        await session.execute(
            select(Channel)
            .where(Channel.id == channel_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if channel is None:
        raise NotFound(f"channel {channel_id} not found")
    rows = await session.execute(
        select(Stream, Provider.name)
        .join(Provider, Provider.id == Stream.provider_id)
        .where(Stream.channel_id == channel_id, Stream.removed_at.is_(None))
        .order_by(Stream.rank, Stream.id)
        .execution_options(populate_existing=True)
    )
    streams = [
        stream_view(s, provider)
        | {"pinned_rank": s.pinned_rank, "manual_override": s.manual_override}
        for s, provider in rows
    ]
    return (
        channel_view(channel)
        | health_from_streams(streams)
        | {
            "epg_channel_id": channel.epg_channel_id,
            "manual": channel.manual,
            "play_mode": channel.play_mode,
            "stream_profile": channel.stream_profile,
            "streams": streams,
        }
    )


async def categories(*, session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Channel.category, func.count())
        .where(Channel.stream_count > 0, Channel.category.is_not(None))
        .group_by(Channel.category)
        .order_by(Channel.category)
    )
    return [{"name": name, "count": int(count)} for name, count in rows]


# --- writes ----------------------------------------------------------------------------------


def numbering_label(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


async def _require_channels(session: AsyncSession, *channel_ids: int) -> None:
    found = set(
        (await session.execute(select(Channel.id).where(Channel.id.in_(channel_ids)))).scalars()
    )
    missing = [str(i) for i in channel_ids if i not in found]
    if missing:
        raise NotFound(f"channel {', '.join(missing)} not found")


async def _require_streams(
    session: AsyncSession, channel_id: int, stream_ids: Sequence[int]
) -> dict[int, str]:
    """Names of the given live streams, all of which must sit on the channel."""
    rows = await session.execute(
        select(Stream.id, Stream.name).where(
            Stream.id.in_(stream_ids),
            Stream.channel_id == channel_id,
            Stream.removed_at.is_(None),
        )
    )
    names = {sid: name for sid, name in rows}
    missing = [str(i) for i in stream_ids if i not in names]
    if missing:
        raise NotFound(f"stream {', '.join(missing)} not found on channel {channel_id}")
    return names


def _moved(channel_id: int, username: str) -> dict[str, Any]:
    """What a stream a person placed carries: its new channel, the override and why.

    A pin only means something among the streams it was pinned against, so it goes.
    """
    return {
        "channel_id": channel_id,
        "manual_override": True,
        "merge_method": "manual",
        "merge_confidence": 100,
        "merge_reason": f"moved by {username}"[:300],
        "pinned_rank": None,
        "updated_at": utcnow(),
    }


async def _channel_exists(session: AsyncSession, channel_id: int) -> bool:
    return (await session.scalar(select(Channel.id).where(Channel.id == channel_id))) is not None


async def edit(
    *,
    session: AsyncSession,
    channel_id: int,
    changes: Mapping[str, Any],
    number_start: int = 1,
) -> None:
    """Edit a channel's own fields; the match key stays, so the provider's streams still land here.

    A number set here is the channel's for good (no tvg-chno moves it) and must be free; clearing
    it hands the channel the next automatic number. No re-rank: none of these fields feeds ranks
    or counts.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise FormatError(f"not editable: {', '.join(sorted(unknown))}")
    if "number" in changes:
        # Under the sync's lock: a sync numbering new channels must not hand out the same number.
        await lock_catalog(session)
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id} not found")
    if "number" in changes:
        wanted = changes["number"]
        if wanted is None:
            channel.number = float(await numbering.next_number(session, number_start))
            channel.number_source = numbering.AUTO
        else:
            taken = await numbering.holder(session, float(wanted), other_than=channel_id)
            if taken is not None:
                raise Conflict(
                    f"number {numbering_label(wanted)} is already channel {taken}'s",
                    details={"channel_id": taken},
                )
            channel.number_source = numbering.MANUAL
    for field, value in changes.items():
        if field == "number" and value is None:
            continue
        setattr(channel, field, value)
    if "name" in changes:
        channel.search_name = normalize(changes["name"])[:300]
    channel.manual = True
    await session.flush()


async def move_stream(
    *, session: AsyncSession, channel_id: int, stream_id: int, to_channel_id: int, username: str
) -> int | None:
    """Move one stream; returns the source channel's id, or None if it went away empty."""
    # Under the sync's catalogue lock, so a sync cannot match against a half-made move.
    await lock_catalog(session)
    await _require_channels(session, channel_id, to_channel_id)
    await _require_streams(session, channel_id, [stream_id])
    if to_channel_id == channel_id:
        raise Conflict(f"stream {stream_id} is already on channel {channel_id}")
    await session.execute(
        update(Stream)
        .where(Stream.id == stream_id)
        .values(**_moved(to_channel_id, username))
        .execution_options(synchronize_session=False)
    )
    await recompute.channels(session, [channel_id, to_channel_id])
    return channel_id if await _channel_exists(session, channel_id) else None


async def split(
    *,
    session: AsyncSession,
    channel_id: int,
    stream_ids: Sequence[int],
    name: str | None,
    username: str,
    number_start: int = 1,
) -> int:
    """Move streams into a new channel a person owns (numbered like a new channel from a sync);
    returns its id."""
    await lock_catalog(session)
    await _require_channels(session, channel_id)
    names = await _require_streams(session, channel_id, stream_ids)
    first = parse_name(names[stream_ids[0]])
    # A given name is the new identity, so the provider's streams of that name find this channel;
    # without one the channel shares the source's key and the matcher may feed either.
    identity = parse_name(name) if name else first
    display = (name or first.display or names[stream_ids[0]])[:300]
    channel = Channel(
        name=display,
        search_name=normalize(display)[:300],
        match_key=identity.key[:300],
        country=identity.country or first.country,
        region=identity.region,
        variant=identity.variant,
        number=float(await numbering.next_number(session, number_start)),
        number_source=numbering.AUTO,
        enabled=True,
        manual=True,
        stream_count=0,
        active_stream_count=0,
    )
    session.add(channel)
    await session.flush()
    await session.execute(
        update(Stream)
        .where(Stream.id.in_(stream_ids))
        .values(**_moved(channel.id, username))
        .execution_options(synchronize_session=False)
    )
    await recompute.channels(session, [channel_id, channel.id])
    return channel.id


async def merge(*, session: AsyncSession, channel_id: int, other_id: int, username: str) -> None:
    """Fold ``other_id`` into ``channel_id``: every stream row moves, the other channel goes."""
    await lock_catalog(session)
    await _require_channels(session, channel_id, other_id)
    if other_id == channel_id:
        raise Conflict(f"channel {channel_id} cannot be merged into itself")
    target = await session.get(Channel, channel_id)
    other = await session.get(Channel, other_id)
    assert target is not None and other is not None
    # Removed rows move too: they would otherwise die with the channel, and a provider that
    # lists them again must find them on the merged channel.
    await session.execute(
        update(Stream)
        .where(Stream.channel_id == other_id)
        .values(**_moved(channel_id, username))
        .execution_options(synchronize_session=False)
    )
    # What the person set on the other channel fills what this one lacks. The target keeps its
    # own number; one without takes the other's once the other is gone (numbers are unique).
    inherit = (other.number, other.number_source) if target.number is None else None
    for field in ("logo", "category", "tvg_id", "epg_channel_id"):
        if getattr(target, field) is None:
            setattr(target, field, getattr(other, field))
    target.manual = True
    # Favourites and viewing history follow the channel instead of cascading away.
    await session.execute(
        update(Favorite)
        .where(
            Favorite.channel_id == other_id,
            Favorite.user_id.not_in(
                select(Favorite.user_id).where(Favorite.channel_id == channel_id)
            ),
        )
        .values(channel_id=channel_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ViewingSession)
        .where(ViewingSession.channel_id == other_id)
        .values(channel_id=channel_id)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    session.expunge(other)
    await session.execute(
        delete(Channel).where(Channel.id == other_id).execution_options(synchronize_session=False)
    )
    if inherit is not None:
        target.number, target.number_source = inherit
        await session.flush()
    await recompute.channels(session, [channel_id])


async def pin(*, session: AsyncSession, stream_id: int, rank: int | None) -> int:
    """Pin a stream at ``rank`` (others pinned there or below shift down) or unpin it.

    A pinned stream also gets ``manual_override``: a person ranked it on this channel, so a
    provider renaming it must not carry it off. Returns the channel's id.
    """
    channel_id = await session.scalar(
        select(Stream.channel_id).where(Stream.id == stream_id, Stream.removed_at.is_(None))
    )
    if channel_id is None:
        raise NotFound(f"stream {stream_id} not found")
    if rank is not None:
        await session.execute(
            update(Stream)
            .where(
                Stream.channel_id == channel_id,
                Stream.pinned_rank >= rank,
                Stream.id != stream_id,
            )
            .values(pinned_rank=Stream.pinned_rank + 1)
            .execution_options(synchronize_session=False)
        )
    values: dict[str, Any] = {"pinned_rank": rank, "updated_at": utcnow()}
    if rank is not None:
        values["manual_override"] = True
    await session.execute(
        update(Stream)
        .where(Stream.id == stream_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await recompute.channels(session, [channel_id])
    return channel_id


async def order(*, session: AsyncSession, channel_id: int, stream_ids: Sequence[int]) -> None:
    """Pin exactly this order (1..n); the channel's other streams follow, unpinned."""
    await _require_channels(session, channel_id)
    await _require_streams(session, channel_id, stream_ids)
    await session.execute(
        update(Stream)
        .where(
            Stream.channel_id == channel_id,
            Stream.pinned_rank.is_not(None),
            Stream.id.not_in(stream_ids),
        )
        .values(pinned_rank=None)
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    await session.execute(
        update(STREAMS)
        .where(STREAMS.c.id == bindparam("_id"))
        .values(pinned_rank=bindparam("_rank"), manual_override=True, updated_at=now),
        [{"_id": sid, "_rank": n} for n, sid in enumerate(stream_ids, start=1)],
    )
    await recompute.channels(session, [channel_id])

"""What plays: the channels offered to media servers and players, and the stream behind each.

The playlist outputs (M3U, HDHomeRun lineup) and ``/play`` read through here, so "which channels"
and "which stream" mean the same thing everywhere. ``/play`` in redirect mode tries
:func:`play_candidates` in order (checking each); proxy mode has its own candidate list
(:mod:`strmline.playback.candidates`). ``/play/movie`` and ``/play/episode`` try
:func:`vod_sources`.

Lineup order: by the number stored on each channel (assigned once by the sync, see
:mod:`strmline.services.numbering`, so it never moves when other channels come or go). A
channel still without one (only rows written outside the sync and curation) is shown after the
highest number, by name, as a fallback.

Lists are read in keyset pages: memory is bounded by the page size and every page costs the
same fixed number of statements, however many channels there are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.models import (
    Channel,
    Lineup,
    LineupMember,
    Provider,
    Stream,
    VodEpisodeSource,
    VodMovieSource,
)
from strmline.errors import NotFound, StrmlineError

DEFAULT_TUNERS = 4


class NoPlayableStream(StrmlineError):
    """The channel exists but none of its streams can be played right now."""

    code = "no_active_stream"


@dataclass(frozen=True, slots=True)
class LineupChannel:
    id: int
    name: str
    chno: str  # its own number, else the assigned one
    number: float | None
    category: str | None
    logo: str | None
    tvg_id: str | None
    best_quality: str | None


@dataclass(frozen=True, slots=True)
class LineupStream:
    id: int
    channel_id: int
    quality: str | None
    provider: str


@dataclass(frozen=True, slots=True)
class LineupState:
    """How many channels the lineup has, where assigned numbers start, and a version string
    that changes whenever the lineup's content may have changed (for ETags)."""

    channels: int
    first_free_number: int
    version: str


class _HasGuideIdentity(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tvg_id(self) -> str | None: ...


def guide_id(channel: _HasGuideIdentity) -> str:
    """The channel's tvg-id, else a stable ``strmline.<channel id>``: the M3U ``tvg-id`` and
    the XMLTV ``<channel id>`` of one channel are always this same string."""
    return channel.tvg_id or f"strmline.{channel.id}"


def _eligible() -> Any:
    return and_(Channel.enabled.is_(True), Channel.stream_count > 0)


def format_number(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


async def lineup_state(
    session: AsyncSession, *, with_streams: bool = False, lineup_id: int | None = None
) -> LineupState:
    """One aggregate statement (two with streams, one more for a lineup). Sync recomputes
    counts with plain SQL that leaves ``updated_at`` alone, so the version also folds in the
    counts and sums such updates change."""
    eligible = _eligible()
    row = (
        await session.execute(
            select(
                func.sum(case((eligible, 1), else_=0)),
                func.max(case((eligible, Channel.number))),
                func.count(),
                func.max(Channel.id),
                func.sum(Channel.id),
                func.max(Channel.updated_at),
                func.sum(Channel.stream_count),
                func.sum(Channel.active_stream_count),
                func.count(Channel.logo),
                func.count(Channel.tvg_id),
                func.count(Channel.category),
                func.count(Channel.number),
            ).select_from(Channel)
        )
    ).one()
    parts: list[Any] = list(row)
    if with_streams:
        providers = select(
            func.max(Provider.updated_at),
            func.sum(case((Provider.enabled.is_(True), Provider.id), else_=0)),
        ).select_from(Provider)
        streams = (
            await session.execute(
                select(
                    func.count(),
                    func.sum(Stream.rank + Stream.id),
                    func.sum(case((Stream.active.is_(True), Stream.id), else_=0)),
                    func.max(Stream.updated_at),
                )
                .select_from(Stream)
                .where(Stream.removed_at.is_(None))
            )
        ).one()
        parts += [*streams, *(await session.execute(providers)).one()]
    if lineup_id is not None:
        # A lineup's channels are numbered in it: its own count, and its members in the version.
        members = (
            await session.execute(
                select(
                    func.sum(case((_eligible(), 1), else_=0)),
                    func.count(),
                    func.sum(LineupMember.number),
                    func.sum(LineupMember.channel_id),
                    func.max(LineupMember.added_at),
                    func.max(Lineup.updated_at),
                )
                .select_from(LineupMember)
                .join(Channel, Channel.id == LineupMember.channel_id)
                .join(Lineup, Lineup.id == LineupMember.lineup_id)
                .where(LineupMember.lineup_id == lineup_id, LineupMember.source != "excluded")
            )
        ).one()
        parts += [lineup_id, *members]
        return LineupState(int(members[0] or 0), 1, "|".join(str(v) for v in parts))
    count = int(row[0] or 0)
    highest = row[1]
    first_free = max(1, math.floor(highest) + 1) if highest is not None else 1
    return LineupState(count, first_free, "|".join(str(v) for v in parts))


_COLUMNS = (
    Channel.id,
    Channel.name,
    Channel.number,
    Channel.category,
    Channel.logo,
    Channel.tvg_id,
    Channel.best_quality,
    Channel.search_name,
)


def _channel(row: Any, chno: str) -> LineupChannel:
    # Positional: 100k rows per full playlist, and Row attribute lookups by name cost more.
    channel_id, name, number, category, logo, tvg_id, best_quality = row[:7]
    return LineupChannel(channel_id, name, chno, number, category, logo, tvg_id, best_quality)


async def iter_lineup(
    session: AsyncSession,
    *,
    first_free_number: int,
    category: str | None = None,
    page_size: int = 2000,
    lineup_id: int | None = None,
) -> AsyncIterator[list[LineupChannel]]:
    """Pages of the lineup in order; ``first_free_number`` comes from :func:`lineup_state`.
    With ``lineup_id``, the members of that lineup in its own order and numbers."""
    if lineup_id is not None:
        async for page in _iter_members(session, lineup_id, category, page_size):
            yield page
        return
    # Plain Core rows: a column select needs none of the ORM result machinery.
    conn = await session.connection()
    where: list[Any] = [_eligible()]
    if category is not None:
        where.append(Channel.category == category)

    # Numbered channels, keyset on (number, search_name, id): an index range per page.
    after: tuple[Any, ...] | None = None
    while True:
        query = select(*_COLUMNS).where(*where, Channel.number.is_not(None))
        if after is not None:
            query = query.where(
                tuple_(Channel.number, Channel.search_name, Channel.id) > tuple_(*after)
            )
        rows = (
            await conn.execute(
                query.order_by(Channel.number, Channel.search_name, Channel.id).limit(page_size)
            )
        ).all()
        if rows:
            # number is never NULL in this phase
            yield [_channel(r, format_number(cast(float, r[2]))) for r in rows]
        if len(rows) < page_size:
            break
        last = rows[-1]
        after = (last.number, last.search_name, last.id)

    # Unnumbered channels by name. Without a filter the assigned number is a running count; with
    # one, each channel's place among all unnumbered channels comes from a window function, so
    # a channel keeps its number whichever category is asked for.
    after = None
    seq = first_free_number
    name_col: Any
    id_col: Any
    while True:
        if category is None:
            # "number + 0": the same test, but not one an index on number can serve, so SQLite
            # walks the (search_name, id) index in order instead of sorting every unnumbered row.
            query = select(*_COLUMNS).where(*where, (Channel.number + 0).is_(None))
            name_col, id_col = Channel.search_name, Channel.id
        else:
            ranked = (
                select(
                    *_COLUMNS,
                    func.row_number().over(order_by=(Channel.search_name, Channel.id)).label("seq"),
                )
                .where(_eligible(), Channel.number.is_(None))
                .subquery()
            )
            query = select(ranked).where(ranked.c.category == category)
            name_col, id_col = ranked.c.search_name, ranked.c.id
        if after is not None:
            query = query.where(tuple_(name_col, id_col) > tuple_(*after))
        rows = (await conn.execute(query.order_by(name_col, id_col).limit(page_size))).all()
        if rows:
            if category is None:
                page = [_channel(r, str(seq + i)) for i, r in enumerate(rows)]
                seq += len(rows)
            else:
                page = [_channel(r, str(first_free_number + int(r[-1]) - 1)) for r in rows]
            yield page
        if len(rows) < page_size:
            break
        after = (rows[-1].search_name, rows[-1].id)


async def _iter_members(
    session: AsyncSession, lineup_id: int, category: str | None, page_size: int
) -> AsyncIterator[list[LineupChannel]]:
    """A lineup's members, keyset-paged on its (number, channel id) index; each channel's
    number is its number in the lineup."""
    conn = await session.connection()
    m = LineupMember
    columns = (Channel.id, Channel.name, m.number, *_COLUMNS[3:])
    where: list[Any] = [_eligible(), m.lineup_id == lineup_id, m.source != "excluded"]
    if category is not None:
        where.append(Channel.category == category)
    after: tuple[float, int] | None = None
    while True:
        query = select(*columns).join(m, m.channel_id == Channel.id).where(*where)
        if after is not None:
            query = query.where(tuple_(m.number, m.channel_id) > tuple_(*after))
        rows = (await conn.execute(query.order_by(m.number, m.channel_id).limit(page_size))).all()
        if rows:
            yield [_channel(r, format_number(r[2])) for r in rows]
        if len(rows) < page_size:
            return
        after = (rows[-1][2], rows[-1][0])


@dataclass(frozen=True, slots=True)
class LineupPage:
    channels: list[LineupChannel]
    # channel id → its playable streams, best first; empty unless asked for
    streams: dict[int, list[LineupStream]] = field(default_factory=dict)


async def lineup_pages(
    factory: async_sessionmaker[AsyncSession],
    *,
    first_free_number: int,
    category: str | None = None,
    page_size: int = 2000,
    with_streams: bool = False,
    lineup_id: int | None = None,
) -> AsyncIterator[LineupPage]:
    """:func:`iter_lineup` (and :func:`streams_for` each page) in a session of its own, for
    streamed outputs: the request's session is closed once the handler returns, the body is
    read later."""
    async with factory() as session:
        pages = iter_lineup(
            session,
            first_free_number=first_free_number,
            category=category,
            page_size=page_size,
            lineup_id=lineup_id,
        )
        async for page in pages:
            streams = await streams_for(session, [c.id for c in page]) if with_streams else {}
            yield LineupPage(page, streams)


async def streams_for(
    session: AsyncSession, channel_ids: Sequence[int]
) -> dict[int, list[LineupStream]]:
    """The playable streams of a page of channels, best first: one statement per page."""
    out: dict[int, list[LineupStream]] = defaultdict(list)
    if not channel_ids:
        return out
    conn = await session.connection()
    rows = await conn.execute(
        select(Stream.id, Stream.channel_id, Stream.quality, Provider.name)
        .join(Provider, Provider.id == Stream.provider_id)
        .where(
            Stream.channel_id.in_(channel_ids),
            Stream.active.is_(True),
            Stream.removed_at.is_(None),
            Provider.enabled.is_(True),
        )
        .order_by(Stream.channel_id, Stream.rank, Stream.id)
    )
    for stream_id, channel_id, quality, provider in rows:
        out[channel_id].append(LineupStream(stream_id, channel_id, quality, provider))
    return out


def _playable() -> Any:
    return and_(Stream.active.is_(True), Stream.removed_at.is_(None), Provider.enabled.is_(True))


async def best_stream(session: AsyncSession, channel_id: int) -> Stream:
    """The stream to play for a channel: the best-ranked active, listed stream of an enabled
    provider. Raises :class:`NotFound` for an unknown or disabled channel and
    :class:`NoPlayableStream` when nothing can be played."""
    stream = (
        await session.execute(
            select(Stream)
            .join(Channel, Channel.id == Stream.channel_id)
            .join(Provider, Provider.id == Stream.provider_id)
            .where(Stream.channel_id == channel_id, Channel.enabled.is_(True), _playable())
            .order_by(Stream.rank, Stream.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if stream is not None:
        return stream
    raise await _nothing_to_play(session, channel_id)


@dataclass(frozen=True, slots=True)
class PlayCandidate:
    """A stream ``/play`` may send a player to, with the headers a check should send."""

    id: int
    url: str
    headers: dict[str, str]


_PASSED_HEADERS = {"user-agent": "User-Agent", "referer": "Referer", "origin": "Origin"}


def _check_headers(raw: Any, provider_agent: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            name = _PASSED_HEADERS.get(str(key).lower())
            if name is not None and isinstance(value, str) and value:
                headers[name] = value
    if provider_agent and "User-Agent" not in headers:
        headers["User-Agent"] = provider_agent
    return headers


async def play_candidates(
    session: AsyncSession, channel_id: int, *, limit: int | None = None
) -> list[PlayCandidate]:
    """The streams :func:`best_stream` chooses from, best first (at most ``limit``): the order
    ``/play`` tries them in. Same errors as :func:`best_stream` when there are none."""
    query = (
        select(Stream.id, Stream.url, Stream.headers, Provider.user_agent)
        .join(Channel, Channel.id == Stream.channel_id)
        .join(Provider, Provider.id == Stream.provider_id)
        .where(Stream.channel_id == channel_id, Channel.enabled.is_(True), _playable())
        .order_by(Stream.rank, Stream.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    if rows:
        return [
            PlayCandidate(sid, url, _check_headers(headers, agent))
            for sid, url, headers, agent in rows
        ]
    raise await _nothing_to_play(session, channel_id)


async def _nothing_to_play(session: AsyncSession, channel_id: int) -> StrmlineError:
    # Only the failure path pays for telling "no such channel" from "nothing to play".
    channel = await session.get(Channel, channel_id)
    if channel is None or not channel.enabled:
        return NotFound(f"no channel {channel_id}")
    return NoPlayableStream(
        f"channel {channel.name!r} has no active stream right now "
        f"({channel.stream_count} stream(s), none working)"
    )


async def get_stream(session: AsyncSession, stream_id: int) -> Stream:
    """One specific stream, for clients that listed every stream. Same rules as
    :func:`best_stream`: gone or disabled is :class:`NotFound`, inactive is
    :class:`NoPlayableStream`."""
    row = (
        await session.execute(
            select(Stream, Channel.enabled, Provider.enabled)
            .join(Channel, Channel.id == Stream.channel_id)
            .join(Provider, Provider.id == Stream.provider_id)
            .where(Stream.id == stream_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no stream {stream_id}")
    stream, channel_enabled, provider_enabled = row
    if stream.removed_at is not None or not channel_enabled or not provider_enabled:
        raise NotFound(f"stream {stream_id} is no longer offered")
    if not stream.active:
        raise NoPlayableStream(f"stream {stream_id} is marked inactive by health checks")
    return stream


async def play_mode(session: AsyncSession, channel_id: int, default: str) -> str:
    """``redirect`` or ``proxy``: the channel's own override, else ``default`` (the setting)."""
    override = await session.scalar(select(Channel.play_mode).where(Channel.id == channel_id))
    return override if override in ("redirect", "proxy") else default


async def vod_sources(
    session: AsyncSession, kind: Literal["movie", "episode"], item_id: int
) -> list[tuple[int, str]]:
    """(source id, url) of a movie or episode, in provider priority order; :class:`NotFound`
    when it has none on an enabled provider."""
    model: type[VodMovieSource] | type[VodEpisodeSource]
    if kind == "movie":
        model, owner = VodMovieSource, VodMovieSource.movie_id
    else:
        model, owner = VodEpisodeSource, VodEpisodeSource.episode_id
    rows = await session.execute(
        select(model.id, model.url)
        .join(Provider, Provider.id == model.provider_id)
        .where(owner == item_id, model.removed_at.is_(None), Provider.enabled.is_(True))
        .order_by(Provider.priority.desc(), model.id)
    )
    sources = [(int(sid), str(url)) for sid, url in rows]
    if not sources:
        raise NotFound(f"nothing to play for {item_id}")
    return sources


async def tuner_count(session: AsyncSession, configured: int | None = None) -> int:
    """Tuners to announce: the setting, else the enabled providers' connection limits summed."""
    if configured is not None:
        return configured
    total = await session.scalar(
        select(func.sum(Provider.max_connections)).where(Provider.enabled.is_(True))
    )
    return int(total) if total else DEFAULT_TUNERS

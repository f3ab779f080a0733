"""What the Xtream Codes API output reads: accounts, categories, pages of channels, movies and
series, one title's details, and the short EPG of a channel.

Channels come from :func:`strmline.services.tuning.iter_lineup` (same channels, order and numbers
as the M3U and HDHomeRun outputs); lists are read in keyset pages in a session of their own, so
a 100k channel ``get_live_streams`` is streamed with the memory of one page and a fixed number of
statements per page.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.models import (
    Channel,
    EpgProgramme,
    LineupMember,
    Provider,
    Stream,
    User,
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)
from strmline.db.models.accounts import XTREAM_SAFE, new_xtream_password
from strmline.errors import ConfigError, Conflict, NotFound
from strmline.formats.playurls import CatchupInfo
from strmline.formats.xtream_out import category_id
from strmline.services import playhints, tuning
from strmline.services.tuning import LineupChannel

__all__ = [
    "ALL",
    "LiveRow",
    "authenticate",
    "live_categories",
    "live_pages",
    "movie_detail",
    "movie_pages",
    "rotate_password",
    "series_detail",
    "series_pages",
    "set_username",
    "short_epg",
    "vod_categories",
]

Kind = Literal["movie", "series"]


class _All:
    """The "every category" filter (``None`` is a real filter: titles without a category)."""

    def __repr__(self) -> str:
        return "ALL"


ALL: Any = _All()


# ---- accounts ----------------------------------------------------------------------------------


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    """The active user with these Xtream credentials, else None (constant-time comparison)."""
    if not username or not password:
        return None
    user = (
        await session.execute(select(User).where(User.xtream_username == username))
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    if not secrets.compare_digest(user.xtream_password.encode(), password.encode()):
        return None
    return user


def rotate_password(user: User) -> str:
    """A new Xtream password; players with the old one are refused from now on."""
    user.xtream_password = new_xtream_password()
    return user.xtream_password


async def set_username(session: AsyncSession, user: User, username: str) -> str:
    name = username.strip()
    if not name or len(name) > 100 or XTREAM_SAFE.search(name):
        raise ConfigError(
            "an Xtream username is 1-100 letters, digits, '.', '_' or '-' (players put it in "
            "URL paths)",
            details={"field": "username"},
        )
    taken = await session.scalar(
        select(User.id).where(User.xtream_username == name, User.id != user.id)
    )
    if taken is not None:
        raise Conflict(f"the Xtream username {name!r} is taken")
    user.xtream_username = name
    return name


# ---- categories --------------------------------------------------------------------------------


def _eligible() -> Any:
    # The lineup's own rule (tuning): enabled channels that have streams.
    return and_(Channel.enabled.is_(True), Channel.stream_count > 0)


async def live_categories(session: AsyncSession, lineup_id: int | None = None) -> list[str | None]:
    """Category names of the lineup's channels (None: channels without one), by name."""
    query = select(Channel.category).where(_eligible())
    if lineup_id is not None:
        query = query.join(LineupMember, LineupMember.channel_id == Channel.id).where(
            LineupMember.lineup_id == lineup_id, LineupMember.source != "excluded"
        )
    rows = await session.execute(query.group_by(Channel.category))
    return sorted((r[0] for r in rows), key=lambda n: (n is None, (n or "").casefold()))


def _playable_source(kind: Kind) -> Any:
    source: Any = VodMovieSource if kind == "movie" else VodSeriesSource
    model: Any = VodMovie if kind == "movie" else VodSeries
    owner = source.movie_id if kind == "movie" else source.series_id
    return exists().where(
        owner == model.id,
        source.removed_at.is_(None),
        source.provider_id == Provider.id,
        Provider.enabled.is_(True),
    )


async def vod_categories(session: AsyncSession, kind: Kind) -> list[str | None]:
    model: Any = VodMovie if kind == "movie" else VodSeries
    rows = await session.execute(
        select(model.category)
        .where(model.removed_at.is_(None), _playable_source(kind))
        .group_by(model.category)
    )
    return sorted((r[0] for r in rows), key=lambda n: (n is None, (n or "").casefold()))


def category_named(names: list[str | None], wanted_id: str) -> Any:
    """The category name listed under ``wanted_id``; ALL when it names none."""
    for name in names:
        if category_id(name) == wanted_id:
            return name
    return ALL


# ---- live ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveRow:
    channel: LineupChannel
    added: datetime | None
    archive: CatchupInfo | None = None  # what /timeshift/… plays for it (tv_archive)


async def live_pages(
    factory: async_sessionmaker[AsyncSession],
    *,
    first_free_number: int,
    category: Any = ALL,
    page_size: int = 2000,
    lineup_id: int | None = None,
) -> AsyncIterator[list[LiveRow]]:
    """The lineup in order, a page at a time, with when each channel was added and its
    catch-up archive: three statements per page. ``category`` is a name, None (channels without
    one) or :data:`ALL`."""
    by_name = category if isinstance(category, str) else None
    async with factory() as session:
        pages = tuning.iter_lineup(
            session,
            first_free_number=first_free_number,
            category=by_name,
            page_size=page_size,
            lineup_id=lineup_id,
        )
        async for page in pages:
            if category is None:
                page = [c for c in page if c.category is None]
            if not page:
                continue
            added, archives = await _added_and_archives(session, [c.id for c in page])
            yield [LiveRow(c, added.get(c.id), archives.get(c.id)) for c in page]


async def _added_and_archives(
    session: AsyncSession, channel_ids: list[int]
) -> tuple[dict[int, datetime | None], dict[int, CatchupInfo]]:
    """When each channel was added, and the archive of its best playable stream that has one
    (what ``/timeshift/…`` plays). Two statements: the channels' ages by primary key, and only
    the streams that carry attributes (most carry none), in play order."""
    conn = await session.connection()
    ages = await conn.execute(
        select(Channel.id, Channel.created_at).where(Channel.id.in_(channel_ids))
    )
    added: dict[int, datetime | None] = {cid: created for cid, created in ages}
    rows = await conn.execute(
        select(Stream.channel_id, Stream.url, Stream.attrs)
        .where(
            Stream.channel_id.in_(channel_ids),
            Stream.attrs.is_not(None),
            Stream.active.is_(True),
            Stream.removed_at.is_(None),
            Stream.provider_id.in_(select(Provider.id).where(Provider.enabled.is_(True))),
        )
        .order_by(Stream.channel_id, Stream.rank, Stream.id)
    )
    archives: dict[int, CatchupInfo] = {}
    for cid, url, attrs in rows:
        if cid not in archives:
            info = playhints.usable_archive(url, attrs)
            if info is not None:
                archives[cid] = info
    return added, archives


# ---- movies and series ---------------------------------------------------------------------------


def _first_container(source: Any, owner: Any, model: Any) -> Any:
    """The container ("mkv") of a movie's or episode's first live source, by provider priority:
    a correlated scalar subquery on ``model``."""
    return (
        select(source.container)
        .join(Provider, Provider.id == source.provider_id)
        .where(owner == model.id, source.removed_at.is_(None), Provider.enabled.is_(True))
        .order_by(Provider.priority.desc(), source.id)
        .limit(1)
        .correlate(model)
        .scalar_subquery()
    )


async def movie_pages(
    factory: async_sessionmaker[AsyncSession], *, category: Any = ALL, page_size: int = 2000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Playable movies by id, a page at a time, each with the container of its first source:
    one statement per page."""
    container = _first_container(VodMovieSource, VodMovieSource.movie_id, VodMovie)
    m = VodMovie
    where: list[Any] = [m.removed_at.is_(None), _playable_source("movie")]
    if category is not ALL:
        where.append(m.category.is_(None) if category is None else m.category == category)
    columns = (m.id, m.title, m.year, m.poster, m.rating, m.tmdb_id, m.created_at, m.category)
    selected = [*columns, container.label("container")]
    async for page in _id_pages(factory, m.id, selected, where, page_size):
        yield page


async def series_pages(
    factory: async_sessionmaker[AsyncSession], *, category: Any = ALL, page_size: int = 2000
) -> AsyncIterator[list[dict[str, Any]]]:
    s = VodSeries
    where: list[Any] = [s.removed_at.is_(None), _playable_source("series")]
    if category is not ALL:
        where.append(s.category.is_(None) if category is None else s.category == category)
    columns = (
        s.id,
        s.title,
        s.year,
        s.plot,
        s.genre,
        s.poster,
        s.rating,
        s.tmdb_id,
        s.updated_at,
        s.category,
    )
    async for page in _id_pages(factory, s.id, columns, where, page_size):
        yield page


async def episode_pages(
    factory: async_sessionmaker[AsyncSession], *, page_size: int = 2000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Playable episodes by id with their show's title, poster and category and the container of
    their first source, a page at a time (one statement per page): the series part of get.php."""
    e, s = VodEpisode, VodSeries
    container = _first_container(VodEpisodeSource, VodEpisodeSource.episode_id, e)
    columns = (
        e.id,
        e.season,
        e.episode,
        e.title,
        s.title.label("series_title"),
        s.poster,
        s.category,
        container.label("container"),
    )
    where: list[Any] = [
        e.series_id == s.id,
        e.removed_at.is_(None),
        s.removed_at.is_(None),
        container.is_not(None),
    ]
    async for page in _id_pages(factory, e.id, columns, where, page_size):
        yield page


async def movie_detail(session: AsyncSession, movie_id: int) -> tuple[VodMovie, str | None]:
    """A playable movie and its first source's container; NotFound otherwise. One statement."""
    row = (
        await session.execute(
            select(VodMovie, VodMovieSource.container)
            .join(VodMovieSource, VodMovieSource.movie_id == VodMovie.id)
            .join(Provider, Provider.id == VodMovieSource.provider_id)
            .where(
                VodMovie.id == movie_id,
                VodMovie.removed_at.is_(None),
                VodMovieSource.removed_at.is_(None),
                Provider.enabled.is_(True),
            )
            .order_by(Provider.priority.desc(), VodMovieSource.id)
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no movie {movie_id}")
    return row[0], row[1]


async def series_detail(
    session: AsyncSession, series_id: int
) -> tuple[VodSeries, list[dict[str, Any]]]:
    """A series and its playable episodes (with the first source's container), in order: two
    statements."""
    show = await session.get(VodSeries, series_id)
    if show is None or show.removed_at is not None:
        raise NotFound(f"no series {series_id}")
    src = VodEpisodeSource
    container = (
        select(src.container)
        .join(Provider, Provider.id == src.provider_id)
        .where(
            src.episode_id == VodEpisode.id, src.removed_at.is_(None), Provider.enabled.is_(True)
        )
        .order_by(Provider.priority.desc(), src.id)
        .limit(1)
        .correlate(VodEpisode)
        .scalar_subquery()
    )
    e = VodEpisode
    rows = await session.execute(
        select(
            e.id,
            e.season,
            e.episode,
            e.title,
            e.plot,
            e.air_date,
            e.rating,
            e.created_at.label("added"),
            container.label("container"),
        )
        .where(e.series_id == series_id, e.removed_at.is_(None), container.is_not(None))
        .order_by(e.season, e.episode)
    )
    return show, [dict(r._mapping) for r in rows]


# ---- guide -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuideRows:
    channel: str  # the guide id the playlist and xmltv.php give the channel
    programmes: list[Any]  # rows: id, epg_channel_id, start, stop, title, description


async def short_epg(
    session: AsyncSession,
    channel_id: int,
    *,
    now: datetime,
    limit: int | None,
    window: timedelta | None = None,
) -> GuideRows:
    """The channel's programmes: with ``limit``, the one on now and those after it; without,
    every programme in ``[now - window, now + window]``. Two statements, each an index seek."""
    channel = (
        await session.execute(
            select(Channel.id, Channel.tvg_id, Channel.epg_channel_id).where(
                Channel.id == channel_id, Channel.enabled.is_(True)
            )
        )
    ).one_or_none()
    if channel is None:
        raise NotFound(f"no channel {channel_id}")
    ident = tuning.guide_id(channel)
    if channel.epg_channel_id is None:
        return GuideRows(ident, [])
    p = EpgProgramme
    query = select(p.id, p.epg_channel_id, p.start, p.stop, p.title, p.description).where(
        p.epg_channel_id == channel.epg_channel_id
    )
    if limit is not None:
        # Programmes last at most a day (the import clamps them): a bounded range on the index.
        query = query.where(p.start >= now - timedelta(days=1), p.stop > now).limit(limit)
    else:
        span = window or timedelta(days=7)
        query = query.where(p.start >= now - span, p.start < now + span)
    rows = (await session.execute(query.order_by(p.start))).all()
    return GuideRows(ident, list(rows))


async def _id_pages(
    factory: async_sessionmaker[AsyncSession],
    id_column: Any,
    columns: Sequence[Any],
    where: list[Any],
    page_size: int,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Rows as dicts, keyset-paged by ``id_column`` in a session of their own (streamed bodies
    outlive the request's session); one statement per page."""
    after = 0
    async with factory() as session:
        conn = await session.connection()
        while True:
            query = select(*columns).where(*where, id_column > after).order_by(id_column)
            rows = (await conn.execute(query.limit(page_size))).all()
            if rows:
                yield [dict(r._mapping) for r in rows]
            if len(rows) < page_size:
                return
            after = rows[-1][0]

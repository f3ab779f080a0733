"""The VOD sync: one provider's movies and series into the shared VOD catalog, set-based.

fetch lists (Xtream: categories, streams, series; M3U: VOD-looking entries) → guards →
series details only for new series or those whose ``last_modified`` moved (bounded concurrency)
→ diff by provider key + content hash → bulk writes in one transaction → set-based removal flags.

As in the live sync, nothing is written before the fetch succeeded and passed the guards, and an
unchanged re-sync issues no write at all. The same movie offered by two providers is one movie
with two sources: same TMDB id, else the same normalised title and year.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import String, Table, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.bulk import batched, insert_rows
from strmline.db.models import (
    Provider,
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)
from strmline.errors import NotFound, StrmlineError
from strmline.formats.vodnames import looks_like_vod
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import allocate_ids
from strmline.pipelines.vod_fetch import EpisodeIn, MovieIn, SeriesIn, VodSource, open_source
from strmline.providers.base import LiveItem

MOVIES = cast(Table, VodMovie.__table__)
MOVIE_SOURCES = cast(Table, VodMovieSource.__table__)
SERIES = cast(Table, VodSeries.__table__)
SERIES_SOURCES = cast(Table, VodSeriesSource.__table__)
EPISODES = cast(Table, VodEpisode.__table__)
EPISODE_SOURCES = cast(Table, VodEpisodeSource.__table__)
VOD_LOCK = 727275

__all__ = ["VodSyncFailed", "VodSyncResult", "is_vod_entry", "sync_vod", "vod_sync_job"]


def is_vod_entry(item: LiveItem) -> bool:
    """True for playlist entries that are movies or episodes, not live channels.

    The live sync calls this for M3U providers with ``Provider.vod_detect`` on and leaves those
    entries to the VOD sync.
    """
    return looks_like_vod(item.name, item.group, item.url, dict(item.attrs)) is not None


@dataclass
class VodSyncResult:
    provider: str
    provider_id: int
    status: str  # ok | unchanged | refused | failed
    movies: int = 0
    series: int = 0
    series_fetched: int = 0
    movies_added: int = 0
    movies_updated: int = 0
    movies_removed: int = 0
    series_added: int = 0
    series_updated: int = 0
    series_removed: int = 0
    episodes_added: int = 0
    episodes_updated: int = 0
    episodes_removed: int = 0
    seconds: float = 0.0
    message: str = ""
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def changed(self) -> int:
        return sum(
            getattr(self, f"{kind}_{what}")
            for kind in ("movies", "series", "episodes")
            for what in ("added", "updated", "removed")
        )


class VodSyncFailed(StrmlineError):
    code = "vod_sync_failed"

    def __init__(self, result: VodSyncResult) -> None:
        super().__init__(
            f"{result.provider}: {result.status}: {result.message}", details=result.as_dict()
        )


def title_key(title: str, year: int | None) -> str:
    from strmline.matching.names import normalize

    return f"{normalize(title)}|{year or ''}"[:400]


# -- entry points ---------------------------------------------------------------------------


async def sync_vod(ctx: PipelineContext, *, provider_id: int, force: bool = False) -> VodSyncResult:
    started = time.monotonic()
    async with ctx.session_factory() as session:
        provider = await session.get(Provider, provider_id)
        if provider is None:
            raise NotFound(f"no provider with id {provider_id}")
        session.expunge(provider)
    result = VodSyncResult(provider=provider.name, provider_id=provider.id, status="failed")
    await ctx.report(0, None, f"{provider.name}: fetching VOD lists")
    try:
        async with open_source(provider, ctx) as source:
            await _sync(ctx, provider, source, result, force)
    except StrmlineError as exc:
        result.status = "failed"
        result.message = str(exc)
    result.seconds = round(time.monotonic() - started, 3)
    await ctx.report(1, 1, result.message)
    return result


async def vod_sync_job(
    ctx: PipelineContext, *, provider_id: int | None = None, force: bool = False
) -> dict[str, Any]:
    """Job entry point: one provider, or every enabled provider in priority order."""
    if provider_id is not None:
        ids = [int(provider_id)]
    else:
        async with ctx.session_factory() as session:
            ids = list(
                (
                    await session.scalars(
                        select(Provider.id)
                        .where(Provider.enabled.is_(True))
                        .order_by(Provider.priority.desc(), Provider.id)
                    )
                ).all()
            )
    results = [await sync_vod(ctx, provider_id=pid, force=force) for pid in ids]
    if len(results) == 1 and results[0].status in ("failed", "refused"):
        raise VodSyncFailed(results[0])
    return {
        "providers": [r.as_dict() for r in results],
        "changed": sum(r.changed for r in results),
        "failed": sum(r.status in ("failed", "refused") for r in results),
    }


# -- the sync ------------------------------------------------------------------------------------


async def _active_counts(session: AsyncSession, provider_id: int) -> int:
    movies = select(func.count()).where(
        VodMovieSource.provider_id == provider_id, VodMovieSource.removed_at.is_(None)
    )
    series = select(func.count()).where(
        VodSeriesSource.provider_id == provider_id, VodSeriesSource.removed_at.is_(None)
    )
    row = (await session.execute(select(movies.scalar_subquery(), series.scalar_subquery()))).one()
    return int(row[0]) + int(row[1])


async def _sync(
    ctx: PipelineContext,
    provider: Provider,
    source: VodSource,
    result: VodSyncResult,
    force: bool,
) -> None:
    movies, series = await source.lists()
    result.movies, result.series = len(movies), len(series)
    ctx.check_cancelled()

    async with ctx.session_factory() as session:
        last = await _active_counts(session, provider.id)
        count = len(movies) + len(series)
        guard = ctx.settings.sync.shrink_guard
        if count == 0 and last == 0:
            result.status, result.message = "unchanged", "no movies or series"
            return
        if count == 0:
            result.status = "refused"
            result.message = "the provider returned no movies or series; keeping the previous ones"
            return
        if not force and last and count < last * guard:
            result.status = "refused"
            result.message = (
                f"the provider returned {count:,} movies and series, fewer than {guard:.0%} of "
                f"the {last:,} stored; keeping the previous ones (use --force to accept)"
            )
            return
        movie_rows = {
            r.provider_key: r
            for r in await session.execute(
                select(
                    VodMovieSource.id,
                    VodMovieSource.provider_key,
                    VodMovieSource.movie_id,
                    VodMovieSource.content_hash,
                    VodMovieSource.removed_at,
                ).where(VodMovieSource.provider_id == provider.id)
            )
        }
        series_rows = {
            r.provider_key: r
            for r in await session.execute(
                select(
                    VodSeriesSource.id,
                    VodSeriesSource.provider_key,
                    VodSeriesSource.series_id,
                    VodSeriesSource.content_hash,
                    VodSeriesSource.last_modified,
                    VodSeriesSource.removed_at,
                ).where(VodSeriesSource.provider_id == provider.id)
            )
        }

    # Details only for what is new or changed: the expensive part of a VOD sync on a big panel.
    stale = [
        s.key
        for s in series
        if force
        or (row := series_rows.get(s.key)) is None
        or row.last_modified != s.last_modified
        or row.removed_at is not None
    ]
    await ctx.report(0, len(stale) or None, f"{provider.name}: details of {len(stale):,} series")
    episodes = await source.episodes(stale, ctx) if stale else {}
    result.series_fetched = len(episodes)
    result.failures = source.failures[:20]
    new_movies = [m for m in movies if m.key not in movie_rows]
    if new_movies:
        await source.movie_details(new_movies, ctx)

    changed_movies = [
        m
        for m in movies
        if (mrow := movie_rows.get(m.key)) is None
        or mrow.content_hash != m.hash
        or mrow.removed_at is not None
    ]
    seen_movies = {m.key for m in movies}
    gone_movies = [
        r.id for k, r in movie_rows.items() if k not in seen_movies and r.removed_at is None
    ]
    changed_series = [
        s
        for s in series
        if (row := series_rows.get(s.key)) is None
        or row.content_hash != s.hash
        or row.removed_at is not None
        or s.key in episodes
    ]
    seen_series = {s.key for s in series}
    gone_series = [
        r for k, r in series_rows.items() if k not in seen_series and r.removed_at is None
    ]
    if not (changed_movies or gone_movies or changed_series or gone_series):
        result.status = "unchanged"
        result.message = f"{len(movies):,} movies, {len(series):,} series, nothing changed"
        return

    now = utcnow()
    await ctx.report(0, None, f"{provider.name}: writing")
    async with ctx.session_factory() as session, session.begin():
        await _lock(session)
        writer = _Writer(session, ctx, provider.id, now, result)
        await writer.movies(changed_movies, movie_rows, gone_movies)
        series_ids = await writer.series(changed_series, series_rows, gone_series)
        await writer.episodes(episodes, series_ids, [r.series_id for r in gone_series])
        await writer.flags()
        await writer.purge(now - timedelta(days=ctx.settings.sync.removed_retention_days))
    result.status = "ok"
    result.message = (
        f"{len(movies):,} movies ({result.movies_added:,} added, {result.movies_updated:,} "
        f"updated, {result.movies_removed:,} removed), {len(series):,} series "
        f"({result.series_added:,}/{result.series_updated:,}/{result.series_removed:,}), "
        f"episodes {result.episodes_added:,}/{result.episodes_updated:,}/"
        f"{result.episodes_removed:,}"
    )


async def _lock(session: AsyncSession) -> None:
    """Serialise the write phase of concurrent VOD syncs, so one movie never becomes two."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({VOD_LOCK})"))
    else:
        await session.execute(text("UPDATE vod_movies SET id = id WHERE id = -1"))


class _Identity:
    """Logical titles by TMDB id and by normalised title + year, loaded once per sync."""

    def __init__(self) -> None:
        self.by_tmdb: dict[str, int] = {}
        self.by_key: dict[str, tuple[int, str | None]] = {}
        self.sources: dict[int, int] = {}  # id → active sources (for in-place renames)
        self.ids: dict[int, tuple[str | None, str | None]] = {}  # id → stored (tmdb, imdb)

    def add(self, item_id: int, tmdb: str | None, key: str) -> None:
        if tmdb:
            self.by_tmdb.setdefault(tmdb, item_id)
        self.by_key.setdefault(key, (item_id, tmdb))

    def missing_ids(
        self, item_id: int, key: str, tmdb: str | None, imdb: str | None
    ) -> tuple[str | None, str | None]:
        """The ids a source (matched by ``key``) can add to title ``item_id``: those it lacks."""
        known_tmdb, known_imdb = self.ids.get(item_id, (None, None))
        fill = (
            tmdb if tmdb and not known_tmdb else None,
            imdb if imdb and not known_imdb else None,
        )
        if fill[0] or fill[1]:
            self.ids[item_id] = (known_tmdb or fill[0], known_imdb or fill[1])
        if fill[0]:
            # The title now has this TMDB id: a later same-name entry with another id is another
            # title, as it would have been had the id been known from the start.
            self.by_tmdb.setdefault(fill[0], item_id)
            if self.by_key.get(key, (None, None))[0] == item_id:
                self.by_key[key] = (item_id, fill[0])
        return fill

    def find(self, tmdb: str | None, key: str) -> int | None:
        if tmdb and tmdb in self.by_tmdb:
            return self.by_tmdb[tmdb]
        hit = self.by_key.get(key)
        if hit is not None and (tmdb is None or hit[1] is None or hit[1] == tmdb):
            return hit[0]
        return None


@dataclass(frozen=True, slots=True)
class _TitleSpec:
    """What differs between writing movies and writing series; the algorithm is the same."""

    kind: Literal["movies", "series"]  # the prefix of its VodSyncResult counters
    model: type[VodMovie] | type[VodSeries]
    titles: Table
    sources: Table
    owner: str  # the column of ``sources`` holding the title id


_MOVIE_SPEC = _TitleSpec("movies", VodMovie, MOVIES, MOVIE_SOURCES, "movie_id")
_SERIES_SPEC = _TitleSpec("series", VodSeries, SERIES, SERIES_SOURCES, "series_id")


class _Writer:
    def __init__(
        self,
        session: AsyncSession,
        ctx: PipelineContext,
        provider_id: int,
        now: datetime,
        result: VodSyncResult,
    ) -> None:
        self.session = session
        self.batch = ctx.settings.sync.batch_size
        self.provider_id = provider_id
        self.now = now
        self.result = result

    async def _update(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in rows:
            shapes.setdefault(frozenset(row), []).append(row)
        for shape_rows in shapes.values():
            stmt = update(table).where(table.c.id == bindparam("_id"))
            for chunk in batched(shape_rows, self.batch):
                await self.session.execute(stmt, chunk)

    async def _fill_ids(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Missing TMDB/IMDb ids in executemany batches; COALESCE keeps any id already stored."""
        if not rows:
            return
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                tmdb_id=func.coalesce(table.c.tmdb_id, bindparam("_tmdb", type_=String)),
                imdb_id=func.coalesce(table.c.imdb_id, bindparam("_imdb", type_=String)),
            )
        )
        for chunk in batched(rows, self.batch):
            await self.session.execute(stmt, chunk)

    async def _identity(self, model: type[VodMovie] | type[VodSeries], source: Any) -> _Identity:
        index = _Identity()
        active = (
            select(source.c.owner, func.count().label("n"))
            .where(source.c.removed_at.is_(None))
            .group_by(source.c.owner)
            .subquery()
        )
        rows = await self.session.execute(
            select(model.id, model.tmdb_id, model.imdb_id, model.match_key, active.c.n)
            .outerjoin(active, active.c.owner == model.id)
            .order_by(model.removed_at.is_not(None), model.id)
        )
        for row in rows:
            index.add(row.id, row.tmdb_id, row.match_key)
            index.sources[row.id] = int(row.n or 0)
            if row.tmdb_id or row.imdb_id:
                index.ids[row.id] = (row.tmdb_id, row.imdb_id)
        return index

    # -- movies and series ----------------------------------------------------------------------

    async def movies(self, items: list[MovieIn], existing: dict[str, Any], gone: list[int]) -> None:
        await self._titles(_MOVIE_SPEC, items, existing, gone)

    async def series(
        self, items: list[SeriesIn], existing: dict[str, Any], gone: list[Any]
    ) -> dict[str, int]:
        """Writes series and their sources; returns provider key → series id of ``items``."""
        return await self._titles(_SERIES_SPEC, items, existing, [r.id for r in gone])

    async def _titles(
        self,
        spec: _TitleSpec,
        items: Sequence[MovieIn | SeriesIn],
        existing: dict[str, Any],
        gone: list[int],
    ) -> dict[str, int]:
        """Writes titles and their sources; returns provider key → title id of ``items``."""
        now, result = self.now, self.result
        out: dict[str, int] = {}
        if items:
            owners = select(
                spec.sources.c[spec.owner].label("owner"), spec.sources.c.removed_at
            ).subquery()
            index = await self._identity(spec.model, owners)
            new_rows: list[dict[str, Any]] = []
            title_updates: dict[int, dict[str, Any]] = {}
            # Ids a title lacks and this sync's entries carry: a title first seen through a
            # source without ids (an M3U list) takes them from the next one that has them.
            fills: dict[int, dict[str, Any]] = {}

            def fill(title_id: int, key: str, tmdb: str | None, imdb: str | None) -> None:
                new_tmdb, new_imdb = index.missing_ids(title_id, key, tmdb, imdb)
                if new_tmdb or new_imdb:
                    known = fills.get(title_id, {"_id": title_id, "_tmdb": None, "_imdb": None})
                    fills[title_id] = known | {
                        "_tmdb": known["_tmdb"] or new_tmdb,
                        "_imdb": known["_imdb"] or new_imdb,
                    }

            for item in items:
                key = title_key(item.title, item.year)
                row = existing.get(item.key)
                title_id = index.find(item.tmdb_id, key)
                if row is not None and title_id is None:
                    owner_id = getattr(row, spec.owner)
                    if index.sources.get(owner_id, 0) <= 1:
                        title_id = owner_id  # renamed: the title moves, its id (and file) stays
                if title_id is None:
                    values = item.title_row(key, now)
                    values["_key"] = item.key
                    new_rows.append(values)
                    continue
                if row is not None:
                    update_values = item.title_update(key) | {"_id": title_id}
                    if item.tmdb_id and index.sources.get(title_id, 0) <= 1:
                        # A title's only source may correct its id (never clear it); a shared
                        # title only ever gains missing ids, below.
                        update_values["tmdb_id"] = item.tmdb_id
                        _, known_imdb = index.ids.get(title_id, (None, None))
                        index.ids[title_id] = (item.tmdb_id, known_imdb)
                    title_updates[title_id] = update_values
                fill(title_id, key, item.tmdb_id, getattr(item, "imdb_id", None))
                index.add(title_id, item.tmdb_id, key)
                out[item.key] = title_id
            ids = await allocate_ids(self.session, spec.titles.name, len(new_rows))
            kept: dict[int, dict[str, Any]] = {}
            for values, new_id in zip(new_rows, ids, strict=True):
                # Two new entries of one sync can be the same title: the first creates it.
                existing_id = index.find(values["tmdb_id"], values["match_key"])
                if existing_id is not None:
                    out[values.pop("_key")] = existing_id
                    first = kept.get(existing_id)
                    if first is None:
                        fill(existing_id, values["match_key"], values["tmdb_id"], values["imdb_id"])
                    else:
                        # Not inserted yet: the ids go straight into its row.
                        first["tmdb_id"] = first["tmdb_id"] or values["tmdb_id"]
                        first["imdb_id"] = first["imdb_id"] or values["imdb_id"]
                        index.ids[existing_id] = (first["tmdb_id"], first["imdb_id"])
                        index.add(existing_id, first["tmdb_id"], first["match_key"])
                    continue
                values["id"] = new_id
                index.add(new_id, values["tmdb_id"], values["match_key"])
                index.ids[new_id] = (values["tmdb_id"], values["imdb_id"])
                out[values.pop("_key")] = new_id
                kept[new_id] = values
            await insert_rows(self.session, spec.titles, list(kept.values()), batch=self.batch)
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for item in items:
                values = item.source_values(now) | {spec.owner: out[item.key]}
                row = existing.get(item.key)
                if row is None:
                    inserts.append(
                        values
                        | {
                            "provider_id": self.provider_id,
                            "provider_key": item.key,
                            "created_at": now,
                        }
                    )
                else:
                    updates.append(values | {"_id": row.id})
            added = await insert_rows(self.session, spec.sources, inserts, batch=self.batch)
            setattr(result, f"{spec.kind}_added", added)
            await self._update(spec.sources, updates)
            await self._update(spec.titles, list(title_updates.values()))
            await self._fill_ids(spec.titles, list(fills.values()))
            setattr(result, f"{spec.kind}_updated", len(updates))
        if gone:
            await self._update(spec.sources, [{"_id": sid, "removed_at": now} for sid in gone])
            setattr(result, f"{spec.kind}_removed", len(gone))
        return out

    # -- episodes ------------------------------------------------------------------------------

    async def episodes(
        self,
        fetched: dict[str, list[EpisodeIn]],
        series_ids: dict[str, int],
        gone_series: list[int],
    ) -> None:
        now, result, session = self.now, self.result, self.session
        if gone_series:
            stmt = (
                update(EPISODE_SOURCES)
                .where(
                    EPISODE_SOURCES.c.provider_id == self.provider_id,
                    EPISODE_SOURCES.c.removed_at.is_(None),
                    EPISODE_SOURCES.c.episode_id.in_(
                        select(EPISODES.c.id).where(EPISODES.c.series_id.in_(gone_series))
                    ),
                )
                .values(removed_at=now)
            )
            result.episodes_removed += (await session.execute(stmt)).rowcount or 0  # type: ignore[attr-defined]
        if not fetched:
            return
        targets = {series_ids[k] for k in fetched if k in series_ids}
        mine = select(SERIES_SOURCES.c.series_id).where(
            SERIES_SOURCES.c.provider_id == self.provider_id
        )
        episode_rows: dict[tuple[int, int, int], Any] = {
            (r.series_id, r.season, r.episode): r
            for r in await session.execute(
                select(
                    EPISODES.c.id, EPISODES.c.series_id, EPISODES.c.season, EPISODES.c.episode
                ).where(EPISODES.c.series_id.in_(mine))
            )
        }
        source_rows = {
            r.provider_key: r
            for r in await session.execute(
                select(
                    EPISODE_SOURCES.c.id,
                    EPISODE_SOURCES.c.provider_key,
                    EPISODE_SOURCES.c.episode_id,
                    EPISODE_SOURCES.c.content_hash,
                    EPISODE_SOURCES.c.removed_at,
                    EPISODES.c.series_id,
                )
                .join(EPISODES, EPISODES.c.id == EPISODE_SOURCES.c.episode_id)
                .where(EPISODE_SOURCES.c.provider_id == self.provider_id)
            )
        }
        new_eps: list[dict[str, Any]] = []
        ep_updates: list[dict[str, Any]] = []
        plan: list[tuple[EpisodeIn, tuple[int, int, int]]] = []
        seen: set[str] = set()
        for series_key, eps in fetched.items():
            series_id = series_ids.get(series_key)
            if series_id is None:
                continue
            for ep in eps:
                if ep.key in seen:
                    continue
                seen.add(ep.key)
                ident = (series_id, ep.season, ep.episode)
                row = episode_rows.get(ident)
                if row is None:
                    values = ep.episode_row(series_id, now)
                    new_eps.append(values)
                    episode_rows[ident] = values  # later sources of the same episode join it
                    plan.append((ep, ident))
                else:
                    src = source_rows.get(ep.key)
                    if src is None or src.content_hash != ep.hash or src.removed_at is not None:
                        ep_updates.append(ep.episode_update() | {"_id": _rid(row)})
                    plan.append((ep, ident))
        ids = await allocate_ids(session, "vod_episodes", len(new_eps))
        for values, new_id in zip(new_eps, ids, strict=True):
            values["id"] = new_id
        await insert_rows(session, EPISODES, new_eps, batch=self.batch)
        await self._update(EPISODES, ep_updates)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for ep, ident in plan:
            episode_id = _rid(episode_rows[ident])
            src = source_rows.get(ep.key)
            values = ep.source_values(now) | {"episode_id": episode_id}
            if src is None:
                inserts.append(
                    values
                    | {"provider_id": self.provider_id, "provider_key": ep.key, "created_at": now}
                )
            elif (
                src.content_hash != ep.hash
                or src.removed_at is not None
                or src.episode_id != episode_id
            ):
                updates.append(values | {"_id": src.id})
        gone = [
            {"_id": r.id, "removed_at": now}
            for k, r in source_rows.items()
            if k not in seen and r.removed_at is None and r.series_id in targets
        ]
        result.episodes_added += await insert_rows(
            session, EPISODE_SOURCES, inserts, batch=self.batch
        )
        await self._update(EPISODE_SOURCES, updates + gone)
        result.episodes_updated += len(updates)
        result.episodes_removed += len(gone)

    # -- removal flags and purge ---------------------------------------------------------------

    async def flags(self) -> None:
        """Titles without an active source are removed; those that got one back return."""
        pairs = (
            (MOVIES, MOVIE_SOURCES, MOVIE_SOURCES.c.movie_id),
            (SERIES, SERIES_SOURCES, SERIES_SOURCES.c.series_id),
            (EPISODES, EPISODE_SOURCES, EPISODE_SOURCES.c.episode_id),
        )
        for table, sources, owner in pairs:
            active = (
                select(owner).where(owner == table.c.id, sources.c.removed_at.is_(None)).exists()
            )
            await self.session.execute(
                update(table)
                .where(table.c.removed_at.is_(None), ~active)
                .values(removed_at=self.now)
            )
            await self.session.execute(
                update(table).where(table.c.removed_at.is_not(None), active).values(removed_at=None)
            )

    async def purge(self, cutoff: datetime) -> None:
        for sources in (MOVIE_SOURCES, SERIES_SOURCES, EPISODE_SOURCES):
            await self.session.execute(
                delete(sources).where(
                    sources.c.provider_id == self.provider_id, sources.c.removed_at < cutoff
                )
            )
        for table in (EPISODES, MOVIES, SERIES):
            await self.session.execute(delete(table).where(table.c.removed_at < cutoff))


def _rid(row: Any) -> int:
    return int(row["id"] if isinstance(row, dict) else row.id)

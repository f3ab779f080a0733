"""The VOD sync run: one provider's movies and series through the stages.

:mod:`.fetch` (lists; series details only for new series or those whose ``last_modified``
moved, bounded concurrency) → :mod:`.diff` (guards, then by provider key + content hash) →
:mod:`.titles` and :mod:`.episodes` (bulk writes in one transaction) → set-based removal flags
(:mod:`.write`).

As in the live sync, nothing is written before the fetch succeeded and passed the guards, and an
unchanged re-sync issues no write at all.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from strmline.db.base import utcnow
from strmline.db.errors import one_line
from strmline.db.models import Provider
from strmline.errors import StrmlineError
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.vod import diff
from strmline.pipelines.vod.episodes import write_episodes
from strmline.pipelines.vod.fetch import VodSource, open_source
from strmline.pipelines.vod.items import EpisodeIn
from strmline.pipelines.vod.kinds import MOVIE, SERIES
from strmline.pipelines.vod.result import VodSyncFailed, VodSyncResult
from strmline.pipelines.vod.titles import write_titles
from strmline.pipelines.vod.write import Writer, lock
from strmline.services import providers as provider_service

__all__ = ["sync_vod", "vod_sync_job"]

log = logging.getLogger(__name__)


async def sync_vod(ctx: PipelineContext, *, provider_id: int, force: bool = False) -> VodSyncResult:
    started = time.monotonic()
    provider = await provider_service.get_detached(ctx.session_factory, provider_id)
    result = VodSyncResult(provider=provider.name, provider_id=provider.id, status="failed")
    await ctx.report(0, None, f"{provider.name}: fetching VOD lists")
    try:
        async with open_source(provider, ctx) as source:
            await _sync(ctx, provider, source, result, force)
    except StrmlineError as exc:
        result.status = "failed"
        result.message = str(exc)
    except Exception as exc:
        # A bug hit by one panel's data fails that provider, with the traceback in the log,
        # and the job goes on to the next provider; nothing of this one was committed.
        log.exception("VOD sync of provider %s failed", provider.id)
        result.status = "failed"
        result.message = f"internal error: {one_line(exc)}"
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
        last = await diff.active_count(session, provider.id)
        count = len(movies) + len(series)
        keys = len({m.key for m in movies}) + len({s.key for s in series})
        refused = diff.refusal(count, last, ctx.settings.sync, force, duplicates=count - keys)
        if refused:
            result.status, result.message = refused
            return
        movie_rows = await diff.load_stored(session, MOVIE, provider.id)
        series_rows = await diff.load_stored(session, SERIES, provider.id)

    # Details only for what is new or changed: the expensive part of a VOD sync on a big panel.
    stale = diff.stale_series(series, series_rows, force)
    episodes = await _episodes(ctx, provider, source, result, stale)
    new_movies = [m for m in movies if m.key not in movie_rows]
    if new_movies:
        await source.movie_details(new_movies, ctx)

    movie_changes = diff.changes(movies, movie_rows)
    series_changes = diff.changes(series, series_rows, refetched=episodes)
    if not (movie_changes or series_changes):
        result.status = "unchanged"
        result.message = f"{len(movies):,} movies, {len(series):,} series, nothing changed"
        return

    now = utcnow()
    await ctx.report(0, None, f"{provider.name}: writing")
    async with ctx.session_factory() as session, session.begin():
        await lock(session)
        w = Writer(session, ctx.settings.sync.batch_size, provider.id, now, result)
        await write_titles(w, MOVIE, movie_changes, movie_rows)
        series_ids = await write_titles(w, SERIES, series_changes, series_rows)
        gone_series = [getattr(r, SERIES.owner) for r in series_changes.gone]
        await write_episodes(w, episodes, series_ids, gone_series)
        await w.flags()
        await w.purge(now - timedelta(days=ctx.settings.sync.removed_retention_days))
    result.status = "ok"
    result.message = (
        f"{len(movies):,} movies ({result.movies_added:,} added, {result.movies_updated:,} "
        f"updated, {result.movies_removed:,} removed), {len(series):,} series "
        f"({result.series_added:,}/{result.series_updated:,}/{result.series_removed:,}), "
        f"episodes {result.episodes_added:,}/{result.episodes_updated:,}/"
        f"{result.episodes_removed:,}"
    )


async def _episodes(
    ctx: PipelineContext,
    provider: Provider,
    source: VodSource,
    result: VodSyncResult,
    stale: list[str],
) -> dict[str, list[EpisodeIn]]:
    """Episodes of the ``stale`` series; a series whose details failed is left out."""
    await ctx.report(0, len(stale) or None, f"{provider.name}: details of {len(stale):,} series")
    episodes = await source.episodes(stale, ctx) if stale else {}
    result.series_fetched = len(episodes)
    result.failures = source.failures[:20]
    return episodes

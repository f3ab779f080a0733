"""The job: resolve where files point, write movies, series and live channels, clean orphans,
then record the new paths and hashes (only after the files are written)."""

from __future__ import annotations

import logging
import time
from pathlib import Path, PurePosixPath
from typing import Any, cast

import httpx
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import StrmSettings
from strmline.db.models import User, VodEpisode, VodMovie, VodSeries
from strmline.errors import ConfigError
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.strm.base_url import (
    loopback_warning,
    remember_request_base_url,
    resolve_base_url,
)
from strmline.pipelines.strm.episodes import write_series
from strmline.pipelines.strm.library import Library, LibraryRun, StrmResult
from strmline.pipelines.strm.live import write_live
from strmline.pipelines.strm.movies import write_movies

log = logging.getLogger(__name__)

MOVIES = cast(Table, VodMovie.__table__)
SERIES = cast(Table, VodSeries.__table__)
EPISODES = cast(Table, VodEpisode.__table__)


async def generate_library(
    ctx: PipelineContext,
    *,
    out: Path | None = None,
    live: bool | None = None,
    base_url: str | None = None,
    fail_after: int | None = None,
) -> StrmResult:
    """Write the library. ``base_url`` is the URL of the request that asked for it, if any;
    ``fail_after`` is for tests that simulate a run killed half way."""
    started = time.monotonic()
    settings = ctx.settings
    opts = settings.strm
    library = Library(out or settings.strm_dir)
    if fail_after is not None:
        _fail_after(library, fail_after)
    result = StrmResult(out=str(library.root))
    async with ctx.session_factory() as session:
        base = await resolve_base_url(session, settings, base_url)
    result.base_url = base
    run = LibraryRun(opts=opts, library=library, result=result, base=base)
    # Direct provider URLs do not go through this server, so its address does not matter.
    result.warning = None if run.direct else loopback_warning(base)
    if run.direct:
        log.warning(
            "strm.url_mode=direct: provider URLs with usernames and passwords are written "
            "into the library at %s",
            library.root,
        )
    async with ctx.session_factory() as session:
        run.token = "" if run.direct else await _token(session, opts)
        await write_movies(ctx, session, run)
        await write_series(ctx, session, run)
        if live if live is not None else opts.live:
            await write_live(session, run)
    await ctx.report(0, None, "library: cleaning")
    result.removed = library.clean()
    async with ctx.session_factory() as session, session.begin():
        if base_url:
            await remember_request_base_url(session, base_url)
        await _save(session, run, settings.sync.batch_size)
    result.written, result.unchanged = library.written, library.unchanged
    if (result.written or result.removed) and opts.media_server_url:
        result.rescan = await _rescan(ctx, opts)
    result.seconds = round(time.monotonic() - started, 3)
    result.message = _message(result)
    await ctx.report(1, 1, result.message)
    return result


async def _token(session: AsyncSession, opts: StrmSettings) -> str:
    query = select(User.api_token).where(User.is_active.is_(True))
    if opts.token_user:
        query = query.where(User.username == opts.token_user)
    else:
        query = query.where(User.role == "admin").order_by(User.id)
    token = (await session.scalars(query.limit(1))).first()
    if token is None:
        who = f"user {opts.token_user!r}" if opts.token_user else "an admin user"
        raise ConfigError(f".strm files need {who} whose API token they carry; create one first")
    return token


async def _save(session: AsyncSession, run: LibraryRun, batch: int) -> None:
    """The new paths and hashes in batches; removed titles forget theirs."""
    for table, rows in (
        (MOVIES, run.movie_updates),
        (EPISODES, run.episode_updates),
        (SERIES, run.series_updates),
    ):
        for i in range(0, len(rows), batch):
            stmt = update(table).where(table.c.id == bindparam("_id"))
            await session.execute(stmt, rows[i : i + batch])
    for table in (MOVIES, EPISODES):
        await session.execute(
            update(table)
            .where(table.c.removed_at.is_not(None), table.c.strm_path.is_not(None))
            .values(strm_path=None, strm_hash=None)
        )


def _message(result: StrmResult) -> str:
    message = (
        f"{result.movies:,} movies, {result.episodes:,} episodes, {result.live:,} channels: "
        f"{result.written:,} files written, {result.unchanged:,} unchanged, "
        f"{result.removed:,} removed"
    )
    if result.warning:
        message += f". {result.warning}"
    return message


def _fail_after(library: Library, count: int) -> None:
    write = library.write

    def failing(rel: PurePosixPath, content: str) -> bool:
        if library.written >= count:
            raise RuntimeError(f"simulated crash after {count} files")
        return write(rel, content)

    library.write = failing  # type: ignore[method-assign]


async def _rescan(ctx: PipelineContext, opts: StrmSettings) -> str:
    """Ask Jellyfin/Emby to rescan; a failure is reported in the result, never raised."""
    assert opts.media_server_url is not None
    url = opts.media_server_url.rstrip("/") + "/Library/Refresh"
    key = opts.media_server_api_key.get_secret_value() if opts.media_server_api_key else ""
    try:
        if ctx.http is not None:
            response = await ctx.http.post(url, headers={"X-Emby-Token": key}, timeout=10)
        else:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(url, headers={"X-Emby-Token": key})
    except httpx.HTTPError as exc:
        return f"rescan failed: {type(exc).__name__}"
    if response.status_code >= 400:
        return f"rescan failed: HTTP {response.status_code}"
    return "rescan requested"


async def strm_generate_job(
    ctx: PipelineContext,
    *,
    out: str | None = None,
    live: bool | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    result = await generate_library(
        ctx, out=Path(out) if out else None, live=live, base_url=base_url
    )
    return result.as_dict()

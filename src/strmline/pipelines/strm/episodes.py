"""Series and episodes: ``TV Shows/[Group/]Show (Year)/Season 01/Show S01E01.strm`` (and .nfo).

Each show gets its folder (and ``tvshow.nfo``); each episode's file name is a function of the
inputs it is hashed from, so an unchanged episode needs no naming at all.
"""

from __future__ import annotations

from functools import partial
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import VodEpisode, VodEpisodeSource, VodSeries
from strmline.formats import strmnames
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.strm.library import (
    LibraryRun,
    best_urls,
    content_hash,
    group_folder,
    nfo_inputs,
    unique_paths,
)


async def write_series(ctx: PipelineContext, session: AsyncSession, run: LibraryRun) -> None:
    """Every active show's folder and its episodes' files."""
    await ctx.report(0, None, "library: series")
    shows = await _write_shows(session, run)
    await _write_episodes(session, run, shows)


async def _write_shows(session: AsyncSession, run: LibraryRun) -> dict[int, tuple[Any, str]]:
    """Show folders (and tvshow.nfo); show id → (row, folder below the root)."""
    opts = run.opts
    shows = (
        await session.execute(
            select(
                VodSeries.id,
                VodSeries.title,
                VodSeries.year,
                VodSeries.tmdb_id,
                VodSeries.imdb_id,
                VodSeries.category,
                VodSeries.genre,
                VodSeries.plot,
                VodSeries.rating,
                VodSeries.strm_dir,
            ).where(VodSeries.removed_at.is_(None))
        )
    ).all()
    show_paths = unique_paths(
        shows,
        lambda r: group_folder(opts, r.genre, r.category),
        lambda r: strmnames.title_dir(r.title, r.year, r.tmdb_id, opts.flavour),
    )
    show_root = PurePosixPath(strmnames.SHOWS_DIR)
    for row in shows:
        folder = show_root / show_paths[row.id]
        if opts.nfo:
            run.library.write(
                folder / "tvshow.nfo",
                strmnames.tvshow_nfo(
                    row.title, row.year, row.plot, row.rating, row.genre, row.tmdb_id, row.imdb_id
                ),
            )
        if row.strm_dir != str(folder):
            run.series_updates.append({"_id": row.id, "strm_dir": str(folder)})
    return {row.id: (row, f"{strmnames.SHOWS_DIR}/{show_paths[row.id]}") for row in shows}


async def _write_episodes(
    session: AsyncSession, run: LibraryRun, shows: dict[int, tuple[Any, str]]
) -> None:
    opts = run.opts
    episodes = await session.execute(
        select(
            VodEpisode.id,
            VodEpisode.series_id,
            VodEpisode.season,
            VodEpisode.episode,
            VodEpisode.title,
            VodEpisode.plot,
            VodEpisode.air_date,
            VodEpisode.rating,
            VodEpisode.strm_path,
            VodEpisode.strm_hash,
        ).where(VodEpisode.removed_at.is_(None))
    )
    urls = (
        await best_urls(
            session,
            VodEpisodeSource,
            VodEpisodeSource.episode_id,
            kodi_headers=run.opts.kodi_headers,
        )
        if run.direct
        else {}
    )
    for ep in episodes:
        found = shows.get(ep.series_id)
        if found is None:
            continue
        show, show_folder = found
        url = run.url("episode", ep.id, urls)
        if url is None:
            continue
        run.result.episodes += 1
        # The file name is a function of these inputs: an unchanged episode needs no naming.
        digest = content_hash(
            show_folder,
            show.title,
            str(ep.season),
            str(ep.episode),
            ep.title or "",
            url,
            nfo_inputs(ep) + nfo_inputs(show) if opts.nfo else "",
        )
        run.place(
            run.episode_updates,
            ep,
            url,
            digest,
            partial(_episode_files, run, show, show_folder, ep),
        )


def _episode_files(
    run: LibraryRun, show: Any, show_folder: str, ep: Any
) -> tuple[PurePosixPath, str | None]:
    name = strmnames.episode_file(
        PurePosixPath(show_folder).name, show.title, ep.season, ep.episode, ep.title
    )
    rel = PurePosixPath(show_folder, strmnames.season_dir(ep.season), f"{name}.strm")
    nfo = (
        strmnames.episode_nfo(
            show.title, ep.title, ep.season, ep.episode, ep.plot, ep.air_date, ep.rating
        )
        if run.opts.nfo
        else None
    )
    return rel, nfo

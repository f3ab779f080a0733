"""Movies: ``Movies/[Group/]Title (Year)/Title (Year).strm`` (and .nfo)."""

from __future__ import annotations

from functools import partial
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import VodMovie, VodMovieSource
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


async def write_movies(ctx: PipelineContext, session: AsyncSession, run: LibraryRun) -> None:
    """Every active movie's files; changed ones are queued in ``run.movie_updates``."""
    opts = run.opts
    await ctx.report(0, None, "library: movies")
    movies = (
        await session.execute(
            select(
                VodMovie.id,
                VodMovie.title,
                VodMovie.year,
                VodMovie.tmdb_id,
                VodMovie.imdb_id,
                VodMovie.category,
                VodMovie.genre,
                VodMovie.plot,
                VodMovie.rating,
                VodMovie.strm_path,
                VodMovie.strm_hash,
            ).where(VodMovie.removed_at.is_(None))
        )
    ).all()
    urls = (
        await best_urls(
            session, VodMovieSource, VodMovieSource.movie_id, kodi_headers=run.opts.kodi_headers
        )
        if run.direct
        else {}
    )
    paths = unique_paths(
        movies,
        lambda r: group_folder(opts, r.genre, r.category),
        lambda r: strmnames.title_dir(r.title, r.year, r.tmdb_id, opts.flavour),
    )
    for row in movies:
        if len(run.movie_updates) % 1000 == 999:
            ctx.check_cancelled()
        name = paths[row.id].rsplit("/", 1)[-1]
        rel_str = f"{strmnames.MOVIES_DIR}/{paths[row.id]}/{name}.strm"
        url = run.url("movie", row.id, urls)
        if url is None:
            continue
        run.result.movies += 1
        # Everything the two files are made of, so an unchanged movie is a hash compare.
        digest = content_hash(rel_str, url, nfo_inputs(row) if opts.nfo else "")
        run.place(
            run.movie_updates,
            row,
            url,
            digest,
            partial(_movie_files, run, row, rel_str),
            same_path=row.strm_path == rel_str,
        )


def _movie_files(run: LibraryRun, row: Any, rel_str: str) -> tuple[PurePosixPath, str | None]:
    nfo = (
        strmnames.movie_nfo(
            row.title, row.year, row.plot, row.rating, row.genre, row.tmdb_id, row.imdb_id
        )
        if run.opts.nfo
        else None
    )
    return PurePosixPath(rel_str), nfo

"""Reading the VOD catalog: pages of movies and series, and one series with its episodes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import (
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)
from strmline.errors import NotFound
from strmline.matching.names import normalize

Kind = Literal["movie", "series"]


def _like(query: str | None) -> str | None:
    needle = normalize(query or "")
    if not needle:
        return None
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_titles(
    *,
    session: AsyncSession,
    kind: Kind,
    query: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """One keyset page ordered by id: ``{items, next_cursor}``; two statements whatever the size."""
    model: type[VodMovie] | type[VodSeries] = VodMovie if kind == "movie" else VodSeries
    source: Any = VodMovieSource if kind == "movie" else VodSeriesSource
    owner = source.movie_id if kind == "movie" else source.series_id
    counts = (
        select(owner.label("owner"), func.count().label("n"))
        .where(source.removed_at.is_(None))
        .group_by(owner)
        .subquery()
    )
    stmt = (
        select(model, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.owner == model.id)
        .where(model.removed_at.is_(None))
        .order_by(model.id)
        .limit(limit + 1)
    )
    pattern = _like(query)
    if pattern is not None:
        stmt = stmt.where(model.search_title.like(pattern, escape="\\"))
    if cursor is not None:
        stmt = stmt.where(model.id > cursor)
    rows = (await session.execute(stmt)).all()
    items = [_view(row[0]) | {"sources": int(row[1])} for row in rows[:limit]]
    next_cursor = items[-1]["id"] if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def _view(item: VodMovie | VodSeries) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "year": item.year,
        "tmdb_id": item.tmdb_id,
        "imdb_id": item.imdb_id,
        "category": item.category,
        "genre": item.genre,
        "rating": item.rating,
        "poster": item.poster,
    }


async def series_detail(*, session: AsyncSession, series_id: int) -> dict[str, Any]:
    """A series with its seasons and episodes: two statements."""
    show = await session.get(VodSeries, series_id)
    if show is None or show.removed_at is not None:
        raise NotFound(f"no series with id {series_id}")
    counts = (
        select(VodEpisodeSource.episode_id, func.count().label("n"))
        .where(VodEpisodeSource.removed_at.is_(None))
        .group_by(VodEpisodeSource.episode_id)
        .subquery()
    )
    rows = await session.execute(
        select(VodEpisode, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.episode_id == VodEpisode.id)
        .where(VodEpisode.series_id == series_id, VodEpisode.removed_at.is_(None))
        .order_by(VodEpisode.season, VodEpisode.episode)
    )
    seasons: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ep, n in rows.all():
        seasons[ep.season].append(
            {
                "id": ep.id,
                "episode": ep.episode,
                "title": ep.title,
                "plot": ep.plot,
                "air_date": ep.air_date,
                "rating": ep.rating,
                "sources": int(n),
            }
        )
    return _view(show) | {
        "plot": show.plot,
        "seasons": [{"season": s, "episodes": eps} for s, eps in sorted(seasons.items())],
    }

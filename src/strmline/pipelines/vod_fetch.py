"""Fetching one provider's VOD: Xtream movies/series (+ details) or the VOD entries of an M3U.

Both provider kinds end up as the same rows (:class:`MovieIn`, :class:`SeriesIn`,
:class:`EpisodeIn`), each with a content hash, so the sync in :mod:`strmline.pipelines.vod`
only ever diffs and writes. Details are fetched with a semaphore: a panel with 2,000 series
must not see 2,000 requests at once, and one failing series must not fail the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from strmline.db.models import Provider
from strmline.errors import StrmlineError
from strmline.formats.vodnames import ParsedTitle, looks_like_vod, parse_title
from strmline.formats.xtream import movie_url, parse_categories, series_url
from strmline.formats.xtream_vod import (
    DEFAULT_EPISODE_EXT,
    DEFAULT_MOVIE_EXT,
    SeriesItem,
    VodStream,
    parse_series,
    parse_series_info,
    parse_vod_info,
    parse_vod_streams,
)
from strmline.matching.names import normalize
from strmline.pipelines.context import PipelineContext
from strmline.providers.m3u import fetch_m3u
from strmline.providers.xtream import XtreamClient
from strmline.services.providers import xtream_client

__all__ = ["EpisodeIn", "MovieIn", "SeriesIn", "VodSource", "open_source"]


def _hash(values: list[Any]) -> str:
    payload = orjson.dumps(values, option=orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def _ext(url: str, default: str) -> str:
    tail = urlsplit(url).path.rsplit("/", 1)[-1]
    ext = tail.rsplit(".", 1)[-1].lower() if "." in tail else ""
    return ext if ext.isalnum() and len(ext) <= 5 else default


@dataclass(slots=True)
class MovieIn:
    key: str
    name: str
    title: str
    year: int | None
    url: str
    container: str | None
    category: str | None
    language: str | None = None
    quality: str | None = None
    tmdb_id: str | None = None
    imdb_id: str | None = None
    poster: str | None = None
    rating: float | None = None
    plot: str | None = None
    genre: str | None = None
    added: datetime | None = None
    hash: str = ""

    def seal(self) -> MovieIn:
        self.hash = _hash(
            [
                self.name,
                self.title,
                self.year,
                self.url,
                self.container,
                self.category,
                self.tmdb_id,
                self.poster,
                self.rating,
                self.added.isoformat() if self.added else None,
            ]
        )
        return self

    def title_update(self, key: str) -> dict[str, Any]:
        return {
            "title": self.title[:400],
            "search_title": normalize(self.title)[:400],
            "match_key": key,
            "year": self.year,
            "language": self.language,
            "category": (self.category or None) and self.category[:200],
            "rating": self.rating,
            "poster": self.poster,
        }

    def title_row(self, key: str, now: datetime) -> dict[str, Any]:
        # Ids only on insert: updates must not clear them (the sync fills missing ones).
        return self.title_update(key) | {
            "tmdb_id": self.tmdb_id,
            "imdb_id": self.imdb_id,
            "genre": self.genre and self.genre[:200],
            "plot": self.plot,
            "info": None,
            "strm_path": None,
            "strm_hash": None,
            "removed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def source_values(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name[:400],
            "url": self.url,
            "container": self.container,
            "quality": self.quality,
            "category": self.category and self.category[:200],
            "content_hash": self.hash,
            "added_at": self.added,
            "last_seen_sync": now,
            "removed_at": None,
            "updated_at": now,
        }


@dataclass(slots=True)
class SeriesIn:
    key: str
    name: str
    title: str
    year: int | None
    category: str | None
    last_modified: str | None
    tmdb_id: str | None = None
    poster: str | None = None
    plot: str | None = None
    genre: str | None = None
    rating: float | None = None
    hash: str = ""

    def seal(self) -> SeriesIn:
        self.hash = _hash(
            [
                self.name,
                self.title,
                self.year,
                self.category,
                self.tmdb_id,
                self.poster,
                self.plot,
                self.genre,
                self.rating,
            ]
        )
        return self

    def title_update(self, key: str) -> dict[str, Any]:
        return {
            "title": self.title[:400],
            "search_title": normalize(self.title)[:400],
            "match_key": key,
            "year": self.year,
            "category": self.category and self.category[:200],
            "genre": self.genre and self.genre[:200],
            "plot": self.plot,
            "rating": self.rating,
            "poster": self.poster,
        }

    def title_row(self, key: str, now: datetime) -> dict[str, Any]:
        return self.title_update(key) | {
            "tmdb_id": self.tmdb_id,
            "imdb_id": None,
            "info": None,
            "strm_dir": None,
            "removed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def source_values(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name[:400],
            "category": self.category and self.category[:200],
            "last_modified": self.last_modified and self.last_modified[:40],
            "content_hash": self.hash,
            "last_seen_sync": now,
            "removed_at": None,
            "updated_at": now,
        }


@dataclass(slots=True)
class EpisodeIn:
    key: str
    season: int
    episode: int
    title: str | None
    url: str
    container: str | None
    plot: str | None = None
    air_date: str | None = None
    rating: float | None = None
    hash: str = ""

    def seal(self) -> EpisodeIn:
        self.hash = _hash(
            [
                self.season,
                self.episode,
                self.title,
                self.url,
                self.container,
                self.plot,
                self.air_date,
                self.rating,
            ]
        )
        return self

    def episode_update(self) -> dict[str, Any]:
        return {
            "title": self.title and self.title[:400],
            "plot": self.plot,
            "air_date": self.air_date and self.air_date[:20],
            "rating": self.rating,
        }

    def episode_row(self, series_id: int, now: datetime) -> dict[str, Any]:
        return self.episode_update() | {
            "series_id": series_id,
            "season": self.season,
            "episode": self.episode,
            "info": None,
            "strm_path": None,
            "strm_hash": None,
            "removed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def source_values(self, now: datetime) -> dict[str, Any]:
        return {
            "url": self.url,
            "container": self.container,
            "content_hash": self.hash,
            "last_seen_sync": now,
            "removed_at": None,
            "updated_at": now,
        }


def _parse_titles(name: str, title: str | None) -> tuple[ParsedTitle, str]:
    """An Xtream entry's parsed name, and its clean title (from ``title`` when it has one)."""
    parsed = parse_title(name)
    return parsed, parse_title(title).title if title else parsed.title


class VodSource:
    """What the sync asks of a provider; the M3U kind has everything after ``lists``."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self._episodes: dict[str, list[EpisodeIn]] = {}

    async def lists(self) -> tuple[list[MovieIn], list[SeriesIn]]:
        raise NotImplementedError

    async def episodes(self, keys: list[str], ctx: PipelineContext) -> dict[str, list[EpisodeIn]]:
        """Episodes of the given series; a series whose details failed is left out."""
        return {k: self._episodes[k] for k in keys if k in self._episodes}

    async def movie_details(self, movies: list[MovieIn], ctx: PipelineContext) -> None:
        return None


class XtreamVod(VodSource):
    def __init__(self, client: XtreamClient) -> None:
        super().__init__()
        self.client = client
        self.creds = (client.username, client._password)

    async def lists(self) -> tuple[list[MovieIn], list[SeriesIn]]:
        await self.client.authenticate()
        vod_cats = await self._categories("get_vod_categories")
        series_cats = await self._categories("get_series_categories")
        movies = [
            self._movie(s, vod_cats)
            for s in parse_vod_streams(await self.client.get("get_vod_streams"))
        ]
        series = [
            self._series(s, series_cats) for s in parse_series(await self.client.get("get_series"))
        ]
        return movies, series

    async def _categories(self, action: str) -> dict[str, str]:
        return {c.id: c.name for c in parse_categories(await self.client.get(action))}

    async def _detail(
        self, gate: asyncio.Semaphore, label: str, action: str, **params: Any
    ) -> tuple[bool, Any]:
        """One details call under ``gate``: (True, payload), or the failure noted and (False, None).

        One failing title must not fail the rest, so the error only goes into ``failures``.
        """
        async with gate:
            try:
                return True, await self.client.get(action, **params)
            except StrmlineError as exc:
                self.failures.append(f"{label}: {exc.message}")
                return False, None

    def _movie(self, stream: VodStream, categories: dict[str, str]) -> MovieIn:
        parsed, clean = _parse_titles(stream.name, stream.title)
        server = self.client.server
        return MovieIn(
            key=str(stream.stream_id),
            name=stream.name,
            title=clean,
            year=stream.year or parsed.year,
            url=movie_url(server, *self.creds, stream.stream_id, stream.container),
            container=stream.container,
            category=categories.get(stream.category_id) if stream.category_id else None,
            language=parsed.language,
            quality=parsed.quality,
            tmdb_id=stream.tmdb_id or parsed.tmdb_id,
            imdb_id=parsed.imdb_id,
            poster=stream.icon,
            rating=stream.rating,
            added=stream.added,
        ).seal()

    def _series(self, item: SeriesItem, categories: dict[str, str]) -> SeriesIn:
        parsed, clean = _parse_titles(item.name, item.title)
        return SeriesIn(
            key=str(item.series_id),
            name=item.name,
            title=clean,
            year=item.year or parsed.year,
            category=categories.get(item.category_id) if item.category_id else None,
            last_modified=item.last_modified,
            tmdb_id=item.tmdb_id or parsed.tmdb_id,
            poster=item.cover,
            plot=item.plot,
            genre=item.genre,
            rating=item.rating,
        ).seal()

    async def episodes(self, keys: list[str], ctx: PipelineContext) -> dict[str, list[EpisodeIn]]:
        gate = asyncio.Semaphore(ctx.settings.vod.series_info_concurrency)
        out: dict[str, list[EpisodeIn]] = {}
        done = 0

        async def one(key: str) -> None:
            nonlocal done
            ok, payload = await self._detail(
                gate, f"series {key}", "get_series_info", series_id=key
            )
            if not ok:
                return
            info = parse_series_info(payload)
            server = self.client.server
            out[key] = [
                EpisodeIn(
                    key=str(ep.id),
                    season=ep.season,
                    episode=ep.episode,
                    title=ep.title,
                    url=series_url(server, *self.creds, ep.id, ep.container),
                    container=ep.container,
                    plot=ep.plot,
                    air_date=ep.air_date,
                    rating=ep.rating,
                ).seal()
                for ep in info.episodes
            ]
            done += 1
            if done % 50 == 0:
                await ctx.report(done, len(keys), f"series details: {done:,}/{len(keys):,}")

        await asyncio.gather(*(one(k) for k in keys))
        return out

    async def movie_details(self, movies: list[MovieIn], ctx: PipelineContext) -> None:
        if not ctx.settings.vod.fetch_movie_info:
            return
        gate = asyncio.Semaphore(ctx.settings.vod.series_info_concurrency)

        async def one(movie: MovieIn) -> None:
            ok, payload = await self._detail(
                gate, f"movie {movie.key}", "get_vod_info", vod_id=movie.key
            )
            if not ok:
                return
            info = parse_vod_info(payload)
            movie.plot = info.plot or movie.plot
            movie.genre = info.genre or movie.genre
            movie.imdb_id = info.imdb_id or movie.imdb_id
            movie.tmdb_id = movie.tmdb_id or info.tmdb_id
            movie.seal()

        await asyncio.gather(*(one(m) for m in movies))


class M3uVod(VodSource):
    def __init__(self, provider: Provider, ctx: PipelineContext, client: Any) -> None:
        super().__init__()
        self.provider = provider
        self.client = client

    async def lists(self) -> tuple[list[MovieIn], list[SeriesIn]]:
        fetched = await fetch_m3u(
            self.client,
            [self.provider.url, *(self.provider.backup_urls or ())],
            user_agent=self.provider.user_agent,
        )
        movies: list[MovieIn] = []
        shows: dict[str, SeriesIn] = {}
        episodes: dict[str, list[EpisodeIn]] = defaultdict(list)
        for item in fetched.items:
            kind = looks_like_vod(item.name, item.group, item.url, dict(item.attrs))
            if kind is None:
                continue
            parsed = parse_title(item.name)
            if kind == "movie" or parsed.season is None or parsed.episode is None:
                movies.append(
                    MovieIn(
                        key=item.key,
                        name=item.name,
                        title=parsed.title,
                        year=parsed.year,
                        url=item.url,
                        container=_ext(item.url, DEFAULT_MOVIE_EXT),
                        category=item.group,
                        language=parsed.language,
                        quality=parsed.quality,
                        tmdb_id=parsed.tmdb_id,
                        imdb_id=parsed.imdb_id,
                        poster=item.logo,
                    ).seal()
                )
                continue
            # A playlist has no series ids: the normalised show name and year stand in for one.
            show_key = (
                "m3u:"
                + hashlib.blake2b(
                    f"{normalize(parsed.title)}|{parsed.year or ''}".encode(), digest_size=8
                ).hexdigest()
            )
            if show_key not in shows:
                shows[show_key] = SeriesIn(
                    key=show_key,
                    name=parsed.title,
                    title=parsed.title,
                    year=parsed.year,
                    category=item.group,
                    last_modified=None,
                    tmdb_id=parsed.tmdb_id,
                    poster=item.logo,
                )
            episodes[show_key].append(
                EpisodeIn(
                    key=item.key,
                    season=parsed.season,
                    episode=parsed.episode,
                    title=parsed.episode_title,
                    url=item.url,
                    container=_ext(item.url, DEFAULT_EPISODE_EXT),
                ).seal()
            )
        for key, show in shows.items():
            # The episode list itself plays the role of Xtream's last_modified.
            show.last_modified = _hash(sorted((e.key, e.hash) for e in episodes[key]))[:40]
            show.seal()
        self._episodes = dict(episodes)
        return movies, list(shows.values())


@asynccontextmanager
async def open_source(provider: Provider, ctx: PipelineContext) -> AsyncIterator[VodSource]:
    async with ctx.http_client() as client:
        if provider.kind == "xtream":
            yield XtreamVod(xtream_client(provider, client))
        else:
            yield M3uVod(provider, ctx, client)

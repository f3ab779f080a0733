"""Fetch: one provider's VOD lists, Xtream movies/series (+ details) or the VOD entries of an M3U.

Both provider kinds end up as the same rows (:mod:`.items`), each with a content hash, so the
later stages only ever diff and write. Details are fetched with a semaphore: a panel with 2,000 series
must not see 2,000 requests at once, and one failing series must not fail the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

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
from strmline.pipelines.vod.items import EpisodeIn, MovieIn, SeriesIn, content_hash
from strmline.providers.base import LiveItem
from strmline.providers.http import FetchLimits
from strmline.providers.local import LocalFiles
from strmline.providers.m3u import fetch_m3u
from strmline.providers.xtream import XtreamClient
from strmline.services.providers import xtream_client

__all__ = ["VodSource", "is_vod_entry", "open_source"]


def is_vod_entry(item: LiveItem) -> bool:
    """True for playlist entries that are movies or episodes, not live channels.

    The live sync leaves these entries to the VOD sync for M3U providers with
    ``Provider.vod_detect`` on.
    """
    return looks_like_vod(item.name, item.group, item.url, dict(item.attrs)) is not None


def _ext(url: str, default: str) -> str:
    tail = urlsplit(url).path.rsplit("/", 1)[-1]
    ext = tail.rsplit(".", 1)[-1].lower() if "." in tail else ""
    return ext if ext.isalnum() and len(ext) <= 5 else default


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
            for s in parse_vod_streams(
                await self.client.get("get_vod_streams", count_key=b'"stream_id"')
            )
        ]
        series = [
            self._series(s, series_cats)
            for s in parse_series(await self.client.get("get_series", count_key=b'"series_id"'))
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
        self.limits = download_limits(ctx)
        self.local_files = LocalFiles.from_settings(ctx.settings)

    async def lists(self) -> tuple[list[MovieIn], list[SeriesIn]]:
        fetched = await fetch_m3u(
            self.client,
            [self.provider.url, *(self.provider.backup_urls or ())],
            user_agent=self.provider.user_agent,
            limits=self.limits,
            local_files=self.local_files,
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
            show.last_modified = content_hash(sorted((e.key, e.hash) for e in episodes[key]))[:40]
            show.seal()
        self._episodes = dict(episodes)
        return movies, list(shows.values())


def download_limits(ctx: PipelineContext) -> FetchLimits:
    """Every list download bounded as the live sync's are (bytes, bombs, entries, time)."""
    settings = ctx.settings
    return FetchLimits(
        max_bytes=settings.sync.max_download_mb * 1_000_000,
        max_ratio=settings.http.max_compression_ratio,
        max_entries=settings.sync.max_entries,
        max_seconds=settings.http.max_seconds,
    )


@asynccontextmanager
async def open_source(provider: Provider, ctx: PipelineContext) -> AsyncIterator[VodSource]:
    async with ctx.http_client() as client:
        if provider.kind == "xtream":
            xtream = xtream_client(provider, client)
            xtream.limits = download_limits(ctx)
            yield XtreamVod(xtream)
        else:
            yield M3uVod(provider, ctx, client)

"""The VOD sync against the fake provider, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import VodEpisode, VodMovie, VodMovieSource, VodSeries, VodSeriesSource
from strmline.demo import FakeProviderServer
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.vod import is_vod_entry, sync_vod
from strmline.providers.base import LiveItem
from strmline.services import providers as provider_service
from tests.dbutil import StatementCounter


def make_ctx(
    factory: async_sessionmaker[AsyncSession], tmp_path: Path, **strm: object
) -> PipelineContext:
    settings = Settings(
        data_dir=tmp_path,
        sync={"batch_size": 500},
        http={"timeout": 5, "connect_timeout": 2},
        vod={"series_info_concurrency": 4, "strm_after_sync": False},
        strm=strm,
    )
    return PipelineContext(session_factory=factory, settings=settings)


async def add_xtream(factory, server: FakeProviderServer, user: str = "acme") -> int:  # type: ignore[no-untyped-def]
    spec = provider_service.ProviderCreate(
        name=f"xc-{user}",
        kind="xtream",
        url=server.url,
        username=user,
        password=server.account(user).password,
    )
    async with session_scope(factory) as session:
        return (await provider_service.create(session=session, spec=spec)).id


async def add_m3u(factory, server: FakeProviderServer, user: str = "acme") -> int:  # type: ignore[no-untyped-def]
    spec = provider_service.ProviderCreate(
        name=f"m3u-{user}", kind="m3u", url=server.get_php_url(user, type="m3u_plus")
    )
    async with session_scope(factory) as session:
        return (await provider_service.create(session=session, spec=spec)).id


async def count(factory, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with factory() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_xtream_movies_and_series(session_factory, engine, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_xtream(session_factory, fake_provider)
    cat = fake_provider.catalog  # acme's catalog is the default account
    result = await sync_vod(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert await count(session_factory, VodMovie) == len(
        fake_provider.account("acme").catalog.movies
    )
    assert await count(session_factory, VodSeries) == len(
        fake_provider.account("acme").catalog.series
    )
    acme = fake_provider.account("acme").catalog
    episodes = sum(1 for _ in acme.iter_episodes())
    assert await count(session_factory, VodEpisode) == episodes
    assert fake_provider.stats.api_calls("get_series_info") == len(acme.series)
    async with session_factory() as s:
        matrix = (
            await s.execute(select(VodMovie).where(VodMovie.title == "The Matrix"))
        ).scalar_one()
        assert matrix.year == 1999
        urls = (await s.scalars(select(VodMovieSource.url))).all()
        assert all("/movie/acme/secret/" in u for u in urls)
    del cat

    # Unchanged: no details fetched again, no write statement.
    fake_provider.stats.reset()
    with StatementCounter(engine) as counter:
        again = await sync_vod(ctx, provider_id=pid)
    assert again.status == "unchanged", again.message
    writes = [
        s for s in counter.statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert fake_provider.stats.api_calls("get_series_info") == 0

    # One new episode: only that series' details are fetched.
    show = next(iter(acme.series.values()))
    acme.add_episode(show.series_id, 1, title="Bonus")
    acme.remove_movie(next(iter(acme.movies)))
    fake_provider.stats.reset()
    third = await sync_vod(ctx, provider_id=pid)
    assert third.status == "ok"
    assert fake_provider.stats.api_calls("get_series_info") == 1
    assert third.episodes_added == 1 and third.movies_removed == 1
    assert await count(session_factory, VodMovie, VodMovie.removed_at.is_not(None)) == 1


async def test_two_providers_share_movies(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(session_factory, tmp_path)
    a = await add_xtream(session_factory, fake_provider, "acme")
    b = await add_xtream(session_factory, fake_provider, "globex")
    assert (await sync_vod(ctx, provider_id=a)).status == "ok"
    assert (await sync_vod(ctx, provider_id=b)).status == "ok"
    movies = len(fake_provider.account("acme").catalog.movies)
    assert await count(session_factory, VodMovie) == movies
    assert await count(session_factory, VodMovieSource) == 2 * movies


async def test_m3u_vod_entries(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    result = await sync_vod(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    acme = fake_provider.account("acme").catalog
    assert await count(session_factory, VodMovie) == len(acme.movies)
    assert await count(session_factory, VodSeries) == len(acme.series)
    assert await count(session_factory, VodEpisode) == sum(1 for _ in acme.iter_episodes())
    assert (await sync_vod(ctx, provider_id=pid)).status == "unchanged"


async def test_empty_and_shrunk_lists_are_refused(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_xtream(session_factory, fake_provider)
    assert (await sync_vod(ctx, provider_id=pid)).status == "ok"
    acme = fake_provider.account("acme").catalog
    before = await count(session_factory, VodMovie, VodMovie.removed_at.is_(None))
    for key in list(acme.movies)[: len(acme.movies) - 2]:
        acme.remove_movie(key)
    for key in list(acme.series):
        acme.remove_series(key)
    refused = await sync_vod(ctx, provider_id=pid)
    assert refused.status == "refused", refused.message
    assert await count(session_factory, VodMovie, VodMovie.removed_at.is_(None)) == before


def test_is_vod_entry() -> None:
    def item(name: str, url: str, group: str | None = None) -> LiveItem:
        return LiveItem("k", name, url, group, None, None, None, None, {}, {})

    assert is_vod_entry(item("EN - The Matrix (1999)", "http://h/movie/u/p/1.mp4"))
    assert is_vod_entry(item("Dark S01E02", "http://h/series/u/p/2.mkv"))
    assert is_vod_entry(item("Heat (1995)", "http://h/files/heat.mkv"))
    assert is_vod_entry(item("Heat", "http://h/x/1", group="VOD | Action"))
    assert is_vod_entry(item("Dark S01E02", "http://h/x/2"))
    assert not is_vod_entry(item("US: ESPN HD", "http://h/live/u/p/1.ts", group="US: Sports"))
    assert not is_vod_entry(item("HBO Movies", "http://h/live/u/p/2.ts", group="Movie Channels"))


async def tmdb_ids(factory, model) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    async with factory() as s:
        rows = await s.execute(select(model.title, model.tmdb_id).where(model.removed_at.is_(None)))
        return {title: tmdb for title, tmdb in rows}


async def test_a_later_source_fills_missing_ids(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An M3U source (no ids) synced before the Xtream one (ids) must not leave the shared
    titles untagged, and a later change on the M3U side must not erase what Xtream taught."""
    ctx = make_ctx(session_factory, tmp_path)
    acme = fake_provider.account("acme").catalog
    # What the Xtream lists carry (they leave the id out of some entries, as real panels do).
    async with httpx.AsyncClient(timeout=5) as http:
        vod = (await http.get(fake_provider.api_url("acme", action="get_vod_streams"))).json()
        shows = (await http.get(fake_provider.api_url("acme", action="get_series"))).json()
    want_movies = {
        acme.movies[int(i["stream_id"])].title: str(i["tmdb"]) for i in vod if i.get("tmdb")
    }
    want_series = {
        acme.series[int(i["series_id"])].title: str(i["tmdb"]) for i in shows if i.get("tmdb")
    }
    assert len(want_movies) >= 10 and len(want_series) >= 3

    m3u = await add_m3u(session_factory, fake_provider)
    assert (await sync_vod(ctx, provider_id=m3u)).status == "ok"
    xtream = await add_xtream(session_factory, fake_provider)
    assert (await sync_vod(ctx, provider_id=xtream)).status == "ok"

    movies = await tmdb_ids(session_factory, VodMovie)
    series = await tmdb_ids(session_factory, VodSeries)
    assert len(movies) == len(acme.movies) and len(series) == len(acme.series)  # one title each
    assert {t: i for t, i in movies.items() if i} == want_movies
    assert {t: i for t, i in series.items() if i} == want_series

    # Every M3U source changes (as after a provider-side edit): its title updates carry no ids
    # and must leave the known ones alone.
    async with session_scope(session_factory) as s:
        await s.execute(
            update(VodMovieSource)
            .where(VodMovieSource.provider_id == m3u)
            .values(content_hash="changed")
        )
        await s.execute(
            update(VodSeriesSource)
            .where(VodSeriesSource.provider_id == m3u)
            .values(content_hash="changed")
        )
    again = await sync_vod(ctx, provider_id=m3u)
    assert again.status == "ok" and again.movies_updated == len(acme.movies)
    assert {t: i for t, i in (await tmdb_ids(session_factory, VodMovie)).items() if i} == (
        want_movies
    )
    assert {t: i for t, i in (await tmdb_ids(session_factory, VodSeries)).items() if i} == (
        want_series
    )

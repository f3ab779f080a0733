"""VOD syncs against a panel's bad data: one show listed twice must not crash the sync, and one
provider's failure must never cost another provider its movies and series."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import (
    VodEpisode,
    VodEpisodeSource,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)
from strmline.demo import FakeProviderServer
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.vod import vod_sync_job
from strmline.pipelines.vod.diff import refusal
from strmline.services import providers as provider_service

Factory = async_sessionmaker[AsyncSession]


def make_ctx(factory: Factory, tmp_path: Path) -> PipelineContext:
    settings = Settings(
        data_dir=tmp_path,
        http={"timeout": 5, "connect_timeout": 2},
        vod={"series_info_concurrency": 4, "strm_after_sync": False},
    )
    return PipelineContext(session_factory=factory, settings=settings)


async def add_xtream(factory: Factory, server: FakeProviderServer, user: str) -> int:
    spec = provider_service.ProviderCreate(
        name=f"xc-{user}",
        kind="xtream",
        url=server.url,
        username=user,
        password=server.account(user).password,
    )
    async with session_scope(factory) as session:
        return (await provider_service.create(session=session, spec=spec)).id


async def count(factory: Factory, column: object, *where: object) -> int:
    async with factory() as s:
        stmt = select(func.count()).select_from(column).where(*where)  # type: ignore[arg-type]
        return int(await s.scalar(stmt) or 0)


async def test_a_show_listed_twice_syncs_and_spares_the_other_provider(
    session_factory: Factory, fake_provider: FakeProviderServer, tmp_path: Path
) -> None:
    acme_id = await add_xtream(session_factory, fake_provider, "acme")
    globex_id = await add_xtream(session_factory, fake_provider, "globex")
    acme = fake_provider.account("acme").catalog
    show = next(iter(acme.series.values()))
    twin_id = max(acme.series) + 1
    # "EN - Breaking Bad (2008)" and "4K - Breaking Bad (2008)": same title and year, two ids.
    acme.series[twin_id] = dataclasses.replace(
        show, series_id=twin_id, name=f"4K - {show.title} ({show.year})", episodes=None
    )

    out = await vod_sync_job(make_ctx(session_factory, tmp_path))
    by_id = {p["provider_id"]: p for p in out["providers"]}
    assert by_id[acme_id]["status"] == "ok", by_id[acme_id]["message"]
    assert by_id[globex_id]["status"] == "ok", by_id[globex_id]["message"]
    assert out["failed"] == 0

    # One series (the same show) with two of acme's sources.
    titles = await count(session_factory, VodSeries, VodSeries.title == show.title)
    assert titles == 1
    assert await count(
        session_factory, VodSeriesSource, VodSeriesSource.provider_id == acme_id
    ) == (len(acme.series))
    assert await count(session_factory, VodMovieSource, VodMovieSource.provider_id == globex_id) > 0
    # Each episode of the show is one episode with two sources (one per listing).
    episodes = sum(1 for _ in acme.iter_episodes())
    twin_episodes = sum(len(eps) for eps in acme.episodes_of(twin_id).values())
    assert twin_episodes > 0
    assert await count(session_factory, VodEpisode) == episodes - twin_episodes
    acme_sources = VodEpisodeSource.provider_id == acme_id
    assert await count(session_factory, VodEpisodeSource, acme_sources) == episodes


def test_vod_guards_refuse_growth_and_duplicates_like_a_shrink() -> None:
    sync = Settings().sync
    assert refusal(1000, 1000, sync, False) is None
    assert refusal(0, 1000, sync, True) is not None  # empty is never accepted
    shrunk = refusal(100, 1000, sync, False)
    assert shrunk is not None and "fewer than 50%" in shrunk[1]
    grown = refusal(100_000, 1000, sync, False)
    assert grown is not None and grown[0] == "refused" and "10x the 1,000 stored" in grown[1]
    assert refusal(40_000, 1000, sync, False) is None  # within growth_min_entries more
    dups = refusal(1000, 1000, sync, False, duplicates=600)
    assert dups is not None and "600 of the 1,000" in dups[1]
    assert refusal(100_000, 1000, sync, True, duplicates=90_000) is None  # --force

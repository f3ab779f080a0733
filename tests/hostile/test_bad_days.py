"""A provider's bad day changes nothing: a real sync and a real guide import against the hostile
server (tests/hostile/server.py), on SQLite and PostgreSQL.

Each bad day is refused in under 10 s with one line naming the URL and the reason, and the
previous good channels (or guide) stay exactly as they were.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import EpgProgramme, EpgSource, Provider, Stream
from strmline.pipelines import epg
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from strmline.services import epg_sources
from strmline.services import providers as provider_service
from tests.hostile.server import (
    GOOD_ENTRIES,
    GUIDE_CHANNELS,
    GUIDE_HOURS,
    HostileServer,
    guide_bomb,
    gzip_bomb,
    newline_bomb,
)

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    # The bombs take a few seconds to compress; that is not the time a refusal may take.
    gzip_bomb(), newline_bomb(), guide_bomb()
    with HostileServer() as server:
        yield server


@pytest.fixture
def server(hostile: HostileServer) -> HostileServer:
    hostile.day = hostile.guide_day = hostile.xtream_day = "good"
    hostile.drip_seconds = 4.0
    return hostile


def make_ctx(factory: Factory, tmp_path: Path, **http: Any) -> PipelineContext:
    settings = Settings(
        data_dir=tmp_path,
        sync={"batch_size": 1000},
        # The overall deadline is what stops a drip; the default (600 s) is for real links.
        http={"timeout": 5, "connect_timeout": 2, "max_seconds": 4, **http},
    )
    return PipelineContext(session_factory=factory, settings=settings)


async def add_m3u(factory: Factory, url: str, **kw: Any) -> int:
    spec = provider_service.ProviderCreate(name="hostile", kind="m3u", url=url, **kw)
    async with session_scope(factory) as session:
        return (await provider_service.create(session=session, spec=spec)).id


async def live_streams(factory: Factory) -> list[tuple[str, str]]:
    async with factory() as s:
        rows = await s.execute(
            select(Stream.name, Stream.url).where(Stream.removed_at.is_(None)).order_by(Stream.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def provider_row(factory: Factory, pid: int) -> Provider:
    async with factory() as s:
        provider = await s.get(Provider, pid)
        assert provider is not None
        return provider


async def good_sync(factory: Factory, ctx: PipelineContext, url: str) -> int:
    pid = await add_m3u(factory, url)
    first = await sync_provider(ctx, provider_id=pid)
    assert first.status == "ok", first.message
    assert first.entries == GOOD_ENTRIES
    return pid


BAD_M3U_DAYS: dict[str, str | tuple[str, ...]] = {
    # day: words the one-line reason must contain
    "endless": "entries",
    "drip": "longer than 4 s",
    # Refused by whichever limit trips first: the ratio, or 10x the last good count.
    "gzip_bomb": ("compression bomb", "10x the last good sync's 2,000"),
    "gzip_bomb_encoded": ("compression bomb", "10x the last good sync's 2,000"),
    "newline_bomb": "compression bomb",
    "cut_off": "cut off",
    "duplicate_bomb": "repeat an earlier entry",
}


@pytest.mark.parametrize("day", sorted(BAD_M3U_DAYS))
async def test_bad_playlist_day_changes_nothing(
    session_factory: Factory, server: HostileServer, tmp_path: Path, day: str
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    url = f"{server.url}/provider.m3u"
    pid = await good_sync(session_factory, ctx, url)
    before = await live_streams(session_factory)
    assert len(before) == GOOD_ENTRIES

    server.day = day
    started = time.monotonic()
    result = await sync_provider(ctx, provider_id=pid)
    elapsed = time.monotonic() - started

    assert result.status in ("failed", "refused"), result.message
    assert elapsed < 10, f"{day} took {elapsed:.1f} s"
    assert "\n" not in result.message
    expected = BAD_M3U_DAYS[day]
    words = (expected,) if isinstance(expected, str) else expected
    assert any(w in result.message for w in words), result.message
    assert url in result.message or f"{server.url}/provider.m3u" in str(result.attempts), (
        result.message
    )
    assert await live_streams(session_factory) == before
    provider = await provider_row(session_factory, pid)
    assert provider.last_good_entries == GOOD_ENTRIES
    assert provider.last_sync_status == result.status
    assert provider.last_sync_message == result.message


async def test_forced_sync_accepts_a_cut_list_without_its_partial_entry(
    session_factory: Factory, server: HostileServer, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await good_sync(session_factory, ctx, f"{server.url}/provider.m3u")
    server.day = "cut_off"
    result = await sync_provider(ctx, provider_id=pid, force=True)
    assert result.status == "ok", result.message
    streams = await live_streams(session_factory)
    assert 0 < len(streams) < GOOD_ENTRIES
    # The entry whose URL was cut is not among them.
    assert all(url.endswith(".ts") for _, url in streams)


async def test_a_grown_list_within_reason_is_accepted(
    session_factory: Factory, server: HostileServer, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, f"{server.url}/days/good.m3u?n=200")
    assert (await sync_provider(ctx, provider_id=pid)).status == "ok"
    async with session_scope(session_factory) as s:
        provider = await s.get(Provider, pid)
        assert provider is not None
        provider.url = f"{server.url}/days/good.m3u?n={GOOD_ENTRIES}"
    # 10x the last count, but within growth_min_entries more: a bigger provider, not a bomb.
    grown = await sync_provider(ctx, provider_id=pid)
    assert grown.status == "ok", grown.message
    assert grown.entries == GOOD_ENTRIES


async def test_absurd_growth_is_refused_like_a_shrink(
    session_factory: Factory, server: HostileServer, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        sync={"growth_guard": 3, "growth_min_entries": 100},
        http={"max_seconds": 8},
    )
    ctx = PipelineContext(session_factory=session_factory, settings=settings)
    pid = await add_m3u(session_factory, f"{server.url}/days/good.m3u?n=200")
    assert (await sync_provider(ctx, provider_id=pid)).status == "ok"
    async with session_scope(session_factory) as s:
        provider = await s.get(Provider, pid)
        assert provider is not None
        provider.url = f"{server.url}/days/good.m3u?n=1000"
    refused = await sync_provider(ctx, provider_id=pid)
    assert refused.status in ("failed", "refused")
    assert "3x the last good sync's 200" in refused.message, refused.message
    assert len(await live_streams(session_factory)) == 200
    forced = await sync_provider(ctx, provider_id=pid, force=True)
    assert forced.status == "ok", forced.message
    assert len(await live_streams(session_factory)) == 1000


async def test_one_bad_url_costs_one_entry(
    session_factory: Factory, server: HostileServer, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, f"{server.url}/days/bad_values.m3u")
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert result.entries == GOOD_ENTRIES


async def test_non_ascii_user_agent_does_not_fail_the_sync(
    session_factory: Factory, server: HostileServer, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(
        session_factory, f"{server.url}/days/good.m3u?n=50", user_agent="Tivimate/4.7 (Café)"
    )
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert result.entries == 50


@pytest.mark.parametrize(
    ("day", "words"),
    [("endless", "10x the last good sync's 2,000"), ("duplicate_bomb", "repeat an earlier entry")],
)
async def test_bad_xtream_day_changes_nothing(
    session_factory: Factory, server: HostileServer, tmp_path: Path, day: str, words: str
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    spec = provider_service.ProviderCreate(
        name="hostile-xc", kind="xtream", url=server.url, username="u", password="p4ssw0rd"
    )
    async with session_scope(session_factory) as session:
        pid = (await provider_service.create(session=session, spec=spec)).id
    first = await sync_provider(ctx, provider_id=pid)
    assert first.status == "ok", first.message
    before = await live_streams(session_factory)
    assert len(before) == GOOD_ENTRIES

    server.xtream_day = day
    started = time.monotonic()
    result = await sync_provider(ctx, provider_id=pid)
    assert time.monotonic() - started < 10
    assert result.status in ("failed", "refused"), result.message
    assert words in result.message and server.url in result.message, result.message
    assert "p4ssw0rd" not in result.message
    assert "\n" not in result.message
    assert await live_streams(session_factory) == before


# --- guides ----------------------------------------------------------------------------------


async def guide_source(factory: Factory, url: str) -> int:
    async with factory() as session, session.begin():
        return (await epg_sources.create(session=session, url=url)).id


async def programme_count(factory: Factory) -> int:
    async with factory() as s:
        return int(await s.scalar(select(func.count()).select_from(EpgProgramme)) or 0)


BAD_GUIDE_DAYS = {
    "no_programmes": "no programmes",
    "expired": "none on air now",
    "short": "fewer than 50%",
    "bomb": "compression bomb",
    "drip": "longer than 4 s",
}


@pytest.mark.parametrize("day", sorted(BAD_GUIDE_DAYS))
async def test_bad_guide_day_keeps_the_previous_guide(
    session_factory: Factory, server: HostileServer, tmp_path: Path, day: str
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    url = f"{server.url}/guide.xml"
    sid = await guide_source(session_factory, url)
    first = await epg.import_source(ctx, source_id=sid)
    assert first.status == "ok", first.message
    good = await programme_count(session_factory)
    assert good == GUIDE_CHANNELS * GUIDE_HOURS

    server.guide_day = day
    started = time.monotonic()
    result = await epg.import_source(ctx, source_id=sid)
    elapsed = time.monotonic() - started
    assert result.status in ("failed", "refused"), result.message
    assert elapsed < 10, f"{day} took {elapsed:.1f} s"
    assert "\n" not in result.message
    assert BAD_GUIDE_DAYS[day] in result.message, result.message
    assert url in result.message, result.message
    assert await programme_count(session_factory) == good
    async with session_factory() as s:
        source = await s.get(EpgSource, sid)
        assert source is not None
        assert source.programme_count == good

    forced = await epg.import_source(ctx, source_id=sid, force=True)
    if day in ("no_programmes", "expired", "short"):
        assert forced.status == "ok", forced.message  # force accepts what the guard refused


async def test_one_invalid_character_reference_costs_nothing_but_itself(
    session_factory: Factory, server: HostileServer, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    sid = await guide_source(session_factory, f"{server.url}/days/bad_char.xml")
    result = await epg.import_source(ctx, source_id=sid)
    assert result.status == "ok", result.message
    assert await programme_count(session_factory) == GUIDE_CHANNELS * GUIDE_HOURS
    async with session_factory() as s:
        titles = set((await s.scalars(select(EpgProgramme.title))).all())
    assert "Bad \ufffd title" in titles

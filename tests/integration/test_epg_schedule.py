"""The guide keeps itself current: scheduled imports once per cluster, imports after a sync
found a guide, and claims given back when an import is already running."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import create_engine, make_session_factory, session_scope
from strmline.db.models import Channel, EpgSource, Provider, Setting
from strmline.demo import FakeProviderServer
from strmline.jobs import records
from strmline.jobs.events import LocalEventBus
from strmline.jobs.runtime import JobRuntime
from strmline.jobs.schedule import Scheduler, guide_lock_key
from strmline.services import providers as provider_service
from tests.helpers import wait_for_job


def _runtime(
    factory: async_sessionmaker[AsyncSession], tmp_path: Path, *, run_jobs: bool = False, **kw: Any
) -> JobRuntime:
    rt = JobRuntime(
        Settings(data_dir=tmp_path, redis_url=None),
        session_factory=factory,
        bus=LocalEventBus(),
        backend="local",
        progress_interval=0.2,
        cancel_poll=0.05,
        **kw,
    )
    if not run_jobs:  # record the jobs only: what fired is the question, not what they do
        rt.runner.submit = lambda job_id: None  # type: ignore[method-assign,assignment,return-value]
    return rt


def _source(name: str, **values: Any) -> EpgSource:
    return EpgSource(
        name=name,
        kind="file",
        url=f"/nonexistent/{name}.xml",
        auto=False,
        channel_count=0,
        programme_count=0,
        **values,
    )


async def _locks(factory: async_sessionmaker[AsyncSession]) -> list[str]:
    async with factory() as session:
        keys = await session.scalars(select(Setting.key).where(Setting.key.like("lock:%epg:%")))
        return list(keys)


async def test_due_guides_are_imported_once_per_cluster(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with session_scope(session_factory) as s:
        sources = [
            _source("never imported"),
            _source("imported just now, default daily cron", last_import_at=now),
            _source("interval due", refresh_minutes=60, last_import_at=now - timedelta(minutes=61)),
            _source("interval not due", refresh_minutes=60, last_import_at=now),
            _source(
                "own cron due", refresh_cron="* * * * *", last_import_at=now - timedelta(minutes=5)
            ),
            _source("disabled", enabled=False),
            _source(
                "requested after its import",
                last_import_at=now - timedelta(minutes=1),
                import_requested_at=now - timedelta(seconds=5),
            ),
        ]
        s.add_all(sources)
        await s.flush()
        expected = {sources[i].id for i in (0, 2, 4, 6)}

    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    runtimes = [
        _runtime(session_factory, tmp_path),
        _runtime(make_session_factory(other_engine), tmp_path, worker="other:2"),
    ]
    try:
        schedulers = [Scheduler(rt, tick_seconds=1) for rt in runtimes]
        first = await asyncio.gather(*(sc.tick() for sc in schedulers))
        again = await asyncio.gather(*(sc.tick() for sc in schedulers))
    finally:
        for rt in runtimes:
            await rt.close()
        await other_engine.dispose()

    fired = [job for jobs in first for job in jobs if job.kind == "epg_import"]
    assert len(fired) == 1, fired  # one job for all of them: imports lock the one resource "epg"
    assert set(fired[0].args["source_ids"]) == expected and fired[0].trigger == "schedule"
    assert [j for jobs in again for j in jobs if j.kind == "epg_import"] == []
    assert len(await _locks(session_factory)) == len(expected)


async def test_a_running_import_gives_the_claims_back_for_the_next_tick(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with session_scope(session_factory) as s:
        source = _source("new")
        s.add(source)
        await s.flush()
        running = await records.create(
            session=s, kind="epg_import", args={}, resource="epg", trigger="api"
        )
    rt = _runtime(session_factory, tmp_path)
    try:
        scheduler = Scheduler(rt, tick_seconds=1)
        assert [j for j in await scheduler.tick() if j.kind == "epg_import"] == []
        assert await _locks(session_factory) == []  # not lost until the next slot
        async with session_scope(session_factory) as s:
            await records.finish(session=s, job_id=running.id, state="succeeded")
        fired = [j for j in await scheduler.tick() if j.kind == "epg_import"]
        assert [j.args["source_ids"] for j in fired] == [[source.id]]
    finally:
        await rt.close()


async def test_a_sync_that_finds_a_guide_gets_it_imported_and_matched(
    fake_provider: FakeProviderServer,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    async with session_scope(session_factory) as s:
        spec = provider_service.ProviderCreate(
            name="acme", kind="m3u", url=fake_provider.playlist_url("acme")
        )
        pid = (await provider_service.create(session=s, spec=spec)).id
    rt = _runtime(session_factory, tmp_path, run_jobs=True)
    try:
        scheduler = Scheduler(rt, tick_seconds=1)
        # The sync is what learns the playlist's x-tvg-url.
        sync = await rt.run_inline("sync", {"provider_id": pid}, trigger="api")
        assert sync.state == "succeeded", sync.error
        jobs = [j for j in await scheduler.tick() if j.kind == "epg_import"]
        assert len(jobs) == 1
        job = await wait_for_job(rt, jobs[0].id, seconds=60)
        assert job.state == "succeeded", job.error
        async with session_factory() as s:
            source = (await s.scalars(select(EpgSource))).one()
            linked = await s.scalar(select(func.count()).where(Channel.epg_channel_id.is_not(None)))
        assert source.auto and source.provider_id == pid and source.last_status == "ok"
        assert source.programme_count > 0 and linked and job.result["matched"] == linked
        assert [j for j in await scheduler.tick() if j.kind == "epg_import"] == []

        # The provider's guide moves: the source is re-pointed and imported again at once.
        async with session_scope(session_factory) as s:
            await s.execute(
                update(Provider)
                .where(Provider.id == pid)
                .values(epg_url=fake_provider.epg_url("acme", gz=True))
            )
        jobs = [j for j in await scheduler.tick() if j.kind == "epg_import"]
        assert [j.args["source_ids"] for j in jobs] == [[source.id]]
        assert (await wait_for_job(rt, jobs[0].id, seconds=60)).state == "succeeded"
    finally:
        await rt.close()
    assert guide_lock_key(1, datetime(2026, 12, 2, 4, 0, 5, tzinfo=UTC)) == (
        "lock:schedule:epg:1:2026-12-02T04:00:05.000000Z"
    )


def test_cli_add_imports_and_remove_rematches(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from strmline.formats.xmltv import channel_element, programme_element

    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for name in ("a", "b"):
        (tmp_path / f"{name}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n'
            + channel_element("news.test", ["News"], None)
            + programme_element("news.test", start, start + timedelta(hours=1), f"From {name}")
            + "</tv>\n"
        )
    env = dict(os.environ, STRMLINE_DATA_DIR=str(tmp_path / "data"), NO_COLOR="1")
    env.pop("STRMLINE_DATABASE_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "strmline", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    cli("db", "upgrade")

    async def add_channel() -> None:
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'strmline.db'}")
        async with session_scope(make_session_factory(eng)) as s:
            s.add(
                Channel(
                    name="News",
                    search_name="news",
                    match_key="news",
                    tvg_id="news.test",
                    enabled=True,
                    stream_count=1,
                    active_stream_count=1,
                )
            )
        await eng.dispose()

    asyncio.run(add_channel())
    assert "ok" in cli("epg", "add", str(tmp_path / "a.xml")).stdout  # imported at once
    cli("epg", "add", str(tmp_path / "b.xml"))
    assert "From a" in cli("epg", "now").stdout  # the first source, at equal priority
    cli("epg", "remove", "1")
    assert "From b" in cli("epg", "now").stdout  # re-matched at once, no import needed

"""Job records, the in-process runner, progress events, cancel, and the scheduler, on both DBs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import create_engine, make_session_factory, session_scope
from strmline.db.models import Job, Provider, Setting
from strmline.errors import Conflict, NotFound, ProviderUnavailable
from strmline.jobs import records, registry
from strmline.jobs.events import LocalEventBus
from strmline.jobs.runtime import JobRuntime
from strmline.jobs.schedule import Scheduler, due_slot, lock_key, next_run
from strmline.pipelines.context import PipelineContext
from tests.dbutil import StatementCounter
from tests.helpers import wait_for_job

# -- job kinds only these tests use ---------------------------------------------------------------


async def echo(ctx: PipelineContext, **args: Any) -> dict[str, Any]:
    return {"args": args, "job_id": ctx.job_id}


async def count_to(ctx: PipelineContext, *, n: int, pause: float = 0.0) -> dict[str, Any]:
    for i in range(1, n + 1):
        await ctx.report(i, n, f"item {i}")
        await asyncio.sleep(pause)
    return {"n": n}


async def wait_for_cancel(ctx: PipelineContext, **_: Any) -> dict[str, Any]:
    for i in range(2000):
        await ctx.report(i, None, "waiting")
        await asyncio.sleep(0.01)
    return {"cancelled": False}


async def provider_down(ctx: PipelineContext, **_: Any) -> dict[str, Any]:
    raise ProviderUnavailable("connection refused", source="http://127.0.0.1:9")


async def crash(ctx: PipelineContext, **_: Any) -> dict[str, Any]:
    raise ValueError("boom")


def _lock(args: dict[str, Any]) -> str | None:
    return f"test:{args['key']}" if "key" in args else None


for _kind, _fn in {
    "test.echo": echo,
    "test.count": count_to,
    "test.wait": wait_for_cancel,
    "test.down": provider_down,
    "test.crash": crash,
}.items():
    registry.register(_kind, _fn, resource=_lock, replace=True)


# -- fixtures --------------------------------------------------------------------------------------


def _runtime(
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    bus: LocalEventBus | None = None,
    **kw: Any,
) -> JobRuntime:
    return JobRuntime(
        Settings(data_dir=tmp_path, redis_url=None),
        session_factory=session_factory,
        bus=bus or LocalEventBus(),
        backend="local",
        progress_interval=kw.pop("progress_interval", 0.2),
        cancel_poll=0.05,
        **kw,
    )


@pytest.fixture
async def runtime(session_factory: async_sessionmaker[AsyncSession], tmp_path: Path) -> Any:
    rt = _runtime(session_factory, tmp_path)
    try:
        yield rt
    finally:
        await rt.close()


async def _set(
    session_factory: async_sessionmaker[AsyncSession], job_id: int, **values: Any
) -> None:
    async with session_scope(session_factory) as s:
        await s.execute(update(Job).where(Job.id == job_id).values(**values))


# -- records ---------------------------------------------------------------------------------------


async def test_second_active_job_for_a_resource_is_a_conflict_naming_the_first(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(session_factory) as s:
        first = await records.create(
            session=s, kind="test.echo", args={}, resource="r:1", trigger="api"
        )
    with pytest.raises(Conflict) as info:
        async with session_scope(session_factory) as s:
            await records.create(
                session=s, kind="test.echo", args={}, resource="r:1", trigger="api"
            )
    assert info.value.message == "already running"
    assert info.value.details == {"job_id": first.id}

    async with session_scope(session_factory) as s:
        # Other resources and unlocked jobs are independent; a finished job frees its resource.
        await records.create(session=s, kind="test.echo", args={}, resource="r:2", trigger="api")
        await records.create(session=s, kind="test.echo", args={}, resource=None, trigger="api")
        await records.create(session=s, kind="test.echo", args={}, resource=None, trigger="api")
        await records.mark_running(session=s, job_id=first.id, worker="w")
        await records.finish(session=s, job_id=first.id, state="succeeded", result={})
    async with session_scope(session_factory) as s:
        again = await records.create(
            session=s, kind="test.echo", args={}, resource="r:1", trigger="api"
        )
    assert again.state == "queued" and again.id != first.id


async def test_stale_jobs_are_failed_so_a_crashed_worker_never_blocks_a_resource(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    old = datetime.now(UTC) - timedelta(minutes=10)
    async with session_scope(session_factory) as s:
        running = await records.create(
            session=s, kind="test.echo", args={}, resource="r:run", trigger="api"
        )
        queued = await records.create(
            session=s, kind="test.echo", args={}, resource="r:queue", trigger="api"
        )
        fresh = await records.create(
            session=s, kind="test.echo", args={}, resource="r:fresh", trigger="api"
        )
        await records.mark_running(session=s, job_id=running.id, worker="dead:1")
        await records.mark_running(session=s, job_id=fresh.id, worker="alive:1")
    await _set(session_factory, running.id, heartbeat_at=old)
    await _set(session_factory, queued.id, created_at=datetime.now(UTC) - timedelta(hours=2))

    async with session_scope(session_factory) as s:
        await records.create(session=s, kind="test.echo", args={}, resource="r:run", trigger="api")
        await records.create(
            session=s, kind="test.echo", args={}, resource="r:queue", trigger="api"
        )
    with pytest.raises(Conflict):
        async with session_scope(session_factory) as s:
            await records.create(
                session=s, kind="test.echo", args={}, resource="r:fresh", trigger="api"
            )

    async with session_scope(session_factory) as s:
        for job_id in (running.id, queued.id):
            job = await records.get(session=s, job_id=job_id)
            assert (job.state, job.error) == ("failed", records.INTERRUPTED)
            assert job.finished_at is not None
        assert (await records.get(session=s, job_id=fresh.id)).state == "running"


async def test_a_running_job_whose_worker_died_can_be_claimed_again_but_a_live_one_cannot(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(session_factory) as s:
        job = await records.create(
            session=s, kind="test.echo", args={}, resource=None, trigger="api"
        )
        assert await records.mark_running(session=s, job_id=job.id, worker="a:1") is not None
        assert await records.mark_running(session=s, job_id=job.id, worker="b:2") is None
    await _set(session_factory, job.id, heartbeat_at=datetime.now(UTC) - timedelta(minutes=5))
    async with session_scope(session_factory) as s:
        claimed = await records.mark_running(session=s, job_id=job.id, worker="b:2")
    assert claimed is not None and claimed.worker == "b:2"


async def test_list_recent_filters_and_pages(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(session_factory) as s:
        ids = [
            (await records.create(session=s, kind=k, args={}, resource=None, trigger="api")).id
            for k in ("test.echo", "test.count", "test.echo")
        ]
        await records.request_cancel(session=s, job_id=ids[0])
    async with session_scope(session_factory) as s:
        assert [j.id for j in await records.list_recent(session=s, limit=2)] == [ids[2], ids[1]]
        page2 = await records.list_recent(session=s, limit=2, before_id=ids[1])
        assert [j.id for j in page2] == [ids[0]]
        echo_jobs = await records.list_recent(session=s, kinds=["test.echo"], states=["queued"])
        assert [j.id for j in echo_jobs] == [ids[2]]
        with pytest.raises(NotFound):
            await records.get(session=s, job_id=999_999)


# -- runtime ---------------------------------------------------------------------------------------


async def test_local_runner_runs_a_registered_job(runtime: JobRuntime) -> None:
    job = await runtime.submit("test.echo", {"x": 1}, trigger="api")
    assert job.state == "queued"
    await runtime.runner.join()
    done = await runtime.get(job.id)
    assert done.state == "succeeded", done.error
    assert done.result == {"args": {"x": 1}, "job_id": job.id}
    assert done.worker == runtime.worker_name
    assert done.started_at and done.finished_at and done.finished_at >= done.started_at


async def test_progress_writes_are_throttled_and_events_reach_subscribers(
    engine: AsyncEngine, runtime: JobRuntime
) -> None:
    hook_calls: list[tuple[int, int | None, str | None]] = []
    async with runtime.bus.subscribe() as events:
        with StatementCounter(engine) as counter:
            loop = asyncio.get_running_loop()
            started = loop.time()
            job = await runtime.run_inline(
                "test.count", {"n": 60, "pause": 0.01}, report_hook=lambda *a: hook_calls.append(a)
            )
            elapsed = loop.time() - started
        received = []
        while True:
            event = await asyncio.wait_for(events.get(), 2)
            received.append(event)
            if event["type"] == "job.finished":
                break

    assert job.state == "succeeded"
    assert (job.progress, job.total, job.message) == (60, 60, "item 60")
    assert len(hook_calls) == 60 and hook_calls[-1] == (60, 60, "item 60")

    progress_writes = [s for s in counter.statements if s.startswith("UPDATE jobs SET progress")]
    budget = elapsed / 0.2 + 2
    assert 1 <= len(progress_writes) <= budget, (len(progress_writes), elapsed)

    types = [e["type"] for e in received]
    assert types[0] == "job.queued" and types[-1] == "job.finished"
    progress_events = [e for e in received if e["type"] == "job.progress"]
    assert 1 <= len(progress_events) <= budget
    assert all(e["job_id"] == job.id and e["kind"] == "test.count" for e in progress_events)
    assert received[-1] == {
        "type": "job.finished",
        "job_id": job.id,
        "kind": "test.count",
        "state": "succeeded",
        "result": {"n": 60},
        "error": None,
    }


async def test_slow_subscribers_lose_their_oldest_events_not_the_newest() -> None:
    bus = LocalEventBus()
    async with bus.subscribe(maxsize=3) as events:
        for i in range(10):
            await bus.publish({"type": "job.progress", "progress": i})
        assert events.dropped == 7
        assert [(await events.get())["progress"] for _ in range(3)] == [7, 8, 9]
    await bus.publish({"type": "job.progress", "progress": 10})  # no subscriber: no error


async def test_failures_are_recorded_with_a_readable_error(runtime: JobRuntime) -> None:
    down = await runtime.run_inline("test.down", {})
    assert down.state == "failed"
    assert down.error == "http://127.0.0.1:9: connection refused"
    crashed = await runtime.run_inline("test.crash", {})
    assert crashed.state == "failed"
    assert crashed.error == "internal error: ValueError: boom"
    assert crashed.finished_at is not None
    with pytest.raises(NotFound):
        await runtime.submit("test.no-such-kind", {})


async def test_cancel_a_queued_and_a_running_job(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    rt = _runtime(session_factory, tmp_path, concurrency=1)
    try:
        running = await rt.submit("test.wait", {"key": "a"})
        queued = await rt.submit("test.wait", {"key": "b"})
        await wait_for_job(rt, running.id, states={"running"}, seconds=10, interval=0.02)

        cancelled = await rt.cancel(queued.id)
        assert cancelled.state == "cancelled"  # at once: it never started

        assert (await rt.cancel(running.id)).state == "running"  # asked; stops at its next report
        await rt.runner.join()
        done = await rt.get(running.id)
        assert (done.state, done.error) == ("cancelled", "cancelled on request")
        assert (await rt.get(queued.id)).started_at is None
        finished = await rt.run_inline("test.echo", {})
        with pytest.raises(Conflict):
            await rt.cancel(finished.id)
    finally:
        await rt.close()


async def test_cancel_reaches_a_job_running_in_another_process_through_the_bus(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    shared = LocalEventBus()  # stands in for Redis, which the Celery tests cover
    worker = _runtime(session_factory, tmp_path, bus=shared)
    api = _runtime(session_factory, tmp_path, bus=shared)
    try:
        job = await api.create("test.wait", {}, trigger="api")
        task = asyncio.create_task(worker.execute(job.id))
        await wait_for_job(api, job.id, states={"running"}, seconds=10, interval=0.02)
        await api.cancel(job.id)
        done = await asyncio.wait_for(task, 10)
        assert done.state == "cancelled"
        assert not await shared.cancel_requested(job.id)  # flag cleared once honoured
    finally:
        await worker.close()
        await api.close()


async def test_executing_a_job_that_is_not_queued_does_nothing(runtime: JobRuntime) -> None:
    job = await runtime.run_inline("test.echo", {"n": 1})
    again = await runtime.execute(job.id)  # a redelivered Celery message, say
    assert again.state == "succeeded" and again.finished_at == job.finished_at


# -- scheduler -------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 7, 30, tzinfo=UTC)


def _slot(
    last: datetime | None, minutes: int | None = None, cron: str | None = None
) -> datetime | None:
    return due_slot(
        last_sync_at=last, refresh_minutes=minutes, refresh_cron=cron, default_minutes=720, now=NOW
    )


def test_interval_due_computation() -> None:
    assert _slot(NOW - timedelta(minutes=59), 60) is None
    assert _slot(NOW - timedelta(minutes=60), 60) == NOW
    # a failed sync leaves last_sync_at alone: the next slot comes one interval later, not every tick
    last = NOW - timedelta(minutes=150)
    assert _slot(last, 60) == last + timedelta(minutes=120)
    assert _slot(NOW - timedelta(hours=11), None) is None  # the 720-minute default
    assert _slot(NOW - timedelta(hours=12), None) == NOW
    never = _slot(None, 60)
    assert never == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # the current period: same everywhere


def test_cron_due_computation() -> None:
    cron = "0 */6 * * *"  # 00:00, 06:00, 12:00, 18:00
    assert _slot(datetime(2026, 3, 10, 12, 0, 5, tzinfo=UTC), cron=cron) is None
    assert _slot(datetime(2026, 3, 10, 7, 0, tzinfo=UTC), cron=cron) == datetime(
        2026, 3, 10, 12, 0, tzinfo=UTC
    )
    assert _slot(datetime(2026, 3, 9, 1, 0, tzinfo=UTC), cron=cron) == datetime(
        2026, 3, 10, 12, 0, tzinfo=UTC
    )
    assert _slot(None, cron=cron) == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert due_slot(
        last_sync_at=datetime(2026, 3, 10, 6, 0, tzinfo=UTC),
        refresh_minutes=None,
        refresh_cron=cron,
        default_minutes=720,
        now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
    ) == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a fire time exactly now counts
    assert next_run(
        last_sync_at=datetime(2026, 3, 10, 12, 0, 5, tzinfo=UTC),
        refresh_minutes=None,
        refresh_cron=cron,
        default_minutes=720,
        now=NOW,
    ) == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert (
        lock_key(7, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
        == "lock:schedule:sync:7:2026-03-10T12:00Z"
    )


async def test_two_schedulers_ticking_at_once_fire_each_due_sync_once(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with session_scope(session_factory) as s:
        providers = [
            Provider(name="never synced", kind="m3u", url="http://127.0.0.1:9/a.m3u"),
            Provider(
                name="recent",
                kind="m3u",
                url="http://127.0.0.1:9/b.m3u",
                last_sync_at=now,
                refresh_minutes=60,
            ),
            Provider(
                name="cron due",
                kind="m3u",
                url="http://127.0.0.1:9/c.m3u",
                refresh_cron="* * * * *",
                last_sync_at=now - timedelta(minutes=5),
            ),
            Provider(name="disabled", kind="m3u", url="http://127.0.0.1:9/d.m3u", enabled=False),
            Provider(
                name="interval due",
                kind="m3u",
                url="http://127.0.0.1:9/e.m3u",
                refresh_minutes=30,
                last_sync_at=now - timedelta(minutes=31),
            ),
        ]
        s.add_all(providers)
        await s.flush()
        expected = {providers[0].id, providers[2].id, providers[4].id}
        s.add(
            Setting(
                key="lock:schedule:sync:0:2000-01-01T00:00Z",
                value={},
                updated_at=now - timedelta(days=3),
            )
        )

    # A second "process": its own engine and pool on the same database.
    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    runtimes = [
        _runtime(session_factory, tmp_path),
        _runtime(make_session_factory(other_engine), tmp_path, worker="other:2"),
    ]
    for rt in runtimes:
        rt.runner.submit = lambda job_id: None  # type: ignore[method-assign,assignment,return-value]
    try:
        schedulers = [Scheduler(rt, tick_seconds=1) for rt in runtimes]
        first = await asyncio.gather(*(sc.tick() for sc in schedulers))
        again = await asyncio.gather(*(sc.tick() for sc in schedulers))
    finally:
        for rt in runtimes:
            await rt.close()
        await other_engine.dispose()

    fired = [job for jobs in first for job in jobs]
    assert sorted(job.args["provider_id"] for job in fired) == sorted(expected)
    assert all(job.kind == "sync" and job.trigger == "schedule" for job in fired)
    assert again == [[], []]
    async with session_scope(session_factory) as s:
        assert len(await records.list_recent(session=s, kinds=["sync"])) == 3
        keys = [
            k
            for k in (
                await s.scalars(Setting.__table__.select().with_only_columns(Setting.key))
            ).all()
        ]
    assert "lock:schedule:sync:0:2000-01-01T00:00Z" not in keys  # pruned
    assert sum(k.startswith("lock:schedule:sync:") for k in keys) == 3


def test_guide_due_computation() -> None:
    from strmline.config import EpgSettings
    from strmline.jobs.schedule import guide_slot

    daily = EpgSettings()  # refresh_cron "0 4 * * *"

    def slot(last: datetime | None, **kw: Any) -> datetime | None:
        kw.setdefault("requested_at", None)
        kw.setdefault("refresh_minutes", None)
        kw.setdefault("refresh_cron", None)
        kw.setdefault("epg", daily)
        return guide_slot(last_import_at=last, now=NOW, **kw)

    four = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    assert slot(None) == four  # never imported: due at once, in the current daily slot
    assert slot(four + timedelta(minutes=5)) is None
    assert slot(four - timedelta(hours=1)) == four
    assert slot(NOW - timedelta(minutes=61), refresh_minutes=60) is not None  # own interval
    assert slot(NOW - timedelta(minutes=59), refresh_minutes=60) is None
    assert slot(NOW - timedelta(minutes=2), refresh_cron="* * * * *") is not None
    asked = NOW - timedelta(seconds=3)
    assert slot(NOW - timedelta(minutes=1), requested_at=asked) == asked
    assert slot(NOW, requested_at=asked) is None  # imported since the request
    every_6h = EpgSettings(refresh_cron=None, refresh_minutes=360)
    assert slot(NOW - timedelta(hours=5), epg=every_6h) is None
    assert slot(NOW - timedelta(hours=6), epg=every_6h) == NOW

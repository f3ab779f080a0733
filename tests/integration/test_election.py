"""The embedded runner election: one process runs jobs and the scheduler, the others hand over.

Two runtimes on one database and one data dir stand for two ``serve --workers`` processes (the
lock is a ``flock``, which two open files of one process contend for just like two processes).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.jobs import registry
from strmline.jobs.election import Election, JobRowRelay, RunnerLock, elect
from strmline.jobs.events import LocalEventBus
from strmline.jobs.runtime import JobRuntime
from strmline.jobs.schedule import Scheduler
from strmline.pipelines.context import PipelineContext
from tests.helpers import wait_for_job

RAN: list[tuple[int, str]] = []


async def note(ctx: PipelineContext, *, who: str = "") -> dict[str, Any]:
    RAN.append((ctx.job_id or 0, who))
    for i in range(1, 4):
        await ctx.report(i, 3, f"step {i}")
        await asyncio.sleep(0.05)
    return {"ok": True}


async def linger(ctx: PipelineContext) -> dict[str, Any]:
    for i in range(400):
        await ctx.report(i, None, "lingering")  # each report is a cancellation point
        await asyncio.sleep(0.05)
    return {"cancelled": False}


registry.register("test.note", note, replace=True)
registry.register("test.linger", linger, replace=True)


def _runtime(factory: async_sessionmaker[AsyncSession], tmp_path: Path, name: str) -> JobRuntime:
    return JobRuntime(
        Settings(data_dir=tmp_path, redis_url=None),
        session_factory=factory,
        bus=LocalEventBus(),
        worker=name,
        progress_interval=0.05,
    )


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    one, two = RunnerLock(tmp_path / "runner.lock"), RunnerLock(tmp_path / "runner.lock")
    assert one.try_acquire() and one.held
    assert not two.try_acquire() and not two.held
    assert one.holder() is not None
    one.release()
    assert two.try_acquire()
    two.release()


async def test_one_runner_runs_every_job_and_a_follower_takes_over(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    RAN.clear()
    first = _runtime(session_factory, tmp_path, "first:1")
    second = _runtime(session_factory, tmp_path, "second:2")
    elections: list[Election] = []
    try:
        a = await elect(first, Scheduler(first, tick_seconds=3600), tmp_path)
        elections.append(a)
        b = Election(
            second,
            Scheduler(second, tick_seconds=3600),
            RunnerLock(tmp_path / "runner.lock"),
            retry_seconds=0.1,
        )
        await b.start()
        elections.append(b)
        assert a.is_runner and not b.is_runner
        assert a.scheduler.running and not b.scheduler.running

        # Submitted in the follower: recorded there, run by the runner.
        events = second.bus.subscribe()
        async with events:
            handed = [await second.submit("test.note", {"who": "b"}) for _ in range(3)]
            own = await first.submit("test.note", {"who": "a"})
            for job in [*handed, own]:
                done = await wait_for_job(first, job.id, seconds=20)
                assert done.state == "succeeded" and done.worker == "first:1", done
            # The follower's own bus hears of the handed-over jobs' end (the row relay).
            finished: set[int] = set()
            while not {j.id for j in handed} <= finished:
                event = await asyncio.wait_for(events.get(), 10)
                if event["type"] == "job.finished":
                    finished.add(int(event["job_id"]))
        assert sorted(RAN) == sorted([(j.id, "b") for j in handed] + [(own.id, "a")])

        # A job run inline (the CLI) is its caller's: the runner never races it for the row.
        inline = await second.create("test.note", {"who": "cli"}, trigger="cli")
        await asyncio.sleep(a.pickup_seconds * 3)
        assert (await second.get(inline.id)).state == "queued"
        ran = await second.execute(inline.id)
        assert ran.state == "succeeded" and ran.worker == "second:2"

        # Cancelled from the follower while it runs in the runner: the request crosses over.
        long = await second.submit("test.linger")
        await wait_for_job(second, long.id, states=("running",), seconds=20)
        await second.cancel(long.id)
        stopped = await wait_for_job(second, long.id, seconds=20)
        assert stopped.state == "cancelled" and stopped.worker == "first:1", stopped

        # The runner goes away: the follower takes the lock, the scheduler and the queue.
        await a.close()
        elections.remove(a)
        for _ in range(100):
            if b.is_runner:
                break
            await asyncio.sleep(0.05)
        assert b.is_runner and b.scheduler.running
        later = await second.submit("test.note", {"who": "b2"})
        done = await wait_for_job(second, later.id, seconds=20)
        assert done.state == "succeeded" and done.worker == "second:2"
    finally:
        for election in elections:
            await election.close()
        await first.close()
        await second.close()


async def test_relay_reports_changes_once(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    runner = _runtime(session_factory, tmp_path, "runner:1")
    watcher = _runtime(session_factory, tmp_path, "watcher:2")
    relay = JobRowRelay(watcher, interval=0.05)
    try:
        assert await relay.poll() == 0  # the first look only learns what is there
        async with watcher.bus.subscribe() as events:
            job = await runner.run_inline("test.note", {"who": "relay"})
            assert job.state == "succeeded"
            assert await relay.poll() == 1
            assert await relay.poll() == 0  # nothing new: nothing sent again
            event = await asyncio.wait_for(events.get(), 5)
        assert event["type"] == "job.finished" and event["job_id"] == job.id
        assert event["state"] == "succeeded"
    finally:
        await runner.close()
        await watcher.close()

"""One stale-job rule: a silent job is stale only when its runner is gone, so a stalled sync is
never run twice, a dead one is taken over, and a stalled run that was declared interrupted
anyway stops without writing."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Job, Provider, Stream
from strmline.errors import Conflict
from strmline.jobs import records
from strmline.jobs.liveness import Beacon, Liveness, beacon_key, process_alive, worker_name
from strmline.jobs.runtime import JobRuntime
from strmline.jobs.schedule import Scheduler
from strmline.services import providers as provider_service
from tests.helpers import wait_for_job

STALE = 0.5  # seconds of silence after which the old rule declared a job dead
ENTRIES = 50


class StallingProvider:
    """An M3U server that sends half the playlist, then waits for :meth:`release`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.requests = 0
        body = "#EXTM3U\n" + "".join(
            f'#EXTINF:-1 tvg-id="c{i}.tv",Channel {i}\nhttp://127.0.0.1:9/{i}.ts\n'
            for i in range(ENTRIES)
        )
        data = body.encode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                outer.gate.wait(30)
                self.wfile.write(data[len(data) // 2 :])

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tv.m3u"

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def stalling() -> Iterator[StallingProvider]:
    server = StallingProvider()
    server.thread.start()
    try:
        yield server
    finally:
        server.release()
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
async def provider_id(
    session_factory: async_sessionmaker[AsyncSession], stalling: StallingProvider
) -> int:
    async with session_scope(session_factory) as s:
        spec = provider_service.ProviderCreate(name="stalls", kind="m3u", url=stalling.url)
        return (await provider_service.create(session=s, spec=spec)).id


@pytest.fixture
async def frozen_runtime(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[JobRuntime]:
    """Its jobs stop beating once started: only the heartbeat interval is changed (progress
    writes, which also beat, are throttled to the same hour)."""
    settings = Settings(data_dir=tmp_path)
    async with JobRuntime(
        settings,
        session_factory=session_factory,
        stale_after=STALE,
        heartbeat_interval=3600,
        progress_interval=3600,
    ) as runtime:
        yield runtime


async def _sync_jobs(factory: async_sessionmaker[AsyncSession]) -> list[Job]:
    async with session_scope(factory) as s:
        return list((await s.scalars(select(Job).where(Job.kind == "sync").order_by(Job.id))).all())


async def _streams(factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_scope(factory) as s:
        return int(await s.scalar(select(func.count()).select_from(Stream)) or 0)


async def _silent_past_threshold(runtime: JobRuntime, job_id: int) -> None:
    job = await wait_for_job(runtime, job_id, states=["running"], seconds=30)
    assert job.state == "running", job
    while True:
        job = await runtime.get(job_id)
        assert job.heartbeat_at is not None
        if utcnow() - job.heartbeat_at > timedelta(seconds=STALE * 3):
            return
        await asyncio.sleep(0.1)


async def test_a_stalled_sync_is_not_declared_dead_and_no_second_copy_starts(
    session_factory: async_sessionmaker[AsyncSession],
    stalling: StallingProvider,
    provider_id: int,
    frozen_runtime: JobRuntime,
    tmp_path: Path,
) -> None:
    first = await frozen_runtime.submit("sync", {"provider_id": provider_id})
    await _silent_past_threshold(frozen_runtime, first.id)

    # This process asks again: the job is one of its live tasks.
    with pytest.raises(Conflict):
        await frozen_runtime.submit("sync", {"provider_id": provider_id})
    # Another process on this host (another runtime under another name) asks, and its
    # scheduler sweeps: the first process is alive, so the job is too.
    other = JobRuntime(
        Settings(data_dir=tmp_path),
        session_factory=session_factory,
        worker=f"{socket.gethostname()}:other",
        stale_after=STALE,
    )
    async with other:
        with pytest.raises(Conflict):
            await other.submit("sync", {"provider_id": provider_id})
        await Scheduler(other).tick()
        async with session_scope(session_factory) as s:
            job = await records.get(session=s, job_id=first.id)
            assert job.state == "running", job.error
        # A redelivered message for the same job does not take it over either.
        again = await other.execute(first.id)
        assert (again.state, again.worker) == ("running", frozen_runtime.worker_name)

    stalling.release()
    done = await wait_for_job(frozen_runtime, first.id, seconds=60)
    assert done.state == "succeeded", done.error
    assert [j.id for j in await _sync_jobs(session_factory)] == [first.id]
    assert stalling.requests == 1
    assert await _streams(session_factory) == ENTRIES


def _dead_pid() -> int:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(gone.stdout)


async def test_a_job_whose_process_is_gone_is_taken_over(
    session_factory: async_sessionmaker[AsyncSession],
    stalling: StallingProvider,
    provider_id: int,
    frozen_runtime: JobRuntime,
) -> None:
    dead_pid = _dead_pid()
    host = socket.gethostname()
    assert process_alive(f"{host}:{dead_pid}") is False
    # A pid that runs again, but started later: the process that had the job is gone.
    assert process_alive(f"{host}/1:{os.getpid()}") is False
    assert process_alive(worker_name()) is True
    assert process_alive(f"elsewhere.example:{os.getpid()}") is None

    old = utcnow() - timedelta(minutes=10)
    async with session_scope(session_factory) as s:
        dead_id = (
            await s.execute(
                insert(Job)
                .values(
                    kind="sync",
                    args={"provider_id": provider_id},
                    resource=f"provider:{provider_id}",
                    state="running",
                    trigger="api",
                    worker=f"{host}:{dead_pid}",
                    created_at=old,
                    started_at=old,
                    heartbeat_at=old,
                )
                .returning(Job.id)
            )
        ).scalar_one()

    stalling.release()
    second = await frozen_runtime.submit("sync", {"provider_id": provider_id})
    done = await wait_for_job(frozen_runtime, second.id, seconds=60)
    assert done.state == "succeeded", done.error
    dead = await frozen_runtime.get(dead_id)
    assert (dead.state, dead.error) == ("failed", records.INTERRUPTED)

    # A job under this process's own name that none of its tasks runs (a previous life of
    # the same pid) is dead as well.
    liveness = frozen_runtime.liveness
    assert await liveness.alive(dead_id, frozen_runtime.worker_name) is False


async def test_a_stalled_run_declared_interrupted_stops_without_writing(
    session_factory: async_sessionmaker[AsyncSession],
    stalling: StallingProvider,
    provider_id: int,
    frozen_runtime: JobRuntime,
) -> None:
    first = await frozen_runtime.submit("sync", {"provider_id": provider_id})
    await _silent_past_threshold(frozen_runtime, first.id)
    # Declared interrupted by a sweep that could not see the runner (silence alone).
    async with session_scope(session_factory) as s:
        swept = await records.fail_interrupted(
            session=s, older_than=timedelta(seconds=STALE), resource=f"provider:{provider_id}"
        )
    assert swept == [first.id]

    stalling.release()
    await frozen_runtime.runner.join()
    job = await frozen_runtime.get(first.id)
    assert (job.state, job.error) == ("failed", records.INTERRUPTED)
    assert await _streams(session_factory) == 0
    async with session_scope(session_factory) as s:
        provider = await s.get(Provider, provider_id)
        assert provider is not None
        assert provider.last_sync_status is None and provider.content_hash is None


REDIS_URL = os.environ.get("STRMLINE_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="STRMLINE_TEST_REDIS_URL not set: Redis tests skipped")
async def test_a_worker_on_another_host_is_alive_while_its_redis_key_is() -> None:
    assert REDIS_URL is not None
    prefix = f"strmline-test-live-{uuid.uuid4().hex[:10]}"
    worker = "elsewhere.example:4242"
    liveness = Liveness(worker="here:1", active=lambda: (), redis_url=REDIS_URL, prefix=prefix)
    assert await liveness.alive(1, worker) is False
    beacon = Beacon(REDIS_URL, beacon_key(prefix, worker), ttl=1.0, every=0.2)
    await asyncio.to_thread(beacon.start)
    try:
        await asyncio.sleep(1.5)  # longer than the key's life: the thread keeps it
        assert await liveness.alive(1, worker) is True
    finally:
        await asyncio.to_thread(beacon.close)
    assert await liveness.alive(1, worker) is False

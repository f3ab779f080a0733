"""A real Celery worker process runs jobs on one event loop, and honours cancel through Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from strmline.config import Settings
from strmline.db.engine import create_engine
from strmline.db.migrate import upgrade
from strmline.jobs.runtime import JobRuntime
from tests.helpers import wait_for_job

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"
REDIS_URL = os.environ.get(REDIS_ENV)

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason=f"{REDIS_ENV} not set: Celery tests skipped"),
]


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Redis key prefix of this run only; every key under it is deleted afterwards."""
    value = f"strmline-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("STRMLINE_JOBS__REDIS_PREFIX", value)
    yield value
    client = redis.Redis.from_url(REDIS_URL or "")
    try:
        keys = list(client.scan_iter(match=f"{value}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'celery.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


@pytest.fixture
def worker(tmp_path: Path, db_url: str, prefix: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "STRMLINE_DATABASE_URL": db_url,
        "STRMLINE_REDIS_URL": REDIS_URL or "",
        "STRMLINE_DATA_DIR": str(tmp_path),
        "STRMLINE_JOBS__REDIS_PREFIX": prefix,
    }
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "strmline.jobs.celery_app", "worker",
            "--pool=solo", "--queues=strmline", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the task, dispose the runtime
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    assert proc.returncode == 0, (tmp_path / "worker.log").read_text()[-3000:]


@pytest.fixture
async def runtime(tmp_path: Path, db_url: str, prefix: str) -> AsyncIterator[JobRuntime]:
    settings = Settings(data_dir=tmp_path, database_url=db_url, redis_url=REDIS_URL)
    rt = JobRuntime(settings, backend="celery", cancel_poll=0.1)
    try:
        yield rt
    finally:
        await rt.close()


async def test_worker_runs_every_job_on_one_event_loop_in_one_process(
    worker: subprocess.Popen[bytes], runtime: JobRuntime
) -> None:
    async with runtime.bus.subscribe() as events:
        first = await runtime.submit("noop", {"steps": 2}, trigger="api")
        second = await runtime.submit("noop", {"steps": 2}, trigger="api")
        done = [
            await wait_for_job(runtime, job.id, states=("succeeded", "failed"), seconds=60)
            for job in (first, second)
        ]
        finished: dict[int, dict[str, Any]] = {}
        async with asyncio.timeout(10):
            while len(finished) < 2:
                event = await events.get()
                if event["type"] == "job.finished":
                    finished[event["job_id"]] = event

    assert [job.state for job in done] == ["succeeded", "succeeded"], [job.error for job in done]
    a, b = (job.result or {} for job in done)
    assert a["pid"] == b["pid"] == worker.pid != os.getpid()
    assert a["loop"] == b["loop"]
    assert done[0].worker == done[1].worker and done[0].worker.endswith(f":{worker.pid}")  # type: ignore[union-attr]
    assert {e["state"] for e in finished.values()} == {"succeeded"}  # events crossed Redis


async def test_a_running_job_on_a_worker_is_cancelled_through_redis(
    worker: subprocess.Popen[bytes], runtime: JobRuntime
) -> None:
    job = await runtime.submit("noop", {"seconds": 20, "steps": 200}, trigger="api")
    await wait_for_job(runtime, job.id, states=("running",), seconds=60)
    await runtime.cancel(job.id)
    done = await wait_for_job(
        runtime, job.id, states=("cancelled", "succeeded", "failed"), seconds=60
    )
    assert (done.state, done.error) == ("cancelled", "cancelled on request")


async def test_a_sync_runs_end_to_end_on_a_celery_worker(
    worker: subprocess.Popen[bytes], runtime: JobRuntime, fake_provider: Any
) -> None:
    from sqlalchemy import func, select

    from strmline.db.engine import session_scope
    from strmline.db.models import Stream
    from strmline.services import providers as provider_service

    async with session_scope(runtime.session_factory) as session:
        spec = provider_service.ProviderCreate(
            name="acme", kind="m3u", url=fake_provider.playlist_url("acme")
        )
        provider = await provider_service.create(session=session, spec=spec)
    job = await runtime.submit("sync", {"provider_id": provider.id}, trigger="api")
    done = await wait_for_job(runtime, job.id, states=("succeeded", "failed"), seconds=60)
    assert done.state == "succeeded", done.error
    assert done.result and done.result["status"] == "ok"
    assert done.worker and done.worker.endswith(f":{worker.pid}")
    async with runtime.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Stream))
    assert count == len(fake_provider.account("acme").catalog.live)

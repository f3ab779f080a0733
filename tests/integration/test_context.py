"""The composition root (jobs/context.py) and the job watcher (jobs/watch.py).

Every process opens the same context; what a test checks here is what a process relies on: saved
settings in force from the start, the signing key loaded, one session factory shared with the job
runtime, and a finished job handed once to every handler, including a job that finished in a
Celery worker process (its event crosses Redis) so this API process drops its cached lists.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from fastapi import FastAPI

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db import secrets as db_secrets
from strmline.db.engine import create_engine, session_scope
from strmline.db.migrate import upgrade
from strmline.db.models.system import Job
from strmline.jobs.context import open_context
from strmline.jobs.events import LocalEventBus
from strmline.jobs.watch import JobWatcher
from strmline.services import settings as settings_store
from tests.helpers import wait_for_job

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"
REDIS_URL = os.environ.get(REDIS_ENV)


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'context.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


def _settings(tmp_path: Path, url: str, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=url, secret_key=None, **kw)  # type: ignore[arg-type]


async def test_a_context_has_the_saved_settings_the_key_and_one_database(
    tmp_path: Path, db_url: str
) -> None:
    async with (
        open_context(_settings(tmp_path, db_url), role="cli") as first,
        session_scope(first.session_factory) as session,
    ):
        await settings_store.save(
            session=session, changes={"sync": {"default_interval_minutes": 91}}
        )
    settings = _settings(tmp_path, db_url)
    assert settings.sync.default_interval_minutes != 91
    async with open_context(settings, role="serve") as ctx:
        assert ctx.settings is settings
        assert settings.sync.default_interval_minutes == 91  # saved values over the environment's
        assert settings.secret_key is not None and db_secrets.has_key()
        assert ctx.runtime.session_factory is ctx.session_factory
        assert ctx.runtime.settings_watch is ctx.settings_watch
        assert ctx.bus is ctx.runtime.bus
        assert (await ctx.http()) is (await ctx.http())  # one pool for the process
        assert settings.source_root.is_dir()  # serve makes the local sources folder


async def test_a_job_that_finishes_is_handed_once_to_every_handler(
    tmp_path: Path, db_url: str
) -> None:
    seen: list[tuple[str, int, str]] = []

    async def broken(job: Job) -> None:
        raise RuntimeError("a handler that fails")

    async def first(job: Job) -> None:
        seen.append(("first", job.id, job.state))

    async def second(job: Job) -> None:
        seen.append(("second", job.id, job.state))

    async with open_context(_settings(tmp_path, db_url), role="serve") as ctx:
        ctx.watcher.on_finished(broken)
        ctx.watcher.on_finished(first)
        forget = ctx.watcher.on_finished(second)
        await asyncio.wait_for(ctx.watcher.listening.wait(), 5)
        job = await ctx.runtime.submit("noop", {"steps": 2}, trigger="api")
        await wait_for_job(ctx.runtime, job.id, states=("succeeded",))
        async with asyncio.timeout(5):
            while len(seen) < 2:
                await asyncio.sleep(0.02)
        forget()
        other = await ctx.runtime.submit("noop", {"steps": 1}, trigger="api")
        await wait_for_job(ctx.runtime, other.id, states=("succeeded",))
        async with asyncio.timeout(5):
            while len(seen) < 3:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
    assert seen == [
        ("first", job.id, "succeeded"),
        ("second", job.id, "succeeded"),
        ("first", other.id, "succeeded"),
    ]


async def test_the_watcher_ignores_other_events_and_vanished_jobs(
    tmp_path: Path, db_url: str
) -> None:
    calls: list[int] = []

    async def handler(job: Job) -> None:
        calls.append(job.id)

    async with open_context(_settings(tmp_path, db_url), role="cli") as ctx:
        watcher = JobWatcher(LocalEventBus(), ctx.session_factory)
        watcher.on_finished(handler)
        await watcher.handle({"type": "job.progress", "job_id": 1})
        await watcher.handle({"type": "job.finished", "job_id": 123456})
    assert calls == []


# -- across processes: a Celery worker finishes the job, this API process reacts ---------------


@pytest.fixture
def prefix() -> Iterator[str]:
    if not REDIS_URL:
        pytest.skip(f"{REDIS_ENV} not set: the Celery worker test is skipped")
    value = f"strmline-test-{uuid.uuid4().hex[:10]}"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{value}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def celery_worker(tmp_path: Path, db_url: str, prefix: str) -> Iterator[subprocess.Popen[bytes]]:
    assert REDIS_URL
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STRMLINE_")},
        "STRMLINE_DATABASE_URL": db_url,
        "STRMLINE_REDIS_URL": REDIS_URL,
        "STRMLINE_DATA_DIR": str(tmp_path / "worker-data"),
        "STRMLINE_JOBS__REDIS_PREFIX": prefix,
        "STRMLINE_JOBS__BACKEND": "celery",
    }
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "strmline", "worker", "--pool", "solo", "--concurrency", "1"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
async def api_app(tmp_path: Path, db_url: str, prefix: str) -> AsyncIterator[FastAPI]:
    """An API process of the scaled setup, in this test's process: jobs go to Celery."""
    settings = _settings(
        tmp_path, db_url, redis_url=REDIS_URL, jobs={"backend": "celery", "redis_prefix": prefix}
    )
    app = create_app(settings, scheduler=False, migrate=False)
    async with app.router.lifespan_context(app):
        yield app


async def test_a_job_finished_in_a_celery_worker_drops_this_api_process_cached_lists(
    celery_worker: subprocess.Popen[bytes], api_app: FastAPI, tmp_path: Path
) -> None:
    ctx = api_app.state.context
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        return loads

    assert await ctx.cache.get_or_set("providers", "page", load, ttl=300) == 1
    assert await ctx.cache.get_or_set("providers", "page", load, ttl=300) == 1  # cached
    await asyncio.wait_for(ctx.watcher.listening.wait(), 5)
    job = await ctx.runtime.submit("noop", {"steps": 2}, trigger="api")
    done = await wait_for_job(ctx.runtime, job.id, states=("succeeded", "failed"), seconds=60)
    log = (tmp_path / "worker.log").read_text(errors="replace")[-2000:]
    assert done.state == "succeeded", log
    # It ran in the worker, not here: this process learnt of it through the Redis bus only.
    assert done.worker is not None and done.worker.endswith(f":{celery_worker.pid}"), log
    async with asyncio.timeout(5):
        while await ctx.cache.get_or_set("providers", "page", load, ttl=300) == 1:
            await asyncio.sleep(0.05)
    assert loads == 2

"""Two API processes on one database, as in the scaled setup: each in-process app has its own
data dir and its own Settings, like two `strmline serve` containers.

They must accept each other's tokens (one signing key, kept in the database when none is
configured), and a setting saved through one is in force in the other, and in a job runtime
(a worker), within seconds: by polling the settings version, or at once through Redis.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.api.app import create_app
from strmline.config import SECRET_FILE, Settings
from strmline.db.base import utcnow
from strmline.db.engine import create_engine, make_session_factory, session_scope
from strmline.db.models import Setting
from strmline.errors import ConfigError
from strmline.jobs import registry
from strmline.jobs.events import LocalEventBus
from strmline.jobs.runtime import JobRuntime
from strmline.pipelines.context import PipelineContext
from strmline.services import settings as settings_store
from strmline.services import settings_sync, signing_key
from tests.api.conftest import ADMIN
from tests.dbutil import StatementCounter

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"
# The settings page's default and a value no environment here sets.
CHANGED = {"sync": {"default_interval_minutes": 77}}


async def _report_interval(ctx: PipelineContext) -> dict[str, Any]:
    return {"minutes": ctx.settings.sync.default_interval_minutes}


registry.register("test.settings", _report_interval, replace=True)


def _settings(root: Path, name: str, url: str, **kw: Any) -> Settings:
    # Nothing configured for the key: each "process" would otherwise make its own.
    return Settings(data_dir=root / name, database_url=url, secret_key=None, **kw)


async def _start(stack: AsyncExitStack, settings: Settings) -> tuple[FastAPI, httpx.AsyncClient]:
    app = create_app(settings, scheduler=False, migrate=False)
    await stack.enter_async_context(app.router.lifespan_context(app))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    await stack.enter_async_context(client)
    return app, client


@pytest.fixture
async def two_apps(
    engine: AsyncEngine, migrated_url: str, tmp_path: Path
) -> AsyncIterator[list[tuple[FastAPI, httpx.AsyncClient]]]:
    async with AsyncExitStack() as stack:
        yield [await _start(stack, _settings(tmp_path, n, migrated_url)) for n in ("a", "b")]


async def _eventually(probe: Callable[[], Awaitable[Any]], seconds: float) -> float:
    """Seconds until ``probe()`` is truthy; fails after ``seconds``."""
    started = time.monotonic()
    while not await probe():
        assert time.monotonic() - started < seconds, f"not in force after {seconds} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/api/setup", json=ADMIN)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# -- one signing key ----------------------------------------------------------------------------


async def test_two_processes_accept_each_others_tokens(
    two_apps: list[tuple[FastAPI, httpx.AsyncClient]], tmp_path: Path
) -> None:
    (app_a, a), (app_b, b) = two_apps
    headers = await _admin_headers(a)
    assert (await b.get("/api/auth/me", headers=headers)).json()["username"] == ADMIN["username"]
    # And the other way round, refresh tokens included.
    tokens = (await b.post("/api/auth/login", json=ADMIN)).json()
    r = await a.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, r.text
    assert app_a.state.settings.get_secret_key() == app_b.state.settings.get_secret_key()
    # Nothing per process on disk any more.
    assert not await asyncio.to_thread(lambda: list(tmp_path.glob(f"*/{SECRET_FILE}")))


async def test_concurrent_first_starts_agree_on_one_key(migrated_url: str, tmp_path: Path) -> None:
    engines = [create_engine(migrated_url) for _ in range(6)]
    try:
        # A clean table, without the `engine` fixture's truncation racing these inserts.
        async with session_scope(make_session_factory(engines[0])) as s:
            await s.execute(delete(Setting).where(Setting.key == signing_key.KEY_ROW))
        keys = await asyncio.gather(
            *(
                signing_key.ensure(make_session_factory(e), _settings(tmp_path, f"p{i}", "x"))
                for i, e in enumerate(engines)
            )
        )
    finally:
        for e in engines:
            await e.dispose()
    assert len(set(keys)) == 1 and len(keys[0]) >= 32


async def test_a_legacy_key_file_becomes_the_shared_key(
    session_factory: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    old = _settings(tmp_path, "old", migrated_url)
    old.ensure_data_dir().joinpath(SECRET_FILE).write_text("legacy-key-" + "k" * 40 + "\n")
    assert await signing_key.ensure(session_factory, old) == "legacy-key-" + "k" * 40
    # A second process with another (older) file: the database's key wins, said in the log.
    other = _settings(tmp_path, "other", migrated_url)
    other.ensure_data_dir().joinpath(SECRET_FILE).write_text("another-key-" + "o" * 40)
    assert await signing_key.ensure(session_factory, other) == "legacy-key-" + "k" * 40
    # A configured key is used as it is and never stored.
    configured = Settings(
        data_dir=tmp_path / "env", database_url=migrated_url, secret_key="configured-" + "c" * 40
    )
    assert await signing_key.ensure(session_factory, configured) == "configured-" + "c" * 40


def test_no_key_is_made_up_per_process(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "x", "sqlite:///unused.db")
    with pytest.raises(ConfigError, match="STRMLINE_SECRET_KEY"):
        settings.get_secret_key()
    assert not (tmp_path / "x" / SECRET_FILE).exists()


# -- saved settings in every process ------------------------------------------------------------


async def test_a_setting_saved_on_one_process_is_in_force_on_the_other_and_in_jobs(
    two_apps: list[tuple[FastAPI, httpx.AsyncClient]],
    session_factory: async_sessionmaker[AsyncSession],
    migrated_url: str,
    tmp_path: Path,
) -> None:
    (_, a), (app_b, b) = two_apps
    headers = await _admin_headers(a)
    # A worker process: its own Settings and runtime, as `strmline worker` builds them.
    worker = JobRuntime(
        _settings(tmp_path, "worker", migrated_url),
        session_factory=session_factory,
        bus=LocalEventBus(),
        backend="local",
    )
    try:
        before = await worker.run_inline("test.settings")
        assert before.result == {"minutes": 720}
        r = await a.patch("/api/settings", json=CHANGED, headers=headers)
        assert r.status_code == 200, r.text

        async def on_b() -> bool:
            r = await b.get("/api/settings", headers=headers)
            return bool(r.json()["sync"]["default_interval_minutes"]["value"] == 77)

        took = await _eventually(on_b, settings_sync.CHECK_SECONDS + 3)
        assert took <= settings_sync.CHECK_SECONDS + 1
        assert app_b.state.runtime.settings.sync.default_interval_minutes == 77
        # The worker checks before its next job (at most every CHECK_SECONDS).
        await asyncio.sleep(max(0.0, settings_sync.CHECK_SECONDS - took))
        after = await worker.run_inline("test.settings")
        assert after.result == {"minutes": 77}
        # The watch reads on a connection of its own: requests' statement counts never see it.
        with StatementCounter(app_b.state.engine) as counter:
            await app_b.state.settings_watch.refresh(force=True)
        assert counter.count == 0
    finally:
        await worker.close()


async def test_a_value_no_longer_saved_goes_back_to_the_environment(
    session_factory: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, "p", migrated_url, base_url="http://tv.example:8000")
    default_url = _settings(tmp_path, "q", migrated_url)
    watch = settings_sync.SettingsWatch(settings, session_factory)
    async with session_scope(session_factory) as s:
        await settings_store.save(
            session=s,
            changes={"server": {"base_url": "http://other.example"}, **CHANGED},
        )
    assert await watch.refresh()
    assert settings.sync.default_interval_minutes == 77
    assert settings.base_url == "http://other.example"
    assert not await watch.refresh(force=True)  # the version did not move: nothing read
    async with session_scope(session_factory) as s:
        await s.execute(
            delete(Setting).where(
                Setting.key.in_(["sync.default_interval_minutes", "server.base_url"])
            )
        )
        await settings_store.upsert(
            s, [{"key": settings_store.VERSION_KEY, "value": "v2", "updated_at": utcnow()}]
        )
    assert await watch.refresh(force=True)
    assert settings.sync.default_interval_minutes == 720
    assert settings.base_url == "http://tv.example:8000" and "base_url" in settings.model_fields_set
    # A process whose public URL was never configured keeps it unconfigured.
    watch_q = settings_sync.SettingsWatch(default_url, session_factory)
    assert await watch_q.refresh()
    assert "base_url" not in default_url.model_fields_set


@pytest.mark.redis
async def test_redis_announces_a_change_at_once(
    engine: AsyncEngine, migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} not set: the Redis announcement is not tested")
    # Polls far apart: only the announcement can bring the change over in time.
    monkeypatch.setattr(settings_sync, "CHECK_SECONDS", 60.0)
    prefix = f"strmline-test-{uuid.uuid4().hex[:10]}"
    jobs = {"redis_prefix": prefix}
    try:
        async with AsyncExitStack() as stack:
            (_, a), (app_b, b) = [
                await _start(
                    stack, _settings(tmp_path, n, migrated_url, redis_url=redis_url, jobs=jobs)
                )
                for n in ("a", "b")
            ]
            headers = await _admin_headers(a)
            await asyncio.sleep(0.3)  # b's watch subscribes once its loop runs
            r = await a.patch("/api/settings", json=CHANGED, headers=headers)
            assert r.status_code == 200, r.text

            async def on_b() -> bool:
                return bool(app_b.state.settings.sync.default_interval_minutes == 77)

            assert await _eventually(on_b, 3.0) < 3.0
            r = await b.get("/api/settings", headers=headers)
            assert r.json()["sync"]["default_interval_minutes"]["value"] == 77
    finally:
        client = aioredis.Redis.from_url(redis_url)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_save_right_after_another_process_save_keeps_both(
    session_factory: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    a = _settings(tmp_path, "a", migrated_url)
    b = _settings(tmp_path, "b", migrated_url)
    watch_a = settings_sync.SettingsWatch(a, session_factory)
    watch_b = settings_sync.SettingsWatch(b, session_factory)
    assert await watch_a.refresh() and await watch_b.refresh()
    # B saves, and A saves something else before its next check, as the router does.
    for settings, watch, change in (
        (b, watch_b, CHANGED),
        (a, watch_a, {"match": {"threshold": 95}}),
    ):
        async with session_scope(session_factory) as s:
            version = await settings_store.save(session=s, changes=change)
        settings_store.apply(settings, settings_store.validate(settings, change))
        await watch.announce(version)
    assert a.sync.default_interval_minutes == 720  # not seen yet
    assert await watch_a.refresh(force=True) and await watch_b.refresh(force=True)
    for settings in (a, b):
        assert (settings.sync.default_interval_minutes, settings.match.threshold) == (77, 95)

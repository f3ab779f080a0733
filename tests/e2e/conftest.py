"""The end-to-end tier: strmline started as ``make run`` starts it, driven over HTTP only.

Two setups, each once per run: ``embedded`` (``strmline serve`` alone on SQLite) and ``scaled``
(PostgreSQL + Redis, ``strmline serve`` with a separate ``strmline worker`` and ``strmline beat``).
The fake provider runs in its own process and serves real H.264/AAC media.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.dbutil import PG_ENV, postgres_admin_url, throwaway_postgres
from tests.e2e.harness import (
    FFMPEG,
    STRMLINE,
    FakeProviderProc,
    Stack,
    clean_env,
    free_port,
    run_cli,
    start,
    start_fake_provider,
    wait_http,
)

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"
MODES = ["embedded", "scaled"]

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            # A whole stack per setup: give its first test room to start it.
            item.add_marker(pytest.mark.timeout(600))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def fake_provider_proc(
    tmp_path_factory: pytest.TempPathFactory, media_dir: Path
) -> Iterator[FakeProviderProc]:
    if not FFMPEG:
        pytest.skip("ffmpeg not installed: the end-to-end tier decodes real video")
    workdir = tmp_path_factory.mktemp("fake-provider")
    provider = start_fake_provider(workdir, media_dir, clean_env())
    try:
        yield provider
    finally:
        provider.proc.stop()


class _BackgroundLoop:
    """Runs async context managers (the throwaway database) from sync session fixtures."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def _scaled_env(bg: _BackgroundLoop, db_cm: AbstractAsyncContextManager[str]) -> dict[str, str]:
    redis_url = os.environ.get(REDIS_ENV)
    assert redis_url
    db_url = bg.run(db_cm.__aenter__())
    return {
        "STRMLINE_DATABASE_URL": db_url,
        "STRMLINE_REDIS_URL": redis_url,
        "STRMLINE_JOBS__BACKEND": "celery",
        "STRMLINE_JOBS__REDIS_PREFIX": f"strmline-e2e-{uuid.uuid4().hex[:10]}",
    }


@pytest.fixture(scope="session", params=MODES)
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider_proc: FakeProviderProc,
) -> Iterator[Stack]:
    mode = request.param
    if mode == "scaled" and not (postgres_admin_url() and os.environ.get(REDIS_ENV)):
        pytest.skip(f"{PG_ENV} and {REDIS_ENV} not both set: the scaled setup is skipped")
    workdir = tmp_path_factory.mktemp(f"e2e-{mode}")
    data_dir = workdir / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = clean_env(
        STRMLINE_DATA_DIR=str(data_dir),
        # The scheduler looks for due work every 2 s instead of 30 s so the test need not wait.
        STRMLINE_JOBS__SCHEDULE_TICK_SECONDS="2",
    )
    bg: _BackgroundLoop | None = None
    db_cm: AbstractAsyncContextManager[str] | None = None
    if mode == "scaled":
        bg = _BackgroundLoop()
        db_cm = throwaway_postgres()
        env.update(_scaled_env(bg, db_cm))
    st = Stack(mode, url, workdir, data_dir, env, fake_provider_proc)
    try:
        # As `make run`: migrate, then serve with uvicorn's defaults (uvloop, httptools).
        run_cli(["db", "upgrade"], env=env, cwd=workdir)
        server = start("serve", [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)],
                       env=env, cwd=workdir)  # fmt: skip
        st.procs.append(server)
        if mode == "scaled":
            st.procs.append(start("worker", [*STRMLINE, "worker", "--concurrency", "2"],
                                  env=env, cwd=workdir))  # fmt: skip
            st.procs.append(start("beat", [*STRMLINE, "beat", "--tick", "2"], env=env, cwd=workdir))
        wait_http(f"{url}/api/health", server)
        yield st
    finally:
        st.close()
        if bg is not None and db_cm is not None:
            try:
                bg.run(db_cm.__aexit__(None, None, None))
            finally:
                bg.close()
            _drop_redis_prefix(env["STRMLINE_REDIS_URL"], env["STRMLINE_JOBS__REDIS_PREFIX"])


def _drop_redis_prefix(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# ---- a new user's setup, shared by every e2e module (test_flow, test_xtream_client) ----------

ADMIN = {"username": "admin", "password": "correct horse battery"}


@dataclass
class Ready:
    stack: Stack
    providers: dict[str, int]
    m3u: str
    jobs: dict[str, dict[str, Any]]


def _login(stack: Stack) -> None:
    assert stack.api("GET", "/api/setup")["needs_setup"] is True
    stack.api("POST", "/api/setup", json=ADMIN)
    tokens = stack.api("POST", "/api/auth/login", json=ADMIN)
    stack.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    stack.token = stack.api("GET", "/api/auth/api-token")["api_token"]


def _add_providers(stack: Stack) -> dict[str, int]:
    fp = stack.provider
    specs = {
        "acme m3u": {"kind": "m3u", "url": f"{fp.url}/playlist/acme.m3u", "max_connections": 4},
        "globex xtream ts": {
            "kind": "xtream", "url": fp.url, "username": "globex",
            "password": fp.accounts["globex"], "output_format": "ts", "max_connections": 4,
        },
        "acme xtream hls": {
            "kind": "xtream", "url": fp.url, "username": "acme",
            "password": fp.accounts["acme"], "output_format": "m3u8", "max_connections": 4,
        },
    }  # fmt: skip
    return {
        name: stack.api("POST", "/api/providers", json={"name": name, **spec})["id"]
        for name, spec in specs.items()
    }


def _guide_imported(stack: Stack) -> dict[str, Any] | None:
    jobs = stack.api("GET", "/api/jobs", params={"kind": "epg_import", "limit": 50})
    items = jobs["items"] if isinstance(jobs, dict) else jobs
    for job in items:
        assert job["state"] not in ("failed", "interrupted"), f"guide import failed: {job}"
        if job["state"] == "succeeded":
            return job
    return None


@pytest.fixture(scope="session")
def ready(stack: Stack) -> Ready:
    _login(stack)
    providers = _add_providers(stack)
    jobs: dict[str, dict[str, Any]] = {}
    for name, pid in providers.items():
        jobs[f"sync {name}"] = stack.run_job(f"/api/providers/{pid}/sync")
    # The syncs found the providers' guides: the scheduler imports them, nobody runs a command.
    jobs["guide"] = stack.wait_for("the scheduled guide import", lambda: _guide_imported(stack))
    jobs["health"] = stack.run_job("/api/health/check", {})
    jobs["vod"] = stack.run_job("/api/vod/sync", {}, timeout=300)
    # The VOD sync queues a library run of its own; the user's "write library" waits for it.
    for job in stack.api("GET", "/api/jobs", params={"kind": "strm_generate"})["items"]:
        stack.wait_job(job["id"])
    jobs["strm"] = stack.run_job("/api/strm/generate", {"live": True})
    m3u = stack.http.get("/output/m3u", params={"token": stack.token})
    assert m3u.status_code == 200, m3u.text[:300]
    return Ready(stack, providers, m3u.text, jobs)

"""The server keeps answering while a sync chews through a newline bomb.

The real app (in-process runner, same event loop) syncs a provider serving 1 MB of gzip that
inflates to 1 GB of empty lines, with the compression-ratio limit turned off so the parser
really has to read them. Before the parser yielded to the event loop, ``/api/health`` timed
out for minutes, heartbeats stopped and the job was declared dead; now every probe answers
promptly, and the overall deadline ends the sync with a one-line reason naming the URL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from strmline.api.app import create_app
from strmline.config import Settings
from tests.helpers import wait_for_job_api
from tests.hostile.server import HostileServer, newline_bomb

ADMIN = {"username": "admin", "password": "correct horse battery"}
DEADLINE = 5.0


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    newline_bomb()  # compressed once, before any clock starts
    with HostileServer() as server:
        yield server


@pytest.fixture
async def client(
    engine: AsyncEngine, migrated_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=migrated_url,
        secret_key="test-secret-key-" + "x" * 32,
        http={"max_compression_ratio": 1_000_000, "max_seconds": DEADLINE},
        sync={"max_download_mb": 100_000},
    )
    app = create_app(settings, scheduler=False, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_health_answers_during_a_newline_bomb(
    client: httpx.AsyncClient, hostile: HostileServer
) -> None:
    r = await client.post("/api/setup", json=ADMIN)
    assert r.status_code == 201, r.text
    admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
    url = f"{hostile.url}/days/newline_bomb.m3u"
    r = await client.post(
        "/api/providers", headers=admin, json={"name": "bomb", "kind": "m3u", "url": url}
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/providers/{r.json()['id']}/sync", headers=admin)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]

    latencies: list[float] = []
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE + 3:
        sent = time.monotonic()
        health = await client.get("/api/health")
        latencies.append(time.monotonic() - sent)
        assert health.status_code == 200, health.text
        job = (await client.get(f"/api/jobs/{job_id}", headers=admin)).json()
        if job["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)

    job = await wait_for_job_api(client, admin, job_id, seconds=10)
    assert job["state"] == "failed", job
    error = str(job.get("error") or job.get("message"))
    assert "longer than 5 s" in error and url in error, error
    assert "\n" not in error
    assert len(latencies) >= 10, latencies
    assert max(latencies) < 1.0, f"slowest /api/health: {max(latencies):.2f} s"

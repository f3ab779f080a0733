from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from strmline.api.routers import events as events_router
from strmline.demo import FakeProviderServer
from strmline.demo.server import serve_async
from tests.api.admin_fixtures import assert_error, seed_jobs, statements
from tests.api.test_providers_api import m3u_body
from tests.helpers import wait_for_job_api


async def test_auth(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert_error(await client.get("/api/jobs"), 401, "unauthorized")
    assert (await client.get("/api/jobs", headers=viewer)).status_code == 200
    assert_error(await client.post("/api/jobs/1/cancel", headers=viewer), 403, "forbidden")
    assert_error(await client.get("/api/events"), 401, "unauthorized")
    assert_error(
        await client.get("/api/events", params={"access_token": "garbage"}), 401, "invalid_token"
    )


async def test_list_filters_and_pages(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed_jobs(app, 5, state="succeeded")
    await seed_jobs(app, 2, state="failed")
    page = (await client.get("/api/jobs", headers=admin, params={"limit": 4})).json()
    assert len(page["items"]) == 4 and page["next_cursor"]
    ids = [j["id"] for j in page["items"]]
    assert ids == sorted(ids, reverse=True)
    rest = (
        await client.get("/api/jobs", headers=admin, params={"cursor": page["next_cursor"]})
    ).json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    failed = (await client.get("/api/jobs", headers=admin, params={"state": "failed"})).json()
    assert [j["state"] for j in failed["items"]] == ["failed", "failed"]
    job = failed["items"][0]
    assert set(job) == {
        "id",
        "kind",
        "args",
        "state",
        "progress",
        "total",
        "message",
        "result",
        "error",
        "trigger",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert (await client.get(f"/api/jobs/{job['id']}", headers=admin)).json() == job
    assert_error(await client.get("/api/jobs/999999", headers=admin), 404, "not_found")
    none = await client.get("/api/jobs", headers=admin, params={"kind": "nope"})
    assert none.json() == {"items": [], "next_cursor": None}


async def test_list_statements_do_not_grow(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    counts = []
    for extra in (10, 990):
        await seed_jobs(app, extra)
        n, r = await statements(
            app, lambda: client.get("/api/jobs", headers=admin, params={"limit": 500})
        )
        counts.append(n)
        assert len(r.json()["items"]) == min(500, 10 if extra == 10 else 1000)
    assert counts[0] == counts[1], counts


async def test_cancel(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> None:
    job = await app.state.runtime.submit("noop", {"seconds": 5, "steps": 50}, trigger="api")
    await wait_for_job_api(client, admin, job.id, states={"running"}, seconds=10)
    r = await client.post(f"/api/jobs/{job.id}/cancel", headers=admin)
    assert r.status_code == 200 and r.json()["id"] == job.id
    done = await wait_for_job_api(client, admin, job.id)
    assert done["state"] == "cancelled"
    # Cancelling again is harmless; cancelling a job that already ended otherwise is a conflict.
    again = await client.post(f"/api/jobs/{job.id}/cancel", headers=admin)
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    await seed_jobs(app, 1, state="succeeded")
    done_id = (await client.get("/api/jobs", headers=admin, params={"limit": 1})).json()["items"][
        0
    ]["id"]
    assert_error(await client.post(f"/api/jobs/{done_id}/cancel", headers=admin), 409, "conflict")
    assert_error(await client.post("/api/jobs/999999/cancel", headers=admin), 404, "not_found")


async def read_events(lines: AsyncIterator[str], until: Any, seen: list[tuple[str, Any]]) -> None:
    """Parse SSE frames into (event, data) until ``until(event, data)`` is true."""
    name, data = "", None
    async for line in lines:
        if line.startswith(":"):
            seen.append(("comment", line[1:].strip()))
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = orjson.loads(line[5:].strip())
        elif line == "" and name:
            seen.append((name, data))
            if until(name, data):
                return
            name, data = "", None
        if seen and seen[-1][0] == "comment" and until("comment", seen[-1][1]):
            return


@pytest.fixture
async def server(app: FastAPI) -> Any:
    # ASGITransport buffers whole responses, so the event stream needs a real HTTP server.
    async with serve_async(app) as url:
        yield url


async def test_events_relay_sync_progress(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    server: str,
    fake_provider: FakeProviderServer,
) -> None:
    token = admin["Authorization"].split()[1]
    provider = (
        await client.post("/api/providers", headers=admin, json=m3u_body(fake_provider))
    ).json()
    # A slow download makes the sync report progress several times before it finishes.
    fake_provider.faults.set("slow", endpoint="m3u", delay=0.02, chunk_size=2048)
    seen: list[tuple[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=server, timeout=30) as http,
        http.stream("GET", "/api/events", params={"access_token": token}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        async with asyncio.timeout(5):
            while (await anext(lines)) != ": connected":
                pass
        job_id = (await client.post(f"/api/providers/{provider['id']}/sync", headers=admin)).json()[
            "job_id"
        ]
        async with asyncio.timeout(60):
            await read_events(
                lines,
                lambda name, data: name == "job.finished" and data["job_id"] == job_id,
                seen,
            )
    mine = [(n, d) for n, d in seen if isinstance(d, dict) and d.get("job_id") == job_id]
    names = [n for n, _ in mine]
    assert names[0] == "job.queued" and names[-1] == "job.finished"
    assert "job.progress" in names
    assert mine[-1][1]["state"] == "succeeded" and mine[-1][1]["kind"] == "sync"

    # The stream ends with the client: its bus subscription goes away.
    async with asyncio.timeout(20):
        while app.state.runtime.bus._subscribers and len(app.state.runtime.bus._subscribers) > 1:
            await asyncio.sleep(0.05)


async def test_events_keepalive_and_bearer(
    admin: dict[str, str], server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_router, "KEEPALIVE_SECONDS", 0.05)
    seen: list[tuple[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=server, timeout=10) as http,
        http.stream("GET", "/api/events", headers=admin) as response,
    ):
        assert response.status_code == 200
        async with asyncio.timeout(10):
            await read_events(response.aiter_lines(), lambda name, data: data == "keep-alive", seen)
    assert ("comment", "connected") in seen and ("comment", "keep-alive") in seen

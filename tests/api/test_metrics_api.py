from __future__ import annotations

import asyncio
import re

import httpx
from fastapi import FastAPI

from tests.api.admin_fixtures import assert_error, seed_jobs
from tests.helpers import wait_for_job


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.rpartition(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_auth(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], api_token: str
) -> None:
    assert_error(await client.get("/metrics"), 401, "unauthorized")
    assert_error(await client.get("/metrics", params={"token": "nope"}), 401, "unauthorized")
    assert_error(await client.get("/metrics", headers=viewer), 403, "forbidden")
    viewer_token = (await client.get("/api/auth/api-token", headers=viewer)).json()["api_token"]
    assert_error(await client.get("/metrics", params={"token": viewer_token}), 403, "forbidden")
    r = await client.get("/metrics", params={"token": api_token})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert (await client.get("/metrics", headers=admin)).status_code == 200


async def test_what_is_measured(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await client.get("/api/providers", headers=admin)
    await client.get("/api/providers", headers=admin)
    await client.get("/api/providers/424242", headers=admin)
    await seed_jobs(app, 3, state="queued")
    job = await app.state.runtime.submit("noop", {"resource": "m"}, trigger="api")
    await wait_for_job(app.state.runtime, job.id, states={"succeeded"}, seconds=10, interval=0.02)
    # The job-event watcher records the duration when it sees job.finished.
    text = ""
    async with asyncio.timeout(10):
        while (
            sample(text, "strmline_job_duration_seconds_count", kind="noop", state="succeeded")
            is None
        ):
            await asyncio.sleep(0.02)
            text = (await client.get("/metrics", headers=admin)).text

    def latency(route: str, status: str) -> float | None:
        return sample(
            text,
            "strmline_http_request_duration_seconds_count",
            method="GET",
            route=route,
            status=status,
        )

    assert latency("/api/providers", "200") == 2
    # Labelled by route template, not by the id in the URL.
    assert latency("/api/providers/{provider_id}", "404") == 1
    assert (sample(text, "strmline_db_statement_duration_seconds_count") or 0) > 0
    assert sample(text, "strmline_cache_hits_total", namespace="providers") == 1
    assert sample(text, "strmline_cache_misses_total", namespace="providers") == 1
    assert sample(text, "strmline_jobs_active", state="queued") == 3
    assert sample(text, "strmline_jobs_active", state="running") == 0
    assert sample(text, "strmline_job_duration_seconds_count", kind="noop", state="succeeded") == 1

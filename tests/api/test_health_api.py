"""Health API: start a check, the summary, live proxy sessions."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from tests.helpers import wait_for_job_api


async def _seed(app: FastAPI) -> int:
    async with session_scope(app.state.session_factory) as s:
        pid = (
            await s.execute(
                insert(Provider)
                .values(name="p", kind="m3u", url="http://127.0.0.1:9/x.m3u", backup_urls=[])
                .returning(Provider.id)
            )
        ).scalar_one()
        cid = (
            await s.execute(
                insert(Channel)
                .values(name="C", search_name="c", match_key="c")
                .returning(Channel.id)
            )
        ).scalar_one()
        await s.execute(
            insert(Stream),
            [
                {
                    "provider_id": pid,
                    "channel_id": cid,
                    "provider_key": str(i),
                    "name": f"S{i}",
                    # Port 9 (discard) refuses connections: every check fails fast.
                    "url": f"http://127.0.0.1:9/{i}.ts",
                    "content_hash": "x",
                    "status": status,
                    "active": active,
                }
                for i, (status, active) in enumerate(
                    [("ok", True), ("slow", True), ("failed", False), ("unknown", True)]
                )
            ],
        )
    return pid


async def test_health_summary_and_check(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    pid = await _seed(app)
    r = await client.get("/api/health/summary", headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {k: body[k] for k in ("ok", "slow", "failed", "unknown", "inactive")} == {
        "ok": 1,
        "slow": 1,
        "failed": 1,
        "unknown": 1,
        "inactive": 1,
    }
    assert body["by_provider"][0]["provider_id"] == pid and body["by_provider"][0]["ok"] == 1

    assert (await client.post("/api/health/check", json={}, headers=viewer)).status_code == 403
    missing = await client.post("/api/health/check", json={"provider_id": 999}, headers=admin)
    assert missing.status_code == 404
    r = await client.post("/api/health/check", json={"provider_id": pid}, headers=admin)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = await wait_for_job_api(client, admin, job_id, seconds=15, interval=0.1)
    assert job["state"] == "succeeded", job
    assert job["result"]["checked"] == 4 and job["result"]["failed"] == 4
    after = (await client.get("/api/health/summary", headers=viewer)).json()
    assert after["failed"] == 4 and after["checked_at_last"] is not None


async def test_health_active_streams_is_admin_only(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert (await client.get("/api/streams/active", headers=viewer)).status_code == 403
    r = await client.get("/api/streams/active", headers=admin)
    assert r.status_code == 200 and r.json() == {"items": []}

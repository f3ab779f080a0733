"""No provider secret reaches a non-admin: stream URLs, guide source URLs and job records."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from strmline.db.models import EpgSource, Job, Provider
from tests.api.test_channels_api import channel_row, seed, stream_row

SECRET = "s3cr3t-Pa55"
XTREAM = "http://panel.test:8080"


async def _catalog_with_secrets(app: FastAPI) -> None:
    await seed(
        app,
        [channel_row(1, "ESPN")],
        [
            stream_row(
                10,
                1,
                "US: ESPN FHD",
                url=f"{XTREAM}/live/alice/{SECRET}/10.ts",
                failure_reason=f"HTTP 403 from {XTREAM}/live/alice/{SECRET}/10.ts",
            ),
            stream_row(
                11,
                1,
                "US: ESPN SD",
                url=f"{XTREAM}/get.php?username=alice&password={SECRET}",
                failure_reason=None,
            ),
        ],
        recount=True,
    )
    async with app.state.engine.begin() as conn:
        await conn.execute(
            insert(Provider),
            [
                {
                    "id": 3,
                    "name": "panel",
                    "kind": "xtream",
                    "url": XTREAM,
                    "username": "alice",
                    "password": SECRET,
                }
            ],
        )
        await conn.execute(
            insert(EpgSource),
            [
                {
                    "name": "panel guide",
                    "kind": "url",
                    "url": f"{XTREAM}/xmltv.php?username=alice&password={SECRET}",
                    "last_message": f"HTTP 500: the page said user alice pass {SECRET}",
                }
            ],
        )
        await conn.execute(
            insert(Job),
            [
                {
                    "kind": "sync",
                    "args": {"provider_id": 3},
                    "state": "failed",
                    "message": f"not a playlist (starts with 'Denied for {SECRET}')",
                    "error": f"provider panel: the server answered 401 for pass={SECRET}",
                    "result": {"attempts": [{"url": f"{XTREAM}/x?p={SECRET}", "reason": "401"}]},
                }
            ],
        )


async def test_a_viewer_never_sees_a_provider_secret(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], app: FastAPI
) -> None:
    await _catalog_with_secrets(app)
    for path in ("/api/channels/1", "/api/epg/sources", "/api/jobs"):
        r = await client.get(path, headers=viewer)
        assert r.status_code == 200, (path, r.text)
        assert SECRET not in r.text, (path, r.text)

    channel = (await client.get("/api/channels/1", headers=viewer)).json()
    # strmline's own URL of each stream, which plays through /play with the viewer's token.
    assert {s["url"] for s in channel["streams"]} == {"/play/stream/10", "/play/stream/11"}
    assert all("***" in (s["failure_reason"] or "***") for s in channel["streams"])
    jobs = (await client.get("/api/jobs", headers=viewer)).json()["items"]
    job = jobs[0]
    assert "***" in job["error"] and "***" in job["message"]
    assert "***" in json.dumps(job["result"])
    one = await client.get(f"/api/jobs/{job['id']}", headers=viewer)
    assert SECRET not in one.text


async def test_an_admin_still_sees_what_it_needs_to_fix(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await _catalog_with_secrets(app)
    channel = (await client.get("/api/channels/1", headers=admin)).json()
    assert channel["streams"][0]["url"].startswith(XTREAM)
    sources = (await client.get("/api/epg/sources", headers=admin)).json()
    assert SECRET in sources[0]["url"]

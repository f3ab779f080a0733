from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from strmline.db.engine import session_scope
from strmline.db.models import Provider
from strmline.demo import FakeProviderServer
from tests.api.admin_fixtures import assert_error, seed_catalog, statements
from tests.helpers import wait_for_job_api

PASSWORD = "hunter2"


def xtream_body(fake: FakeProviderServer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Globex",
        "kind": "xtream",
        "url": fake.url,
        "username": "globex",
        "password": PASSWORD,
        **extra,
    }


def m3u_body(fake: FakeProviderServer, **extra: Any) -> dict[str, Any]:
    return {"name": "Acme", "kind": "m3u", "url": fake.playlist_url("acme"), **extra}


async def test_auth_required(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert_error(await client.get("/api/providers"), 401, "unauthorized")
    assert_error(await client.get("/api/providers", headers=viewer), 403, "forbidden")
    assert_error(await client.post("/api/providers", headers=viewer, json={}), 403, "forbidden")
    assert_error(await client.post("/api/providers/1/sync", headers=viewer), 403, "forbidden")
    assert_error(await client.delete("/api/providers/1"), 401, "unauthorized")


async def test_crud_never_returns_the_password(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    fake_provider: FakeProviderServer,
) -> None:
    r = await client.post("/api/providers", headers=admin, json=xtream_body(fake_provider))
    assert r.status_code == 201, r.text
    created = r.json()
    assert "password" not in created and PASSWORD not in r.text
    assert created["kind"] == "xtream" and created["stream_count"] == 0
    pid = created["id"]

    dup = await client.post("/api/providers", headers=admin, json=xtream_body(fake_provider))
    assert_error(dup, 409, "conflict")
    missing_creds = await client.post(
        "/api/providers", headers=admin, json=xtream_body(fake_provider, name="X", password=None)
    )
    assert_error(missing_creds, 422, "config_error")
    bad_kind = await client.post(
        "/api/providers", headers=admin, json=xtream_body(fake_provider, kind="ftp")
    )
    assert "kind" in assert_error(bad_kind, 422, "validation_error")["message"]

    # PATCH: only the fields sent; the password stays unless a new one is given.
    r = await client.patch(
        f"/api/providers/{pid}", headers=admin, json={"name": "Globex 2", "priority": 5}
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Globex 2" and r.json()["priority"] == 5
    async with session_scope(app.state.session_factory) as s:
        assert (await s.get(Provider, pid)).password == PASSWORD  # type: ignore[union-attr]
    r = await client.patch(f"/api/providers/{pid}", headers=admin, json={"password": "new-pass"})
    assert r.status_code == 200 and "new-pass" not in r.text
    async with session_scope(app.state.session_factory) as s:
        assert (await s.get(Provider, pid)).password == "new-pass"  # type: ignore[union-attr]
    bad = await client.patch(f"/api/providers/{pid}", headers=admin, json={"url": "ftp://x"})
    assert_error(bad, 422, "config_error")

    got = await client.get(f"/api/providers/{pid}", headers=admin)
    assert got.json()["name"] == "Globex 2"
    listed = (await client.get("/api/providers", headers=admin)).json()
    assert [p["name"] for p in listed["items"]] == ["Globex 2"] and listed["next_cursor"] is None

    assert (await client.delete(f"/api/providers/{pid}", headers=admin)).status_code == 204
    assert_error(await client.get(f"/api/providers/{pid}", headers=admin), 404, "not_found")
    # The cached list was invalidated by the delete.
    assert (await client.get("/api/providers", headers=admin)).json()["items"] == []


async def test_list_is_paginated_and_cached(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed_catalog(app, providers=7, channels=0, streams_per=0)
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/providers", headers=admin, params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and len({p["id"] for p in seen}) == 7
    order = [(-p["priority"], p["id"]) for p in seen]
    assert order == sorted(order)
    bad = await client.get("/api/providers", headers=admin, params={"cursor": "nonsense"})
    assert_error(bad, 422, "invalid_cursor")
    too_big = await client.get("/api/providers", headers=admin, params={"limit": 501})
    assert_error(too_big, 422, "validation_error")

    # A cache hit costs no query: the page and the user both come from caches.
    await client.get("/api/providers", headers=admin)
    n, _ = await statements(app, lambda: client.get("/api/providers", headers=admin))
    assert n == 0


async def test_list_statements_do_not_grow(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    counts = []
    for size in (10, 1000):
        await app.state.cache.bump("providers")
        if size == 1000:
            await seed_catalog(app, providers=990, channels=50, streams_per=3, tag="big")
        else:
            await seed_catalog(app, providers=10, channels=5, streams_per=2)
        n, r = await statements(
            app, lambda: client.get("/api/providers", headers=admin, params={"limit": 500})
        )
        counts.append(n)
        assert len(r.json()["items"]) == min(size, 500)
    assert counts[0] == counts[1], counts


async def test_connection_test(
    client: httpx.AsyncClient, admin: dict[str, str], fake_provider: FakeProviderServer
) -> None:
    xt = (
        await client.post("/api/providers", headers=admin, json=xtream_body(fake_provider))
    ).json()
    r = await client.post(f"/api/providers/{xt['id']}/test", headers=admin)
    body = r.json()
    assert r.status_code == 200 and body["ok"] is True, body
    assert body["account"]["status"].lower() == "active" and body["entries"] is None
    assert set(body["account"]) == {
        "status",
        "expires_at",
        "max_connections",
        "active_connections",
        "allowed_formats",
    }

    await client.patch(f"/api/providers/{xt['id']}", headers=admin, json={"password": "wrongpass"})
    body = (await client.post(f"/api/providers/{xt['id']}/test", headers=admin)).json()
    assert body["ok"] is False and body["account"] is None
    assert "wrongpass" not in body["message"]

    m3u = (await client.post("/api/providers", headers=admin, json=m3u_body(fake_provider))).json()
    body = (await client.post(f"/api/providers/{m3u['id']}/test", headers=admin)).json()
    assert body["ok"] is True and body["message"].startswith("reachable"), body

    fake_provider.faults.set("html", endpoint="m3u")
    body = (await client.post(f"/api/providers/{m3u['id']}/test", headers=admin)).json()
    assert (
        body
        == {
            "ok": False,
            "message": body["message"],
            "account": None,
            "entries": None,
        }
        and "HTML" in body["message"]
    )
    assert_error(await client.post("/api/providers/999999/test", headers=admin), 404, "not_found")


async def test_sync_starts_a_job_once(
    client: httpx.AsyncClient, admin: dict[str, str], fake_provider: FakeProviderServer
) -> None:
    provider = (
        await client.post("/api/providers", headers=admin, json=m3u_body(fake_provider))
    ).json()
    fake_provider.faults.set("slow", endpoint="m3u", delay=0.05, chunk_size=1024)
    r = await client.post(f"/api/providers/{provider['id']}/sync", headers=admin)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    again = await client.post(f"/api/providers/{provider['id']}/sync?force=true", headers=admin)
    assert assert_error(again, 409, "conflict")["details"] == {"job_id": job_id}

    fake_provider.faults.clear()
    job = await wait_for_job_api(client, admin, job_id)
    assert job["state"] == "succeeded", job
    assert job["args"] == {"provider_id": provider["id"], "force": False}
    # The finished job invalidated the cached list: the sync's outcome shows at once.
    await asyncio.sleep(0.1)
    listed = (await client.get("/api/providers", headers=admin)).json()["items"][0]
    assert listed["last_sync_status"] is not None and listed["stream_count"] > 0
    assert_error(await client.post("/api/providers/999999/sync", headers=admin), 404, "not_found")

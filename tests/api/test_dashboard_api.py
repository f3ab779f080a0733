from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from strmline.db.engine import session_scope
from strmline.db.models import Stream
from tests.api.admin_fixtures import assert_error, seed_catalog, seed_jobs, statements


async def test_auth(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert_error(await client.get("/api/dashboard"), 401, "unauthorized")
    # Any logged-in user sees the home page.
    assert (await client.get("/api/dashboard", headers=viewer)).status_code == 200


async def test_shape_and_numbers(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    empty = (await client.get("/api/dashboard", headers=admin)).json()
    assert empty["counts"] == {
        "providers": 0,
        "channels": 0,
        "streams": 0,
        "active_streams": 0,
        "working_streams": 0,
        "unchecked_streams": 0,
        "failed_streams": 0,
        "categories": 0,
    }
    assert empty["jobs"] == {"running": [], "recent": []}
    assert empty["vod"] == {"movies": 0, "series": 0, "episodes": 0}

    await seed_catalog(app, providers=2, channels=10, streams_per=2)
    await seed_jobs(app, 12)
    await seed_jobs(app, 1, state="running")
    # Cached: new rows show once the namespace is bumped (provider writes and jobs do that).
    await app.state.cache.bump("dashboard")
    body = (await client.get("/api/dashboard", headers=admin)).json()
    counts = body["counts"]
    assert counts["providers"] == 2 and counts["channels"] == 10 and counts["streams"] == 20
    assert counts["categories"] == 7
    # Seeded streams cycle ok/slow/failed/unknown and every fifth is inactive.
    assert body["health"] == {"ok": 5, "slow": 5, "failed": 5, "unknown": 5, "inactive": 4}
    assert counts["active_streams"] == 16 and counts["failed_streams"] == 5
    # Working means "last check passed" (active ok/slow), never-checked streams are their own.
    assert counts["working_streams"] == 8 and counts["unchecked_streams"] == 4
    assert [p["stream_count"] for p in body["providers"]] == [10, 10]
    assert set(body["providers"][0]) == {
        "id",
        "name",
        "kind",
        "enabled",
        "last_sync_at",
        "last_sync_status",
        "last_sync_message",
        "stream_count",
        "entries",
    }
    assert len(body["jobs"]["recent"]) == 10
    assert [j["state"] for j in body["jobs"]["running"]] == ["running"]


async def test_statements_do_not_grow(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    counts = []
    for size, tag in ((10, "small"), (1000, "big")):
        await seed_catalog(app, providers=3, channels=size, streams_per=2, tag=tag)
        await seed_jobs(app, size)
        await app.state.cache.bump("dashboard")
        cold, _ = await statements(app, lambda: client.get("/api/dashboard", headers=admin))
        warm, _ = await statements(app, lambda: client.get("/api/dashboard", headers=admin))
        counts.append((cold, warm))
    assert counts[0] == counts[1], counts
    cold, warm = counts[0]
    # 4 aggregates + 2 job lists when cold; the aggregates come from the cache after (and the
    # user from the user cache always).
    assert cold == 6 and warm == 2, counts


async def test_never_checked_streams_are_not_working(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    """A fresh sync: every stream is active but none has been checked. The dashboard must not
    call them working ("Working streams 110" beside "unknown: 110")."""
    await seed_catalog(app, providers=1, channels=5, streams_per=2)
    async with session_scope(app.state.session_factory) as s:
        await s.execute(update(Stream).values(status="unknown", active=True, checked_at=None))
    await app.state.cache.bump("dashboard")
    body = (await client.get("/api/dashboard", headers=admin)).json()
    counts = body["counts"]
    assert counts["streams"] == 10 and counts["active_streams"] == 10
    assert counts["working_streams"] == 0 and counts["unchecked_streams"] == 10
    assert body["health"]["unknown"] == 10 and body["health"]["ok"] == 0

    # One check passes, one fails: only the passed one is working.
    async with session_scope(app.state.session_factory) as s:
        first, second = (await s.scalars(select(Stream.id).order_by(Stream.id).limit(2))).all()
        await s.execute(update(Stream).where(Stream.id == first).values(status="ok"))
        await s.execute(update(Stream).where(Stream.id == second).values(status="failed"))
    await app.state.cache.bump("dashboard")
    counts = (await client.get("/api/dashboard", headers=admin)).json()["counts"]
    assert counts["working_streams"] == 1 and counts["unchecked_streams"] == 8
    assert counts["failed_streams"] == 1

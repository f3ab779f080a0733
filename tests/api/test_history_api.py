"""Viewing history and its statistics: own history for users, everyone's for admins."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select

from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import User, ViewingSession
from tests.api.test_channels_api import channel_row, seed
from tests.dbutil import StatementCounter


async def _sessions(app: FastAPI, count: int, *, start: int = 0) -> dict[str, int]:
    """Sessions alternating between the admin and the viewer, on channels 1 and 2."""
    async with session_scope(app.state.session_factory) as s:
        users = {name: uid for uid, name in await s.execute(select(User.id, User.username))}
        base = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
        rows = [
            {
                "user_id": users["admin"] if i % 2 else users["viewer"],
                "channel_id": 1 if i % 3 else 2,
                "stream_id": None,
                "kind": "live",
                "client": "proxy",
                "started_at": base + timedelta(minutes=10 * i),
                "ended_at": base + timedelta(minutes=10 * i + 5),
                "bytes_sent": 1000 * i,
                "switches": 1 if i % 5 == 0 else 0,
            }
            for i in range(start, start + count)
        ]
        await s.execute(insert(ViewingSession), rows)
    return users


async def test_history_is_own_for_users_and_everyones_for_admins(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], app: FastAPI
) -> None:
    await seed(app, [channel_row(1, "ESPN"), channel_row(2, "CNN")])
    users = await _sessions(app, 12)
    mine = (await client.get("/api/history", headers=viewer, params={"limit": 50})).json()
    assert len(mine["items"]) == 6 and {i["username"] for i in mine["items"]} == {"viewer"}
    assert [i["started_at"] for i in mine["items"]] == sorted(
        (i["started_at"] for i in mine["items"]), reverse=True
    )
    other = await client.get("/api/history", headers=viewer, params={"user_id": users["admin"]})
    assert other.status_code == 403

    # Admins page through everyone's, without gaps or repeats.
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/history", headers=admin, params=params)).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 12
    first = (await client.get("/api/history", headers=admin, params={"limit": 1})).json()
    assert first["items"][0]["channel"] in ("ESPN", "CNN")
    one = await client.get("/api/history", headers=admin, params={"user_id": users["viewer"]})
    assert {i["username"] for i in one.json()["items"]} == {"viewer"}


async def test_stats_add_up_and_cost_the_same_whatever_the_history(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], app: FastAPI
) -> None:
    await seed(app, [channel_row(1, "ESPN"), channel_row(2, "CNN")])
    await _sessions(app, 12)

    async def measure() -> tuple[dict, int]:
        with StatementCounter(app.state.engine) as counter:
            r = await client.get("/api/history/stats", headers=admin)
            assert r.status_code == 200, r.text
            return r.json(), counter.count

    small, small_count = await measure()
    # i = 0..11: channel 2 when i % 3 == 0 (4 sessions), channel 1 otherwise (8); switches at 0, 5, 10.
    assert small["sessions"] == 12
    assert small["failovers"] == 3 and small["sessions_with_failover"] == 3
    assert [(t["channel"], t["sessions"]) for t in small["top_channels"]] == [
        ("ESPN", 8),
        ("CNN", 4),
    ]
    assert len(small["by_hour"]) == 24 and sum(small["by_hour"]) == 12
    await _sessions(app, 300, start=12)
    large, large_count = await measure()
    assert large["sessions"] == 312 and sum(large["by_hour"]) == 312
    assert small_count == large_count
    own = (await client.get("/api/history/stats", headers=viewer)).json()
    assert own["sessions"] == 156  # the viewer's half


async def test_a_bad_cursor_is_a_clear_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    from strmline.formats import cursor as cursor_codec

    for bad in ("nonsense", cursor_codec.encode("not a date", 5)):
        r = await client.get("/api/history", headers=admin, params={"cursor": bad})
        assert r.status_code == 422, r.text

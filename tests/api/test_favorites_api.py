from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select

from strmline.db.engine import session_scope
from strmline.db.models import Channel, Favorite
from tests.api.admin_fixtures import assert_error, seed_catalog, statements


async def channel_ids(app: FastAPI) -> list[int]:
    async with session_scope(app.state.session_factory) as s:
        return list(await s.scalars(select(Channel.id).order_by(Channel.name)))


async def test_own_favorites(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], app: FastAPI
) -> None:
    assert_error(await client.get("/api/favorites"), 401, "unauthorized")
    await seed_catalog(app, providers=1, channels=5, streams_per=1)
    ids = await channel_ids(app)
    for cid in (ids[3], ids[1], ids[1]):  # adding twice is harmless
        assert (await client.put(f"/api/favorites/{cid}", headers=viewer)).status_code == 204
    assert_error(await client.put("/api/favorites/999999", headers=viewer), 404, "not_found")
    mine = (await client.get("/api/favorites", headers=viewer)).json()
    assert [c["id"] for c in mine["items"]] == [ids[1], ids[3]]
    assert mine["items"][0]["favorite"] is True and "name" in mine["items"][0]
    # Favourites are per user.
    assert (await client.get("/api/favorites", headers=admin)).json()["items"] == []
    assert (await client.delete(f"/api/favorites/{ids[1]}", headers=viewer)).status_code == 204
    assert (await client.delete(f"/api/favorites/{ids[1]}", headers=viewer)).status_code == 204
    left = (await client.get("/api/favorites", headers=viewer)).json()
    assert [c["id"] for c in left["items"]] == [ids[3]]


async def test_pages_and_statements(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    counts = []
    for size, tag in ((10, "small"), (1000, "big")):
        await seed_catalog(app, providers=1, channels=size, streams_per=0, tag=tag)
        ids = await channel_ids(app)
        me = (await client.get("/api/auth/me", headers=admin)).json()["id"]
        async with session_scope(app.state.session_factory) as s:
            have = set(await s.scalars(select(Favorite.channel_id)))
            await s.execute(
                insert(Favorite),
                [{"user_id": me, "channel_id": cid} for cid in ids if cid not in have],
            )
        n, r = await statements(
            app, lambda: client.get("/api/favorites", headers=admin, params={"limit": 500})
        )
        counts.append(n)
        assert len(r.json()["items"]) == min(500, len(ids))
    assert counts[0] == counts[1], counts

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 300}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/favorites", headers=admin, params=params)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 1010

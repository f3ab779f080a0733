"""A user given lineups plays only the channels of their lineups, through every play path."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.test_lineups_api import _viewer_token, create, seed_channels


async def test_a_lineup_user_plays_only_their_channels(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    await seed_channels(app)
    kids = await create(client, admin, name="Kids", rules=[{"category": "Kids"}])
    user, token = await _viewer_token(app)
    # Given no lineup yet: any channel is theirs to play (a redirect or a proxied stream).
    assert (await client.get("/play/5", params={"token": token})).status_code != 404

    r = await client.put(
        f"/api/lineups/users/{user.id}", json={"lineup_ids": [kids["id"]]}, headers=admin
    )
    assert r.status_code == 200, r.text
    xtream = f"{user.xtream_username}/{user.xtream_password}"
    refused = [
        ("/play/5", {"token": token}),
        ("/play/stream/50", {"token": token}),
        ("/play/5/hls/index.m3u8", {"token": token}),
        ("/play/5/timeshift", {"token": token, "start": "1700000000", "duration": "600"}),
        (f"/live/{xtream}/5.ts", {}),
        (f"/{xtream}/5", {}),
    ]
    for path, params in refused:
        r = await client.get(path, params=params)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert "lineups" in r.json()["error"]["message"], path
    # Their own channel is not refused for that reason.
    r = await client.get("/play/1", params={"token": token})
    assert r.status_code != 404 or "lineups" not in r.text

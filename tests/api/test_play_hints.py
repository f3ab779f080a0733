"""How streams reach players: #EXTVLCOPT for redirected streams, credentials kept behind the
proxy, /play/stream/{id} by the play mode, catch-up attributes and the timeshift endpoints.

The in-process client cannot read an endless proxied stream; these tests see the proxy through
what it answers for an upstream that refuses connections (127.0.0.1:9). Real playback through
both is in tests/e2e/test_catchup_headers.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, update

from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream, User
from strmline.formats.m3u import M3UEntry, parse_lines

pytestmark = pytest.mark.timeout(60)

CDN = "http://127.0.0.1:9/cdn/a.ts"  # nothing listens: connections are refused at once
XTREAM = "http://127.0.0.1:9/live/u/pw/5.ts"
CDN_HEADERS = {"Referer": "http://site.example/", "User-Agent": "Player/1"}


async def _seed(app: FastAPI) -> dict[str, int]:
    """Channel "Cdn" (an M3U stream needing headers, append catch-up) and channel "Xt" (an
    Xtream stream with an archive), one stream each."""
    async with session_scope(app.state.session_factory) as s:
        m3u, xt = (
            (
                await s.execute(
                    insert(Provider).returning(Provider.id),
                    [
                        {
                            "name": "cdn",
                            "kind": "m3u",
                            "url": "http://p/list.m3u",
                            "backup_urls": [],
                        },
                        {
                            "name": "xt",
                            "kind": "xtream",
                            "url": "http://127.0.0.1:9",
                            "username": "u",
                            "password": "pw",
                            "backup_urls": [],
                            "user_agent": "XtAgent/2",
                        },
                    ],
                )
            )
            .scalars()
            .all()
        )
        cdn_ch, xt_ch = (
            (
                await s.execute(
                    insert(Channel).returning(Channel.id),
                    [
                        {
                            "name": n,
                            "search_name": n.lower(),
                            "match_key": n.lower(),
                            "number": i,
                            "stream_count": 1,
                            "active_stream_count": 1,
                        }
                        for i, n in ((1, "Cdn"), (2, "Xt"))
                    ],
                )
            )
            .scalars()
            .all()
        )
        cdn_s, xt_s = (
            (
                await s.execute(
                    insert(Stream).returning(Stream.id),
                    [
                        {
                            "provider_id": m3u,
                            "channel_id": cdn_ch,
                            "provider_key": "a",
                            "name": "Cdn",
                            "url": CDN,
                            "content_hash": "x",
                            "rank": 1,
                            "headers": CDN_HEADERS,
                            "attrs": {
                                "catchup": "append",
                                "catchup-days": "2",
                                "catchup-source": "?utc={utc}&dur={duration}",
                            },
                        },
                        {
                            "provider_id": xt,
                            "channel_id": xt_ch,
                            "provider_key": "5",
                            "name": "Xt",
                            "url": XTREAM,
                            "content_hash": "x",
                            "rank": 1,
                            "attrs": {"catchup": "xc", "catchup-days": "3"},
                        },
                    ],
                )
            )
            .scalars()
            .all()
        )
    return {"cdn": cdn_ch, "xt": xt_ch, "cdn_stream": cdn_s, "xt_stream": xt_s}


@pytest.fixture
async def seeded(app: FastAPI) -> dict[str, int]:
    app.state.settings.playback.check_seconds = 0  # nothing listens on the streams' port
    return await _seed(app)


async def _entries(client: httpx.AsyncClient, token: str, **params: Any) -> dict[str, M3UEntry]:
    r = await client.get("/output/m3u", params={"token": token, **params})
    assert r.status_code == 200, r.text
    return {e.attrs["tvg-name"]: e for e in parse_lines(r.text.splitlines())}


async def test_m3u_tells_redirected_players_the_headers_and_the_archive(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, seeded: dict[str, int]
) -> None:
    entries = await _entries(client, api_token)
    cdn, xt = entries["Cdn"], entries["Xt"]
    assert dict(cdn.options) == {
        "http-user-agent": "Player/1",
        "http-referrer": "http://site.example/",
    }
    # The Xtream stream is proxied (its URL carries the account): strmline sends the headers.
    assert not xt.options
    for entry, channel, days in ((cdn, seeded["cdn"], "2"), (xt, seeded["xt"], "3")):
        assert entry.attrs["catchup"] == "default" and entry.attrs["catchup-days"] == days
        assert entry.attrs["catchup-source"] == (
            f"http://test/play/{channel}/timeshift?token={api_token}"
            "&start={utc}&duration={duration}"
        )

    every = await _entries(client, api_token, quality="all")
    assert dict(every["Cdn"].options) == dict(cdn.options) and "catchup" in every["Cdn"].attrs

    app.state.settings.playback.redirect_credentials = True
    assert dict((await _entries(client, api_token))["Xt"].options) == {
        "http-user-agent": "XtAgent/2"
    }
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            update(Channel).where(Channel.id == seeded["cdn"]).values(play_mode="proxy")
        )
    assert not (await _entries(client, api_token))["Cdn"].options
    app.state.settings.playback.mode = "proxy"
    entries = await _entries(client, api_token)
    assert not entries["Xt"].options and "catchup-source" in entries["Xt"].attrs


async def test_credentials_stay_behind_the_proxy_in_redirect_mode(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, seeded: dict[str, int]
) -> None:
    token = {"token": api_token}
    # Proxied: the upstream refuses the connection, so the proxy answers with why, no Location.
    for path in (f"/play/{seeded['xt']}", f"/play/stream/{seeded['xt_stream']}"):
        r = await client.get(path, params=token)
        assert r.status_code in (502, 503), (path, r.status_code, r.text)
        assert "location" not in r.headers and "pw" not in r.text
    r = await client.get(f"/play/stream/{seeded['cdn_stream']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == CDN

    app.state.settings.playback.redirect_credentials = True
    r = await client.get(f"/play/{seeded['xt']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == XTREAM
    r = await client.get(f"/play/stream/{seeded['xt_stream']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == XTREAM

    # Proxy mode: /play/stream/{id} no longer redirects either.
    app.state.settings.playback.mode = "proxy"
    r = await client.get(f"/play/stream/{seeded['cdn_stream']}", params=token)
    assert r.status_code == 502 and "location" not in r.headers
    assert r.json()["error"]["message"].startswith(f"stream {seeded['cdn_stream']}:")


async def test_timeshift_maps_to_the_providers_archive(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, seeded: dict[str, int]
) -> None:
    start = int(time.time()) // 60 * 60 - 7200
    params: dict[str, str | int] = {"token": api_token, "start": start, "duration": 1800}
    r = await client.get(f"/play/{seeded['cdn']}/timeshift", params=params)
    assert r.status_code == 302 and r.headers["location"] == f"{CDN}?utc={start}&dur=1800"
    end: dict[str, str | int] = {"token": api_token, "start": start, "end": start + 600}
    r = await client.get(f"/play/{seeded['cdn']}/timeshift", params=end)
    assert r.status_code == 302 and r.headers["location"].endswith("&dur=600")

    # Xtream: proxied by default (502 here: nothing listens), redirected when allowed.
    r = await client.get(f"/play/{seeded['xt']}/timeshift", params=params)
    assert r.status_code == 502 and "location" not in r.headers
    app.state.settings.playback.redirect_credentials = True
    r = await client.get(f"/play/{seeded['xt']}/timeshift", params=params)
    stamp = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d:%H-%M")
    archive = f"http://127.0.0.1:9/timeshift/u/pw/30/{stamp}/5.ts"
    assert r.status_code == 302 and r.headers["location"] == archive

    # The same programme through strmline's own Xtream timeshift path.
    async with app.state.session_factory() as s:
        xu, xp = (await s.execute(select(User.xtream_username, User.xtream_password))).one()
    r = await client.get(f"/timeshift/{xu}/{xp}/30/{stamp}/{seeded['xt']}.ts")
    assert r.status_code == 302 and r.headers["location"] == archive
    assert (
        await client.get(f"/timeshift/{xu}/wrong/30/{stamp}/{seeded['xt']}.ts")
    ).status_code == 401
    assert (
        await client.get(f"/timeshift/{xu}/{xp}/30/yesterday/{seeded['xt']}.ts")
    ).status_code == 422


async def test_timeshift_refusals(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, seeded: dict[str, int]
) -> None:
    now = int(time.time())
    base = f"/play/{seeded['cdn']}/timeshift"

    async def code(path: str, **params: int) -> tuple[int, str]:
        r = await client.get(path, params={"token": api_token, **params})
        return r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else ""

    assert await code(base, start=now + 3600, duration=60) == (422, "invalid_start")
    assert await code(base, start=now - 3 * 86400, duration=60) == (404, "outside_archive")
    assert (await code(base, start=now - 60))[0] == 422  # neither duration nor end
    assert (await code(base, start=now - 60, duration=10**6))[0] == 422
    async with session_scope(app.state.session_factory) as s:
        await s.execute(update(Stream).where(Stream.id == seeded["cdn_stream"]).values(attrs={}))
    assert (await code(base, start=now - 60, duration=60))[0] == 404
    assert (await client.get(base, params={"start": now - 60, "duration": 60})).status_code == 401
